"""Recording and reading Pilothouse's own use (weekly active users by role).

Every authenticated request calls :func:`record_activity`. It writes at most one row
per person and day: a per-process cache of ``(user, day)`` pairs already written skips
the database for every later request that day, and the insert itself ignores a row
that exists (another worker, or a restart, wrote it). GET requests have reading
sessions, so the write goes through ``Database.write_aside`` (its own short
transaction); the cache is kept per database, so one process serving several
installations (tests) never mixes them up.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from pilothouse.core.db import Database
from pilothouse.ops.health.models import ActivityDay

__all__ = ["ActiveDay", "active_days", "record_activity"]

_SEEN: weakref.WeakKeyDictionary[Database, set[tuple[int, object, date]]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ActiveDay:
    user_id: int
    day: date
    role: str


def _insert(session: Session, user_id: int, day: date, role: str) -> Executable:
    """An insert that leaves an existing (user, day) row alone, on either backend."""
    values = {"user_id": user_id, "day": day, "role": role}
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(ActivityDay).values(values).on_conflict_do_nothing()
    return sqlite.insert(ActivityDay).values(values).on_conflict_do_nothing()


def record_activity(
    database: Database, session: Session, user_id: int, role: str, timezone: str,
    now: datetime | None = None, *, user_created: datetime | None = None,
) -> bool:  # fmt: skip
    """Note that ``user_id`` used Pilothouse today (workspace zone); ``True`` if written.

    ``user_created`` (the person's creation time) is part of the cache key, so a new
    person who gets a deleted person's id (SQLite reuses ids) is not taken for them.
    """
    day = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
    key = (user_id, user_created, day)
    with _LOCK:
        seen = _SEEN.setdefault(database, set())
        if key in seen:
            return False
        seen.add(key)
    try:
        database.write_aside(session, _insert(session, user_id, day, role))
    except Exception:
        with _LOCK:
            seen.discard(key)
        raise
    return True


def active_days(session: Session) -> list[ActiveDay]:
    """Every recorded (person, day, role), oldest first."""
    query = select(ActivityDay.user_id, ActivityDay.day, ActivityDay.role).order_by(
        ActivityDay.day, ActivityDay.user_id
    )
    return [ActiveDay(u, d, r) for u, d, r in session.execute(query)]
