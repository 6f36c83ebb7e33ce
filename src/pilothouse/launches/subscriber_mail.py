"""The public changelog's e-mail: the confirmation mail, and the release notes to subscribers.

Both go through core's SMTP sender (``core.notifications.mailer``). The confirmation
mail is sent within the request, because queuing it as a job would store the
not-yet-confirmed address in the job log; release notes go as a job
(:data:`CHANGELOG_MAIL_JOB`, queued in the publishing transaction) whose payload is
only the launch key. Every notes mail carries a one-click unsubscribe link in its
text and as RFC 8058 ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from markupsafe import escape
from sqlalchemy.orm import Session

from pilothouse.core.audit import Action
from pilothouse.core.config import Settings
from pilothouse.core.errors import Conflict, FieldError
from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.notifications.mailer import (
    EmailNotConfigured,
    deliver,
    envelope,
    send_message,
)
from pilothouse.core.notifications.outbox import queue_job
from pilothouse.launches import public_changelog as public
from pilothouse.launches import subscribers
from pilothouse.launches.models import Launch
from pilothouse.launches.subscriber_tokens import make_token

__all__ = [
    "CHANGELOG_MAIL_JOB",
    "changelog_mail_job",
    "confirmation_message",
    "notes_message",
    "queue_release_mail",
    "request_subscription",
]

CHANGELOG_MAIL_JOB = "launches.changelog_mail"
logger = logging.getLogger("pilothouse.launches")


def _message(settings: Settings, to: str, subject: str, text: str, html: str) -> EmailMessage:
    message = envelope(settings, to, subject)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def confirmation_message(settings: Settings, email: str, product: str) -> EmailMessage:
    base = settings.effective_public_url
    token = make_token(settings.resolved_secret_key(), "confirm", email)
    url = f"{base}/public/changelog/confirm/{token}"
    text = (
        f"Someone (we hope you) asked to receive the release notes of {product} by e-mail.\n\n"
        f"Confirm your subscription: {url}\n\n"
        "If it was not you, ignore this message: without confirmation you get nothing more."
    )
    html = (
        f"<p>Someone (we hope you) asked to receive the release notes of {escape(product)} by "
        f'e-mail.</p><p><a href="{escape(url)}">Confirm your subscription</a></p>'
        "<p>If it was not you, ignore this message: without confirmation you get nothing more.</p>"
    )
    return _message(settings, email, f"Confirm your subscription to {product}", text, html)


def request_subscription(
    session: Session, settings: Settings, limiter: subscribers.RateLimiter, raw: str, client: str
) -> str:
    """Validate, rate-limit, and send a confirmation mail (nothing is stored).

    An address that is already subscribed gets no second mail, and the answer is the
    same, so the form does not reveal who subscribed."""
    public.require_enabled(session)
    email = subscribers.normalise_email(raw)
    limiter.check(session, email, client)
    secret = settings.resolved_secret_key()
    if subscribers.is_subscribed(session, email):
        return email
    message = confirmation_message(settings, email, public.title(session))
    try:
        send_message(settings, message)
    except (EmailNotConfigured, smtplib.SMTPException, OSError) as exc:
        logger.warning("changelog confirmation mail not sent: %s", exc)
        raise Conflict(
            "the confirmation e-mail could not be sent; please try again later",
            errors=[FieldError("email", "could not send")],
        ) from exc
    subscribers.record_step(session, secret, email, "requested", Action.updated)
    return email


def notes_message(
    settings: Settings, email: str, product: str, entry: public.PublicEntry, markdown: str
) -> EmailMessage:
    """One subscriber's copy of one launch's notes, with its own unsubscribe link."""
    base = settings.effective_public_url
    token = make_token(settings.resolved_secret_key(), "unsubscribe", email)
    unsubscribe_url = f"{base}/public/changelog/unsubscribe/{token}"
    page = base + entry.path
    text = f"{markdown}\n\nOn the web: {page}\n\nUnsubscribe: {unsubscribe_url}\n"
    html = (
        f'{entry.html}<p><a href="{escape(page)}">Read it on the web</a></p>'
        f'<p><small><a href="{escape(unsubscribe_url)}">Unsubscribe</a> from the release '
        f"notes of {escape(product)}.</small></p>"
    )
    message = _message(settings, email, f"{product}: {entry.name}", text, html)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def queue_release_mail(session: Session, launch: Launch) -> int | None:
    """Queue the notes mail of ``launch`` (in the publishing transaction) when the public
    changelog is on and someone subscribed; returns the job id."""
    if not public.is_enabled(session) or subscribers.count_subscribers(session) == 0:
        return None
    payload = {"launch_key": launch.key}
    return queue_job(
        session, CHANGELOG_MAIL_JOB, payload, f"Release notes of {launch.key} by e-mail"
    )


def _send_all(ctx: JobContext, messages: list[EmailMessage]) -> dict[str, int]:
    sent = failed = 0
    for number, message in enumerate(messages):
        ctx.progress(number, len(messages), f"{number} of {len(messages)} sent")
        try:
            deliver(ctx.runtime.settings, message)
            sent += 1
        except (smtplib.SMTPException, OSError) as exc:
            failed += 1
            logger.warning("changelog mail %d of %d failed: %s", number + 1, len(messages), exc)
    return {"sent": sent, "failed": failed}


@job_handler(CHANGELOG_MAIL_JOB, title="E-mail release notes to changelog subscribers")
def changelog_mail_job(ctx: JobContext) -> dict[str, Any]:
    """Send a launch's published notes to every confirmed subscriber, one message each"""
    key = str(ctx.payload.get("launch_key", ""))
    settings = ctx.runtime.settings
    with ctx.runtime.database.session() as session:
        if not public.is_enabled(session):
            return {"sent": 0, "reason": "the public changelog was turned off"}
        entry = public.public_entry(session, key)
        markdown = public.published_markdown_of(session, key)
        product = public.title(session)
        addresses = subscribers.confirmed_addresses(session)
    messages = [notes_message(settings, a, product, entry, markdown) for a in addresses]
    return {"launch": key, **_send_all(ctx, messages)}
