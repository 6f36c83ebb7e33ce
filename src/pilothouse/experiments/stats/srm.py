"""Sample-ratio mismatch: Pearson's chi-square of observed units against the weights."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pilothouse.experiments.stats.distributions import chi2

__all__ = ["srm_p_value"]


def srm_p_value(users: ArrayLike, weights: Sequence[float] | None = None) -> NDArray[np.float64]:
    """Chi-square p-value of the traffic split, for each row of ``users``.

    Variations with zero weight are left out of the statistic and of the degrees of
    freedom. Rows without units, or with units in a zero-weight variation only,
    give ``nan``.

    Args:
        users: Units per variation, shape ``(..., variations)``.
        weights: Configured traffic weights (normalised here); ``None`` = equal.

    Returns:
        p-values, shape ``users.shape[:-1]``.
    """
    observed = np.asarray(users, dtype=float)
    count = observed.shape[-1]
    w = np.full(count, 1.0) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (count,):
        raise ValueError(f"expected {count} weights, got {w.shape[0]}")
    active = w > 0
    share = w[active] / w[active].sum()
    observed = observed[..., active]
    total = observed.sum(axis=-1, keepdims=True)
    # X^2 = sum_i (o_i - e_i)^2 / e_i,  e_i = w_i N;  p = P(chi2_{k-1} > X^2)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = share * total
        statistic = np.sum(np.square(observed - expected) / expected, axis=-1)
    p = chi2.sf(np.where(np.isfinite(statistic), statistic, 0.0), max(int(active.sum()) - 1, 1))
    return np.where(np.isfinite(statistic) & (total[..., 0] > 0), p, np.nan)
