"""Per-arm moments and the effect moments of each variation against the baseline.

Everything here works on blocks of shape ``(rows, variations)``, where a row is
one metric (or one metric in one dimension slice) and column 0 is the baseline.
Each arm is reduced to its mean ``U``, the per-unit variance of its linearised
value, and (with CUPED) the same for the pre-exposure value ``P`` plus their
covariance. Ratios and quantiles reduce to the same shape, so one set of effect
formulas serves every metric kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from pilothouse.experiments.stats import codes
from pilothouse.experiments.stats.distributions import norm
from pilothouse.experiments.stats.formulas import (
    linearised_covariance,
    ratio_variance,
    relative_variance,
    welch_dof,
)
from pilothouse.experiments.stats.statistics import SufficientStatistics, required_fields

__all__ = [
    "QUANTILE_BOUND_Z",
    "ArmMoments",
    "EffectMoments",
    "arm_moments",
    "effect_moments",
    "CODE_ORDER",
    "flag",
]

Array = NDArray[np.float64]
# GrowthBook's SQL returns 95% bounds for quantiles, whatever alpha the analysis uses.
QUANTILE_BOUND_Z = float(norm.ppf(0.975))


def _nan() -> Array:
    return np.array(np.nan)


@dataclass(frozen=True, eq=False)
class ArmMoments:
    """Moments of each arm: per-unit values, to be divided by ``n`` for the mean's variance.

    Attributes:
        n: Units in the metric.
        mean: The arm's metric value ``U`` (mean, proportion, ratio or quantile).
        var: Per-unit variance of the linearised value of ``U``.
        pre_mean: Pre-exposure value ``P`` (``nan`` without CUPED).
        pre_var: Per-unit variance of the linearised value of ``P``.
        cov: Per-unit covariance of the linearised ``U`` and ``P``.
        zero_denominator: Ratio arms whose denominator sum is zero.
    """

    n: Array
    mean: Array
    var: Array
    pre_mean: Array = field(default_factory=_nan)
    pre_var: Array = field(default_factory=_nan)
    cov: Array = field(default_factory=_nan)
    zero_denominator: NDArray[np.bool_] = field(default_factory=lambda: np.array(False))


@dataclass(frozen=True, eq=False)
class EffectMoments:
    """Effect of each variation against the baseline, shape ``(rows, variations - 1)``.

    Attributes:
        estimate: Point estimate (relative or absolute).
        standard_error: Standard error of the estimate.
        dof: Welch-Satterthwaite degrees of freedom.
        n_total: Units in baseline plus variation (the sequential "time").
        theta: CUPED coefficient used (0 without CUPED).
        error: Error code per cell, ``None`` when the effect is valid.
    """

    estimate: Array
    standard_error: Array
    dof: Array
    n_total: Array
    theta: Array
    error: NDArray[np.object_]


# Error codes are tracked as small integers (0 = no error) and named at the end.
CODE_ORDER: tuple[str | None, ...] = (
    None,
    codes.INVALID_STATISTICS,
    codes.NO_UNITS_IN_VARIATION,
    codes.TOO_FEW_UNITS,
    codes.ZERO_DENOMINATOR,
    codes.ZERO_BASELINE,
    codes.ZERO_NEGATIVE_VARIANCE,
)
Codes = NDArray[np.int8]


def flag(errors: Codes, mask: NDArray[np.bool_], code: str) -> None:
    """Set ``code`` where ``mask`` holds and no earlier code was set (first problem wins)."""
    errors[np.broadcast_to(mask, errors.shape) & (errors == 0)] = CODE_ORDER.index(code)


def _mean_moments(stats: SufficientStatistics, cuped: bool, proportion: bool) -> ArmMoments:
    # Means use the unbiased (n - 1) moments; proportions the n moments, so Var = p(1 - p).
    ddof = 0 if proportion else 1
    n = stats.units
    mean = stats.column("main_sum") / n
    var = mean * (1 - mean) if proportion else stats.variance("main_sum", "main_sum_squares")
    if not cuped:
        return ArmMoments(n=n, mean=mean, var=var)
    return ArmMoments(
        n=n,
        mean=mean,
        var=var,
        pre_mean=stats.column("covariate_sum") / n,
        pre_var=stats.variance("covariate_sum", "covariate_sum_squares", ddof),
        cov=stats.covariance("main_sum", "covariate_sum", "main_covariate_sum_product", ddof),
    )


def _ratio_moments(stats: SufficientStatistics, cuped: bool) -> ArmMoments:
    # R = sum(m) / sum(d); per unit, r_i = (m_i - R d_i) / mean(d)  (delta method).
    n = stats.units
    den = stats.column("denominator_sum")
    ratio = stats.column("main_sum") / den
    var = ratio_variance(
        ratio,
        den / n,
        stats.variance("main_sum", "main_sum_squares"),
        stats.variance("denominator_sum", "denominator_sum_squares"),
        stats.covariance("main_sum", "denominator_sum", "main_denominator_sum_product"),
    )
    if not cuped:
        return ArmMoments(n=n, mean=ratio, var=var, zero_denominator=den == 0)
    pre_den = stats.column("denominator_pre_sum")
    pre_ratio = stats.column("covariate_sum") / pre_den
    pre_var = ratio_variance(
        pre_ratio,
        pre_den / n,
        stats.variance("covariate_sum", "covariate_sum_squares"),
        stats.variance("denominator_pre_sum", "denominator_pre_sum_squares"),
        stats.covariance(
            "covariate_sum", "denominator_pre_sum", "main_pre_denominator_pre_sum_product"
        ),
    )
    cov = linearised_covariance(
        ratio,
        pre_ratio,
        den / n,
        pre_den / n,
        stats.covariance("main_sum", "covariate_sum", "main_covariate_sum_product"),
        stats.covariance(
            "main_sum", "denominator_pre_sum", "main_post_denominator_pre_sum_product"
        ),
        stats.covariance(
            "denominator_sum", "covariate_sum", "main_pre_denominator_post_sum_product"
        ),
        stats.covariance(
            "denominator_sum", "denominator_pre_sum", "denominator_post_denominator_pre_sum_product"
        ),
    )
    return ArmMoments(n, ratio, var, pre_ratio, pre_var, cov, (den == 0) | (pre_den == 0))


def _quantile_moments(stats: SufficientStatistics) -> ArmMoments:
    # SE at n* units = (upper - lower) / (2 z_0.975); per-unit variance = n* SE^2.
    n = stats.column("quantile_n")
    nstar = stats.column("quantile_nstar")
    nstar = np.where(np.isnan(nstar), n, nstar)
    half_width = (stats.column("quantile_upper") - stats.column("quantile_lower")) / 2
    var = nstar * np.square(half_width / QUANTILE_BOUND_Z)
    return ArmMoments(n=n, mean=stats.column("quantile"), var=var)


def arm_moments(stats: SufficientStatistics, kind: str, cuped: bool) -> ArmMoments:
    """Reduce each arm's sufficient statistics to its moments.

    Args:
        stats: Block of sufficient statistics (any shape).
        kind: ``"mean"``, ``"proportion"``, ``"ratio"`` or ``"quantile"``.
        cuped: Compute the pre-exposure moments as well.

    Returns:
        The arm moments, same shape as ``stats``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "ratio":
            return _ratio_moments(stats, cuped)
        if kind == "quantile":
            return _quantile_moments(stats)
        return _mean_moments(stats, cuped, proportion=kind == "proportion")


def _pooled_theta(stats: SufficientStatistics, kind: str) -> Array:
    # theta = cov(U, P) / var(P) over the pooled units of baseline and variation.
    pooled = stats.take((slice(None), slice(0, 1))) + stats.take((slice(None), slice(1, None)))
    moments = arm_moments(pooled, kind, cuped=True)
    usable = np.isfinite(moments.cov) & (moments.pre_var > 0) & (moments.var > 0)
    return np.where(usable, moments.cov / np.where(usable, moments.pre_var, 1.0), 0.0)


def _input_errors(stats: SufficientStatistics, kind: str, cuped: bool, levels: Array) -> Codes:
    """Error codes for problems visible in the inputs alone, per arm."""
    errors = np.zeros(stats.shape, dtype=np.int8)
    finite = np.ones(errors.shape, dtype=bool)
    for name in required_fields(kind, cuped):
        finite &= np.isfinite(stats.column(name))
    n = stats.column("quantile_n") if kind == "quantile" else stats.units
    flag(
        errors,
        ~finite | ~np.isfinite(n) | (n < 0) | (stats.column("users") < 0),
        codes.INVALID_STATISTICS,
    )
    flag(errors, n <= 0, codes.NO_UNITS_IN_VARIATION)
    flag(errors, n < 2, codes.TOO_FEW_UNITS)
    if kind == "quantile":
        # The bounds exist only when n > z^2 nu / (1 - nu) and n > z^2 (1 - nu) / nu.
        z2 = QUANTILE_BOUND_Z**2
        lowest = z2 * np.maximum(levels / (1 - levels), (1 - levels) / levels)
        flag(errors, n <= lowest, codes.TOO_FEW_UNITS)
    return errors


def _negative(var: Array, mean: Array) -> NDArray[np.bool_]:
    # Sums that imply a variance below -1e-10 (1 + mean^2) are inconsistent, not rounding.
    return var < -1e-10 * (1 + np.square(np.nan_to_num(mean)))


def _arm_errors(
    stats: SufficientStatistics, arms: ArmMoments, kind: str, cuped: bool, levels: Array
) -> Codes:
    errors = _input_errors(stats, kind, cuped, levels)
    flag(errors, arms.zero_denominator, codes.ZERO_DENOMINATOR)
    bad = _negative(arms.var, arms.mean)
    if cuped:
        bad |= _negative(arms.pre_var, arms.pre_mean)
    flag(errors, bad, codes.ZERO_NEGATIVE_VARIANCE)
    return errors


def _pair_errors(arm_errors: Codes) -> Codes:
    # A comparison inherits the baseline's problem first, then the variation's.
    baseline = np.broadcast_to(arm_errors[:, :1], arm_errors[:, 1:].shape)
    return np.where(baseline == 0, arm_errors[:, 1:], baseline).astype(np.int8)


def effect_moments(
    stats: SufficientStatistics,
    kind: str,
    cuped: bool,
    relative: bool,
    levels: Array | None = None,
) -> tuple[ArmMoments, EffectMoments]:
    """Effect moments of every variation against the baseline (column 0).

    Args:
        stats: Block of shape ``(rows, variations)``.
        kind: Metric kind shared by the block.
        cuped: Apply CUPED with a pooled theta per comparison.
        relative: Relative effect ``(A_b - A_a) / U_a`` instead of ``A_b - A_a``.
        levels: Quantile level per row, shape ``(rows, 1)`` (quantile metrics only).

    Returns:
        The arm moments and the effect moments.
    """
    levels = np.full((stats.shape[0], 1), 0.5) if levels is None else levels
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        arms = arm_moments(stats, kind, cuped)
        errors = _pair_errors(_arm_errors(stats, arms, kind, cuped, levels))
        theta = _pooled_theta(stats, kind) if cuped else np.zeros(errors.shape)
        effect = _combine(arms, theta, relative, errors)
    if not cuped:
        effect = replace(effect, theta=np.full(errors.shape, np.nan))
    return arms, effect


def _adjusted(arms: ArmMoments, theta: Array, column: slice) -> tuple[Array, Array, Array]:
    # A = U - theta P;  Var(A) = v_U + theta^2 v_P - 2 theta c;  Cov(A, U) = v_U - theta c.
    mean, var = arms.mean[:, column], arms.var[:, column]
    if not np.any(theta):
        return mean, var, var
    pre, pre_var, cov = arms.pre_mean[:, column], arms.pre_var[:, column], arms.cov[:, column]
    adjusted_var = np.maximum(var + theta * theta * pre_var - 2 * theta * cov, 0.0)
    return mean - theta * pre, adjusted_var, var - theta * cov


def _combine(arms: ArmMoments, theta: Array, relative: bool, errors: Codes) -> EffectMoments:
    a_mean, a_var, a_cov = _adjusted(arms, theta, slice(0, 1))
    b_mean, b_var, _ = _adjusted(arms, theta, slice(1, None))
    n_a, n_b = arms.n[:, :1], arms.n[:, 1:]
    baseline = arms.mean[:, :1]
    if relative:
        # A negative baseline is divided by its size, so the sign of the relative
        # effect is the sign of the difference (as GrowthBook does); only zero fails.
        flag(errors, ~(np.abs(baseline) > 0), codes.ZERO_BASELINE)
        signed = (b_mean - a_mean) / baseline
        estimate = (b_mean - a_mean) / np.abs(baseline)
        # The delta method needs the signed ratio; dividing by |U_a| instead of U_a
        # flips the sign only, so the variance is the same.
        variance = relative_variance(
            signed, baseline, a_var, arms.var[:, :1], a_cov, n_a, b_var, n_b
        )
    else:
        estimate = b_mean - a_mean
        variance = a_var / n_a + b_var / n_b
    flag(errors, ~(variance > 0) | ~np.isfinite(variance), codes.ZERO_NEGATIVE_VARIANCE)
    valid = errors == 0
    return EffectMoments(
        estimate=np.where(valid, estimate, np.nan),
        standard_error=np.where(valid, np.sqrt(np.where(valid, variance, 1.0)), np.nan),
        dof=np.where(valid, welch_dof(a_var, n_a, b_var, n_b), np.nan),
        n_total=np.broadcast_to(n_a + n_b, errors.shape).astype(float),
        theta=np.broadcast_to(theta, errors.shape).astype(float),
        error=np.array(CODE_ORDER, dtype=object)[errors],
    )
