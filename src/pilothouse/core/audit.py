"""Recording domain events: the audit trail of every change to a shared object.

Services call :func:`record_change` inside the transaction that makes the change,
so an event exists exactly when the change was committed (a transactional outbox).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.models import Event

__all__ = ["Action", "Change", "diff", "plain", "record_change", "record_changes", "snapshot"]


class Action(enum.StrEnum):
    created = "created"
    updated = "updated"
    deleted = "deleted"


def plain(value: Any) -> Any:
    """A value as the audit log stores it (enums by value, times in ISO 8601)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-ready values of ``fields`` on ``obj``."""
    return {name: plain(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-level changes as ``{field: {"before": old, "after": new}}``, equal fields left out."""
    changes: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"before": old, "after": new}
    return changes


def record_change(
    session: Session,
    actor: Actor,
    *,
    object_type: str,
    object_id: object,
    action: Action,
    label: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Event | None:
    """Add the event for one change to ``session``; an update that changed nothing adds none.

    Args:
        object_type: the kind of object, such as ``product_area``.
        action: created, updated or deleted.
        before/after: field snapshots; for a create only ``after``, for a delete only ``before``.
        name: the event name; defaults to ``<object_type>.<action>``.
    """
    change = Change(object_type, object_id, action, label, before, after, name)
    values = _event_values(actor, change)
    if values is None:
        return None
    event = Event(**values)
    session.add(event)
    return event


@dataclass(frozen=True)
class Change:
    """One change to record; the arguments of :func:`record_change` as a value."""

    object_type: str
    object_id: object
    action: Action
    label: str = ""
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    name: str | None = None


def record_changes(session: Session, actor: Actor, changes: Iterable[Change]) -> int:
    """Add the events of many changes with one multi-row INSERT; returns how many.

    For bulk work such as imports of thousands of rows, where an ORM object per
    event would cost more than the import itself. The events are the same as
    :func:`record_change` writes, in the same transaction.
    """
    rows = [v for v in (_event_values(actor, c) for c in changes) if v is not None]
    if rows:
        session.execute(insert(Event), rows)
    return len(rows)


def _event_values(actor: Actor, change: Change) -> dict[str, Any] | None:
    """The column values of a change's event; ``None`` for an update that changed nothing."""
    changes = diff(change.before or {}, change.after or {})
    if change.action is Action.updated and not changes:
        return None
    return {
        "name": change.name or f"{change.object_type}.{change.action.value}",
        "action": change.action.value,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "object_type": change.object_type,
        "object_id": str(change.object_id),
        "object_label": change.label[:300],
        "changes": changes,
        "client_address": actor.client_address,
        "created_at": utcnow(),
    }
