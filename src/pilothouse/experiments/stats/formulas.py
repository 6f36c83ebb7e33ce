"""Small pure math helpers, each with its formula in a comment.

Every function takes NumPy arrays (or scalars) and broadcasts, so the callers can
evaluate a formula for all metrics x variations x dimensions at once. Division by
zero is left to the caller, which masks those cells with an error code; run these
inside ``np.errstate(divide="ignore", invalid="ignore")``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "linearised_covariance",
    "log_expm1",
    "ratio_variance",
    "relative_variance",
    "sample_covariance",
    "sample_variance",
    "welch_dof",
]

Array = NDArray[np.float64]


def _f(value: ArrayLike) -> Array:
    return np.asarray(value, dtype=float)


def sample_variance(n: ArrayLike, total: ArrayLike, sum_squares: ArrayLike, ddof: int = 1) -> Array:
    """Variance of one unit's value from its sums.

    Args:
        n: Number of units.
        total: Sum of the values.
        sum_squares: Sum of the squared values.
        ddof: 1 for the unbiased sample variance, 0 for the maximum-likelihood one.

    Returns:
        ``(sum_squares - total**2 / n) / (n - ddof)``.
    """
    # s^2 = (sum x^2 - (sum x)^2 / n) / (n - ddof)
    count, total_ = _f(n), _f(total)
    return (_f(sum_squares) - total_ * total_ / count) / (count - ddof)


def sample_covariance(
    n: ArrayLike, sum_x: ArrayLike, sum_y: ArrayLike, sum_xy: ArrayLike, ddof: int = 1
) -> Array:
    """Covariance of two per-unit values from their sums and sum of products.

    Returns:
        ``(sum_xy - sum_x * sum_y / n) / (n - ddof)``.
    """
    # cov(x, y) = (sum xy - sum x * sum y / n) / (n - ddof)
    count = _f(n)
    return (_f(sum_xy) - _f(sum_x) * _f(sum_y) / count) / (count - ddof)


def ratio_variance(
    ratio: ArrayLike,
    mean_denominator: ArrayLike,
    var_numerator: ArrayLike,
    var_denominator: ArrayLike,
    cov: ArrayLike,
) -> Array:
    """Per-unit variance of a ratio of means by the delta method.

    Args:
        ratio: ``R = mean(M) / mean(D)``.
        mean_denominator: ``mean(D)``.
        var_numerator: Per-unit variance of M.
        var_denominator: Per-unit variance of D.
        cov: Per-unit covariance of M and D.

    Returns:
        The variance of the linearised unit value ``(m - R d) / mean(D)``.
    """
    # Var(M/D) * n = (s_M^2 - 2 R s_MD + R^2 s_D^2) / mean(D)^2
    r = _f(ratio)
    numerator = _f(var_numerator) - 2 * r * _f(cov) + r * r * _f(var_denominator)
    return numerator / np.square(_f(mean_denominator))


def linearised_covariance(
    ratio_x: ArrayLike,
    ratio_y: ArrayLike,
    mean_den_x: ArrayLike,
    mean_den_y: ArrayLike,
    cov_num: ArrayLike,
    cov_num_x_den_y: ArrayLike,
    cov_den_x_num_y: ArrayLike,
    cov_den: ArrayLike,
) -> Array:
    """Covariance of two linearised ratios ``X = Mx/Dx`` and ``Y = My/Dy`` per unit.

    Args:
        ratio_x: ``Rx = mean(Mx) / mean(Dx)``.
        ratio_y: ``Ry = mean(My) / mean(Dy)``.
        mean_den_x: ``mean(Dx)``.
        mean_den_y: ``mean(Dy)``.
        cov_num: ``cov(Mx, My)``.
        cov_num_x_den_y: ``cov(Mx, Dy)``.
        cov_den_x_num_y: ``cov(Dx, My)``.
        cov_den: ``cov(Dx, Dy)``.

    Returns:
        ``cov((mx - Rx dx) / mean(Dx), (my - Ry dy) / mean(Dy))``.
    """
    # cov = (c(Mx,My) - Ry c(Mx,Dy) - Rx c(Dx,My) + Rx Ry c(Dx,Dy)) / (mean(Dx) mean(Dy))
    rx, ry = _f(ratio_x), _f(ratio_y)
    numerator = _f(cov_num) - ry * _f(cov_num_x_den_y) - rx * _f(cov_den_x_num_y)
    return (numerator + rx * ry * _f(cov_den)) / (_f(mean_den_x) * _f(mean_den_y))


def relative_variance(
    relative_effect: ArrayLike,
    baseline_mean: ArrayLike,
    var_adjusted_a: ArrayLike,
    var_unadjusted_a: ArrayLike,
    cov_a: ArrayLike,
    n_a: ArrayLike,
    var_adjusted_b: ArrayLike,
    n_b: ArrayLike,
) -> Array:
    """Delta-method variance of ``(A_b - A_a) / U_a``.

    ``A`` is an arm's (possibly CUPED-adjusted) estimator and ``U_a`` the baseline's
    unadjusted mean. Without adjustment ``A = U`` and this is the textbook
    ``s_b^2 / (n_b m_a^2) + m_b^2 s_a^2 / (n_a m_a^4)``.

    Args:
        relative_effect: ``r = (A_b - A_a) / U_a``.
        baseline_mean: ``U_a``.
        var_adjusted_a: Per-unit variance of the baseline's adjusted value.
        var_unadjusted_a: Per-unit variance of the baseline's unadjusted value.
        cov_a: Per-unit covariance of the baseline's adjusted and unadjusted values.
        n_a: Baseline units.
        var_adjusted_b: Per-unit variance of the variation's adjusted value.
        n_b: Variation units.

    Returns:
        The variance of the relative effect.
    """
    # Var(r) = [v_Ab / n_b + (v_Aa + 2 r c_a + r^2 v_Ua) / n_a] / U_a^2
    r = _f(relative_effect)
    baseline_part = (_f(var_adjusted_a) + 2 * r * _f(cov_a) + r * r * _f(var_unadjusted_a)) / _f(
        n_a
    )
    return (_f(var_adjusted_b) / _f(n_b) + baseline_part) / np.square(_f(baseline_mean))


def welch_dof(var_a: ArrayLike, n_a: ArrayLike, var_b: ArrayLike, n_b: ArrayLike) -> Array:
    """Welch-Satterthwaite degrees of freedom.

    Returns:
        ``(va/na + vb/nb)^2 / ((va/na)^2/(na-1) + (vb/nb)^2/(nb-1))``.
    """
    # nu = (s_a^2/n_a + s_b^2/n_b)^2 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1))
    count_a, count_b = _f(n_a), _f(n_b)
    se2_a, se2_b = _f(var_a) / count_a, _f(var_b) / count_b
    denominator = se2_a * se2_a / (count_a - 1) + se2_b * se2_b / (count_b - 1)
    return np.square(se2_a + se2_b) / denominator


def log_expm1(x: ArrayLike) -> Array:
    """``log(exp(x) - 1)`` for ``x > 0`` without overflow.

    Returns:
        ``x + log1p(-exp(-x))``.
    """
    # log(e^x - 1) = x + log(1 - e^-x)
    value = _f(x)
    return value + np.log1p(-np.exp(-value))
