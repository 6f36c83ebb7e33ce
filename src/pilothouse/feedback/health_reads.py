"""Read functions for process health (``ops``): when feedback arrived and when it was
first triaged. ``ops`` reads feedback only through this module.

"First triaged" is the earliest of: the first recorded status change away from
``new`` (audit log) and the first link from the item (to a roadmap item or anything
else). Theme membership records no time, so putting an item in a theme counts only
through the status change that comes with triage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.audit_log import field_history
from pilothouse.core.models import Link
from pilothouse.feedback.models import FeedbackItem
from pilothouse.feedback.service import FEEDBACK_OBJECT_TYPE

__all__ = ["FeedbackFacts", "feedback_facts"]


@dataclass(frozen=True)
class FeedbackFacts:
    id: int
    area_id: int | None
    status: str
    recorded_at: datetime
    triaged_at: datetime | None


def _first_moves(session: Session) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for change in field_history(session, FEEDBACK_OBJECT_TYPE, "status"):
        if change.action == "updated" and change.before == "new" and change.after != "new":
            first.setdefault(change.object_id, change.at)
    query = select(Link.from_id, Link.created_at).where(Link.from_type == FEEDBACK_OBJECT_TYPE)
    for object_id, at in session.execute(query):
        if object_id not in first or at < first[object_id]:
            first[object_id] = at
    return first


def feedback_facts(session: Session) -> list[FeedbackFacts]:
    """Every feedback item that still exists (duplicates included), oldest first."""
    first = _first_moves(session)
    query = select(
        FeedbackItem.id, FeedbackItem.product_area_id, FeedbackItem.status, FeedbackItem.recorded_at
    ).order_by(FeedbackItem.id)
    return [
        FeedbackFacts(item_id, area_id, status.value, recorded_at, first.get(str(item_id)))
        for item_id, area_id, status, recorded_at in session.execute(query)
    ]
