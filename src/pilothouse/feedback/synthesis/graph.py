"""The k-nearest-neighbour similarity graph that themes are cut from.

Why a graph and not a projection: BERTopic first squeezes the vectors into 5
dimensions with UMAP and then runs HDBSCAN. UMAP's first step is exactly this
fuzzy k-NN graph; the 5-d layout that follows loses information, costs tens
of seconds (and numba compilation) and is what HDBSCAN's outliers come from.
Cutting the graph itself into communities keeps all the neighbourhood
information and takes well under a second on 10,000 items.

Edge weights follow UMAP's fuzzy simplicial set: each item's distances are
shifted by its nearest neighbour's distance and scaled by its local spread, so
dense and sparse regions get comparable weights; the directed weights are
combined by fuzzy union ``a + b - a*b``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["Neighbours", "knn", "knn_graph", "nearest"]

_CHUNK = 2048

#: ``(indices, similarities)`` of each row's nearest other rows, nearest first.
Neighbours = tuple[np.ndarray, np.ndarray]


def knn(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k nearest neighbours of unit rows, excluding the item itself.

    Brute force in row chunks: exact, dependency-free, and fast enough for the
    corpus sizes of one workspace (10,000 items in about a second).

    Returns:
        ``(indices, similarities)``, each ``(n, k)``, nearest first.
    """
    n = vectors.shape[0]
    k = max(1, min(k, n - 1))
    indices = np.zeros((n, k), dtype=np.int64)
    sims = np.zeros((n, k), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        block = vectors[start : start + _CHUNK] @ vectors.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(block, part, axis=1)
        order = np.argsort(-part_sims, axis=1)
        indices[start : start + block.shape[0]] = np.take_along_axis(part, order, axis=1)
        sims[start : start + block.shape[0]] = np.take_along_axis(part_sims, order, axis=1)
    return indices, sims


def nearest(vectors: np.ndarray, k: int, known: Neighbours | None = None) -> Neighbours:
    """The ``k`` nearest neighbours, cut from ``known`` when that already holds enough.

    The synthesis run finds neighbours once and hands them to both duplicate
    detection and clustering: the search over all pairs is the costliest step
    after embedding (about a second per 10,000 items).
    """
    k = max(1, min(k, vectors.shape[0] - 1))
    if known is not None and known[0].shape == (vectors.shape[0], known[0].shape[1]):
        if known[0].shape[1] >= k:
            return known[0][:, :k], known[1][:, :k]
    return knn(vectors, k)


def knn_graph(vectors: np.ndarray, k: int, known: Neighbours | None = None) -> sparse.csr_matrix:
    """Symmetric fuzzy k-NN graph (UMAP-style weights in ``(0, 1]``).

    Args:
        vectors: ``(n, d)`` unit rows; ``n`` must be at least 2.
        k: Neighbours per item (capped at ``n - 1``).
        known: Neighbours of these rows found before (see :func:`nearest`).
    """
    n = vectors.shape[0]
    indices, sims = nearest(vectors, k, known)
    dist = 1.0 - sims.astype(np.float64)
    rho = dist[:, :1]
    sigma = np.maximum((dist - rho).mean(axis=1, keepdims=True), 1e-6)
    weights = np.exp(-(dist - rho) / sigma)
    rows = np.repeat(np.arange(n), indices.shape[1])
    directed = sparse.csr_matrix((weights.ravel(), (rows, indices.ravel())), shape=(n, n))
    union = directed + directed.T - directed.multiply(directed.T)
    return sparse.csr_matrix(union)
