"""Checklist items of a launch: adding them, ticking them off, and changing owner, date or title.

Editors may add and change any item (automation rules add items as editors too).
Anyone else may tick off (or re-open) only the items they own, so a support lead with
the viewer role can still confirm their own task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.db import utcnow
from pilothouse.core.errors import Conflict, FieldError, Forbidden, NotFound
from pilothouse.core.models import Role
from pilothouse.launches.common import (
    LAUNCH_OBJECT_TYPE,
    clean_name,
    invalid,
    launch_label,
    parse_date,
    resolve_user,
)
from pilothouse.launches.models import Launch, LaunchItem, LaunchStage, LaunchStatus
from pilothouse.launches.waiting import note_waiting_gates

__all__ = ["add_item", "find_item", "find_stage", "set_done", "update_item"]

AUDITED_ITEM_FIELDS = ("title", "owner_id", "due_date", "required", "done_at", "done_by_id")


def find_item(launch: Launch, item_id: int) -> LaunchItem:
    for stage in launch.stages:
        for item in stage.items:
            if item.id == item_id:
                return item
    raise NotFound(f"{launch.key} has no checklist item {item_id}")


def _stage_name(launch: Launch, item: LaunchItem) -> str:
    return next(s.name for s in launch.stages if s.id == item.stage_id)


def _audit(
    session: Session,
    actor: Actor,
    launch: Launch,
    item: LaunchItem,
    before: dict[str, Any],
    name: str,
) -> None:
    after = snapshot(item, AUDITED_ITEM_FIELDS)
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch, f"{_stage_name(launch, item)}: {item.title}"),
        before={f"items.{item.id}.{k}": v for k, v in before.items()},
        after={f"items.{item.id}.{k}": v for k, v in after.items()},
        name=name,
    )


def _check_open(launch: Launch) -> None:
    if launch.status is LaunchStatus.cancelled:
        raise Conflict(
            f"{launch.key} is cancelled; re-open it first",
            errors=[FieldError("status", "cancelled")],
        )


def set_done(session: Session, actor: Actor, launch: Launch, item: LaunchItem, done: bool) -> None:
    """Tick an item off (``done``) or re-open it; editors, or the item's owner."""
    actor.require(Role.viewer, write=True)
    if not actor.role.allows(Role.editor) and actor.user_id != item.owner_id:
        raise Forbidden("only the item's owner or an editor may tick it off")
    _check_open(launch)
    if item.done == done:
        return
    before = snapshot(item, AUDITED_ITEM_FIELDS)
    item.done_at = utcnow() if done else None
    item.done_by_id = actor.user_id if done else None
    session.flush()
    _audit(
        session, actor, launch, item, before, "launch.item_done" if done else "launch.item_reopened"
    )
    # The last required item may be done now, or a waiting gate's stage re-opened.
    note_waiting_gates(session, actor, launch)


def update_item(
    session: Session, actor: Actor, launch: Launch, item: LaunchItem, values: Mapping[str, Any]
) -> LaunchItem:
    """Change an item's ``owner``, ``due_date``, ``title`` or ``required`` flag (editors)."""
    actor.require(Role.editor, write=True)
    _check_open(launch)
    before = snapshot(item, AUDITED_ITEM_FIELDS)
    if "owner" in values:
        item.owner_id = resolve_user(session, values["owner"], "owner")
    if values.get("due_date") is not None:
        due = parse_date(values["due_date"], "due_date")
        if due is None:
            raise invalid("due_date", "a date as YYYY-MM-DD")
        item.due_date = due
    if values.get("title") is not None:
        item.title = clean_name(values["title"], "title")
    if values.get("required") is not None:
        item.required = bool(values["required"])
    if values.get("done") is not None:
        set_done(session, actor, launch, item, bool(values["done"]))
    session.flush()
    session.expire(item, ["owner", "done_by"])
    _audit(session, actor, launch, item, before, "launch.item_updated")
    note_waiting_gates(session, actor, launch)  # e.g. the last open item made optional
    return item


def find_stage(launch: Launch, ref: object = None, field: str = "stage") -> LaunchStage:
    """A stage of ``launch`` by name (any case) or position; the current one when empty."""
    text = str(ref if ref is not None else "").strip()
    if not text:
        return launch.stage or launch.stages[-1]
    for stage in launch.stages:
        if stage.name.lower() == text.lower() or (text.isdigit() and stage.position == int(text)):
            return stage
    names = ", ".join(s.name for s in launch.stages)
    raise invalid(field, f"{launch.key} has no stage {text!r}; its stages: {names}")


def add_item(
    session: Session,
    actor: Actor,
    launch: Launch,
    values: Mapping[str, Any],
) -> LaunchItem:
    """Add a checklist item to ``launch`` (editors); audited as ``launch.item_added``.

    Args:
        values: ``title`` (needed); ``stage`` (name or position; default the current
            stage), ``owner`` (id or e-mail), ``due_date`` (default the stage's due
            date), ``required`` (default true, like a template's items).
    """
    actor.require(Role.editor, write=True)
    _check_open(launch)
    stage = find_stage(launch, values.get("stage"))
    due = parse_date(values.get("due_date"), "due_date") or stage.due_date
    item = LaunchItem(
        title=clean_name(values.get("title"), "title"),
        owner_id=resolve_user(session, values.get("owner"), "owner"),
        due_date=due,
        required=bool(values.get("required", True)),
        position=max((i.position for i in stage.items), default=-1) + 1,
    )
    stage.items.append(item)
    session.flush()
    session.expire(item, ["owner", "done_by"])
    _audit(session, actor, launch, item, {}, "launch.item_added")
    note_waiting_gates(session, actor, launch)  # a required item stops a waiting gate
    return item
