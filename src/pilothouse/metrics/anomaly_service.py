"""Anomaly checks of catalog metrics on their daily series, where the data lives.

The daily series is computed by the warehouse like every other metric query (only
the daily aggregates come back); :mod:`pilothouse.metrics.anomaly` judges it. A day
without a row counts as zero for count and sum metrics (no events happened), and as
missing for every other kind (a ratio without a denominator has no value). Days before
the first day with a non-zero value are missing for every kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pilothouse.core.runtime import Runtime
from pilothouse.metrics import service
from pilothouse.metrics.anomaly import AnomalyConfig, DayCheck, check_series
from pilothouse.metrics.definitions.model import MetricType

__all__ = ["ZERO_FILLED_TYPES", "check_metric", "daily_values"]

#: Metric types whose day without events is a real zero.
ZERO_FILLED_TYPES = frozenset({MetricType.COUNT, MetricType.SUM, MetricType.DISTINCT})


def daily_values(
    runtime: Runtime, metric: str, start: dt.date, end: dt.date, source: str
) -> tuple[list[dt.date], list[float]]:
    """The metric's value for every day from ``start`` to ``end`` (inclusive)."""
    stop = end + dt.timedelta(days=1)  # queries take [start, stop)
    request = service.SeriesRequest(metric, start, stop, service.Grain.DAY, source=source)
    result = service.run_series(runtime, request)
    by_day = {_as_date(row["period_start"]): row["value"] for row in result.as_dicts()}
    missing = 0.0 if runtime.metrics.metric(metric).type in ZERO_FILLED_TYPES else float("nan")
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    # Before the first day with data the metric did not exist yet (a new product, a new
    # event): those days are missing, not zeros, or the launch would look like a spike.
    first = min((day for day, value in by_day.items() if value), default=None)
    return days, [
        float("nan") if first is None or day < first else _number(by_day.get(day), missing)
        for day in days
    ]


def check_metric(
    runtime: Runtime,
    metric: str,
    *,
    days: int = 120,
    today: dt.date | None = None,
    config: AnomalyConfig | None = None,
    source: str = service.EMBEDDED_SOURCE,
) -> list[DayCheck]:
    """Judge the last ``days`` settled days of ``metric``: today is still filling up, and
    a conversion's or retention's recent cohorts are still converting
    (:func:`pilothouse.metrics.service.settling_days`)."""
    settling = service.settling_days(runtime, metric)
    end = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1 + settling)
    start = end - dt.timedelta(days=days - 1)
    dates, values = daily_values(runtime, metric, start, end, source)
    return check_series(dates, values, config)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _number(value: Any, missing: float) -> float:
    return missing if value is None else float(value)
