"""E-mail subscribers of the public changelog: double opt-in, one-click unsubscribe.

Subscribing stores nothing: it sends a confirmation e-mail whose signed link carries
the address. Following it stores the address (with when, and where from); only
stored addresses get release notes. Unsubscribing deletes the row. The audit log
records each step under a keyed hash of the address, never the address itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core import ratelimit
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import FieldError, TooManyRequests, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.launches.public_changelog import require_enabled
from pilothouse.launches.subscriber_models import ChangelogSubscriber
from pilothouse.launches.subscriber_tokens import (
    CONFIRM_MAX_AGE_SECONDS,
    address_digest,
    read_token,
)

__all__ = [
    "OBJECT_TYPE",
    "PUBLIC_ACTOR",
    "RateLimiter",
    "confirm",
    "confirmed_addresses",
    "count_subscribers",
    "is_subscribed",
    "list_subscribers",
    "normalise_email",
    "record_step",
    "unsubscribe",
]

OBJECT_TYPE = "changelog_subscriber"
#: Who acts when an anonymous reader subscribes or unsubscribes.
PUBLIC_ACTOR = Actor(None, "public:changelog", Role.viewer)
MAX_EMAIL = 320
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")


def normalise_email(raw: str) -> str:
    """A plausible single address, domain in lower case; 422 naming ``email`` otherwise."""
    email = (raw or "").strip()
    if not email:
        raise ValidationFailed("enter an e-mail address", errors=[FieldError("email", "required")])
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise ValidationFailed(
            f"{email[:80]!r} is not an e-mail address",
            errors=[FieldError("email", "not an e-mail address")],
        )
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class RateLimiter:
    """At most ``per_address`` confirmation mails per address and ``per_client`` per
    client address within ``window`` seconds, enough to stop someone using the form
    to flood one inbox. Counted in the app database (:func:`ratelimit.take_slot`), so
    several web workers share one budget; a mail that fails to send is not counted."""

    per_address: int = 3
    per_client: int = 10
    window: float = 3600.0

    def check(self, session: Session, email: str, client: str) -> None:
        window = timedelta(seconds=self.window)
        if not ratelimit.take_slot(
            session, f"subscribe-client:{client}", limit=self.per_client, window=window
        ) or not ratelimit.take_slot(
            session, f"subscribe-mail:{email}", limit=self.per_address, window=window
        ):
            raise TooManyRequests(
                "too many subscription requests; try again in an hour",
                retry_after_seconds=int(self.window),
            )


def is_subscribed(session: Session, email: str) -> bool:
    found = session.scalar(select(ChangelogSubscriber.id).where(ChangelogSubscriber.email == email))
    return found is not None


def record_step(session: Session, secret_key: str, email: str, step: str, action: Action) -> None:
    """Audit one subscription step under the address's keyed hash."""
    digest = address_digest(secret_key, email)
    record_change(
        session,
        PUBLIC_ACTOR,
        object_type=OBJECT_TYPE,
        object_id=digest,
        action=action,
        label=f"changelog subscriber {digest}",
        before={"subscribed": action is Action.deleted},
        after={"subscribed": action is Action.created, "step": step},
        name=f"{OBJECT_TYPE}.{step}",
    )


def confirm(session: Session, secret_key: str, token: str, source: str = "public form") -> str:
    """Store the address of a valid confirmation link (idempotent); returns it."""
    require_enabled(session)
    email = read_token(secret_key, "confirm", token, max_age=CONFIRM_MAX_AGE_SECONDS)
    if not is_subscribed(session, email):
        session.add(ChangelogSubscriber(email=email, confirmed_at=utcnow(), source=source[:40]))
        session.flush()
        record_step(session, secret_key, email, "confirmed", Action.created)
    return email


def unsubscribe(session: Session, secret_key: str, token: str) -> str:
    """Delete the address an unsubscribe link names (works even when the page is off)."""
    email = read_token(secret_key, "unsubscribe", token)
    row = session.scalar(select(ChangelogSubscriber).where(ChangelogSubscriber.email == email))
    if row is not None:
        session.delete(row)
        session.flush()
        record_step(session, secret_key, email, "unsubscribed", Action.deleted)
    return email


def confirmed_addresses(session: Session) -> list[str]:
    return list(session.scalars(select(ChangelogSubscriber.email).order_by(ChangelogSubscriber.id)))


def count_subscribers(session: Session) -> int:
    return int(session.scalar(select(func.count(ChangelogSubscriber.id))) or 0)


def list_subscribers(session: Session, actor: Actor) -> list[ChangelogSubscriber]:
    """Every confirmed subscriber, newest first (admins only: addresses are personal data)."""
    actor.require(Role.admin)
    query = select(ChangelogSubscriber).order_by(
        ChangelogSubscriber.confirmed_at.desc(), ChangelogSubscriber.id.desc()
    )
    return list(session.scalars(query))
