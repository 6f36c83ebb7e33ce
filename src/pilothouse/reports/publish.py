"""``report.published``: the domain event a scheduled report leaves when it is produced.

The report jobs (weekly review, voice-of-customer digest, leadership digest) record one
audit event per run, in core's outbox like every other change, so automation rules can
forward reports: "on ``report.published`` where ``report`` = ``weekly_review`` → send a
webhook (Slack body)". Its fields: ``report`` (the kind), ``period`` (``2026-W48``),
``title``, ``url`` (absolute, to the page) and ``summary`` (a few lines of Markdown).
The object is ``report`` ``<kind>:<period>``, so a period run twice is two events of
one object (a re-sent report is news to a chat channel too).
"""

from __future__ import annotations

from typing import Any

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime

__all__ = ["EVENT_NAME", "PUBLISHER", "publish_report"]

EVENT_NAME = "report.published"
#: Reports are produced by the scheduler's jobs, not by a person.
PUBLISHER = Actor(None, "reports", Role.admin)


def publish_report(
    runtime: Runtime, kind: str, period: str, title: str, path: str, summary: str
) -> int:
    """Record that report ``kind`` of ``period`` was produced; returns the event id.

    Args:
        path: the report page's path (``/reports/weekly-review?week=2026-W48``), made
            absolute with the installation's public URL.
    """
    url = runtime.settings.effective_public_url + path
    values: dict[str, Any] = {
        "report": kind,
        "period": period,
        "title": title,
        "url": url,
        "summary": summary,
    }
    with runtime.database.session() as session:
        event = record_change(
            session,
            PUBLISHER,
            object_type="report",
            object_id=f"{kind}:{period}",
            action=Action.created,
            label=title,
            after=values,
            name=EVENT_NAME,
        )
        assert event is not None  # a create always records
        session.flush()
        return event.id
