"""Rate limits that every web worker agrees on: hits are counted in the app database.

Several stateless web workers serve one installation, so a counter held in one
process would let a client get ``workers × limit`` through. The hits are rows of
the attempt log (the ``login_attempts`` table that sign-in already uses), keyed by
a *subject* in its ``email`` column:

- ``api-token``: a request with an unknown, revoked or expired API token or event
  write key, with the client address. Past ``api_token_max_failures_per_ip`` within
  ``login_failure_window_minutes`` that address gets 429 for any token, checked
  before the token is looked up, until the oldest counted failure leaves the window.
- ``slot:<name>``: one use of a limited action counted in the caller's own
  transaction (:func:`take_slot`), such as the public changelog's subscribe form.
- ``ingest:<digest>``: one tracking call made with a write key (a prefix of the key's
  keyed hash, never the key). Past ``ingest_max_requests_per_minute`` in the last
  60 seconds the key's calls get 429. The hit is inserted by one conditional
  statement (:func:`admit_ingest_call`); rows older than the window are deleted now
  and then, and never counted.

Subjects are not e-mail addresses (no ``@``), so they never collide with sign-ins;
the sign-in lock per address counts only sign-in failures. Each check runs in its
own short transaction, committed at once, so that a refused request's rollback
does not forget the hit. The sliding-window log is exact (no burst at a window
edge) and costs one indexed insert and count per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, bindparam, delete, func, insert, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from pilothouse.core.config import Settings
from pilothouse.core.db import UTCDateTime, utcnow
from pilothouse.core.errors import TooManyRequests
from pilothouse.core.models import LoginAttempt

if TYPE_CHECKING:
    from pilothouse.core.runtime import Runtime

__all__ = [
    "INGEST_WINDOW",
    "TOKEN_SUBJECT",
    "admit_ingest_call",
    "check_token_failures",
    "is_rate_limit_subject",
    "take_slot",
    "token_failure_record",
]

TOKEN_SUBJECT = "api-token"
INGEST_PREFIX = "ingest:"
INGEST_WINDOW = timedelta(seconds=60)
SLOT_PREFIX = "slot:"


def is_rate_limit_subject(email: str) -> bool:
    """Whether an attempt-log row belongs to a rate limit rather than to a sign-in."""
    return email == TOKEN_SUBJECT or email.startswith((INGEST_PREFIX, SLOT_PREFIX))


def take_slot(session: Session, subject: str, *, limit: int, window: timedelta) -> bool:
    """Count one use of ``subject`` in ``session``'s transaction; False when it is full.

    For limits whose hits should count only when the work succeeds (the caller's
    transaction commits them). Rows of ``subject`` older than ``window`` are deleted.
    """
    key = (SLOT_PREFIX + subject)[:320]
    now = utcnow()
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.email == key, LoginAttempt.attempted_at < now - window
        )
    )
    used = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == key)
    )
    if (used or 0) >= limit:
        return False
    session.add(LoginAttempt(email=key, client_address="-", succeeded=True, attempted_at=now))
    return True


def _hits(
    session: Session | Connection, subject: str, since: datetime, address: str | None = None
) -> list[datetime]:
    query = select(LoginAttempt.attempted_at).where(
        LoginAttempt.email == subject, LoginAttempt.attempted_at >= since
    )
    if address is not None:
        query = query.where(LoginAttempt.client_address == address)
    return list(session.scalars(query.order_by(LoginAttempt.attempted_at)))


def _retry_after(oldest: datetime, window: timedelta, now: datetime) -> int:
    """Seconds until the oldest counted hit leaves the window (at least one)."""
    return max(1, int((oldest + window - now).total_seconds()) + 1)


def check_token_failures(session: Session | Connection, settings: Settings, address: str) -> None:
    """Raise 429 when ``address`` sent too many bad API tokens or write keys recently."""
    window = timedelta(minutes=settings.login_failure_window_minutes)
    now = utcnow()
    hits = _hits(session, TOKEN_SUBJECT, now - window, address)
    limit = settings.api_token_max_failures_per_ip
    if len(hits) >= limit:
        raise TooManyRequests(
            f"too many requests with an invalid API token or write key from your address "
            f"({len(hits)} within {settings.login_failure_window_minutes} minutes); "
            "try again later",
            retry_after_seconds=_retry_after(hits[-limit], window, now),
        )


#: How many bad tokens an address sent within the window, as a column to read along with
#: the token itself (one statement per token request instead of two); a count at the
#: limit is then checked by :func:`check_token_failures`. Built once, with its
#: parameters (:func:`token_failures_params`) bound at each use: building a statement
#: and its cache key cost more than running it.
TOKEN_FAILURES_COUNTED = (
    select(func.count())
    .select_from(LoginAttempt)
    .where(
        LoginAttempt.email == TOKEN_SUBJECT,
        LoginAttempt.attempted_at >= bindparam("failures_since"),
        LoginAttempt.client_address == bindparam("failures_address"),
    )
    .scalar_subquery()
)


def token_failures_params(settings: Settings, address: str) -> dict[str, Any]:
    """The parameters of :data:`TOKEN_FAILURES_COUNTED` for ``address`` now."""
    since = utcnow() - timedelta(minutes=settings.login_failure_window_minutes)
    return {"failures_since": since, "failures_address": address}


def token_failure_record(address: str) -> Callable[[Session], None]:
    """The ``record`` of a refused token: one attempt-log row, kept after the rollback."""

    def record(session: Session) -> None:
        session.add(LoginAttempt(email=TOKEN_SUBJECT, client_address=address[:64], succeeded=False))

    return record


def admit_ingest_call(runtime: Runtime, key_digest: str, address: str) -> None:
    """Count one tracking call for a write key, or raise 429 when it is over a limit.

    Runs in its own transaction before the call's own work starts, so the count
    holds whatever the call's outcome. The address's bad-key limit is checked first.
    A refused call is not counted, so a client that keeps retrying gets through again
    as soon as the window allows.

    An admitted call costs one statement: the hit is inserted only if both windows
    (the key's calls in the last minute, the address's bad keys) are under their
    limits, counted with the ``(email, attempted_at)`` index; the details are read
    only for a refusal. Rows that left the window are deleted at most once a minute
    per key and process (:func:`_purge_due`); they are never counted meanwhile.
    """
    settings = runtime.settings
    subject = INGEST_PREFIX + key_digest[:32]
    limit = settings.ingest_max_requests_per_minute
    now = utcnow()
    # A plain connection, not an ORM session: this runs before every tracking call.
    with runtime.database.engine.begin() as session:
        if not _insert_if_admitted(session, settings, subject, address, now):
            check_token_failures(session, settings, address)
            oldest = _hits(session, subject, now - INGEST_WINDOW)[-limit]
            raise TooManyRequests(
                f"this write key made more than {limit} tracking calls in the last minute "
                "(PILOTHOUSE_INGEST_MAX_REQUESTS_PER_MINUTE); retry after the Retry-After delay",
                retry_after_seconds=_retry_after(oldest, INGEST_WINDOW, now),
            )
        if _purge_due(subject):
            session.execute(
                delete(LoginAttempt).where(
                    LoginAttempt.email == subject, LoginAttempt.attempted_at < now - INGEST_WINDOW
                )
            )


#: A key's tracking calls since ``calls_since``, counted with the ``(email,
#: attempted_at)`` index.
_CALLS_IN_WINDOW = (
    select(func.count())
    .where(
        LoginAttempt.email == bindparam("calls_subject"),
        LoginAttempt.attempted_at >= bindparam("calls_since"),
    )
    .scalar_subquery()
)
#: The call's hit, inserted only while the key's calls and the address's bad keys are
#: under their limits (built once: it runs before every tracking call).
_ADMIT_CALL = (
    insert(LoginAttempt)
    .from_select(
        ["email", "client_address", "succeeded", "attempted_at"],
        select(
            bindparam("calls_subject", type_=String),
            bindparam("hit_address", type_=String),
            true(),
            bindparam("hit_at", type_=UTCDateTime),
        ).where(
            _CALLS_IN_WINDOW < bindparam("calls_limit"),
            TOKEN_FAILURES_COUNTED < bindparam("failures_limit"),
        ),
    )
    .returning(LoginAttempt.id)
)


def _insert_if_admitted(
    session: Connection, settings: Settings, subject: str, address: str, now: datetime
) -> bool:
    """Insert the call's hit when the key and the address are under their limits.

    One ``INSERT ... SELECT ... WHERE``: on SQLite the write transaction makes count and
    insert atomic; on PostgreSQL concurrent calls can overshoot by the calls in flight,
    as a separate count and insert could.
    """
    params = {
        "calls_subject": subject,
        "hit_address": address[:64],
        "hit_at": now,
        "calls_since": now - INGEST_WINDOW,
        "calls_limit": settings.ingest_max_requests_per_minute,
        "failures_since": now - timedelta(minutes=settings.login_failure_window_minutes),
        "failures_address": address,
        "failures_limit": settings.api_token_max_failures_per_ip,
    }
    return session.execute(_ADMIT_CALL, params).first() is not None  # rowcount: -1 on psycopg


#: When this process last deleted a key's old hits (time.monotonic()), per subject.
_PURGED_AT: dict[str, float] = {}


def _purge_due(subject: str) -> bool:
    """Whether this process should delete ``subject``'s hits older than the window now.

    Kept per process on purpose: it only decides when to tidy up (rows outside the
    window are never counted), so workers that disagree cost at most one extra delete
    each per minute and key.
    """
    now = time.monotonic()
    last = _PURGED_AT.get(subject)
    if last is not None and now - last < INGEST_WINDOW.total_seconds():
        return False
    if len(_PURGED_AT) >= 10_000:
        _PURGED_AT.clear()
    _PURGED_AT[subject] = now
    return True
