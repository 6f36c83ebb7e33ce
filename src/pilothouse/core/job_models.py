"""The durable record of a job: what was asked, by whom, and how it went.

The queue (huey) only carries a job's id; everything people look at lives in this
table of the app database, so every web worker and every job worker sees the same
state, and a lost queue message never loses the record.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = ["FINISHED", "Job", "JobStatus"]


class JobStatus(enum.StrEnum):
    """queued → running → succeeded | failed | cancelled; failed and cancelled can be retried."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


#: Statuses a job never leaves on its own.
FINISHED = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})


class Job(Base):
    """One piece of long work and its outcome."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_id", "status", "id"),
        Index("ix_jobs_kind_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[JobStatus] = mapped_column(
        SAEnum(JobStatus, name="job_status", native_enum=False, validate_strings=True, length=16),
        default=JobStatus.queued,
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer, default=None)
    message: Mapped[str] = mapped_column(String(300), default="")
    #: 1 for the first run; each retry adds one.
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    #: Set by a cancel of a running job; the handler stops at its next progress report.
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    #: The requester's email (or ``cli:<user>``), kept when the person is deleted.
    requested_by: Mapped[str] = mapped_column(String(320))
    #: ``host:pid`` of the process running the job; crash recovery reads it.
    worker: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: Last sign of life from the running job (progress or heartbeat).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
