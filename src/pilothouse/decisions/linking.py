"""Links from decisions to what they are about, and the reverse question other domains ask:
"which decisions are about this object?" (:func:`decisions_about`).

Links point from the decision (``decision:7 → roadmap_item:12``) and use core links,
so a roadmap item's page can find its decisions without a decisions table join.
Adding or removing a link is a change to the decision and gets a revision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from pilothouse.core.actor import Actor
from pilothouse.core.errors import NotFound
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Link, Role
from pilothouse.core.references import Reference, resolve
from pilothouse.decisions.common import invalid
from pilothouse.decisions.history import (
    DECISION_OBJECT_TYPE,
    decision_ref,
    decision_snapshot,
    record_revision,
)
from pilothouse.decisions.models import Decision
from pilothouse.decisions.targets import Target, canonical_ref, check_ref

__all__ = ["LinkedObject", "decision_links", "decisions_about", "link_decision", "unlink_decision"]

MAX_KIND = 64


@dataclass(frozen=True)
class LinkedObject:
    """One link of a decision, with the other end described for people."""

    link_id: int
    kind: str
    target: Target


def link_decision(
    session: Session,
    actor: Actor,
    decision: Decision,
    to_type: str,
    to_id: str,
    kind: str = "related",
) -> Link:
    """Link ``decision`` to an object; linking twice returns the existing link."""
    actor.require(Role.editor, write=True)
    kind = (kind or "related").strip()
    if not kind or len(kind) > MAX_KIND:
        raise invalid("kind", f"1 to {MAX_KIND} characters")
    target = canonical_ref(session, check_ref(to_type, str(to_id)))
    before = decision_snapshot(session, decision)
    link = add_link(session, actor, decision_ref(decision), target, kind)
    record_revision(session, actor, decision, "linked", before)
    return link


def unlink_decision(session: Session, actor: Actor, decision: Decision, link_id: int) -> None:
    """Remove link ``link_id``, which must start or end at ``decision``."""
    actor.require(Role.editor, write=True)
    link = session.get(Link, link_id)
    me = (DECISION_OBJECT_TYPE, str(decision.id))
    if link is None or me not in {(link.from_type, link.from_id), (link.to_type, link.to_id)}:
        raise NotFound(f"{decision.key} has no link {link_id}")
    before = decision_snapshot(session, decision)
    remove_link(session, actor, link)
    session.flush()
    record_revision(session, actor, decision, "unlinked", before)


def decision_links(session: Session, decision: Decision) -> list[LinkedObject]:
    """Every link of ``decision`` with the other end labelled, oldest first."""
    me = decision_ref(decision)
    ends = []
    for link in links_of(session, me):
        mine = (link.from_type, link.from_id) == (me.type, me.id)
        other = (
            ObjectRef(link.to_type, link.to_id) if mine else ObjectRef(link.from_type, link.from_id)
        )
        ends.append((link, other))
    named = resolve(session, [other for _, other in ends])  # one query per type
    return [LinkedObject(link.id, link.kind, _target(named[other])) for link, other in ends]


def _target(ref: Reference) -> Target:
    """A resolved reference as the decision page shows it (core's presenter names it)."""
    keyed = ref.detail and not ref.deleted and ref.type != "feedback_item"
    label = f"{ref.detail} · {ref.label}" if keyed else ref.label  # FEAT-3 · Bulk edit
    return Target(ref.type, ref.id, label, ref.url, ref.type_label, ref.deleted)


def decisions_about(session: Session, ref: ObjectRef, *, brief: bool = False) -> list[Decision]:
    """The decisions linked to ``ref`` (either direction), newest first.

    Other domains call this to show "decisions about this item" on their pages.
    Keys are accepted for the types whose services resolve them (``roadmap_item:FEAT-3``).
    ``brief`` decisions come without their tags, the people consulted, who decided and
    the product area (two statements and two joins fewer), for lists that show a
    decision's key, title, status and day; those load if something reads them.
    """
    if ref.type != DECISION_OBJECT_TYPE:
        ref = canonical_ref(session, ref, "linked")
    ids = set()
    for link in links_of(session, ref):
        if link.from_type == DECISION_OBJECT_TYPE and link.from_id.isdigit():
            ids.add(int(link.from_id))
        if link.to_type == DECISION_OBJECT_TYPE and link.to_id.isdigit():
            ids.add(int(link.to_id))
    if not ids:
        return []
    query = select(Decision).where(Decision.id.in_(ids)).order_by(Decision.id.desc())
    if brief:
        query = query.options(lazyload("*"))
    return list(session.scalars(query))
