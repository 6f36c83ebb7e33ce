"""Schedules core ships for its own jobs (domains declare theirs beside their handlers)."""

from __future__ import annotations

from pilothouse.core.notifications.jobs import DAILY_DIGEST_JOB
from pilothouse.core.schedules import builtin_schedule

__all__ = ["DAILY_DIGEST"]

DAILY_DIGEST = builtin_schedule(
    "notifications.daily_digest",
    "0 7 * * *",
    job_kind=DAILY_DIGEST_JOB,
    title="Daily notification digest",
    description="E-mails each person who chose 'daily digest' what happened since yesterday.",
)
