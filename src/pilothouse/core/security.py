"""Password hashing and secret-token primitives.

Passwords are hashed with Argon2id. Random secrets (API tokens, session ids) have
enough entropy that a slow hash buys nothing, so they are stored as an HMAC-SHA256
keyed with the installation's secret key: a copy of the database alone is not
enough to check a guessed token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordPolicy", "SecretHasher", "new_secret"]

API_TOKEN_PREFIX = "ph_"


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    """A URL-safe random secret with ``nbytes`` of entropy and an optional readable prefix."""
    return prefix + secrets.token_urlsafe(nbytes)


@dataclass(frozen=True)
class SecretHasher:
    """Keyed hashing of high-entropy secrets and constant-time comparison."""

    key: str

    def digest(self, secret: str) -> str:
        return hmac.new(self.key.encode(), secret.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def same(a: str, b: str) -> bool:
        return hmac.compare_digest(a.encode(), b.encode())


class PasswordPolicy:
    """Hashes and checks passwords with Argon2id, and enforces the minimum length."""

    def __init__(self, *, min_length: int, time_cost: int, memory_kib: int) -> None:
        self.min_length = min_length
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)

    @cached_property
    def _dummy_hash(self) -> str:
        """Verifying against this makes a sign-in for an unknown e-mail take as long as
        one for a known e-mail, so timing does not reveal who has an account."""
        return self._hasher.hash(secrets.token_hex(16))

    def problem(self, password: str) -> str | None:
        """Why ``password`` is not acceptable, or ``None`` when it is."""
        if len(password) < self.min_length:
            return f"must be at least {self.min_length} characters"
        if password.strip() != password:
            return "must not start or end with white space"
        return None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; always spends one hash computation."""
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and bool(
                password_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
