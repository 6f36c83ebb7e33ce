"""Sign-in: passwords, guessing limits per account and per address, sessions, unlocking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pilothouse.core import signin
from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.errors import TooManyRequests, Unauthorized
from pilothouse.core.models import Event, LoginAttempt, Role, User, WebSession
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts, Person


def _attempt(runtime: Runtime, email: str, password: str, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    """One sign-in in its own transaction, committed even when it fails (as the web layer does)."""
    with runtime.database.session() as session:
        try:
            return signin.sign_in(
                session,
                runtime.settings,
                runtime.passwords,
                runtime.secrets,
                email=email,
                password=password,
                client_address=address,
            )
        except (Unauthorized, TooManyRequests) as exc:
            return exc


def test_right_password_starts_a_session(runtime: Runtime, accounts: Accounts) -> None:
    person = accounts.person(Role.editor)
    started = _attempt(runtime, person.email.upper(), person.password)
    assert isinstance(started, signin.NewSession)
    with runtime.database.session() as session:
        record = signin.resolve_session(
            session, runtime.settings, runtime.secrets, started.cookie_value
        )
        assert record.user.email == person.email
        assert record.id_hash != started.cookie_value  # only a keyed hash is stored


def test_wrong_password_and_unknown_email_look_the_same(
    runtime: Runtime, accounts: Accounts
) -> None:
    person = accounts.person()
    wrong = _attempt(runtime, person.email, "wrong password!")
    unknown = _attempt(runtime, "nobody@example.com", "wrong password!")
    assert isinstance(wrong, Unauthorized) and isinstance(unknown, Unauthorized)
    assert wrong.detail == unknown.detail


def _lock(runtime: Runtime, person: Person) -> None:
    for _ in range(runtime.settings.login_max_failures_per_account):
        assert isinstance(_attempt(runtime, person.email, "wrong password!"), Unauthorized)


def test_account_locks_after_repeated_failures(runtime: Runtime, accounts: Accounts) -> None:
    person = accounts.person()
    _lock(runtime, person)
    refused = _attempt(runtime, person.email, person.password, address="10.0.0.2")
    assert isinstance(refused, Unauthorized) and "locked" in refused.detail
    with runtime.database.session() as session:
        assert [a.email for a in signin.list_locked(session)] == [person.email]
        assert session.scalar(select(Event).where(Event.name == "user.locked")) is not None


def test_lock_expires_and_admin_can_lift_it(runtime: Runtime, accounts: Accounts) -> None:
    person = accounts.person()
    _lock(runtime, person)
    with runtime.database.session() as session:
        user = session.get(User, person.id)
        assert user is not None
        signin.unlock_account(session, Actor.command_line(), user)
    assert isinstance(_attempt(runtime, person.email, person.password), signin.NewSession)
    _lock(runtime, person)
    with runtime.database.session() as session:
        user = session.get(User, person.id)
        assert user is not None and user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)  # time passes
    assert isinstance(_attempt(runtime, person.email, person.password), signin.NewSession)


def test_address_is_throttled_across_accounts(runtime: Runtime, accounts: Accounts) -> None:
    victim = accounts.person()
    limit = runtime.settings.login_max_failures_per_ip
    for i in range(limit):
        _attempt(runtime, f"guess{i}@example.com", "wrong password!", address="203.0.113.9")
    refused = _attempt(runtime, victim.email, victim.password, address="203.0.113.9")
    assert isinstance(refused, TooManyRequests)
    assert refused.retry_after_seconds > 0
    elsewhere = _attempt(runtime, victim.email, victim.password, address="198.51.100.1")
    assert isinstance(elsewhere, signin.NewSession)


@pytest.mark.parametrize("field", ["idle", "absolute"])
def test_expired_sessions_are_refused_and_removed(
    runtime: Runtime, accounts: Accounts, field: str
) -> None:
    person = accounts.person()
    started = _attempt(runtime, person.email, person.password)
    assert isinstance(started, signin.NewSession)
    with runtime.database.session() as session:
        record = session.get(WebSession, started.record.id_hash)
        assert record is not None
        if field == "idle":
            idle = timedelta(minutes=runtime.settings.session_idle_minutes + 1)
            record.last_seen_at = utcnow() - idle
        else:
            record.expires_at = utcnow() - timedelta(seconds=1)
    with runtime.database.session() as session:
        with pytest.raises(Unauthorized, match="expired"):
            signin.resolve_session(session, runtime.settings, runtime.secrets, started.cookie_value)
    with runtime.database.session() as session:
        assert session.get(WebSession, started.record.id_hash) is None


def test_deactivated_person_cannot_sign_in(runtime: Runtime, accounts: Accounts) -> None:
    person = accounts.person()
    with runtime.database.session() as session:
        user = session.get(User, person.id)
        assert user is not None
        user.is_active = False
    assert isinstance(_attempt(runtime, person.email, person.password), Unauthorized)


def test_locks_do_not_reveal_which_emails_exist(runtime: Runtime, accounts: Accounts) -> None:
    person = accounts.person()
    _lock(runtime, person)
    for _ in range(runtime.settings.login_max_failures_per_account):
        _attempt(runtime, "nobody@example.com", "wrong password!", address="10.0.0.7")
    known = _attempt(runtime, person.email, "wrong password!", address="10.0.0.8")
    unknown = _attempt(runtime, "nobody@example.com", "wrong password!", address="10.0.0.8")
    assert isinstance(known, Unauthorized) and isinstance(unknown, Unauthorized)
    assert known.detail == unknown.detail and "locked" in known.detail


def test_address_lock_lasts_the_lockout_not_the_window(
    runtime: Runtime, accounts: Accounts
) -> None:
    """The block ends login_lockout_minutes after the limit was reached."""
    person = accounts.person()
    limit = runtime.settings.login_max_failures_per_ip
    for i in range(limit):
        _attempt(runtime, f"guess{i}@example.com", "wrong password!", address="203.0.113.5")
    with runtime.database.session() as session:
        rows = session.scalars(
            select(LoginAttempt).where(LoginAttempt.client_address == "203.0.113.5")
        )
        shift = timedelta(minutes=runtime.settings.login_lockout_minutes - 1)
        for row in rows:  # the limit was reached just under the lockout ago
            row.attempted_at = row.attempted_at - shift
    still = _attempt(runtime, person.email, person.password, address="203.0.113.5")
    assert isinstance(still, TooManyRequests) and 0 < still.retry_after_seconds <= 61
    with runtime.database.session() as session:
        for row in session.scalars(select(LoginAttempt)):
            row.attempted_at = row.attempted_at - timedelta(minutes=2)
    after = _attempt(runtime, person.email, person.password, address="203.0.113.5")
    assert isinstance(after, signin.NewSession)
