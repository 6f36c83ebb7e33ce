"""Signing in with e-mail and password, guarded against guessing, and web sessions.

Failed attempts are counted per account and per client address within a window.
Past the account limit the account is locked for a while (admins see and can
lift the lock); past the address limit that address must wait. A locked account
answers like a wrong password plus a hint, so locks don't reveal which e-mails
exist any more than the sign-in form already does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import Executable

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.config import Settings
from pilothouse.core.db import Database, utcnow
from pilothouse.core.errors import TooManyRequests, Unauthorized
from pilothouse.core.models import LoginAttempt, Role, User, WebSession
from pilothouse.core.ratelimit import TOKEN_SUBJECT
from pilothouse.core.security import PasswordPolicy, SecretHasher, new_secret
from pilothouse.core.sso.policy import check_password_allowed

__all__ = [
    "LockedAccount",
    "NewSession",
    "end_session",
    "list_locked",
    "recent_failures",
    "resolve_session",
    "sign_in",
    "unlock_account",
]


@dataclass(frozen=True)
class NewSession:
    """A freshly started web session: the cookie value is only ever held here."""

    cookie_value: str
    record: WebSession


@dataclass(frozen=True)
class LockedAccount:
    email: str
    locked_until: datetime


def _failures_since(session: Session, column: object, value: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                column == value,  # type: ignore[arg-type]
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at >= since,
            )
        )
        or 0
    )


def _locked_until(
    session: Session, settings: Settings, column: object, value: str
) -> datetime | None:
    """When the lock on ``value`` (an address or an e-mail) ends, or ``None`` if unlocked.

    A lock starts at the failure that brings the count within one window to the limit,
    and lasts ``login_lockout_minutes``. Attempts made while locked are not recorded,
    so the rows read here stay few.
    """
    window = timedelta(minutes=settings.login_failure_window_minutes)
    lockout = timedelta(minutes=settings.login_lockout_minutes)
    now = utcnow()
    failures = list(
        session.scalars(
            select(LoginAttempt.attempted_at)
            .where(
                column == value,  # type: ignore[arg-type]
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at >= now - window - lockout,
                LoginAttempt.email != TOKEN_SUBJECT,  # bad API tokens have their own limit
            )
            .order_by(LoginAttempt.attempted_at)
        )
    )
    limit = (
        settings.login_max_failures_per_ip
        if column is LoginAttempt.client_address
        else settings.login_max_failures_per_account
    )
    for index in range(limit - 1, len(failures)):
        started = failures[index]
        if started - failures[index - limit + 1] <= window and started + lockout > now:
            return started + lockout
    return None


def _check_address(session: Session, settings: Settings, address: str) -> None:
    until = _locked_until(session, settings, LoginAttempt.client_address, address)
    if until is not None:
        raise TooManyRequests(
            "too many failed sign-ins from your address; try again later",
            retry_after_seconds=max(1, int((until - utcnow()).total_seconds()) + 1),
        )


def sign_in(
    session: Session,
    settings: Settings,
    passwords: PasswordPolicy,
    hasher: SecretHasher,
    *,
    email: str,
    password: str,
    client_address: str,
    user_agent: str = "",
) -> NewSession:
    """Check the credentials and start a session, or raise with the reason.

    The attempt is recorded in its own commit by the caller's session even when
    it fails, so the caller must commit after catching the error.
    """
    email = email.strip().lower()[:320]
    _check_address(session, settings, client_address)
    check_password_allowed(session, settings, email=email, client_address=client_address)
    user = session.scalar(select(User).where(User.email == email))
    now = utcnow()
    if user is None:
        # Answer for an unknown e-mail exactly as for a locked account, so that locks
        # do not reveal which e-mails have accounts.
        locked = _locked_until(session, settings, LoginAttempt.email, email) is not None
    else:
        locked = user.locked_until is not None and user.locked_until > now
    if locked:
        passwords.verify(None, password)  # same time as any other attempt; not recorded
        raise Unauthorized("this account is locked after repeated failed sign-ins; try later")
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginAttempt(email=email, client_address=client_address, succeeded=False))
        session.flush()
        if user is not None:
            _maybe_lock(session, settings, user)
        raise Unauthorized("wrong e-mail or password")
    session.add(LoginAttempt(email=email, client_address=client_address, succeeded=True))
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    return _start_session(session, settings, hasher, user, client_address, user_agent)


def _maybe_lock(session: Session, settings: Settings, user: User) -> None:
    since = utcnow() - timedelta(minutes=settings.login_failure_window_minutes)
    if user.locked_until is not None and user.locked_until > since:
        since = user.locked_until  # count only failures after the previous lock ended
    failures = _failures_since(session, LoginAttempt.email, user.email, since)
    if failures >= settings.login_max_failures_per_account:
        user.locked_until = utcnow() + timedelta(minutes=settings.login_lockout_minutes)
        record_change(
            session,
            Actor(None, "system", Role.admin),
            object_type="user",
            object_id=user.id,
            action=Action.updated,
            name="user.locked",
            label=user.email,
            before={"locked": False},
            after={"locked": True},
        )


def _start_session(
    session: Session,
    settings: Settings,
    hasher: SecretHasher,
    user: User,
    client_address: str,
    user_agent: str,
) -> NewSession:
    cookie_value = new_secret()
    now = utcnow()
    record = WebSession(
        id_hash=hasher.digest(cookie_value),
        user_id=user.id,
        csrf_token=new_secret(),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_age_hours),
        client_address=client_address,
        user_agent=user_agent[:300],
    )
    session.add(record)
    session.flush()
    return NewSession(cookie_value=cookie_value, record=record)


#: Built once: every page request starts here (``session.get`` builds its statement on
#: each call, 60 µs more).
_SESSION_BY_DIGEST = select(WebSession).where(WebSession.id_hash == bindparam("session_digest"))


def resolve_session(
    session: Session,
    settings: Settings,
    hasher: SecretHasher,
    cookie_value: str,
    *,
    database: Database | None = None,
) -> WebSession:
    """The live session for a cookie, refreshing its idle timer; expired ones are removed.

    On a session opened for reading (every GET request) those two writes go through a
    short transaction of their own on ``database``, so that reading a page never takes
    SQLite's write lock (see :meth:`pilothouse.core.db.Database.session`).
    """
    digest = hasher.digest(cookie_value)
    record = session.scalars(_SESSION_BY_DIGEST, {"session_digest": digest}).first()
    if record is None:
        raise Unauthorized("your session has ended; please sign in")
    now = utcnow()
    idle_limit = record.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= record.expires_at or now >= idle_limit or not record.user.is_active:
        _write(session, database, delete(WebSession).filter_by(id_hash=record.id_hash))
        raise Unauthorized("your session has expired; please sign in again")
    if now - record.last_seen_at > timedelta(minutes=1):
        touch = update(WebSession).filter_by(id_hash=record.id_hash).values(last_seen_at=now)
        _write(session, database, touch)
        set_committed_value(record, "last_seen_at", now)
    return record


def _write(session: Session, database: Database | None, statement: Executable) -> None:
    if database is None:
        session.execute(statement)
    else:
        database.write_aside(session, statement)


def end_session(session: Session, hasher: SecretHasher, cookie_value: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == hasher.digest(cookie_value)))


def list_locked(session: Session) -> list[LockedAccount]:
    now = utcnow()
    users = session.scalars(select(User).where(User.locked_until > now).order_by(User.email))
    return [LockedAccount(u.email, u.locked_until) for u in users if u.locked_until]


def recent_failures(session: Session, *, limit: int = 50) -> list[LoginAttempt]:
    query = (
        select(LoginAttempt)
        .where(LoginAttempt.succeeded.is_(False))
        .order_by(LoginAttempt.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def unlock_account(session: Session, actor: Actor, user: User) -> None:
    """Lift a lock early (an admin who has confirmed the person's identity)."""
    actor.require(Role.admin, write=True)
    if user.locked_until is None:
        return
    user.locked_until = None
    record_change(
        session,
        actor,
        object_type="user",
        object_id=user.id,
        action=Action.updated,
        name="user.unlocked",
        label=user.email,
        before={"locked": True},
        after={"locked": False},
    )
