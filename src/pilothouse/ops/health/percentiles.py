"""Percentiles by the nearest-rank method, the definition every figure here uses.

For ``n`` sorted values ``x[1] <= ... <= x[n]`` the ``p``-th percentile is ``x[k]`` with
``k = ceil(p/100 * n)`` (and ``k = 1`` for ``p = 0``): always one of the observed values,
so "p85 = 12 days" means at least 85 % of the items took 12 days or less. This is
numpy's ``method="inverted_cdf"``, which a test compares against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["nearest_rank"]


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (0–100) of ``values``; ``None`` when there are none.

    >>> nearest_rank([15, 20, 35, 40, 50], 30)
    20
    >>> nearest_rank([3, 1, 2], 50)
    2
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {p}")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered) - 1e-12))
    return ordered[rank - 1]
