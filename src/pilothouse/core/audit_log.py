"""Reading the audit log: the event table filtered and paged, newest first. Never written here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.models import Event, Role
from pilothouse.core.pagination import Page, PageRequest, paginate

__all__ = [
    "AuditFilter",
    "FieldChange",
    "already_recorded",
    "field_history",
    "list_events",
    "object_types",
]


@dataclass(frozen=True)
class AuditFilter:
    """Every field narrows the list; ``None`` means any."""

    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    name: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, actor: Actor, page: PageRequest, where: AuditFilter
) -> Page[Event]:
    """The audit log for admins."""
    actor.require(Role.admin)
    query = select(Event)
    if where.actor:
        query = query.where(Event.actor_label == where.actor.strip().lower())
    if where.object_type:
        query = query.where(Event.object_type == where.object_type)
    if where.object_id:
        query = query.where(Event.object_id == where.object_id)
    if where.action:
        query = query.where(Event.action == where.action)
    if where.name:
        query = query.where(Event.name == where.name)
    if where.since:
        query = query.where(Event.created_at >= _utc(where.since))
    if where.until:
        query = query.where(Event.created_at < _utc(where.until))
    return paginate(session, query, Event.id, PageRequest(page.limit, page.cursor, True))


def _utc(moment: datetime) -> datetime:
    """A time without an offset is read as UTC, the time zone the log is kept in."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def object_types(session: Session) -> list[str]:
    """The object types that appear in the log, for the filter menu."""
    return list(session.scalars(select(Event.object_type).distinct().order_by(Event.object_type)))


def already_recorded(
    session: Session, name: str, object_type: str, object_id: object, field: str, value: object
) -> bool:
    """Whether an event ``name`` about this object already set ``field`` to ``value``.

    For findings that periodic checks record once per key (an anomaly per metric and
    day, an overdue launch per planned date): running the check again, or after a
    crash, must not announce the same finding twice.
    """
    rows = session.scalars(
        select(Event.changes).where(
            Event.name == name, Event.object_type == object_type, Event.object_id == str(object_id)
        )
    )
    return any((changes.get(field) or {}).get("after") == value for changes in rows)


@dataclass(frozen=True)
class FieldChange:
    """One recorded change of one field: which object, when, and its value after."""

    object_id: str
    at: datetime
    action: str
    before: object
    after: object


def field_history(session: Session, object_type: str, field: str) -> list[FieldChange]:
    """Every recorded value of ``field`` on objects of ``object_type``, oldest first.

    For figures computed from history (process health): the ``created`` event gives the
    first value, each update that changed the field the next one. The JSON key is
    filtered in Python, the same on SQLite and PostgreSQL.
    """
    rows = session.execute(
        select(Event.object_id, Event.created_at, Event.action, Event.changes)
        .where(Event.object_type == object_type)
        .order_by(Event.created_at, Event.id)
    )
    out = []
    for object_id, at, action, changes in rows:
        change = (changes or {}).get(field)
        if isinstance(change, dict):
            out.append(
                FieldChange(object_id, at, action, change.get("before"), change.get("after"))
            )
    return out
