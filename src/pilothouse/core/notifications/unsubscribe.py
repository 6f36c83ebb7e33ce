"""Unsubscribing from an e-mail's link: no sign-in, one kind (or the digest) switched off."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from pilothouse.core.errors import NotFound
from pilothouse.core.models import User
from pilothouse.core.notifications.mailer import DIGEST_KIND
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import (
    choices_for,
    kind_label,
    read_unsubscribe_token,
    set_delivery,
)

__all__ = ["Unsubscription", "read_unsubscription", "unsubscribe"]


@dataclass(frozen=True)
class Unsubscription:
    """Whose e-mail a link stops, and which (for the confirmation page)."""

    user_id: int
    email: str
    kind: str
    label: str


def read_unsubscription(session: Session, secret_key: str, token: str) -> Unsubscription:
    """What ``token`` would switch off; raises when forged or the person is gone."""
    user_id, kind = read_unsubscribe_token(secret_key, token)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("the person this link was made for no longer exists")
    label = "the daily digest" if kind == DIGEST_KIND else kind_label(kind)
    return Unsubscription(user.id, user.email, kind, label)


def unsubscribe(session: Session, secret_key: str, token: str) -> Unsubscription:
    """Switch off the e-mail a token names; the digest token switches off every digest kind."""
    found = read_unsubscription(session, secret_key, token)
    if found.kind == DIGEST_KIND:
        for choice in choices_for(session, found.user_id):
            if choice.delivery is Delivery.digest:
                set_delivery(session, found.user_id, choice.kind, Delivery.off)
    else:
        set_delivery(session, found.user_id, found.kind, Delivery.off)
    return found
