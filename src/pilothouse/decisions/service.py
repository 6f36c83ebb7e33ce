"""Decisions: create, change, decide and supersede, each change kept as a revision.

Keys are ``DEC-n``, numbered from a locked counter and never reused (decisions
are not deleted: a decision that no longer holds is superseded by the one that
replaced it). The status moves proposed → decided → superseded; superseding
records the newer decision on the older one, so both pages show the pair, and a
chain of replacements can never loop back on itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import Conflict, FieldError, NotFound
from pilothouse.core.links import add_link
from pilothouse.core.models import Role
from pilothouse.decisions.common import (
    clean_options,
    clean_tags,
    clean_text,
    invalid,
    normalise,
    parse_date,
    resolve_area,
    resolve_user,
    resolve_users,
)
from pilothouse.decisions.history import decision_ref, decision_snapshot, record_revision
from pilothouse.decisions.models import (
    Decision,
    DecisionConsulted,
    DecisionKeyCounter,
    DecisionStatus,
    DecisionTag,
)
from pilothouse.decisions.targets import canonical_ref, parse_ref

__all__ = [
    "KEY_PREFIX",
    "create_decision",
    "decide",
    "find_decision",
    "supersede",
    "update_decision",
]

KEY_PREFIX = "DEC"
EDITABLE = (
    "title",
    "context",
    "options",
    "chosen_option",
    "rationale",
    "decided_by",
    "consulted",
    "decided_on",
    "product_area",
    "tags",
)


def find_decision(session: Session, ref: str | int) -> Decision:
    """A decision by key (``DEC-7``, any case) or numeric id."""
    text = str(ref).strip()
    if text.isdigit():
        decision = session.get(Decision, int(text))
    else:
        decision = session.scalar(select(Decision).where(Decision.key == text.upper()))
    if decision is None:
        raise NotFound(f"no decision {text!r}")
    return decision


def _next_key(session: Session) -> str:
    counter = session.scalar(
        select(DecisionKeyCounter).where(DecisionKeyCounter.name == KEY_PREFIX).with_for_update()
    )
    if counter is None:
        counter = DecisionKeyCounter(name=KEY_PREFIX, last_number=0)
        session.add(counter)
    counter.last_number += 1
    session.flush()
    return f"{KEY_PREFIX}-{counter.last_number}"


def _search_text(decision: Decision) -> str:
    parts = [decision.key, decision.title, decision.context, decision.chosen_option]
    parts.append(decision.rationale)
    for option in decision.options:
        parts += [option.get("name", ""), option.get("pros", ""), option.get("cons", "")]
    parts += decision.tags
    return normalise(" \n ".join(p for p in parts if p))


def _set_tags(decision: Decision, tags: list[str]) -> None:
    keep = {t.lower() for t in tags}
    for row in list(decision.tag_rows):
        if row.tag.lower() not in keep:
            decision.tag_rows.remove(row)
    have = {row.tag.lower() for row in decision.tag_rows}
    decision.tag_rows.extend(DecisionTag(tag=t) for t in tags if t.lower() not in have)


def _set_consulted(session: Session, decision: Decision, refs: Any) -> None:
    current = frozenset(row.user_id for row in decision.consulted_rows)
    people = resolve_users(session, refs, "consulted", keep=current)
    wanted = {u.id for u in people}
    for row in list(decision.consulted_rows):
        if row.user_id not in wanted:
            decision.consulted_rows.remove(row)
    have = {row.user_id for row in decision.consulted_rows}
    decision.consulted_rows.extend(
        DecisionConsulted(user_id=u.id, user=u) for u in people if u.id not in have
    )


def _apply(session: Session, decision: Decision, values: Mapping[str, Any]) -> None:  # noqa: C901
    """Apply the given values; keys not given stay as they are."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise invalid(unknown[0], "unknown field")
    if "title" in values:
        decision.title = clean_text(values["title"], "title", required=True, max_length=300)
    for name in ("context", "rationale"):
        if name in values:
            setattr(decision, name, clean_text(values[name], name))
    if "options" in values:
        decision.options = clean_options(values["options"])
    if "chosen_option" in values:
        decision.chosen_option = clean_text(
            values["chosen_option"], "chosen_option", max_length=300
        )
    if "decided_by" in values:
        keep = frozenset([decision.decided_by_id] if decision.decided_by_id else [])
        user = resolve_user(session, values["decided_by"], "decided_by", keep=keep)
        decision.decided_by_id = user.id if user else None
    if "consulted" in values:
        _set_consulted(session, decision, values["consulted"])
    if "decided_on" in values:
        decision.decided_on = parse_date(values["decided_on"], "decided_on")
    if "product_area" in values:
        decision.product_area_id = resolve_area(session, values["product_area"])
    if "tags" in values:
        _set_tags(decision, clean_tags(values["tags"]))


def _check(decision: Decision) -> None:
    """Rules that span fields: the choice is one of the options; a decision has a choice."""
    if decision.options and decision.chosen_option:
        names = {o["name"].casefold(): o["name"] for o in decision.options}
        match = names.get(decision.chosen_option.casefold())
        if match is None:
            listed = ", ".join(o["name"] for o in decision.options)
            raise invalid("chosen_option", f"must be one of the options: {listed}")
        decision.chosen_option = match
    if decision.status is DecisionStatus.decided and not decision.chosen_option:
        raise invalid("chosen_option", "a decided decision needs the option chosen")


def _check_version(decision: Decision, expected: int | None) -> None:
    if expected is not None and expected != decision.version:
        raise Conflict(
            f"{decision.key} changed meanwhile (now version {decision.version}, "
            f"you edited version {expected}); reload and apply your change again",
            errors=[FieldError("version", f"expected {expected}, is {decision.version}")],
        )


def _mark_decided(actor: Actor, decision: Decision) -> None:
    decision.status = DecisionStatus.decided
    if decision.decided_on is None:
        decision.decided_on = date.today()
    if decision.decided_by_id is None:
        decision.decided_by_id = actor.user_id


def create_decision(
    session: Session, actor: Actor, values: Mapping[str, Any], *, links: Sequence[str] = ()
) -> Decision:
    """Create a decision; ``status`` may be ``proposed`` (default) or ``decided``.

    Args:
        links: ``TYPE:ID`` references of what the decision is about, linked in the same
            transaction so that the first revision already shows them.
    """
    actor.require(Role.editor, write=True)
    targets = [
        canonical_ref(session, parse_ref(text, f"links.{i}"), f"links.{i}")
        for i, text in enumerate(links)
    ]
    values = dict(values)
    raw_status = values.pop("status", None) or DecisionStatus.proposed.value
    if raw_status not in (DecisionStatus.proposed.value, DecisionStatus.decided.value):
        raise invalid("status", "proposed or decided (supersede a decision to replace it)")
    title = clean_text(values.get("title"), "title", required=True, max_length=300)
    decision = Decision(key="", title=title, options=[], version=0, created_by_id=actor.user_id)
    _apply(session, decision, values)
    if raw_status == DecisionStatus.decided.value:
        _mark_decided(actor, decision)
    _check(decision)
    decision.key = _next_key(session)
    decision.search_text = _search_text(decision)
    session.add(decision)
    session.flush()
    for target in dict.fromkeys(targets):
        add_link(session, actor, decision_ref(decision), target)
    record_revision(session, actor, decision, "created", None)
    return decision


def update_decision(
    session: Session,
    actor: Actor,
    decision: Decision,
    values: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> Decision:
    """Change the given fields; the status changes only through decide and supersede."""
    actor.require(Role.editor, write=True)
    _check_version(decision, expected_version)
    if "status" in values:
        raise invalid("status", "use decide or supersede to change the status")
    before = decision_snapshot(session, decision)
    _apply(session, decision, values)
    _check(decision)
    decision.search_text = _search_text(decision)
    record_revision(session, actor, decision, "updated", before)
    return decision


def decide(
    session: Session,
    actor: Actor,
    decision: Decision,
    values: Mapping[str, Any] | None = None,
    *,
    expected_version: int | None = None,
) -> Decision:
    """Record the decision: proposed → decided, with the choice and (optionally) why, by whom,
    when. ``decided_by`` defaults to the actor and ``decided_on`` to today."""
    actor.require(Role.editor, write=True)
    _check_version(decision, expected_version)
    if decision.status is not DecisionStatus.proposed:
        raise Conflict(
            f"{decision.key} is {decision.status.value} already; edit it, or supersede it "
            "with a new decision",
            errors=[FieldError("status", decision.status.value)],
        )
    before = decision_snapshot(session, decision)
    _apply(session, decision, values or {})
    _mark_decided(actor, decision)
    _check(decision)
    decision.search_text = _search_text(decision)
    record_revision(session, actor, decision, "decided", before)
    return decision


def _refuse_cycle(session: Session, old: Decision, new: Decision) -> None:
    chain, current = [new], new
    while current.superseded_by_id is not None:
        current = session.get(Decision, current.superseded_by_id)  # type: ignore[assignment]
        chain.append(current)
        if current.id == old.id:
            path = " → ".join([old.key, *(d.key for d in chain)])
            raise Conflict(
                f"{new.key} cannot supersede {old.key}: that would make a cycle ({path})",
                errors=[FieldError("by", f"cycle: {path}")],
            )
        if len(chain) > 1000:  # pragma: no cover - only a corrupted database gets here
            break


def supersede(session: Session, actor: Actor, old: Decision, new: Decision) -> Decision:
    """Mark ``old`` as superseded by ``new``; both keep a revision of the change."""
    actor.require(Role.editor, write=True)
    if old.id == new.id:
        raise invalid("by", "a decision cannot supersede itself")
    _refuse_cycle(session, old, new)
    if old.status is DecisionStatus.superseded:
        current = session.get(Decision, old.superseded_by_id) if old.superseded_by_id else None
        raise Conflict(
            f"{old.key} is superseded by {current.key if current else 'another decision'} already",
            errors=[FieldError("by", "already superseded")],
        )
    if new.status is DecisionStatus.superseded:
        raise Conflict(
            f"{new.key} is itself superseded; supersede {old.key} with the current decision",
            errors=[FieldError("by", f"{new.key} is superseded")],
        )
    old_before = decision_snapshot(session, old)
    new_before = decision_snapshot(session, new)
    old.status = DecisionStatus.superseded
    old.superseded_by_id = new.id
    record_revision(session, actor, old, "superseded", old_before)
    record_revision(session, actor, new, "supersedes", new_before)
    return old
