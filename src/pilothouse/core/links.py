"""Typed links between any two objects (feedback↔item, item↔launch, decision↔anything).

Domains refer to objects by a type name and an id string, so adding a new kind of
connection needs no new table. Links are audited like any other shared object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import is_reading, reading_memo
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.models import Link, Role

__all__ = [
    "ObjectRef",
    "add_link",
    "links_between",
    "links_of",
    "links_of_any",
    "remove_link",
]


@dataclass(frozen=True)
class ObjectRef:
    """A reference to any object: its type name (``feedback_item``) and id."""

    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


def _label(source: ObjectRef, target: ObjectRef, kind: str) -> str:
    return f"{source} -{kind}-> {target}"


def add_link(
    session: Session, actor: Actor, source: ObjectRef, target: ObjectRef, kind: str = "related"
) -> Link:
    """Link ``source`` to ``target``; adding an existing link returns it unchanged."""
    actor.require(Role.editor, write=True)
    if source == target:
        raise ValidationFailed("an object cannot link to itself", errors=[FieldError("to", "same")])
    existing = session.scalar(
        select(Link).where(
            Link.from_type == source.type,
            Link.from_id == source.id,
            Link.to_type == target.type,
            Link.to_id == target.id,
            Link.kind == kind,
        )
    )
    if existing is not None:
        return existing
    link = Link(
        from_type=source.type,
        from_id=source.id,
        to_type=target.type,
        to_id=target.id,
        kind=kind,
        created_by_id=actor.user_id,
    )
    session.add(link)
    session.flush()
    record_change(
        session,
        actor,
        object_type="link",
        object_id=link.id,
        action=Action.created,
        label=_label(source, target, kind),
        after={"from": str(source), "to": str(target), "kind": kind},
    )
    return link


def remove_link(session: Session, actor: Actor, link: Link) -> None:
    actor.require(Role.editor, write=True)
    source, target = ObjectRef(link.from_type, link.from_id), ObjectRef(link.to_type, link.to_id)
    record_change(
        session,
        actor,
        object_type="link",
        object_id=link.id,
        action=Action.deleted,
        label=_label(source, target, link.kind),
        before={"from": str(source), "to": str(target), "kind": link.kind},
    )
    session.delete(link)


def links_of(session: Session, ref: ObjectRef, *, kind: str | None = None) -> list[Link]:
    """Every link from or to ``ref`` (of ``kind``, when given), oldest first, so it can be
    followed both ways."""
    return [link for link in links_of_any(session, [ref]) if kind is None or link.kind == kind]


def links_of_any(session: Session, refs: Iterable[ObjectRef]) -> list[Link]:
    """Every link from or to any of ``refs``, each once, oldest first, in one query (an
    item is linked under its id and every key it ever had).

    A reading session asks once per ref: a launch page looks at the launch's links for
    its experiments, its decisions and its impact chain, and an item page lists the
    item's links and looks among them for experiments. Only the refs not asked about
    yet go to the database.
    """
    wanted = tuple(dict.fromkeys(refs))
    memo: dict[ObjectRef, list[Link]] = (
        reading_memo(session, "links_of") if is_reading(session) else {}
    )
    missing = [r for r in wanted if r not in memo]
    if missing:
        ends = [
            ((Link.from_type == r.type) & (Link.from_id == r.id))
            | ((Link.to_type == r.type) & (Link.to_id == r.id))
            for r in missing
        ]
        found = list(session.scalars(select(Link).where(or_(*ends)).order_by(Link.id)))
        for ref in missing:
            memo[ref] = [link for link in found if _touches(link, ref)]
    merged = {link.id: link for ref in wanted for link in memo[ref]}
    return [merged[i] for i in sorted(merged)]


def _touches(link: Link, ref: ObjectRef) -> bool:
    return (link.from_type == ref.type and link.from_id == ref.id) or (
        link.to_type == ref.type and link.to_id == ref.id
    )


def links_between(session: Session, type_a: str, type_b: str) -> list[Link]:
    """Every link joining an object of ``type_a`` and one of ``type_b``, either way round,
    oldest first (for figures over all links of a kind, such as evidence on items)."""
    query = select(Link).where(
        or_(
            (Link.from_type == type_a) & (Link.to_type == type_b),
            (Link.from_type == type_b) & (Link.to_type == type_a),
        )
    )
    return list(session.scalars(query.order_by(Link.created_at, Link.id)))
