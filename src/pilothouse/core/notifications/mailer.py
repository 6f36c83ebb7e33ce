"""Notification e-mails: built from templates (HTML and plain text), sent through SMTP.

Each message carries an unsubscribe link (a signed token, no sign-in needed) in its
footer and as RFC 8058 one-click ``List-Unsubscribe`` / ``List-Unsubscribe-Post``
headers, so mail clients can offer "unsubscribe" themselves.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pilothouse.core.config import Settings
from pilothouse.core.notifications.markdown import render_markdown
from pilothouse.core.notifications.preferences import kind_label, unsubscribe_token
from pilothouse.core.notifications.service import NotificationView

__all__ = [
    "DIGEST_KIND",
    "EmailNotConfigured",
    "build_message",
    "deliver",
    "envelope",
    "is_permanent",
    "send_message",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The unsubscribe "kind" of a digest: it turns off every kind that goes to the digest.
DIGEST_KIND = "*digest"


class EmailNotConfigured(RuntimeError):
    """No SMTP server is set (``PILOTHOUSE_SMTP_HOST``)."""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown
    return env


def _absolute(base: str, url: str | None) -> str | None:
    if not url:
        return None
    return url if url.startswith(("http://", "https://")) else base + url


def _items(base: str, views: Sequence[NotificationView]) -> list[dict[str, Any]]:
    return [
        {
            "title": v.title,
            "body": v.body,
            "url": _absolute(base, v.url),
            "object": v.reference.label if v.reference is not None else None,
            "kind": kind_label(v.kind),
            "created_at": v.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
        for v in views
    ]


def _context(
    settings: Settings, user_id: int, name: str, views: Sequence[NotificationView], digest: bool
) -> dict[str, Any]:
    base = settings.effective_public_url
    kind = DIGEST_KIND if digest else views[0].kind
    token = unsubscribe_token(settings.resolved_secret_key(), user_id, kind)
    return {
        "name": name,
        "items": _items(base, views),
        "digest": digest,
        "kind_label": "the daily digest" if digest else kind_label(kind),
        "unsubscribe_url": f"{base}/notifications/unsubscribe/{token}",
        "preferences_url": f"{base}/account/notifications",
        "notifications_url": f"{base}/notifications",
    }


def _subject(views: Sequence[NotificationView], digest: bool) -> str:
    if not digest:
        return views[0].title[:250]
    count = len(views)
    return f"Pilothouse daily digest: {count} notification{'s' if count != 1 else ''}"


def build_message(
    settings: Settings,
    *,
    to_address: str,
    to_name: str,
    user_id: int,
    views: Sequence[NotificationView],
    digest: bool,
) -> EmailMessage:
    """One e-mail for one person: a single notification, or the digest of several."""
    context = _context(settings, user_id, to_name, views, digest)
    env = _environment()
    to = formataddr((to_name, to_address))
    message = envelope(settings, to, _subject(views, digest), context["unsubscribe_url"])
    message.set_content(env.get_template("email/notification.txt").render(context))
    html = env.get_template("email/notification.html").render(context)
    message.add_alternative(html, subtype="html")
    return message


def envelope(
    settings: Settings, to: str, subject: str, unsubscribe_url: str | None = None
) -> EmailMessage:
    """The headers every Pilothouse e-mail carries: sender, date, a message id in the
    sender's domain, ``Auto-Submitted`` (no auto-replies), and, for mail people can turn
    off, RFC 8058 one-click unsubscribe headers. The caller adds the body."""
    message = EmailMessage()
    message["Subject"] = subject[:250]
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(
        domain=parseaddr(settings.smtp_from)[1].partition("@")[2] or None
    )
    if unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    return message


def send_message(settings: Settings, message: EmailMessage) -> None:
    """Send one message through the configured SMTP server (one connection)."""
    if not settings.smtp_host:
        raise EmailNotConfigured("no SMTP server is set (PILOTHOUSE_SMTP_HOST)")
    timeout = settings.smtp_timeout_seconds
    client: smtplib.SMTP
    if settings.smtp_security == "tls":
        context = ssl.create_default_context()
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_username, password)
        client.send_message(message)


def is_permanent(exc: Exception) -> bool:
    """A 5xx answer (bad address, refused sender) will not improve by trying again."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        return bool(codes) and all(c >= 500 for c in codes)
    return isinstance(code, int) and code >= 500


def deliver(
    settings: Settings,
    message: EmailMessage,
    *,
    on_attempt: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send ``message``, trying up to ``smtp_max_attempts`` times with doubling waits.

    Returns the attempt that succeeded; raises the last error when none did.
    """
    attempts = settings.smtp_max_attempts
    for attempt in range(1, attempts + 1):
        if on_attempt is not None:
            on_attempt(attempt, attempts)
        try:
            send_message(settings, message)
            return attempt
        except (smtplib.SMTPException, OSError) as exc:
            if attempt == attempts or is_permanent(exc):
                raise
            sleep(settings.smtp_retry_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
