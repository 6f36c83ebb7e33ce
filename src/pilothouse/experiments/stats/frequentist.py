"""Frequentist tests: fixed-horizon Welch t-tests and always-valid sequential tests.

Each function takes effect moments as arrays and returns p-values and interval
bounds of the same shape. ``direction`` is +1 for "greater" (H1: effect > 0),
-1 for "less" (H1: effect < 0) and 0 for two-sided, broadcast per row, so a
block can mix guardrails (one-sided) and goal metrics (two-sided).

The sequential test is the asymptotic confidence sequence of Waudby-Smith et al.
(arXiv 2103.06476, eq. 9 and the mixing parameter of eq. 161), the method used by
GrowthBook and Eppo, with total units ``n = n_a + n_b`` as time and per-unit
variance ``s^2 = SE^2 n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pilothouse.experiments.stats.distributions import student_t
from pilothouse.experiments.stats.formulas import log_expm1

__all__ = [
    "IntervalTest",
    "fixed_horizon_test",
    "sequential_rho",
    "sequential_test",
]

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class IntervalTest:
    """p-values and interval bounds (``-inf``/``inf`` for the open side of one-sided tests)."""

    p_value: Array
    lower: Array
    upper: Array


def _select(direction: Array, two_sided: Array, greater: Array, less: Array) -> Array:
    return np.where(direction > 0, greater, np.where(direction < 0, less, two_sided))


def _bounds(
    estimate: Array, two_sided: Array, one_sided: Array, direction: Array
) -> tuple[Array, Array]:
    # Two-sided: est +/- w2.  Greater: [est - w1, inf).  Less: (-inf, est + w1].
    lower = _select(
        direction, estimate - two_sided, estimate - one_sided, np.full_like(estimate, -np.inf)
    )
    upper = _select(
        direction, estimate + two_sided, np.full_like(estimate, np.inf), estimate + one_sided
    )
    invalid = np.isnan(estimate)
    return np.where(invalid, np.nan, lower), np.where(invalid, np.nan, upper)


def fixed_horizon_test(
    estimate: ArrayLike,
    standard_error: ArrayLike,
    dof: ArrayLike,
    alpha: float,
    direction: ArrayLike = 0,
) -> IntervalTest:
    """Welch t-test with Welch-Satterthwaite degrees of freedom.

    Args:
        estimate: Effect estimates.
        standard_error: Their standard errors.
        dof: Degrees of freedom.
        alpha: Significance level.
        direction: +1 greater, -1 less, 0 two-sided (broadcast).

    Returns:
        p-values and ``1 - alpha`` interval bounds.
    """
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(standard_error, dtype=float)
    direction = np.broadcast_to(np.asarray(direction, dtype=float), est.shape)
    valid = np.isfinite(est) & (se > 0) & (np.asarray(dof) > 0)
    df = np.where(valid, dof, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(valid, est / np.where(valid, se, 1.0), 0.0)
    # t = est / SE;  p2 = 2 P(T > |t|);  p> = P(T > t);  p< = P(T < t)
    p_value = _select(
        direction,
        2 * student_t.sf(np.abs(stat), df),
        student_t.sf(stat, df),
        student_t.cdf(stat, df),
    )
    # half-widths: t_{1 - alpha/2, dof} SE (two-sided), t_{1 - alpha, dof} SE (one-sided)
    width_two = student_t.ppf(1 - alpha / 2, df) * se
    width_one = student_t.ppf(1 - alpha, df) * se
    lower, upper = _bounds(np.where(valid, est, np.nan), width_two, width_one, direction)
    return IntervalTest(np.where(valid, p_value, np.nan), lower, upper)


def sequential_rho(alpha: float, tuning: float) -> float:
    """Mixing parameter of the normal-mixture boundary, tightest at ``tuning`` units.

    Returns:
        ``rho = sqrt((-2 ln alpha + ln(-2 ln alpha + 1)) / N*)`` (eq. 161).
    """
    # rho^2 = (-2 ln(alpha) + ln(-2 ln(alpha) + 1)) / N*
    log_alpha = np.log(alpha)
    return float(np.sqrt((-2 * log_alpha + np.log(-2 * log_alpha + 1)) / tuning))


def sequential_test(
    estimate: ArrayLike,
    standard_error: ArrayLike,
    n_total: ArrayLike,
    alpha: float,
    tuning: float,
    direction: ArrayLike = 0,
) -> IntervalTest:
    """Always-valid p-values and confidence sequences.

    Args:
        estimate: Effect estimates.
        standard_error: Their (fixed-horizon) standard errors.
        n_total: Units in baseline plus variation.
        alpha: Significance level.
        tuning: Expected total sample size N* where the sequence is tightest.
        direction: +1 greater, -1 less, 0 two-sided (broadcast).

    Returns:
        p-values and bounds valid at every look.
    """
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(standard_error, dtype=float)
    direction = np.broadcast_to(np.asarray(direction, dtype=float), est.shape)
    valid = np.isfinite(est) & (se > 0) & (np.asarray(n_total) > 0)
    n = np.where(valid, n_total, 1.0)
    stat = np.where(valid, est / np.where(valid, se, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        two_w, two_p = _two_sided_sequence(stat, n, alpha, sequential_rho(alpha, tuning))
        one_w, one_p = _one_sided_sequence(stat, n, alpha, sequential_rho(2 * alpha, tuning))
        p_value = _select(direction, two_p, one_p[0], one_p[1])
        lower, upper = _bounds(np.where(valid, est, np.nan), two_w * se, one_w * se, direction)
    return IntervalTest(np.where(valid, p_value, np.nan), lower, upper)


def _two_sided_sequence(stat: Array, n: Array, alpha: float, rho: float) -> tuple[Array, Array]:
    # eq. 9:  half-width / SE = sqrt(2 (n rho^2 + 1) ln(sqrt(n rho^2 + 1) / alpha) / (n rho^2))
    # eq. 155: p = min(1, sqrt(n rho^2 + 1) exp(-t^2 n rho^2 / (2 (n rho^2 + 1))))
    nr2 = n * rho * rho
    width = np.sqrt(2 * (nr2 + 1) * np.log(np.sqrt(nr2 + 1) / alpha) / nr2)
    log_p = 0.5 * np.log(nr2 + 1) - stat * stat * nr2 / (2 * (nr2 + 1))
    return width, np.exp(np.minimum(log_p, 0.0))


def _one_sided_sequence(
    stat: Array, n: Array, alpha: float, rho: float
) -> tuple[Array, tuple[Array, Array]]:
    # One-sided normal mixture, rho tuned at 2 alpha:
    # half-width / SE = sqrt(2 (n rho^2 + 1) ln(1 + sqrt(n rho^2 + 1) / (2 alpha)) / (n rho^2))
    # Inverting it at the observed t (t in the tested direction, else p = 1):
    # p = min(1, sqrt(n rho^2 + 1) / (2 (exp(Q) - 1))),  Q = t^2 n rho^2 / (2 (n rho^2 + 1))
    nr2 = n * rho * rho
    width = np.sqrt(2 * (nr2 + 1) * np.log1p(np.sqrt(nr2 + 1) / (2 * alpha)) / nr2)
    q = stat * stat * nr2 / (2 * (nr2 + 1))
    log_p = 0.5 * np.log(nr2 + 1) - np.log(2) - log_expm1(np.maximum(q, 1e-300))
    p = np.exp(np.minimum(log_p, 0.0))
    return width, (np.where(stat > 0, p, 1.0), np.where(stat < 0, p, 1.0))
