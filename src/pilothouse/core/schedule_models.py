"""Tables of periodic jobs: the schedules and the slots they have run for.

A schedule is a cron expression evaluated in a time zone; each time it comes due a
row in ``schedule_runs`` claims that slot. The unique ``(schedule_id, slot_at)``
constraint is what keeps several workers (or a restarted one) from running one slot
twice: whoever inserts the row first submits the job, the others get an integrity
error and move on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = ["Schedule", "ScheduleRun"]


class Schedule(Base):
    """A job kind run on a cron expression (built-in schedules are created on first tick)."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    cron: Mapped[str] = mapped_column(String(100))
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    job_kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The newest slot claimed (run or skipped); the next slot is searched after it.
    last_slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ScheduleRun(Base):
    """One slot of a schedule, claimed once, with the job it started."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "slot_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Slots missed while nothing ran (server down) and coalesced into this one.
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
