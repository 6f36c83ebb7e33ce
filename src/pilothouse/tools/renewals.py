"""The daily renewal check: ``tool.renewal_due`` once per tool and renewal date.

A renewal comes due with the passing of time, not through an edit, so a scheduled
job (``tools.renewal_check``, daily at 07:30 in the server's schedule time zone)
looks for tools whose renewal date is inside their notice period
(:func:`pilothouse.tools.insights.renewal_due`) and records each as an audit event
that the automations dispatcher delivers like any other. The event's ``key`` is
``<slug>@<renewal date>``: a tool renewed and given its next renewal date is
announced again next time; the same date never twice, however often the check runs.
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
from pilothouse.tools.insights import renewal_due
from pilothouse.tools.service import list_tools

__all__ = ["RENEWAL_EVENT", "RENEWAL_JOB", "check_renewals", "record_due", "renewal_check_job"]

RENEWAL_JOB = "tools.check_renewals"
RENEWAL_EVENT = "tool.renewal_due"
_CHECKER = Actor(None, "renewal check", Role.admin)

builtin_schedule(
    "tools.renewal_check",
    "30 7 * * *",
    job_kind=RENEWAL_JOB,
    title="Tool renewals inside their notice period",
    description="Records tool.renewal_due once per tool and renewal date, so automation "
    "rules can remind the owner before the contract renews.",
)


def record_due(session: Session, today: date) -> int:
    """Record ``tool.renewal_due`` for each tool newly inside its notice period."""
    found = 0
    for tool in list_tools(session):
        if tool.renewal_date is None or not renewal_due(tool, today):
            continue
        key = f"{tool.slug}@{tool.renewal_date.isoformat()}"
        if already_recorded(session, RENEWAL_EVENT, "tool", tool.id, "key", key):
            continue
        record_change(
            session,
            _CHECKER,
            object_type="tool",
            object_id=tool.id,
            action=Action.updated,
            label=tool.name,
            name=RENEWAL_EVENT,
            after={
                "key": key,
                "tool": tool.slug,
                "category": tool.category,
                "renewal_date": tool.renewal_date.isoformat(),
                "days_left": (tool.renewal_date - today).days,
                "notice_days": tool.notice_days,
                "annual_cents": tool.annual_cents,
                "currency": tool.currency,
                "owner": tool.owner.email if tool.owner else None,
            },
        )
        found += 1
    return found


def check_renewals(runtime: Runtime, *, today: date | None = None) -> dict[str, Any]:
    """Run the check in its own transaction; returns how many events it recorded."""
    today = today or datetime.now(UTC).date()
    with runtime.database.session() as session:
        return {RENEWAL_EVENT: record_due(session, today)}


@job_handler(RENEWAL_JOB, title="Check tool renewals")
def renewal_check_job(ctx: JobContext) -> dict[str, Any]:
    """Check tool renewals"""
    return check_renewals(ctx.runtime)
