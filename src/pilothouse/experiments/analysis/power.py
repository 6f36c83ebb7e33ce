"""Power and minimum detectable effect from a metric's historical data.

Before an experiment starts there are no exposures, so the population is every
unit with at least one event in a look-back window before the start (or before
now): each such unit's metric value over that window gives the historical mean
and per-unit variance (``arm_moments`` of its sufficient statistics, the same
formulas the analysis uses), and ``units / days`` the daily intake. The stats
engine's power module turns them into MDEs for a few durations and the duration
needed for a target effect. With a snapshot, mid-experiment power projects the
current standard error to a planned sample size.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlglot import exp

from pilothouse.experiments.analysis.plan import AnalysisPlan, MetricPlan
from pilothouse.experiments.analysis.runner import AnalysisFailed, Target
from pilothouse.experiments.analysis.sql import (
    FIRST,
    UNIT,
    CompiledAnalysis,
    compile_statistics,
    metric_fields,
)
from pilothouse.experiments.stats.moments import arm_moments
from pilothouse.experiments.stats.offline import format_number
from pilothouse.experiments.stats.power import (
    experiment_duration,
    mid_experiment_power,
    minimum_detectable_effect,
)
from pilothouse.experiments.stats.statistics import SufficientStatistics
from pilothouse.metrics.definitions.model import EventSelection
from pilothouse.metrics.warehouses.errors import UnsupportedError, WarehouseError

__all__ = ["DURATIONS_DAYS", "History", "compile_history", "historical_moments", "power_report"]

DURATIONS_DAYS = (7, 14, 21, 28, 42, 56)


@dataclass(frozen=True)
class History:
    """A metric's historical moments over the look-back window."""

    metric: MetricPlan
    start: dt.datetime
    end: dt.datetime
    units: float
    mean: float
    variance: float

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


def _history_plan(
    plan: AnalysisPlan, metric: MetricPlan, start: dt.datetime, end: dt.datetime
) -> AnalysisPlan:
    flat = replace(metric, cuped=False, window_seconds=None)
    return replace(plan, start=start, end=end, metrics=(flat,), dimensions=(), cuped_days=1)


def compile_history(
    plan: AnalysisPlan, metric: MetricPlan, target: Target, start: dt.datetime, end: dt.datetime
) -> CompiledAnalysis:
    """SQL of the metric's per-unit sums over ``[start, end)`` for every active unit."""
    history = _history_plan(plan, metric, start, end)

    def active_units(builder: Any) -> str:
        ctx = builder.ctx
        unit = builder.unit_column()
        columns = [
            (UNIT, unit),
            ("variation", exp.cast(exp.Literal.string("all"), "text")),
            (FIRST, ctx.ts_literal(start)),
        ]
        rows = ctx.event_rows(
            EventSelection(),
            columns,
            lo=start,
            hi=end,
            unit=unit,
            distinct=True,
            query_filters=False,
        )
        return str(ctx.add_cte("units", rows))

    return compile_statistics(history, target.schema, target.dialect, units=active_units)


def historical_moments(
    plan: AnalysisPlan, metric: MetricPlan, target: Target, start: dt.datetime, end: dt.datetime
) -> History:
    """Run the history query and reduce it to the metric's mean and per-unit variance.

    Raises:
        AnalysisFailed: The warehouse failed, or no unit was active in the window.
    """
    compiled = compile_history(plan, metric, target, start, end)
    try:
        rows = target.adapter.execute(compiled.sql, timeout_s=target.timeout_s).as_dicts()
    except (WarehouseError, UnsupportedError) as exc:
        raise AnalysisFailed(f"the history query failed: {exc.detail}") from None
    overall = [r for r in rows if r["dimension"] is None]
    if not overall or not overall[0]["users"]:
        raise AnalysisFailed(
            f"no unit had any event between {start.isoformat()} and {end.isoformat()}"
        )
    row = overall[0]
    flat = _history_plan(plan, metric, start, end).metrics[0]
    values = {f: float(row[f"m0_{f}"] or 0.0) for f in metric_fields(flat)}
    stats = SufficientStatistics(users=float(row["users"]), **values)
    moments = arm_moments(stats, metric.kind, cuped=False)
    return History(metric, start, end, float(row["users"]), float(moments.mean), float(moments.var))


def _number(value: Any) -> float | str | None:
    return format_number(float(np.asarray(value)))


def power_report(
    history: History,
    plan: AnalysisPlan,
    *,
    effect: float,
    target_power: float,
    current: dict[str, Any] | None = None,
    planned_units: float | None = None,
) -> dict[str, Any]:
    """MDE per duration, the duration for ``effect`` and (with a snapshot) mid-experiment power.

    Args:
        history: The metric's historical moments.
        plan: The analysis plan (alpha, difference, weights, the metric's test).
        effect: Effect to detect, relative or absolute like the analysis.
        target_power: Desired power, such as 0.8.
        current: The metric's first comparison in the latest snapshot, if any.
        planned_units: Units (baseline plus variation) planned at the end.

    Returns:
        The JSON-ready report.
    """
    stats = plan.stats
    mean = history.mean if stats.difference == "relative" else None
    shares = (plan.weights[0], plan.weights[1])
    daily = history.units / max(history.days, 1e-9)
    test = history.metric.test
    duration = experiment_duration(
        history.variance, effect, daily, stats.alpha, target_power, test, mean, shares
    )
    return {
        "metric": history.metric.name,
        "kind": history.metric.kind,
        "difference": stats.difference,
        "test": test,
        "alpha": stats.alpha,
        "target_power": target_power,
        "history": {
            "start": history.start.isoformat(),
            "end": history.end.isoformat(),
            "units": int(history.units),
            "daily_units": format_number(daily),
            "mean": format_number(history.mean),
            "variance": format_number(history.variance),
        },
        "mde": _mdes(history, plan, target_power, daily),
        "effect": effect,
        "duration_days": _number(duration),
        "mid_experiment": _mid(current, effect, stats.alpha, test, planned_units),
    }


def _mdes(
    history: History, plan: AnalysisPlan, target_power: float, daily: float
) -> list[dict[str, Any]]:
    """The MDE after each of :data:`DURATIONS_DAYS` at the historical daily intake."""
    stats = plan.stats
    mean = history.mean if stats.difference == "relative" else None
    out = []
    for days in DURATIONS_DAYS:
        total = daily * days
        mde = minimum_detectable_effect(
            history.variance,
            total * plan.weights[0],
            total * plan.weights[1],
            stats.alpha,
            target_power,
            history.metric.test,
            mean,
        )
        out.append({"days": days, "units": round(total), "mde": _number(mde)})
    return out


def _mid(
    current: dict[str, Any] | None, effect: float, alpha: float, test: str, planned: float | None
) -> dict[str, Any] | None:
    if not current:
        return None
    se, units = current.get("standard_error"), current.get("units")
    if (
        not isinstance(se, int | float)
        or not isinstance(units, int | float)
        or not math.isfinite(se)
    ):
        return None
    planned = planned or 2 * units
    now = mid_experiment_power(effect, se, units, units, alpha, test)
    later = mid_experiment_power(effect, se, units, planned, alpha, test)
    return {
        "units": units,
        "standard_error": se,
        "power_now": _number(now),
        "planned_units": planned,
        "power_at_planned": _number(later),
    }
