"""The movement of one catalog metric around a GA day, from its daily series.

The series comes from the metrics domain's service (``metrics.service.run_series``,
the query the explorer runs), ``WINDOW_DAYS`` days each side of GA, today and the
metric's still-settling days left out (an unfinished day, or a conversion cohort still
inside its window, would look like a drop). The estimate is
:func:`pilothouse.roadmap.impact.its.estimate_level_change`; every way the data can
fail to tell (no GA yet, metric gone from the catalog, query error, too few days) is a
plain sentence in ``message``, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from pilothouse.core.errors import PilothouseError
from pilothouse.core.references import Reference
from pilothouse.roadmap.impact.its import ItsConfig, ItsResult, estimate_level_change

__all__ = ["WINDOW_DAYS", "MetricImpact", "daily_series", "measure_metric"]

#: Days of the metric's series used on each side of GA.
WINDOW_DAYS = 56


@dataclass(frozen=True)
class MetricImpact:
    """One measured metric: its name, the GA day used and the estimate (or why not)."""

    metric: Reference
    ga_date: date | None
    message: str
    result: ItsResult | None = None
    window_start: date | None = None
    window_end: date | None = None


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def daily_series(
    runtime: Any, slug: str, start: date, end: date
) -> tuple[list[date], list[float | None]]:
    """The metric's value per day in ``[start, end)``, through the metrics service."""
    from pilothouse.metrics.definitions.model import Grain
    from pilothouse.metrics.service import SeriesRequest, run_series

    result = run_series(runtime, SeriesRequest(slug, start, end, Grain.DAY))
    value_at = result.columns.index("value")
    period_at = next(i for i, c in enumerate(result.columns) if c != "value")
    rows = sorted(result.rows, key=lambda row: _day(row[period_at]))
    days = [_day(row[period_at]) for row in rows]
    values = [None if row[value_at] is None else float(row[value_at]) for row in rows]
    return days, values


def _settling_days(runtime: Any, slug: str) -> int:
    """Recent days whose value is still changing (a conversion's young cohorts): left out,
    or a metric would seem to fall right after every launch."""
    from pilothouse.metrics.service import settling_days

    try:
        return settling_days(runtime, slug)
    except Exception:  # an unknown metric is reported by the series read below
        return 0


def measure_metric(
    runtime: Any,
    metric: Reference,
    ga: date | None,
    today: date,
    config: ItsConfig | None = None,
) -> MetricImpact:
    """The level change of ``metric`` at ``ga``, or a sentence saying why there is none."""
    if metric.deleted:
        return MetricImpact(metric, ga, "This metric is no longer in the catalog.")
    if ga is None:
        return MetricImpact(metric, None, "Not launched yet: nothing to measure.")
    if ga >= today:
        return MetricImpact(metric, ga, f"GA is on {ga}: nothing to measure yet.")
    settled = today - timedelta(days=_settling_days(runtime, metric.id))
    if ga >= settled:
        return MetricImpact(
            metric,
            ga,
            f"Days after GA ({ga}) are still settling (recent cohorts are still "
            "converting): nothing to measure yet.",
        )
    start, end = ga - timedelta(days=WINDOW_DAYS), min(ga + timedelta(days=WINDOW_DAYS), settled)
    try:
        days, values = daily_series(runtime, metric.id, start, end)
    except PilothouseError as exc:
        return MetricImpact(metric, ga, f"The metric's series could not be read: {exc.detail}")
    result = _level_change(tuple(days), tuple(values), ga, config)
    return MetricImpact(metric, ga, result.message, result, start, end - timedelta(days=1))


@lru_cache(maxsize=512)
def _level_change(
    days: tuple[date, ...], values: tuple[float | None, ...], ga: date, config: ItsConfig | None
) -> ItsResult:
    """:func:`estimate_level_change`, kept per series: every view of an item or launch
    page fitted it again, with a 400-draw bootstrap for the critical value (about 2 ms
    a metric). The fit is a pure function of its inputs (the bootstrap is seeded), and
    the series changes whenever the metric's data does, so a kept answer is never stale.
    """
    return estimate_level_change(days, values, ga, config)
