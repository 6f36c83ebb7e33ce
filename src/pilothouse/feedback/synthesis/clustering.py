"""Automatic themes: Leiden communities on the k-NN graph, resolution chosen by silhouette.

The pattern to beat is BERTopic's UMAP (5-d) + HDBSCAN + moving outliers to the
nearest topic; HDBSCAN straight on 384-d vectors and fixed cosine thresholds
fail. This module instead:

1. builds the fuzzy k-NN graph of the embeddings (:mod:`.graph`);
2. runs Leiden community detection (scikit-network, BSD) at a ladder of
   resolutions, coarse to fine;
3. folds groups smaller than ``min_theme_size`` into the nearest theme (the
   analogue of BERTopic's outlier reduction);
4. scores each partition by its mean cosine silhouette on the original vectors,
   smooths that curve over neighbouring resolutions, and keeps the coarsest
   partition within one standard error of the best (the one-standard-error
   rule: prefer fewer themes when the data cannot tell).

Modularity alone has a resolution limit (on 3,080 BANKING77 messages it finds
~40 of 77 intents) and a fixed resolution over-splits small corpora; the
silhouette picks the resolution per corpus, so 120 messages of 3 intents give 3
themes and 3,080 messages of 77 intents give ~100. Measured numbers are in
``docs/synthesis.md``.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

from pilothouse.feedback.synthesis.config import ClusteringConfig
from pilothouse.feedback.synthesis.graph import Neighbours, knn_graph

__all__ = ["Partition", "cluster", "fold_small", "silhouette"]


@dataclass(frozen=True)
class Partition:
    """One candidate partition and its score.

    Attributes:
        labels: Theme index per item, ``0..n_themes-1``, largest theme first.
        resolution: Leiden resolution that produced it.
        silhouette: Mean cosine silhouette on the sample.
        stderr: Standard error of that mean.
    """

    labels: np.ndarray
    resolution: float
    silhouette: float
    stderr: float

    @property
    def n_themes(self) -> int:
        """Number of themes."""
        return int(self.labels.max()) + 1 if self.labels.size else 0


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber labels ``0..k-1`` from the largest group down (ties by first item)."""
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    order = np.lexsort((np.arange(counts.size), -counts))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse]


def fold_small(vectors: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Move items of groups smaller than ``min_size`` to the nearest large group's centroid."""
    counts = np.bincount(labels)
    large = np.flatnonzero(counts >= min_size)
    if large.size == 0:
        return np.zeros_like(labels)
    if large.size == counts.size:
        return relabel_by_size(labels)
    centroids = np.vstack([vectors[labels == c].mean(axis=0) for c in large])
    small = ~np.isin(labels, large)
    out = labels.copy()
    out[small] = large[np.argmax(vectors[small] @ centroids.T, axis=1)]
    return relabel_by_size(out)


def silhouette(vectors: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean cosine silhouette and its standard error (``(-1, 0)`` for one group).

    silhouette(i) = (b - a) / max(a, b), with a the mean distance to i's own
    group and b the smallest mean distance to another group.
    """
    k = int(labels.max()) + 1
    if k < 2:
        return -1.0, 0.0
    onehot = np.zeros((labels.size, k), dtype=np.float32)
    onehot[np.arange(labels.size), labels] = 1.0
    dist = 1.0 - vectors @ vectors.T
    sums = dist @ onehot
    counts = onehot.sum(axis=0)
    own = sums[np.arange(labels.size), labels]
    own_n = counts[labels] - 1
    a = np.where(own_n > 0, own / np.maximum(own_n, 1), 0.0)
    other = sums / np.maximum(counts, 1)
    other[np.arange(labels.size), labels] = np.inf
    b = other.min(axis=1)
    s = np.where(own_n > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(s.mean()), float(s.std() / np.sqrt(s.size))


def _leiden(graph: object, resolution: float, seed: int) -> np.ndarray:
    """Leiden communities, the same for the same graph and seed.

    scikit-network's refinement step draws from the C library's ``rand()``, not
    from ``random_state``, so without seeding it the themes of one corpus
    changed from call to call (BANKING77 NMI 0.830 to 0.840 on identical
    vectors). The C generator is seeded right before each fit, under a lock
    because it is shared by the whole process.
    """
    from sknetwork.clustering import Leiden

    algo = Leiden(resolution=resolution, random_state=seed, return_probs=False)
    with _C_RAND_LOCK:
        if _LIBC is not None:
            _LIBC.srand(ctypes.c_uint(seed))
        return np.asarray(algo.fit_predict(graph), dtype=np.int64)


def _libc() -> ctypes.CDLL | None:
    """The process's C library (whose ``rand`` scikit-network calls), where ctypes finds it."""
    try:
        return ctypes.CDLL(None)
    except OSError:  # no C library to seed (Windows): themes still work, less repeatably
        return None


_LIBC = _libc()
_C_RAND_LOCK = threading.Lock()


def _ladder(config: ClusteringConfig) -> list[float]:
    """Resolutions from ``min_resolution`` to ``max_resolution`` in steps of sqrt(2)."""
    out, value = [], config.min_resolution
    while value <= config.max_resolution * 1.0001:
        out.append(round(value, 4))
        value *= np.sqrt(2.0)
    return out


def candidates(
    vectors: np.ndarray, config: ClusteringConfig, known: Neighbours | None = None
) -> list[Partition]:
    """Partitions along the resolution ladder, folded and scored, coarse to fine.

    The climb stops early once the silhouette has stayed more than two
    standard errors under the best for ``patience`` rungs: past the peak the
    partitions only crumble further.
    """
    graph = knn_graph(vectors, config.neighbors, known)
    rng = np.random.default_rng(config.seed)
    n = vectors.shape[0]
    sample = np.sort(rng.choice(n, size=min(n, config.silhouette_sample), replace=False))
    floor = max(config.min_theme_size, round(config.min_theme_share * n))
    min_size = max(2, min(floor, n // 4))
    scored: dict[bytes, tuple[float, float]] = {}
    parts: list[Partition] = []
    below = 0
    for resolution in _ladder(config):
        labels = fold_small(vectors, _leiden(graph, resolution, config.seed), min_size)
        key = labels.tobytes()
        if key not in scored:
            _, sub = np.unique(labels[sample], return_inverse=True)
            scored[key] = silhouette(vectors[sample], sub)
        parts.append(Partition(labels, resolution, *scored[key]))
        best = max(parts, key=lambda p: p.silhouette)
        below = below + 1 if parts[-1].silhouette < best.silhouette - 2 * best.stderr else 0
        if below >= config.patience:
            break
    return parts


def smoothed(parts: list[Partition]) -> np.ndarray:
    """Silhouette along the ladder, averaged with its neighbouring rungs.

    One rung can score high by chance (a few tight crumbs); the mean over
    three neighbouring resolutions follows the trend instead.
    """
    raw = np.array([p.silhouette for p in parts])
    padded = np.concatenate(([np.nan], raw, [np.nan]))
    windows = np.vstack([padded[:-2], padded[1:-1], padded[2:]])
    return np.asarray(np.nanmean(windows, axis=0))


def choose(parts: list[Partition]) -> Partition:
    """The coarsest rung whose smoothed silhouette is within one standard error of the best."""
    scores = smoothed(parts)
    top = int(np.argmax(scores))
    if parts[top].silhouette <= 0:
        return min(parts, key=lambda p: p.n_themes)
    ok = [i for i, v in enumerate(scores) if v >= scores[top] - parts[top].stderr]
    return min((parts[i] for i in ok), key=lambda p: (p.n_themes, -p.silhouette))


def cluster(
    vectors: np.ndarray, config: ClusteringConfig | None = None, known: Neighbours | None = None
) -> Partition:
    """Cut unit vectors into themes with an automatically chosen number of themes.

    Args:
        vectors: ``(n, d)`` unit rows, ``n >= 2``.
        config: Graph size, resolution ladder, minimum theme size and seed.
        known: Nearest neighbours of these rows found before, if any.

    Returns:
        The chosen partition. A corpus with no structure (best silhouette at or
        below zero) returns the coarsest partition found, often one theme.
    """
    config = config or ClusteringConfig()
    return choose(candidates(np.asarray(vectors, dtype=np.float32), config, known))
