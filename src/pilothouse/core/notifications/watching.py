"""Watching: people follow an object and hear about its changes and comments.

Objects are named by :class:`~pilothouse.core.links.ObjectRef`, so any domain's
object can be watched. Watching is a person's own subscription, not a change to a
shared object, so it is not in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Event, User
from pilothouse.core.notifications.models import Watch
from pilothouse.core.notifications.service import notify

__all__ = [
    "WATCHABLE_TYPES",
    "auto_watch",
    "change_summary",
    "check_watchable",
    "is_watching",
    "notify_watchers",
    "notify_watchers_of_event",
    "unwatch",
    "watch",
    "watchers_of",
]

#: Object types people can watch and comment on (the pages that include the panel).
WATCHABLE_TYPES = frozenset({"roadmap_item", "feedback_theme", "launch", "experiment", "decision"})


def check_watchable(ref: ObjectRef) -> ObjectRef:
    """``ref`` with a string id, or a clear error when its type cannot be watched."""
    if ref.type not in WATCHABLE_TYPES:
        choices = ", ".join(sorted(WATCHABLE_TYPES))
        raise ValidationFailed(
            f"{ref.type!r} objects cannot be watched or commented on",
            errors=[FieldError("object_type", f"one of {choices}")],
        )
    ident = str(ref.id).strip()
    if not ident or len(ident) > 64:
        raise ValidationFailed("an object id is needed", errors=[FieldError("object_id", "1–64")])
    return ObjectRef(ref.type, ident)


def watch(session: Session, user_id: int, ref: ObjectRef) -> bool:
    """Start watching ``ref``; returns False when the person watched it already."""
    ref = check_watchable(ref)
    if is_watching(session, user_id, ref):
        return False
    try:
        with session.begin_nested():
            session.add(Watch(user_id=user_id, object_type=ref.type, object_id=ref.id))
    except IntegrityError:  # a second request won the race; the watch exists either way
        return False
    return True


def unwatch(session: Session, user_id: int, ref: ObjectRef) -> bool:
    """Stop watching ``ref``; returns False when the person was not watching it."""
    result = session.execute(
        delete(Watch).where(
            Watch.user_id == user_id,
            Watch.object_type == ref.type,
            Watch.object_id == str(ref.id),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_watching(session: Session, user_id: int, ref: ObjectRef) -> bool:
    query = select(Watch.id).where(
        Watch.user_id == user_id, Watch.object_type == ref.type, Watch.object_id == str(ref.id)
    )
    return session.scalar(query) is not None


def watchers_of(session: Session, ref: ObjectRef) -> list[int]:
    """Ids of everyone watching ``ref``, in the order they started."""
    query = select(Watch.user_id).where(
        Watch.object_type == ref.type, Watch.object_id == str(ref.id)
    )
    return list(session.scalars(query.order_by(Watch.id)))


def notify_watchers(
    session: Session,
    ref: ObjectRef,
    *,
    title: str,
    kind: str = "watch.changed",
    body_markdown: str = "",
    url: str | None = None,
    actor_id: int | None = None,
    exclude: Iterable[int] = (),
) -> int:
    """Notify everyone watching ``ref`` (but the actor and ``exclude``); returns how many.

    The automation dispatcher calls this for domain events about watched objects;
    comments call it directly.
    """
    skip = set(exclude)
    recipients = [w for w in watchers_of(session, ref) if w not in skip]
    return notify(
        session,
        recipients=recipients,
        kind=kind,
        title=title,
        body_markdown=body_markdown,
        ref=ref,
        url=url,
        actor_id=actor_id,
    )


#: At most this many changed fields are listed in a "changed" notification.
MAX_LISTED_CHANGES = 10
_VERBS = {"created": "created", "updated": "changed", "deleted": "deleted"}


def _short(value: object, limit: int = 80) -> str:
    text = "—" if value in (None, "", [], {}) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_summary(event: Event) -> str:
    """The fields an audit event changed, one Markdown list line each (before → after)."""
    changes = sorted((event.changes or {}).items())[:MAX_LISTED_CHANGES]
    lines = [
        f"- {name.replace('_', ' ')}: {_short(c.get('before'))} → {_short(c.get('after'))}"
        for name, c in changes
        if isinstance(c, dict)
    ]
    hidden = len(event.changes or {}) - MAX_LISTED_CHANGES
    return "\n".join(lines + ([f"- and {hidden} more"] if hidden > 0 else []))


def notify_watchers_of_event(session: Session, event: Event, *, url: str | None = None) -> int:
    """Tell the watchers of an audit event's object what changed; returns how many.

    For the automation dispatcher, which reads the events (the outbox) once each:
    "Ana changed Bulk export" with the changed fields as the body, kind
    ``watch.changed``. Events about objects nobody can watch notify nobody.
    """
    ident = str(event.object_id)
    if event.object_type not in WATCHABLE_TYPES or not ident.isdigit():
        return 0
    ref = ObjectRef(event.object_type, ident)
    actor = session.get(User, event.actor_id) if event.actor_id is not None else None
    who = actor.name if actor else event.actor_label
    verb = _VERBS.get(event.action, event.action)
    return notify_watchers(
        session,
        ref,
        title=f"{who} {verb} {event.object_label or ref}",
        body_markdown=change_summary(event),
        url=url,
        actor_id=event.actor_id,
    )


def _watch_changes(session: Session, events: list[Event]) -> None:
    """Creators watch what they create; watches of deleted objects go with them."""
    seen: set[tuple[int, str, str]] = set()
    for item in events:
        ref = ObjectRef(item.object_type, str(item.object_id))
        if item.action == "deleted":
            session.execute(
                delete(Watch).where(Watch.object_type == ref.type, Watch.object_id == ref.id)
            )
            continue
        key = (item.actor_id or 0, ref.type, ref.id)
        if item.actor_id is None or key in seen or is_watching(session, item.actor_id, ref):
            continue
        seen.add(key)
        session.add(Watch(user_id=item.actor_id, object_type=ref.type, object_id=ref.id))


def auto_watch(session: Session, _context: Any = None, _instances: Any = None) -> None:
    """Before each flush: creators of watchable objects start watching them.

    It reads the audit events the flush is about to write (every domain records one
    when it creates or deletes a shared object), so no domain needs code for it. Only
    events that name the object by its numeric id count: that is how watches and the
    discussion panel name objects.
    """
    wanted = [
        e
        for e in session.new
        if isinstance(e, Event)
        and e.action in ("created", "deleted")
        and e.object_type in WATCHABLE_TYPES
        and str(e.object_id).isdigit()
    ]
    if wanted:
        with session.no_autoflush:
            _watch_changes(session, wanted)


event.listen(Session, "before_flush", auto_watch)
