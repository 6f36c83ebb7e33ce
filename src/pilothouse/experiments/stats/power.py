"""Power analysis: minimum detectable effect, sample size, duration, mid-experiment power.

Pre-experiment numbers come from a metric's historical mean and per-unit variance
(``arm_moments`` of a historical window gives both). All functions broadcast, so a
whole metric catalogue is planned in one call. Effects are absolute unless a
``mean`` is given, in which case they are relative to it (the variance of a
relative effect is taken at the null, ``s^2 / mean^2``).

With ``sequential_tuning`` the critical value is the confidence-sequence multiplier
at the horizon instead of the normal quantile, so the numbers are for the final
look; peeking earlier can only add power.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pilothouse.experiments.stats.distributions import norm
from pilothouse.experiments.stats.frequentist import sequential_rho

__all__ = [
    "critical_value",
    "experiment_duration",
    "mid_experiment_power",
    "minimum_detectable_effect",
    "power",
    "required_sample_size",
]

Array = NDArray[np.float64]


def critical_value(
    alpha: float,
    test: str = "two-sided",
    sequential_tuning: float | None = None,
    n_total: ArrayLike | None = None,
) -> Array:
    """Half-width of the interval in standard errors.

    Returns:
        ``z_{1-alpha/2}`` (two-sided) or ``z_{1-alpha}`` (one-sided); with sequential
        testing the confidence-sequence multiplier at ``n_total`` units.
    """
    two_sided = test == "two-sided"
    if sequential_tuning is None:
        return np.asarray(norm.ppf(1 - alpha / 2 if two_sided else 1 - alpha))
    n = np.asarray(n_total, dtype=float)
    rho = sequential_rho(alpha if two_sided else 2 * alpha, sequential_tuning)
    nr2 = n * rho * rho
    # two-sided: sqrt(2 (n rho^2 + 1) ln(sqrt(n rho^2 + 1) / alpha) / (n rho^2))
    # one-sided: sqrt(2 (n rho^2 + 1) ln(1 + sqrt(n rho^2 + 1) / (2 alpha)) / (n rho^2))
    log_term = (
        np.log(np.sqrt(nr2 + 1) / alpha) if two_sided else np.log1p(np.sqrt(nr2 + 1) / (2 * alpha))
    )
    return np.sqrt(2 * (nr2 + 1) * log_term / nr2)


def power(
    effect: ArrayLike,
    standard_error: ArrayLike,
    alpha: float = 0.05,
    test: str = "two-sided",
    sequential_tuning: float | None = None,
    n_total: ArrayLike | None = None,
) -> Array:
    """Probability of a significant result if the true effect is ``effect``.

    Returns:
        Two-sided ``Phi(|d|/SE - c) + Phi(-|d|/SE - c)``; "greater" ``Phi(d/SE - c)``;
        "less" ``Phi(-d/SE - c)``.
    """
    c = critical_value(alpha, test, sequential_tuning, n_total)
    z = np.asarray(effect, dtype=float) / np.asarray(standard_error, dtype=float)
    if test == "greater":
        return np.asarray(norm.cdf(z - c), dtype=float)
    if test == "less":
        return np.asarray(norm.cdf(-z - c), dtype=float)
    return np.asarray(norm.cdf(np.abs(z) - c) + norm.cdf(-np.abs(z) - c), dtype=float)


def _scale(mean: ArrayLike | None) -> Array:
    return np.asarray(1.0) if mean is None else np.abs(np.asarray(mean, dtype=float))


def minimum_detectable_effect(
    variance: ArrayLike,
    n_baseline: ArrayLike,
    n_variation: ArrayLike,
    alpha: float = 0.05,
    target_power: float = 0.8,
    test: str = "two-sided",
    mean: ArrayLike | None = None,
    sequential_tuning: float | None = None,
) -> Array:
    """Smallest effect detected with probability ``target_power``.

    Args:
        variance: Per-unit variance of the metric (historical).
        n_baseline: Units in the baseline.
        n_variation: Units in the variation.
        alpha: Significance level.
        target_power: Desired power, such as 0.8.
        test: "two-sided", "greater" or "less".
        mean: Historical mean; when given the MDE is relative to it.
        sequential_tuning: N* when the analysis will use sequential testing.

    Returns:
        ``(c + z_power) sqrt(s^2/n_a + s^2/n_b)`` (divided by ``|mean|`` if given).
    """
    # MDE = (c_alpha + z_{power}) SE,  SE = sqrt(s^2 / n_a + s^2 / n_b)
    var = np.asarray(variance, dtype=float)
    n_a, n_b = np.asarray(n_baseline, dtype=float), np.asarray(n_variation, dtype=float)
    se = np.sqrt(var / n_a + var / n_b)
    c = critical_value(alpha, test, sequential_tuning, n_a + n_b)
    return np.asarray((c + norm.ppf(target_power)) * se / _scale(mean), dtype=float)


def required_sample_size(
    variance: ArrayLike,
    effect: ArrayLike,
    alpha: float = 0.05,
    target_power: float = 0.8,
    test: str = "two-sided",
    mean: ArrayLike | None = None,
    shares: tuple[float, float] = (0.5, 0.5),
) -> Array:
    """Total units (all variations) needed to detect ``effect`` (fixed horizon).

    Args:
        variance: Per-unit variance of the metric.
        effect: Effect to detect (relative when ``mean`` is given).
        alpha: Significance level.
        target_power: Desired power.
        test: "two-sided", "greater" or "less".
        mean: Historical mean for relative effects.
        shares: Traffic shares of the baseline and the variation (of all units).

    Returns:
        ``N = (c + z_power)^2 s^2 (1/w_a + 1/w_b) / d^2``, rounded up.
    """
    # N = (c_alpha + z_power)^2 s^2 (1/w_a + 1/w_b) / d^2
    d = np.asarray(effect, dtype=float) * _scale(mean)
    c = critical_value(alpha, test)
    multiplier = np.square(c + norm.ppf(target_power)) * (1 / shares[0] + 1 / shares[1])
    with np.errstate(divide="ignore"):
        return np.asarray(np.ceil(multiplier * np.asarray(variance, dtype=float) / np.square(d)))


def experiment_duration(
    variance: ArrayLike,
    effect: ArrayLike,
    daily_units: ArrayLike,
    alpha: float = 0.05,
    target_power: float = 0.8,
    test: str = "two-sided",
    mean: ArrayLike | None = None,
    shares: tuple[float, float] = (0.5, 0.5),
) -> Array:
    """Days until ``effect`` is detectable, given the units entering per day.

    Returns:
        ``ceil(required_sample_size / daily_units)``.
    """
    total = required_sample_size(variance, effect, alpha, target_power, test, mean, shares)
    return np.asarray(np.ceil(total / np.asarray(daily_units, dtype=float)), dtype=float)


def mid_experiment_power(
    effect: ArrayLike,
    standard_error: ArrayLike,
    n_current: ArrayLike,
    n_planned: ArrayLike,
    alpha: float = 0.05,
    test: str = "two-sided",
    sequential_tuning: float | None = None,
) -> Array:
    """Power at the planned end, from the standard error observed so far.

    Args:
        effect: Effect to detect (same scale as the standard error).
        standard_error: Current standard error of the effect.
        n_current: Units so far (baseline plus variation).
        n_planned: Units planned at the end.
        alpha: Significance level.
        test: "two-sided", "greater" or "less".
        sequential_tuning: N* when the analysis uses sequential testing.

    Returns:
        Power with ``SE_end = SE_now sqrt(n_now / n_end)``.
    """
    # SE shrinks as 1/sqrt(n): SE_end = SE_now sqrt(n_now / n_end)
    current, planned = np.asarray(n_current, dtype=float), np.asarray(n_planned, dtype=float)
    se_end = np.asarray(standard_error, dtype=float) * np.sqrt(current / planned)
    return power(effect, se_end, alpha, test, sequential_tuning, planned)
