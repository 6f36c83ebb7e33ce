"""Read functions for process health (``ops``): when feedback arrived and when it was
first triaged. ``ops`` reads feedback only through this module.

"First triaged" is the earliest of: the first recorded status change away from
``new`` (audit log), the first link from the item (to a roadmap item or anything
else) and the time a person put it in a theme (synthesis placing it is not triage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.audit_log import field_history
from pilothouse.core.models import Link
from pilothouse.feedback.models import AssignedBy, FeedbackItem, FeedbackThemeMember
from pilothouse.feedback.service import FEEDBACK_OBJECT_TYPE

__all__ = ["FeedbackFacts", "feedback_facts", "received_times", "theme_first_received"]


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
    placed = select(FeedbackThemeMember.item_id, FeedbackThemeMember.assigned_at).where(
        FeedbackThemeMember.assigned_by == AssignedBy.person
    )
    for object_id, at in [*session.execute(query), *session.execute(placed)]:
        key = str(object_id)
        if key not in first or at < first[key]:
            first[key] = at
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


def received_times(session: Session) -> dict[str, datetime]:
    """Feedback id → when the customer sent it (``created_at``), for lead times that
    start at the first request for what later shipped."""
    query = select(FeedbackItem.id, FeedbackItem.created_at)
    return {str(item_id): at for item_id, at in session.execute(query)}


def theme_first_received(session: Session) -> dict[str, datetime]:
    """Theme id → when its earliest member was sent."""
    query = (
        select(FeedbackThemeMember.theme_id, func.min(FeedbackItem.created_at))
        .join(FeedbackItem, FeedbackItem.id == FeedbackThemeMember.item_id)
        .where(FeedbackThemeMember.theme_id.is_not(None))
        .group_by(FeedbackThemeMember.theme_id)
    )
    return {str(theme_id): at for theme_id, at in session.execute(query)}
