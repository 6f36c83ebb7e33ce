"""Recording domain events: the audit trail of every change to a shared object.

Services call :func:`record_change` inside the transaction that makes the change,
so an event exists exactly when the change was committed (a transactional outbox).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.models import Event

__all__ = ["Action", "diff", "record_change", "snapshot"]


class Action(enum.StrEnum):
    created = "created"
    updated = "updated"
    deleted = "deleted"


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-ready values of ``fields`` on ``obj``."""
    return {name: _plain(getattr(obj, name)) for name in fields}


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
    changes = diff(before or {}, after or {})
    if action is Action.updated and not changes:
        return None
    event = Event(
        name=name or f"{object_type}.{action.value}",
        action=action.value,
        actor_id=actor.user_id,
        actor_label=actor.label,
        object_type=object_type,
        object_id=str(object_id),
        object_label=label[:300],
        changes=changes,
        client_address=actor.client_address,
    )
    session.add(event)
    return event
