"""The history of a decision: one immutable revision per change, and its audit event.

Every service that changes a decision takes a :func:`decision_snapshot` first and
calls :func:`record_revision` after, in the same transaction. The revision keeps
the full state after the change (so any version can be shown on its own) and the
field diff (so the page can say what changed); the audit event carries the same
diff, which makes the decision log part of the workspace's activity feed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, diff, record_change
from pilothouse.core.errors import NotFound
from pilothouse.core.links import ObjectRef, links_of
from pilothouse.decisions.models import Decision, DecisionRevision

__all__ = [
    "DECISION_OBJECT_TYPE",
    "decision_ref",
    "decision_snapshot",
    "get_revision",
    "list_revisions",
    "record_revision",
    "supersedes_of",
]

DECISION_OBJECT_TYPE = "decision"


def decision_ref(decision: Decision) -> ObjectRef:
    """How links name a decision: type ``decision`` and the numeric id."""
    return ObjectRef(DECISION_OBJECT_TYPE, str(decision.id))


def supersedes_of(session: Session, decision: Decision) -> list[Decision]:
    """The decisions this one replaced, oldest first."""
    query = select(Decision).where(Decision.superseded_by_id == decision.id).order_by(Decision.id)
    return list(session.scalars(query))


def _link_names(session: Session, decision: Decision) -> list[str]:
    me = decision_ref(decision)
    names = []
    for link in links_of(session, me):
        mine = (link.from_type, link.from_id) == (me.type, me.id)
        other = f"{link.to_type}:{link.to_id}" if mine else f"{link.from_type}:{link.from_id}"
        names.append(f"{other} ({link.kind})")
    return sorted(names)


def decision_snapshot(session: Session, decision: Decision) -> dict[str, Any]:
    """Every recorded value of a decision, people by e-mail and references by key."""
    superseded_by = (
        session.get(Decision, decision.superseded_by_id) if decision.superseded_by_id else None
    )
    return {
        "key": decision.key,
        "title": decision.title,
        "context": decision.context,
        "options": [dict(o) for o in decision.options],
        "chosen_option": decision.chosen_option,
        "rationale": decision.rationale,
        "status": decision.status.value,
        "decided_by": decision.decided_by.email if decision.decided_by else None,
        "consulted": sorted(u.email for u in decision.consulted),
        "decided_on": decision.decided_on.isoformat() if decision.decided_on else None,
        "superseded_by": superseded_by.key if superseded_by else None,
        "supersedes": [d.key for d in supersedes_of(session, decision)],
        "product_area": decision.product_area.slug if decision.product_area else None,
        "tags": list(decision.tags),
        "links": _link_names(session, decision),
    }


def record_revision(
    session: Session,
    actor: Actor,
    decision: Decision,
    action: str,
    before: dict[str, Any] | None,
) -> DecisionRevision | None:
    """Store the next revision (and audit event) if anything changed; ``before=None`` on create."""
    session.flush()
    session.expire(decision, ["decided_by", "product_area", "tag_rows", "consulted_rows"])
    after = decision_snapshot(session, decision)
    changes = diff(before or {}, after)
    if before is not None and not changes:
        return None
    decision.version += 1
    revision = DecisionRevision(
        decision_id=decision.id,
        version=decision.version,
        action=action,
        actor_id=actor.user_id,
        actor_label=actor.label,
        snapshot=after,
        changes=changes,
    )
    session.add(revision)
    record_change(
        session,
        actor,
        object_type=DECISION_OBJECT_TYPE,
        object_id=decision.id,
        action=Action.created if before is None else Action.updated,
        label=f"{decision.key} {decision.title}",
        before=before,
        after=after,
        name=f"{DECISION_OBJECT_TYPE}.{action}",
    )
    session.flush()
    return revision


def list_revisions(session: Session, decision: Decision) -> list[DecisionRevision]:
    """Every revision of ``decision``, newest first."""
    query = (
        select(DecisionRevision)
        .where(DecisionRevision.decision_id == decision.id)
        .order_by(DecisionRevision.version.desc())
    )
    return list(session.scalars(query))


def get_revision(session: Session, decision: Decision, version: int) -> DecisionRevision:
    revision = session.scalar(
        select(DecisionRevision).where(
            DecisionRevision.decision_id == decision.id, DecisionRevision.version == version
        )
    )
    if revision is None:
        raise NotFound(f"{decision.key} has no version {version}")
    return revision
