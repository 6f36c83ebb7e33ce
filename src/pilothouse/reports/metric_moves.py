"""Metric movements of the week: each certified metric this week against last week.

The week's value is the metric computed over the seven days as one period (so a ratio
is the ratio of the week, not an average of days); a rolling or cumulative metric takes
its value on the last day instead. Whether the week is *outside normal variation* is
the daily anomaly model's verdict (``metrics.anomaly_service.check_metric``) on each of
the week's days, judged only from the days before each one. Metric days are the
warehouse's calendar days.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from pilothouse.core.errors import PilothouseError
from pilothouse.core.references import Reference
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import anomaly_service, service
from pilothouse.reports.weeks import Week

__all__ = ["HISTORY_DAYS", "MetricMove", "metric_moves"]

#: Days of history the anomaly model sees before the week's last day.
HISTORY_DAYS = 120
logger = logging.getLogger(__name__)
_LAST_DAY_TYPES = ("rolling", "cumulative")


@dataclass(frozen=True)
class MetricMove:
    """One metric's week. ``verdict`` is ``outside``, ``normal``, ``too_little_history``
    or ``failed``; ``days``/``values`` are the 14 days of last week and this week."""

    metric: str
    label: str
    format: str
    this_week: float | None
    last_week: float | None
    verdict: str
    verdict_text: str
    outside_days: list[tuple[date, str]] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    reference: Reference | None = None
    #: Some of the week's days are still settling (a conversion's young cohorts), so
    #: ``this_week`` is not its final value yet.
    settling: bool = False

    @property
    def change(self) -> float | None:
        """This week over last week minus one (``0.05`` is +5 %); None without a base or
        while the week is still settling (a young cohort's low rate is not a fall)."""
        if self.this_week is None or not self.last_week or self.settling:
            return None
        return self.this_week / self.last_week - 1


def _week_value(runtime: Runtime, metric: str, kind: str, week: Week) -> float | None:
    stop = week.end + timedelta(days=1)
    by_day = kind in _LAST_DAY_TYPES
    request = service.SeriesRequest(metric, week.start, stop, service.Grain.DAY if by_day else None)
    result = service.run_series(runtime, request)
    if not result.rows:
        return None
    column = result.columns.index("value")
    row = max(result.rows, key=lambda r: str(r[0])) if by_day else result.rows[0]
    value = row[column]
    return None if value is None else float(value)


def _young_days(week: Week, settled_until: date, today: date) -> int:
    """How many of the week's days have passed but are not settled yet."""
    last = min(week.end, today - timedelta(days=1))
    first = max(week.start, settled_until + timedelta(days=1))
    return max(0, (last - first).days + 1)


def _verdict(
    runtime: Runtime, metric: str, week: Week, today: date
) -> tuple[str, str, list[tuple[date, str]], bool]:
    """The week's verdict, judging only settled days: a conversion's days younger than
    its window (``metrics.service.settling_days``) would look like a fall. A past week
    is judged whole; a recent one as far as it has settled. The last item says whether
    any of the week's days are still settling."""
    settling = service.settling_days(runtime, metric)
    settled_until = today - timedelta(days=1 + settling)
    check_today = min(week.end + timedelta(days=1 + settling), today)
    checks = anomaly_service.check_metric(runtime, metric, days=HISTORY_DAYS, today=check_today)
    judged = [c for c in checks if week.start <= c.day <= min(week.end, settled_until)]
    young = _young_days(week, settled_until, today) if settling else 0
    still = f"still settling (its cohorts convert over {settling} days)"
    if not judged and young:
        return "too_little_history", still, [], True
    if not judged:
        text = "too little history to judge (needs 4 weeks of days)"
        return "too_little_history", text, [], False
    outside = [(c.day, c.direction or "") for c in judged if c.anomalous]
    note = f"; {young} of 7 days {still}" if young else ""
    if not outside:
        text = f"within normal variation ({len(judged)} of 7 days judged){note}"
        return "normal", text, [], bool(young)
    days = ", ".join(f"{d.strftime('%a %d %b')} ({direction})" for d, direction in outside)
    return "outside", f"outside normal variation on {days}{note}", outside, bool(young)


def _daily(runtime: Runtime, metric: str, week: Week) -> tuple[list[date], list[float | None]]:
    days, values = anomaly_service.daily_values(
        runtime, metric, week.shifted(-1).start, week.end, service.EMBEDDED_SOURCE
    )
    return days, [None if math.isnan(v) else v for v in values]


def _move(runtime: Runtime, metric: object, week: Week, today: date) -> MetricMove:
    name, kind = metric.name, metric.type.value  # type: ignore[attr-defined]
    label, fmt = metric.label or name, metric.format.value  # type: ignore[attr-defined]
    try:
        this_week = _week_value(runtime, name, kind, week)
        last_week = _week_value(runtime, name, kind, week.shifted(-1))
        verdict, text, outside, settling = _verdict(runtime, name, week, today)
        days, values = _daily(runtime, name, week)
    except (PilothouseError, ValueError) as exc:  # one broken metric must not hide the rest
        logger.warning("weekly review: %s failed: %s", name, exc)
        return MetricMove(name, label, fmt, None, None, "failed", f"could not be computed: {exc}")
    return MetricMove(
        name, label, fmt, this_week, last_week, verdict, text, outside, days, values,
        settling=settling,
    )  # fmt: skip


def metric_moves(runtime: Runtime, week: Week, today: date | None = None) -> list[MetricMove]:
    """Every certified metric's movement in ``week``, in catalog order, as of ``today``
    (default: the date now, which decides which days have settled)."""
    day = today or date.today()
    return [_move(runtime, m, week, day) for m in runtime.metrics.catalog() if m.certified]
