"""Multiple-testing corrections across metrics x variations.

Both take a flat array of p-values and ignore ``nan`` (comparisons that failed),
which neither count towards the family size nor get an adjusted value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["adjust_p_values", "benjamini_hochberg", "holm_bonferroni"]

Array = NDArray[np.float64]


def holm_bonferroni(p_values: ArrayLike) -> Array:
    """Holm's step-down adjusted p-values (controls the family-wise error rate).

    Returns:
        ``p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))`` in ascending order of p.
    """
    # p~_(i) = max_{j<=i} min(1, (m - j + 1) p_(j))
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    index = np.flatnonzero(~np.isnan(p))
    order = index[np.argsort(p[index], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def benjamini_hochberg(p_values: ArrayLike) -> Array:
    """Benjamini-Hochberg step-up adjusted p-values (controls the false discovery rate).

    Returns:
        ``p~_(i) = min_{j >= i} min(1, m p_(j) / j)`` in ascending order of p.
    """
    # p~_(i) = min_{j>=i} min(1, m p_(j) / j)
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    index = np.flatnonzero(~np.isnan(p))
    order = index[np.argsort(p[index], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, m * p[order] / np.arange(1, m + 1))
    out[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return out


def adjust_p_values(p_values: ArrayLike, method: str) -> Array:
    """Adjust with ``"holm-bonferroni"`` or ``"benjamini-hochberg"``.

    Raises:
        ValueError: For an unknown method (misuse).
    """
    if method == "holm-bonferroni":
        return holm_bonferroni(p_values)
    if method == "benjamini-hochberg":
        return benjamini_hochberg(p_values)
    raise ValueError(f"unknown correction {method!r}")
