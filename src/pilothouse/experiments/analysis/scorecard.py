"""The results document a snapshot stores: what a scorecard UI needs, as plain JSON.

Per metric and variation: units, mean, effect, interval, p-value (frequentist) or
chance to win and risk (Bayesian), a status (better, worse, inconclusive), the
stats engine's error code, and for guardrails whether the metric moved in its bad
direction by more than the margin. Per experiment: the traffic split and its SRM
p-value, overall and per dimension value. Numbers go through
:func:`~pilothouse.experiments.stats.offline.format_number`, so the document never
holds NaN (infinite interval bounds are ``"inf"``/``"-inf"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pilothouse.experiments.analysis.plan import AnalysisPlan, MetricPlan
from pilothouse.experiments.stats.dimensions import pool_dimensions
from pilothouse.experiments.stats.offline import format_number
from pilothouse.experiments.stats.results import MetricResult, VariationResult
from pilothouse.experiments.stats.srm import srm_p_value
from pilothouse.experiments.stats.statistics import SufficientStatistics

__all__ = [
    "MetricOutcome",
    "dimension_srm",
    "guardrail_breached",
    "metric_entry",
    "srm_entry",
    "status_of",
]


@dataclass(frozen=True)
class MetricOutcome:
    """One metric's analysed result (or the reason it has none) and its raw sums."""

    plan: MetricPlan
    result: MetricResult | None = None
    dimensions: tuple[tuple[str, MetricResult], ...] = ()
    statistics: tuple[SufficientStatistics, ...] = ()
    error: str | None = None
    message: str | None = None


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def status_of(result: VariationResult, plan: MetricPlan, engine: str, alpha: float) -> str | None:
    """``better``, ``worse`` or ``inconclusive`` for a comparison (``None`` when it failed)."""
    if result.error is not None or result.effect is None:
        return None
    if engine == "bayesian":
        chance = result.chance_to_win
        if chance is None:
            return None
        return "better" if chance > 1 - alpha else "worse" if chance < alpha else "inconclusive"
    p = result.adjusted_p_value if result.adjusted_p_value is not None else result.p_value
    if p is None or p >= alpha:
        return "inconclusive"
    improved = (result.effect < 0) if plan.inverse else (result.effect > 0)
    return "better" if improved else "worse"


def guardrail_breached(
    result: VariationResult, plan: MetricPlan, baseline_mean: float | None, relative: bool
) -> bool | None:
    """Whether a guardrail moved in its bad direction by more than its margin.

    The margin is relative (0.02 = 2 %); for absolute differences it is scaled by the
    baseline mean. A decrease-is-bad guardrail is breached when the interval's upper
    bound lies below ``-margin``; an increase-is-bad one when its lower bound lies
    above ``+margin``. ``None`` for other roles or failed comparisons.
    """
    if plan.role != "guardrail" or plan.bad_direction is None or result.ci is None:
        return None
    margin = plan.margin or 0.0
    if not relative:
        if not _finite(baseline_mean):
            return None
        margin *= abs(float(baseline_mean))  # type: ignore[arg-type]
    lower, upper = result.ci
    if plan.bad_direction == "decrease":
        return bool(math.isfinite(upper) and upper < -margin)
    return bool(math.isfinite(lower) and lower > margin)


def _variation(
    result: VariationResult,
    key: str,
    name: str,
    plan: MetricPlan,
    baseline: VariationResult,
    settings: tuple[str, float, bool],
) -> dict[str, Any]:
    engine, alpha, relative = settings
    out: dict[str, Any] = {
        "key": key,
        "name": name,
        "users": format_number(result.users),
        "mean": format_number(result.mean),
    }
    if result is baseline:
        return out
    out |= {
        "effect": format_number(result.effect),
        "standard_error": format_number(result.standard_error),
        "ci": None if result.ci is None else [format_number(b) for b in result.ci],
    }
    if engine == "bayesian":
        risk = result.risk
        out["chance_to_win"] = format_number(result.chance_to_win)
        out["risk"] = (
            None
            if risk is None
            else {
                "control": format_number(risk.control),
                "treatment": format_number(risk.treatment),
            }
        )
    else:
        out["p_value"] = format_number(result.p_value)
        out["adjusted_p_value"] = format_number(result.adjusted_p_value)
    out["theta"] = format_number(result.theta)
    out["status"] = status_of(result, plan, engine, alpha)
    out["guardrail_breached"] = guardrail_breached(result, plan, baseline.mean, relative)
    out["error"] = result.error
    return out


def _variations(
    result: MetricResult, analysis: AnalysisPlan, plan: MetricPlan
) -> list[dict[str, Any]]:
    settings = (
        analysis.stats.engine,
        analysis.stats.alpha,
        analysis.stats.difference == "relative",
    )
    baseline = result.variations[0]
    pairs = zip(analysis.variations, analysis.variation_names, strict=True)
    return [
        _variation(v, key, name, plan, baseline, settings)
        for v, (key, name) in zip(result.variations, pairs, strict=True)
    ]


def _statistics(
    statistics: Sequence[SufficientStatistics], keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not statistics:
        return out
    for key, stats in zip(keys, statistics, strict=True):
        values = {name: format_number(float(getattr(stats, name))) for name in _STAT_FIELDS}
        out[key] = {name: value for name, value in values.items() if value is not None}
    return out


_STAT_FIELDS = (
    "users",
    "main_sum",
    "main_sum_squares",
    "denominator_sum",
    "denominator_sum_squares",
    "main_denominator_sum_product",
    "covariate_sum",
    "covariate_sum_squares",
    "main_covariate_sum_product",
    "denominator_pre_sum",
    "denominator_pre_sum_squares",
    "main_post_denominator_pre_sum_product",
    "main_pre_denominator_post_sum_product",
    "main_pre_denominator_pre_sum_product",
    "denominator_post_denominator_pre_sum_product",
    "quantile_n",
    "quantile_nstar",
    "quantile",
    "quantile_lower",
    "quantile_upper",
)


def metric_entry(outcome: MetricOutcome, analysis: AnalysisPlan) -> dict[str, Any]:
    """The JSON of one metric: its settings, per-variation results and dimension slices."""
    plan = outcome.plan
    entry: dict[str, Any] = {
        "metric": plan.name,
        "label": plan.label,
        "role": plan.role,
        "kind": plan.kind,
        "quantile": (
            None
            if plan.quantile is None
            else {"level": plan.quantile.level, "ignore_zeros": plan.quantile.ignore_zeros}
        ),
        "cuped": plan.cuped,
        "inverse": plan.inverse,
        "test": plan.test,
        "window_seconds": plan.window_seconds,
        "cap": None if plan.cap is None else asdict(plan.cap),
        "bad_direction": plan.bad_direction,
        "margin": plan.margin,
        "error": outcome.error,
        "message": outcome.message,
        "srm_p_value": None,
        "guardrail_breached": None,
        "variations": [],
        "dimensions": [],
        "statistics": _statistics(outcome.statistics, analysis.variations),
    }
    result = outcome.result
    if result is None:
        return entry
    variations = _variations(result, analysis, plan)
    breaches = [v.get("guardrail_breached") for v in variations[1:]]
    entry |= {
        "srm_p_value": format_number(result.srm_p_value),
        "variations": variations,
        "guardrail_breached": None
        if plan.role != "guardrail"
        else any(b is True for b in breaches),
        "dimensions": [
            {
                "dimension": dimension,
                "value": sliced.dimension,
                "srm_p_value": format_number(sliced.srm_p_value),
                "variations": _variations(sliced, analysis, plan),
            }
            for dimension, sliced in outcome.dimensions
        ],
    }
    return entry


def srm_entry(users: Sequence[float], weights: Sequence[float], threshold: float) -> dict[str, Any]:
    """SRM p-value of a traffic split against the configured weights, and the warning flag."""
    p = float(srm_p_value(list(users), list(weights)))
    valid = math.isfinite(p)
    return {"p_value": format_number(p), "warning": bool(valid and p < threshold)}


def dimension_srm(
    slices: Mapping[str, Sequence[float]],
    weights: Sequence[float],
    threshold: float,
    max_dimensions: int,
) -> list[dict[str, Any]]:
    """SRM per dimension value: the largest slices, then the rest pooled as "(other)"."""
    as_stats = [
        (value, tuple(SufficientStatistics(users=float(u)) for u in users))
        for value, users in slices.items()
    ]
    out = []
    for value, stats in pool_dimensions(as_stats, max_dimensions):
        users = [float(s.users) for s in stats]
        out.append({"value": value, "users": [format_number(u) for u in users]})
        out[-1] |= srm_entry(users, weights, threshold)
    return out
