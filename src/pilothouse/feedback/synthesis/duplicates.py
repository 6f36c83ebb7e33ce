"""Near-duplicate detection: link each repeat to the first item that said it.

Customers repeat themselves across channels (a ticket, then an app review, then
an NPS comment). Items whose embeddings are nearly identical (cosine at or
above ``min_similarity``) are linked to the earliest such item, following the
chain so that every repeat points at the original, as Canny's deduplication
does. The input order is the time order.
"""

from __future__ import annotations

import numpy as np

from pilothouse.feedback.synthesis.config import DuplicateConfig
from pilothouse.feedback.synthesis.embedders import normalize_rows
from pilothouse.feedback.synthesis.graph import Neighbours, nearest

__all__ = ["find_duplicates"]


def find_duplicates(
    vectors: np.ndarray,
    config: DuplicateConfig | None = None,
    neighbors: int = 10,
    known: Neighbours | None = None,
) -> tuple[int | None, ...]:
    """For each item, the index of the first earlier item it repeats, else ``None``.

    Args:
        vectors: ``(n, d)`` embeddings in time order.
        config: The similarity threshold.
        neighbors: Candidates checked per item.
        known: Nearest neighbours of these rows found before, if any.
    """
    config = config or DuplicateConfig()
    n = len(vectors)
    if n < 2:
        return tuple(None for _ in range(n))
    unit = normalize_rows(np.asarray(vectors, dtype=np.float32))
    indices, sims = nearest(unit, neighbors, known)
    parent = np.arange(n)
    for i in range(n):
        earlier = indices[i][(sims[i] >= config.min_similarity) & (indices[i] < i)]
        if earlier.size:
            root = int(earlier.min())
            while parent[root] != root:
                root = int(parent[root])
            parent[i] = root
    return tuple(None if int(p) == i else int(p) for i, p in enumerate(parent))
