"""Result objects the engine returns: plain frozen data, ready to serialise."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MetricResult", "Risk", "VariationResult"]


@dataclass(frozen=True)
class Risk:
    """Expected loss of each choice, in the units of the effect.

    Attributes:
        control: Expected loss of keeping the baseline.
        treatment: Expected loss of shipping the variation.
    """

    control: float
    treatment: float


@dataclass(frozen=True)
class VariationResult:
    """One variation of one metric. The baseline carries only name, users and mean.

    Attributes:
        name: Variation name.
        users: Exposed units.
        mean: The variation's metric value (mean, proportion, ratio or quantile).
        effect: Effect against the baseline (posterior mean for Bayesian).
        standard_error: Standard error of the effect (posterior stddev for Bayesian).
        ci: Interval ``(lower, upper)``, with infinite bounds for one-sided tests.
        p_value: Frequentist p-value (always valid when sequential).
        adjusted_p_value: p-value after the configured multiple-testing correction.
        chance_to_win: Bayesian probability that the variation is better.
        risk: Bayesian expected loss of each choice.
        theta: CUPED coefficient used for this comparison.
        error: Error code from ``codes`` when the comparison could not be computed.
    """

    name: str
    users: float
    mean: float | None
    effect: float | None = None
    standard_error: float | None = None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    chance_to_win: float | None = None
    risk: Risk | None = None
    theta: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class MetricResult:
    """All variations of one metric, and its dimension slices.

    Attributes:
        name: Metric name.
        srm_p_value: Chi-square p-value of the traffic split (``None`` without units).
        variations: Baseline first, then each variation against it.
        error: Metric-level error code (malformed input), ``None`` when analysed.
        message: Human-readable explanation naming the metric, variation and field.
        dimension: Slice value for a dimension result, ``None`` for the overall result.
        dimensions: Per-slice results: top slices by units, then "(other)".
    """

    name: str
    srm_p_value: float | None
    variations: tuple[VariationResult, ...]
    error: str | None = None
    message: str | None = None
    dimension: str | None = None
    dimensions: tuple[MetricResult, ...] = ()
