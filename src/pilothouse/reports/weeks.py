"""ISO weeks (``2026-W48``) in the workspace time zone: which week a report covers.

A review covers Monday to Sunday in the workspace's time zone. The default is the last
complete week (on Monday morning, the week that just ended); a report never covers a
week that has not started, nor one more than :data:`MAX_WEEKS_BACK` weeks ago.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pilothouse.core.errors import FieldError, ValidationFailed

__all__ = ["MAX_WEEKS_BACK", "Week", "last_complete_week", "parse_week", "week_of"]

MAX_WEEKS_BACK = 104
_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    """One ISO week: ``start`` is its Monday, ``end`` its Sunday."""

    start: date

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def key(self) -> str:
        year, number, _ = self.start.isocalendar()
        return f"{year}-W{number:02d}"

    def shifted(self, weeks: int) -> Week:
        return Week(self.start + timedelta(weeks=weeks))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(7)]


def week_of(day: date) -> Week:
    return Week(day - timedelta(days=day.weekday()))


def last_complete_week(timezone: str, now: datetime | None = None) -> Week:
    """The Monday-to-Sunday week before the current one, in ``timezone``."""
    today = (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date()
    return week_of(today).shifted(-1)


def _bad(message: str) -> ValidationFailed:
    return ValidationFailed(f"week: {message}", errors=[FieldError("week", message)])


def parse_week(text: str | None, timezone: str, now: datetime | None = None) -> Week:
    """``YYYY-Www`` → the week; empty → the last complete week.

    Raises:
        ValidationFailed: naming the field ``week`` when the text is not an ISO week or
            the week is in the future or more than two years back.
    """
    default = last_complete_week(timezone, now)
    if not text:
        return default
    match = _PATTERN.match(text.strip())
    if match is None:
        raise _bad(f"{text!r} is not an ISO week such as {default.key}")
    try:
        week = Week(date.fromisocalendar(int(match[1]), int(match[2]), 1))
    except ValueError:
        raise _bad(f"{text!r} has no such week number") from None
    if week.start > default.shifted(1).start:
        raise _bad(f"{week.key} has not started yet")
    if week.start < default.shifted(-MAX_WEEKS_BACK).start:
        raise _bad(f"{week.key} is more than {MAX_WEEKS_BACK} weeks back")
    return week
