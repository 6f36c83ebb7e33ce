"""Notifying people: the in-app message, and the e-mail their preferences ask for.

:func:`notify` is what every caller uses (comments, watching, the automation rules'
"notify users or a role" action). It works inside the caller's transaction and
never commits: notifications, and the e-mail jobs they need, exist exactly when the
caller's change does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pilothouse.core.db import utcnow
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role, User
from pilothouse.core.notifications.markdown import render_markdown
from pilothouse.core.notifications.models import Delivery, EmailState, Notification
from pilothouse.core.notifications.outbox import queue_job, runtime_of
from pilothouse.core.notifications.preferences import delivery_for
from pilothouse.core.pagination import Page, PageRequest, paginate

__all__ = [
    "SEND_EMAIL_JOB",
    "NotificationView",
    "inbox",
    "list_notifications",
    "mark_all_read",
    "mark_read",
    "notify",
    "present",
    "resolve_refs",
    "safe_url",
    "unread_count",
    "users_with_role",
]

logger = logging.getLogger("pilothouse.notifications")
SEND_EMAIL_JOB = "notifications.send_email"
MAX_TITLE = 300
#: Unread notifications the page shows at most (older unread ones stay countable).
INBOX_UNREAD_LIMIT = 200


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a path on this site or an http(s) address; otherwise ``None``.

    Links in notifications come from callers (and from the page a comment was made
    on); a ``javascript:`` or protocol-relative ``//host`` address must never reach a page.
    """
    if not url:
        return None
    url = url.strip()
    if url.startswith("/") and not url.startswith(("//", "/\\")):
        return url[:500]
    if url.startswith(("https://", "http://")) and len(url) <= 500:
        return url
    return None


def _email_enabled(session: Session) -> bool:
    runtime = runtime_of(session)
    return runtime is not None and bool(runtime.settings.smtp_host)


def _recipients(session: Session, recipients: Sequence[int], actor_id: int | None) -> list[int]:
    """Active people among ``recipients``, each once, never the actor themself."""
    wanted = {int(r) for r in recipients if r != actor_id}
    if not wanted:
        return []
    found = session.scalars(select(User.id).where(User.id.in_(wanted), User.is_active.is_(True)))
    return sorted(found)


def _email_state(enabled: bool, delivery: Delivery) -> EmailState:
    if not enabled or delivery is Delivery.off:
        return EmailState.none
    return EmailState.queued if delivery is Delivery.immediately else EmailState.digest


def _check(kind: str, title: str) -> None:
    if not kind or len(kind) > 100:
        raise ValidationFailed("a notification needs a kind", errors=[FieldError("kind", "1–100")])
    if not title.strip():
        raise ValidationFailed("a notification needs a title", errors=[FieldError("title", "")])


def notify(
    session: Session,
    *,
    recipients: list[int],
    kind: str,
    title: str,
    body_markdown: str = "",
    ref: ObjectRef | None = None,
    url: str | None = None,
    actor_id: int | None = None,
    preference_fallback: str | None = None,
) -> int:
    """Notify ``recipients`` (user ids) in the app, and by e-mail as each of them chose.

    ``preference_fallback`` is a broader kind whose choice counts for people who made
    none for ``kind`` (automation rules notify with the event's kind, falling back to
    ``automation``).

    The actor is never notified about their own change; inactive people are skipped.
    E-mail is queued as a ``notifications.send_email`` job (handed to the job queue
    when the caller's transaction commits) or left for the daily digest.

    Returns:
        How many notifications were created.
    """
    _check(kind, title)
    ids = _recipients(session, recipients, actor_id)
    if not ids:
        return 0
    deliveries = delivery_for(session, ids, kind, preference_fallback)
    enabled = _email_enabled(session)
    template = Notification(
        kind=kind,
        title=title.strip()[:MAX_TITLE],
        body=body_markdown,
        object_type=ref.type if ref else None,
        object_id=str(ref.id) if ref else None,
        url=safe_url(url),
        actor_id=actor_id,
    )
    rows = [_copy_for(template, i, _email_state(enabled, deliveries[i])) for i in ids]
    session.add_all(rows)
    session.flush()
    _queue_emails(session, rows)
    return len(rows)


def _queue_emails(session: Session, rows: Sequence[Notification]) -> None:
    """One ``notifications.send_email`` job per notification that is e-mailed now.

    Job titles name no content: everyone signed in sees the jobs list.
    """
    for row in rows:
        if row.email_state is EmailState.queued:
            payload = {"notification_ids": [row.id], "digest": False}
            queue_job(session, SEND_EMAIL_JOB, payload, f"Notification e-mail #{row.id}")


def _copy_for(template: Notification, user_id: int, state: EmailState) -> Notification:
    """The same notification for one more person (the template itself is never added)."""
    fields = ("kind", "title", "body", "object_type", "object_id", "url", "actor_id")
    values = {name: getattr(template, name) for name in fields}
    return Notification(recipient_id=user_id, email_state=state, **values)


def users_with_role(session: Session, role: Role | str, *, or_higher: bool = False) -> list[int]:
    """Ids of active people with ``role`` (or a role above it), for "notify a role"."""
    try:
        wanted = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            f"unknown role {role!r}", errors=[FieldError("role", choices)]
        ) from None
    roles = [r for r in Role if r.allows(wanted)] if or_higher else [wanted]
    query = select(User.id).where(User.role.in_(roles), User.is_active.is_(True))
    return list(session.scalars(query.order_by(User.id)))


# --- reading and marking -------------------------------------------------------------------


def list_notifications(
    session: Session, user_id: int, page: PageRequest, *, unread: bool | None = None
) -> Page[Notification]:
    """One person's notifications, newest first, optionally only unread (or read) ones."""
    page = PageRequest(limit=page.limit, cursor=page.cursor, newest_first=True)
    query = select(Notification).where(Notification.recipient_id == user_id)
    if unread is True:
        query = query.where(Notification.read_at.is_(None))
    elif unread is False:
        query = query.where(Notification.read_at.is_not(None))
    return paginate(session, query, Notification.id, page)


def inbox(session: Session, user_id: int, *, read_limit: int = 50) -> list[Notification]:
    """The notifications page: every unread one (newest first), then recent read ones."""
    base = select(Notification).where(Notification.recipient_id == user_id)
    unread = session.scalars(
        base.where(Notification.read_at.is_(None))
        .order_by(Notification.id.desc())
        .limit(INBOX_UNREAD_LIMIT)
    ).all()
    read = session.scalars(
        base.where(Notification.read_at.is_not(None))
        .order_by(Notification.id.desc())
        .limit(read_limit)
    ).all()
    return [*unread, *read]


def unread_count(session: Session, user_id: int) -> int:
    query = select(func.count()).where(
        Notification.recipient_id == user_id, Notification.read_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the person's own notifications read (someone else's is "not found")."""
    row = session.get(Notification, notification_id)
    if row is None or row.recipient_id != user_id:
        raise NotFound(f"you have no notification {notification_id}")
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notification of the person read; returns how many changed."""
    result = session.execute(
        update(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NotificationView:
    """A notification ready to show: its object as a named link, and where it leads."""

    id: int
    kind: str
    title: str
    body: str
    url: str | None
    reference: Any  # core.references.Reference, or None
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def html(self) -> Markup:
        """The body's Markdown as safe HTML."""
        return render_markdown(self.body)


def present(
    session: Session, rows: Sequence[Notification], runtime: Any = None
) -> list[NotificationView]:
    """Resolve every notification's object to a label and link with one lookup per type."""
    refs = [ObjectRef(r.object_type, r.object_id) for r in rows if r.object_type and r.object_id]
    resolved = resolve_refs(session, refs, runtime)
    views = []
    for row in rows:
        ref = (
            ObjectRef(row.object_type, row.object_id) if row.object_type and row.object_id else None
        )
        reference = resolved.get(ref) if ref else None
        url = row.url or (reference.url if reference is not None else None)
        views.append(
            NotificationView(
                row.id, row.kind, row.title, row.body, url, reference, row.created_at, row.read_at
            )
        )
    return views


def resolve_refs(
    session: Session, refs: Sequence[ObjectRef], runtime: Any = None
) -> dict[Any, Any]:
    """References resolved by the core presenter; a failing resolver leaves them unnamed.

    A notification must not fail because another domain cannot name its object right
    now; the notification then shows its stored title and link only.
    """
    from pilothouse.core.references import resolve

    if not refs:
        return {}
    try:
        with session.begin_nested():
            return resolve(session, refs, runtime)
    except Exception:
        logger.exception("could not resolve %d reference(s)", len(refs))
        return {}
