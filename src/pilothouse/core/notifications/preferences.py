"""Per-person e-mail choices per notification kind, and the signed unsubscribe token.

Kinds are plain strings chosen by whoever notifies (``comment.mention``, an event
name such as ``launch.gate_waiting``). :data:`KNOWN_KINDS` names the built-in ones
and their default; a kind nobody listed is e-mailed immediately until the person
chooses otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.errors import BadRequest, FieldError, ValidationFailed
from pilothouse.core.notifications.models import Delivery, Notification, NotificationPreference

__all__ = [
    "KNOWN_KINDS",
    "KindChoice",
    "choices_for",
    "delivery_for",
    "kind_label",
    "read_unsubscribe_token",
    "set_delivery",
    "unsubscribe_token",
]


@dataclass(frozen=True)
class KindInfo:
    label: str
    default: Delivery


#: Built-in kinds: what people read on the preferences page, and the default delivery.
KNOWN_KINDS: dict[str, KindInfo] = {
    "comment.mention": KindInfo("Someone mentions you in a comment", Delivery.immediately),
    "comment.created": KindInfo("New comments on what you watch", Delivery.digest),
    "watch.changed": KindInfo("Changes to what you watch", Delivery.digest),
    "automation": KindInfo(
        "Messages from automation rules (each event kind below may differ)", Delivery.immediately
    ),
}
MAX_KIND_LENGTH = 100


def kind_label(kind: str) -> str:
    """A person-readable name of a kind (``launch.gate_waiting`` → "Launch: gate waiting")."""
    if kind in KNOWN_KINDS:
        return KNOWN_KINDS[kind].label
    head, _, tail = kind.partition(".")
    words = head.replace("_", " ").capitalize()
    return f"{words}: {tail.replace('_', ' ').replace('.', ' ')}" if tail else words


def _default(kind: str) -> Delivery:
    info = KNOWN_KINDS.get(kind)
    return info.default if info else Delivery.immediately


def _chosen(session: Session, ids: list[int], kind: str) -> dict[int, Delivery]:
    return dict(
        session.execute(
            select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                NotificationPreference.kind == kind, NotificationPreference.user_id.in_(ids)
            )
        ).all()
    )


def delivery_for(
    session: Session, user_ids: Iterable[int], kind: str, fallback: str | None = None
) -> dict[int, Delivery]:
    """Each person's delivery for ``kind``: their choice for it, else their choice for
    ``fallback`` (a broader kind, such as ``automation`` for an event kind), else the
    default of ``fallback`` or ``kind``."""
    ids = list(user_ids)
    chosen = _chosen(session, ids, kind)
    broader = _chosen(session, ids, fallback) if fallback else {}
    default = _default(fallback or kind)
    return {i: chosen.get(i, broader.get(i, default)) for i in ids}


@dataclass(frozen=True)
class KindChoice:
    kind: str
    label: str
    delivery: Delivery
    is_default: bool


def choices_for(session: Session, user_id: int) -> list[KindChoice]:
    """The kinds a person can choose for: built-in ones, ones they received or chose before."""
    stored = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    received = session.scalars(
        select(Notification.kind).where(Notification.recipient_id == user_id).distinct()
    )
    kinds = sorted(set(KNOWN_KINDS) | set(stored) | set(received))
    return [
        KindChoice(k, kind_label(k), stored.get(k, _default(k)), k not in stored) for k in kinds
    ]


def set_delivery(session: Session, user_id: int, kind: str, delivery: Delivery | str) -> None:
    """Store one person's choice for one kind (their own setting; not audited)."""
    if not kind or len(kind) > MAX_KIND_LENGTH:
        raise ValidationFailed("unknown kind", errors=[FieldError("kind", "1–100 characters")])
    try:
        value = Delivery(delivery)
    except ValueError:
        choices = ", ".join(d.value for d in Delivery)
        raise ValidationFailed(
            f"{delivery!r} is not a delivery", errors=[FieldError(kind, f"one of {choices}")]
        ) from None
    row = session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    if row is None:
        session.add(NotificationPreference(user_id=user_id, kind=kind, delivery=value))
    else:
        row.delivery = value
    session.flush()


# --- unsubscribe tokens --------------------------------------------------------------------

_PURPOSE = b"pilothouse.unsubscribe.v1:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret_key: str, body: str) -> str:
    digest = hmac.new(secret_key.encode(), _PURPOSE + body.encode(), hashlib.sha256).digest()
    return _b64(digest[:20])


def unsubscribe_token(secret_key: str, user_id: int, kind: str) -> str:
    """A token that lets whoever holds it turn off one kind of e-mail for one person.

    It needs no sign-in (mail clients follow it), so it carries its own proof: an
    HMAC keyed with the installation's secret key. It never expires: an old e-mail's
    link should still work, and it can do nothing but switch e-mail off.
    """
    body = _b64(json.dumps([user_id, kind], separators=(",", ":")).encode())
    return f"{body}.{_mac(secret_key, body)}"


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str]:
    """The ``(user_id, kind)`` a token was made for; raises ``BadRequest`` when forged."""
    body, _, mac = token.partition(".")
    if not body or not hmac.compare_digest(mac.encode(), _mac(secret_key, body).encode()):
        raise BadRequest("this unsubscribe link is not valid (was it copied in full?)")
    try:
        user_id, kind = json.loads(_unb64(body))
    except (ValueError, TypeError) as exc:
        raise BadRequest("this unsubscribe link is not valid") from exc
    return int(user_id), str(kind)
