"""Checklist items of a launch: ticking them off, and changing owner, date or title.

Editors may change any item. Anyone else may tick off (or re-open) only the items
they own, so a support lead with the viewer role can still confirm their own task.
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
from pilothouse.launches.models import Launch, LaunchItem, LaunchStatus

__all__ = ["find_item", "set_done", "update_item"]

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
    return item
