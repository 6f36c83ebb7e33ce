"""Domain events that no single change carries, found by a periodic check.

A launch becomes overdue and a feedback theme starts spiking with the passing of
time, not through an edit, so no audit row is written for them on its own. A
scheduled job (``automations.periodic_checks``, hourly) looks, and records each
finding once as an audit event that the dispatcher then delivers like any other:

- ``launch.overdue`` once per launch and planned GA date (a re-planned launch that
  slips again is announced again);
- ``feedback.theme_spiking`` once per theme and ISO week.

The launches and feedback domains are read through their service modules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.audit_log import already_recorded
from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedules import builtin_schedule

__all__ = ["PERIODIC_JOB", "emit_periodic_events", "periodic_checks_job"]

PERIODIC_JOB = "automations.periodic_checks"
_CHECKER = Actor(None, "periodic check", Role.admin)

builtin_schedule(
    "automations.periodic_checks",
    "15 * * * *",
    job_kind=PERIODIC_JOB,
    title="Overdue launches and spiking feedback themes",
    description="Records launch.overdue and feedback.theme_spiking once each, so automation "
    "rules and watchers hear about them.",
)


def _overdue_launches(session: Session, today: date) -> int:
    from pilothouse.launches.attention import late_launches

    found = 0
    for late in late_launches(session, today, limit=200):
        launch = late.launch
        key = f"{launch.key}@{launch.target_date}"
        if already_recorded(session, "launch.overdue", "launch", launch.id, "key", key):
            continue
        record_change(
            session,
            _CHECKER,
            object_type="launch",
            object_id=launch.id,
            action=Action.updated,
            label=launch.name,
            name="launch.overdue",
            after={
                "key": key,
                "launch": launch.key,
                "target_date": str(launch.target_date) if launch.target_date else None,
                "days_late": late.days_late,
                "reasons": list(late.reasons),
            },
        )
        found += 1
    return found


def _spiking_themes(session: Session, today: date) -> int:
    from pilothouse.feedback.insights_queries import spike_alerts

    week = today.isocalendar()
    found = 0
    for stats in spike_alerts(session, limit=50):
        key = f"{week.year}-W{week.week:02d}"
        if stats.spike is None or already_recorded(
            session, "feedback.theme_spiking", "feedback_theme", stats.theme_id, "key", key
        ):
            continue
        record_change(
            session,
            _CHECKER,
            object_type="feedback_theme",
            object_id=stats.theme_id,
            action=Action.updated,
            label=stats.label,
            name="feedback.theme_spiking",
            after={
                "key": key,
                "label": stats.label,
                "count": stats.spike.count,
                "baseline_mean": round(stats.spike.baseline_mean, 2),
                "q_value": round(stats.spike.q_value, 6),
                "customers": stats.customer_count,
            },
        )
        found += 1
    return found


def emit_periodic_events(runtime: Runtime, *, today: date | None = None) -> dict[str, Any]:
    """Record what has become overdue or started spiking since the last check."""
    today = today or datetime.now(UTC).date()
    with runtime.database.session() as session:
        overdue = _overdue_launches(session, today)
    with runtime.database.session() as session:
        spiking = _spiking_themes(session, today)
    return {"launch.overdue": overdue, "feedback.theme_spiking": spiking}


@job_handler(PERIODIC_JOB, title="Check for overdue launches and spiking themes")
def periodic_checks_job(ctx: JobContext) -> dict[str, Any]:
    """Check for overdue launches and spiking themes"""
    return emit_periodic_events(ctx.runtime)
