"""Turning decisions into their API shape (shared by the JSON routes and the CLI)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.models import User
from pilothouse.decisions.history import supersedes_of
from pilothouse.decisions.linking import decision_links
from pilothouse.decisions.models import Decision
from pilothouse.decisions.schemas import (
    AreaBrief,
    DecisionRead,
    LinkedRead,
    OptionRead,
    PersonBrief,
)

__all__ = ["decision_read", "person"]


def person(user: User | None) -> PersonBrief | None:
    return PersonBrief(id=user.id, email=user.email, name=user.name) if user else None


def decision_read(session: Session, decision: Decision) -> DecisionRead:
    superseded_by = (
        session.get(Decision, decision.superseded_by_id) if decision.superseded_by_id else None
    )
    area = decision.product_area
    return DecisionRead(
        id=decision.id,
        key=decision.key,
        title=decision.title,
        context=decision.context,
        options=[OptionRead(**o) for o in decision.options],
        chosen_option=decision.chosen_option,
        rationale=decision.rationale,
        status=decision.status,
        decided_by=person(decision.decided_by),
        consulted=[p for p in (person(u) for u in decision.consulted) if p is not None],
        decided_on=decision.decided_on,
        superseded_by=superseded_by.key if superseded_by else None,
        supersedes=[d.key for d in supersedes_of(session, decision)],
        product_area=AreaBrief(id=area.id, slug=area.slug, name=area.name) if area else None,
        tags=decision.tags,
        links=[
            LinkedRead(
                link_id=linked.link_id,
                kind=linked.kind,
                type=linked.target.type,
                id=linked.target.id,
                label=linked.target.label,
                href=linked.target.href,
            )
            for linked in decision_links(session, decision)
        ],
        version=decision.version,
        created_at=decision.created_at,
        updated_at=decision.updated_at,
        url=f"/decisions/{decision.key}",
    )
