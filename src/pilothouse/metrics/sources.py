"""Event sources: each has a write key, shown once and stored as a keyed hash."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import Database, utcnow
from pilothouse.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from pilothouse.core.ids import parse_id
from pilothouse.core.models import Role
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.core.security import SecretHasher, new_secret
from pilothouse.metrics.models import EventSource

__all__ = [
    "authenticate_write_key",
    "create_source",
    "find_source",
    "list_sources",
    "revoke_source",
]

WRITE_KEY_PREFIX = "phw_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_source(
    session: Session, actor: Actor, hasher: SecretHasher, name: str
) -> tuple[EventSource, str]:
    """Register a source; returns it and its write key, which is never stored readable."""
    actor.require(Role.admin, write=True)
    name = name.strip()
    if not name:
        raise ValidationFailed("a source needs a name", errors=[FieldError("name", "empty")])
    if session.scalar(select(EventSource.id).where(EventSource.name == name)):
        raise Conflict(
            f"a source named {name!r} exists already", errors=[FieldError("name", "already taken")]
        )
    key = new_secret(WRITE_KEY_PREFIX, 24)
    source = EventSource(
        name=name, key_prefix=key[:10], key_hash=hasher.digest(key), created_by_id=actor.user_id
    )
    session.add(source)
    session.flush()
    record_change(
        session,
        actor,
        object_type="event_source",
        object_id=source.id,
        action=Action.created,
        label=name,
        after={"name": name},
    )
    return source, key


def list_sources(session: Session, page: PageRequest | None = None) -> Page[EventSource]:
    """Sources in creation order; one page of them when ``page`` is given."""
    return paginate(session, select(EventSource), EventSource.id, page or PageRequest(10_000))


def find_source(session: Session, key: str) -> EventSource:
    """A source by id or name."""
    source_id = parse_id(key)
    query = select(EventSource).where(
        EventSource.id == source_id if source_id is not None else EventSource.name == key
    )
    source = session.scalar(query)
    if source is None:
        raise NotFound(f"no event source {key!r}")
    return source


def revoke_source(session: Session, actor: Actor, source: EventSource) -> None:
    """Revoke the write key: later calls with it are refused; stored events stay."""
    actor.require(Role.admin, write=True)
    if source.revoked_at is None:
        source.revoked_at = utcnow()
        record_change(
            session,
            actor,
            object_type="event_source",
            object_id=source.id,
            action=Action.updated,
            name="event_source.revoked",
            label=source.name,
            before={"revoked": False},
            after={"revoked": True},
        )


#: Built once: it runs before every tracking call (building a statement and its cache
#: key costs more than running it).
_SOURCE_BY_DIGEST = select(EventSource).where(EventSource.key_hash == bindparam("key_digest"))


def authenticate_write_key(
    session: Session, hasher: SecretHasher, key: str, *, database: Database | None = None
) -> EventSource:
    """The live source for ``key``. With ``database``, its last use is written beside a
    reading session (:meth:`Database.write_aside`), as for API tokens."""
    source = session.scalar(_SOURCE_BY_DIGEST, {"key_digest": hasher.digest(key)})
    if source is None:
        raise Unauthorized("unknown write key")
    if source.revoked_at is not None:
        raise Unauthorized(f"the write key of source {source.name!r} was revoked")
    now = utcnow()
    if source.last_used_at is None or now - source.last_used_at > LAST_USED_RESOLUTION:
        if database is None:
            source.last_used_at = now
        else:
            touch = update(EventSource).filter_by(id=source.id).values(last_used_at=now)
            database.write_aside(session, touch)
            set_committed_value(source, "last_used_at", now)
    return source
