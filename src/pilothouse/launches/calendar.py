"""The launch calendar: a month grid of GA dates and stage due dates across product areas."""

from __future__ import annotations

import calendar as stdcalendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.launches.common import invalid, resolve_area
from pilothouse.launches.models import Launch, LaunchStage, LaunchStatus

__all__ = ["CalendarDay", "CalendarEntry", "MonthCalendar", "month_calendar", "parse_month"]

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


@dataclass
class MonthCalendar:
    month: date  # the first day
    weeks: list[list[CalendarDay]]
    entries: list[CalendarEntry]

    @property
    def previous(self) -> str:
        return (self.month - timedelta(days=1)).strftime("%Y-%m")

    @property
    def next(self) -> str:
        last = stdcalendar.monthrange(self.month.year, self.month.month)[1]
        return (self.month + timedelta(days=last)).strftime("%Y-%m")


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
    session: Session, month: date, *, product_area: str | None = None
) -> MonthCalendar:
    """The weeks (Monday first) that cover ``month``, each day with its entries."""
    area_id = resolve_area(session, product_area, "area") if product_area else None
    last = month.replace(day=stdcalendar.monthrange(month.year, month.month)[1])
    entries = _entries(session, month, last, area_id)
    by_day: dict[date, list[CalendarEntry]] = {}
    for entry in entries:
        by_day.setdefault(entry.day, []).append(entry)
    weeks = []
    for week in stdcalendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([CalendarDay(d, d.month == month.month, by_day.get(d, [])) for d in week])
    return MonthCalendar(month=month, weeks=weeks, entries=entries)
