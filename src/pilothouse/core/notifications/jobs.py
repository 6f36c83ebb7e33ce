"""Jobs that send notification e-mail: one message now, or the daily digest.

Sending runs as a job so that a slow or unreachable SMTP server never holds up a
request; each job tries ``smtp_max_attempts`` times before it is marked failed
(and can then be retried from the jobs page). A notification is marked sent only
after the server accepted the message, and a job finds nothing to send when its
notifications were sent already.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pilothouse.core.db import utcnow
from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.models import User
from pilothouse.core.notifications.mailer import build_message, deliver
from pilothouse.core.notifications.models import EmailState, Notification
from pilothouse.core.notifications.outbox import queue_job
from pilothouse.core.notifications.service import SEND_EMAIL_JOB, present
from pilothouse.core.runtime import Runtime

__all__ = ["DAILY_DIGEST_JOB", "daily_digest_job", "send_daily_digests", "send_email_job"]

DAILY_DIGEST_JOB = "notifications.daily_digest"
_WAITING = (EmailState.queued, EmailState.digest)


def _compose(
    session: Session, runtime: Runtime, ids: list[int], digest: bool
) -> tuple[EmailMessage | None, list[int], str]:
    rows = session.scalars(
        select(Notification)
        .where(Notification.id.in_(ids), Notification.email_state.in_(_WAITING))
        .order_by(Notification.id)
    ).all()
    if not rows:
        return None, [], "already sent"
    recipient = session.get(User, rows[0].recipient_id)
    if recipient is None or not recipient.is_active:
        for row in rows:
            row.email_state = EmailState.none
        return None, [], "recipient cannot sign in any more"
    message = build_message(
        runtime.settings,
        to_address=recipient.email,
        to_name=recipient.name,
        user_id=recipient.id,
        views=present(session, rows, runtime),
        digest=digest,
    )
    return message, [r.id for r in rows], recipient.email


@job_handler(SEND_EMAIL_JOB, title="Send a notification e-mail")
def send_email_job(ctx: JobContext) -> dict[str, Any]:
    """Send one notification (or one digest) e-mail through SMTP, with retries"""
    ids = [int(i) for i in ctx.payload.get("notification_ids", [])]
    digest = bool(ctx.payload.get("digest", False))
    runtime = ctx.runtime
    with runtime.database.session() as session:
        message, sent_ids, detail = _compose(session, runtime, ids, digest)
    if message is None:
        return {"sent": 0, "reason": detail}
    attempt = deliver(
        runtime.settings,
        message,
        on_attempt=lambda n, total: ctx.progress(n - 1, total, f"try {n} of {total}"),
    )
    with runtime.database.session() as session:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(sent_ids))
            .values(email_state=EmailState.sent, emailed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return {"sent": 1, "to": detail, "notifications": len(sent_ids), "attempt": attempt}


def send_daily_digests(runtime: Runtime, now: datetime | None = None) -> dict[str, int]:
    """Queue one digest e-mail per person with notifications waiting for the digest.

    Everything created up to ``now`` that waits for the digest goes into it; those
    notifications move to ``queued`` in the same transaction, so running this twice
    never sends anything twice. The daily scheduler calls this; so does
    ``pilothouse notifications digest --now``.

    Returns:
        ``{"recipients": n, "notifications": m}``.
    """
    now = now or utcnow()
    with runtime.database.session() as session:
        rows = session.execute(
            select(Notification.id, Notification.recipient_id)
            .where(Notification.email_state == EmailState.digest, Notification.created_at <= now)
            .order_by(Notification.id)
        ).all()
        per_person: dict[int, list[int]] = defaultdict(list)
        for notification_id, recipient_id in rows:
            per_person[recipient_id].append(notification_id)
        for recipient_id, ids in per_person.items():
            session.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(email_state=EmailState.queued)
                .execution_options(synchronize_session=False)
            )
            payload = {"notification_ids": ids, "digest": True}
            queue_job(session, SEND_EMAIL_JOB, payload, f"Daily digest for user {recipient_id}")
    return {"recipients": len(per_person), "notifications": len(rows)}


@job_handler(DAILY_DIGEST_JOB, title="Send the daily notification digests")
def daily_digest_job(ctx: JobContext) -> dict[str, Any]:
    """Queue the daily digest e-mails"""
    return dict(send_daily_digests(ctx.runtime))
