"""Signed tokens of the public changelog: the subscribe form, confirmation and unsubscribe links.

People who follow these links have no account, so each token carries its own proof:
an HMAC keyed with the installation's secret key and a *purpose*, so a token made for
one job (unsubscribing) can never do another (confirming). The confirmation link
holds the address itself: until it is followed nothing is stored anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from pilothouse.core.errors import BadRequest, FieldError

__all__ = [
    "CONFIRM_MAX_AGE_SECONDS",
    "address_digest",
    "form_token",
    "make_token",
    "read_token",
    "valid_form_token",
]

#: A confirmation link works for a week; an unsubscribe link forever.
CONFIRM_MAX_AGE_SECONDS = 7 * 24 * 3600
FORM_TOKEN_DAYS = 2


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret_key: str, purpose: str, body: str) -> str:
    key = f"pilothouse.changelog.{purpose}.v1:".encode()
    return _b64(hmac.new(secret_key.encode(), key + body.encode(), hashlib.sha256).digest()[:20])


def make_token(secret_key: str, purpose: str, email: str, now: float | None = None) -> str:
    """``email`` and the issue time, signed for ``purpose``."""
    issued = int(time.time() if now is None else now)
    body = _b64(json.dumps([email, issued], separators=(",", ":")).encode())
    return f"{body}.{_mac(secret_key, purpose, body)}"


def read_token(secret_key: str, purpose: str, token: str, max_age: int | None = None) -> str:
    """The address a token was made for; 400 naming ``token`` when forged or expired."""
    body, _, mac = token.partition(".")
    if not body or not hmac.compare_digest(mac.encode(), _mac(secret_key, purpose, body).encode()):
        raise BadRequest(
            "this link is not valid (was it copied in full?)",
            errors=[FieldError("token", "invalid signature")],
        )
    try:
        email, issued = json.loads(_unb64(body))
    except (ValueError, TypeError) as exc:
        raise BadRequest("this link is not valid", errors=[FieldError("token", "bad")]) from exc
    if max_age is not None and time.time() - int(issued) > max_age:
        raise BadRequest(
            "this confirmation link has expired; subscribe again",
            errors=[FieldError("token", "expired")],
        )
    return str(email)


def form_token(secret_key: str, day: int | None = None) -> str:
    """The subscribe form's token: signed, per day, the same for every reader (so the
    public page stays cacheable). It proves the post came from our form, not a bare
    cross-site POST; the double opt-in does the rest."""
    day = int(time.time() // 86400) if day is None else day
    return f"{day}.{_mac(secret_key, 'form', str(day))}"


def valid_form_token(secret_key: str, token: str) -> bool:
    day, _, _mac_part = token.partition(".")
    today = int(time.time() // 86400)
    if not day.isdigit() or not 0 <= today - int(day) < FORM_TOKEN_DAYS:
        return False
    return hmac.compare_digest(token.encode(), form_token(secret_key, int(day)).encode())


def address_digest(secret_key: str, email: str) -> str:
    """A keyed hash of an address for the audit log: the same address gives the same
    digest (so an auditor can follow one subscription), but the log never holds it."""
    return hmac.new(secret_key.encode(), email.encode(), hashlib.sha256).hexdigest()[:16]
