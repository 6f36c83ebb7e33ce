"""The launch calendar: a month grid of GA dates and stage due dates across product areas.

Browsing is bounded: from twelve months before the earliest due date (or today, if
earlier) to twelve months after the latest one (or today, if later). Months beyond hold
nothing by construction, so previous/next stop there instead of paging through empty
years, and a month typed beyond the range shows the nearest month inside it.
"""

from __future__ import annotations

import calendar as stdcalendar
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.launches.common import invalid, resolve_area
from pilothouse.launches.models import Launch, LaunchStage, LaunchStatus

__all__ = [
    "MARGIN_MONTHS",
    "CalendarDay",
    "CalendarEntry",
    "MonthCalendar",
    "browse_range",
    "month_calendar",
    "parse_month",
]

#: How far before the first and after the last due date the calendar may be browsed.
MARGIN_MONTHS = 12

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class CalendarEntry:
    day: date
    kind: str  # "ga" for the launch's target date, "stage" for a stage's due date
    launch_key: str
    launch_name: str
    label: str
    product_area: str | None
    status: str


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    entries: list[CalendarEntry] = field(default_factory=list)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class MonthCalendar:
    month: date  # the first day
    weeks: list[list[CalendarDay]]
    entries: list[CalendarEntry]
    earliest: date | None = None  # first day of the first month one may browse to
    latest: date | None = None  # first day of the last one
    clamped_from: date | None = None  # the month asked for, when it was out of range

    def month_name(self, month: str | None) -> str:
        """ "2026-11" → "November 2026", for the previous/next links."""
        return date.fromisoformat(f"{month}-01").strftime("%B %Y") if month else ""

    @property
    def previous(self) -> str | None:
        """``YYYY-MM`` of the month before, or None at the start of the range."""
        before = _add_months(self.month, -1)
        return None if self.earliest and before < self.earliest else before.strftime("%Y-%m")

    @property
    def next(self) -> str | None:
        """``YYYY-MM`` of the month after, or None at the end of the range."""
        after = _add_months(self.month, 1)
        return None if self.latest and after > self.latest else after.strftime("%Y-%m")


def browse_range(session: Session, today: date) -> tuple[date, date]:
    """The first and last month (first days) the calendar offers: every due date of a
    launch that is not cancelled, and today, with :data:`MARGIN_MONTHS` either side."""
    low, high = session.execute(
        select(func.min(LaunchStage.due_date), func.max(LaunchStage.due_date))
        .join(Launch, Launch.id == LaunchStage.launch_id)
        .where(Launch.status != LaunchStatus.cancelled)
    ).one()
    first = min(low or today, today).replace(day=1)
    last = max(high or today, today).replace(day=1)
    return _add_months(first, -MARGIN_MONTHS), _add_months(last, MARGIN_MONTHS)


def parse_month(value: str | None, today: date) -> date:
    """``2026-11`` → 2026-11-01; empty means this month."""
    if not value:
        return today.replace(day=1)
    match = _MONTH.match(value.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise invalid("month", f"a month as YYYY-MM, got {value!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _entries(session: Session, first: date, last: date, area_id: int | None) -> list[CalendarEntry]:
    query = (
        select(LaunchStage, Launch)
        .join(Launch, Launch.id == LaunchStage.launch_id)
        .where(LaunchStage.due_date >= first, LaunchStage.due_date <= last)
        .where(Launch.status != LaunchStatus.cancelled)
    )
    if area_id is not None:
        query = query.where(Launch.product_area_id == area_id)
    found = []
    for stage, launch in session.execute(query).unique().all():
        final = stage.position == len(launch.stages) - 1
        found.append(
            CalendarEntry(
                day=stage.due_date,
                kind="ga" if final else "stage",
                launch_key=launch.key,
                launch_name=launch.name,
                label=f"{launch.name}: GA" if final else f"{launch.name}: {stage.name} ends",
                product_area=launch.product_area.name if launch.product_area else None,
                status=launch.status.value,
            )
        )
    return sorted(found, key=lambda e: (e.day, e.kind != "ga", e.launch_key))


def month_calendar(
    session: Session, month: date, *, product_area: str | None = None, today: date | None = None
) -> MonthCalendar:
    """The weeks (Monday first) that cover ``month``, each day with its entries; with
    ``today``, ``month`` is kept inside :func:`browse_range` and previous/next stop at it."""
    area_id = resolve_area(session, product_area, "area") if product_area else None
    earliest = latest = asked = None
    if today is not None:
        earliest, latest = browse_range(session, today)
        asked, month = month, min(max(month, earliest), latest)
    last = month.replace(day=stdcalendar.monthrange(month.year, month.month)[1])
    entries = _entries(session, month, last, area_id)
    by_day: dict[date, list[CalendarEntry]] = {}
    for entry in entries:
        by_day.setdefault(entry.day, []).append(entry)
    weeks = []
    for week in stdcalendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([CalendarDay(d, d.month == month.month, by_day.get(d, [])) for d in week])
    clamped = asked if asked is not None and asked != month else None
    return MonthCalendar(month, weeks, entries, earliest, latest, clamped)
