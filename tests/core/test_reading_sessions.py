"""Reading sessions: GET requests read beside a writer instead of queueing for its lock.

Under ``benchmarks/load.py`` every request used to begin ``BEGIN IMMEDIATE`` on SQLite,
so one slow page held the write lock and 50 requests/s queued into "database is
locked". These tests hold a write transaction open and check that reads still pass.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pilothouse.core import signin, tokens
from pilothouse.core.actor import Actor
from pilothouse.core.db import WriteWhileReading, is_reading, utcnow
from pilothouse.core.errors import Unauthorized
from pilothouse.core.models import ApiToken, LoginAttempt, Role, TokenScope, User, WebSession
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts


def test_a_reading_session_reads_while_another_transaction_holds_the_write_lock(
    runtime: Runtime, accounts: Accounts
) -> None:
    person = accounts.person(Role.editor)
    with runtime.database.session() as writer:
        writer.execute(update(User).filter_by(email=person.email).values(name="Renamed"))
        # The writer holds the lock (SQLite) or the row (PostgreSQL) until it commits.
        with runtime.database.session(reading=True) as reader:
            assert is_reading(reader)
            name = reader.scalar(select(User.name).filter_by(email=person.email))
        assert name != "Renamed"  # the reader saw the last committed state
    with runtime.database.session(reading=True) as reader:
        assert reader.scalar(select(User.name).filter_by(email=person.email)) == "Renamed"


def test_an_ordinary_session_is_not_a_reading_one(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        assert not is_reading(session)


def test_session_idle_timer_is_refreshed_beside_a_reading_session(
    runtime: Runtime, accounts: Accounts
) -> None:
    person = accounts.person(Role.viewer)
    with runtime.database.session() as session:
        started = signin.sign_in(
            session,
            runtime.settings,
            runtime.passwords,
            runtime.secrets,
            email=person.email,
            password=person.password,
            client_address="10.0.0.9",
        )
        cookie, id_hash = started.cookie_value, started.record.id_hash
    earlier = utcnow() - timedelta(minutes=5)
    with runtime.database.session() as session:
        session.execute(update(WebSession).filter_by(id_hash=id_hash).values(last_seen_at=earlier))
    with runtime.database.session(reading=True) as reader:
        record = signin.resolve_session(
            reader, runtime.settings, runtime.secrets, cookie, database=runtime.database
        )
        assert record.last_seen_at > earlier
        assert not reader.dirty  # nothing left for the reading transaction to write
    with runtime.database.session() as session:
        stored = session.scalar(select(WebSession.last_seen_at).filter_by(id_hash=id_hash))
    assert stored is not None and stored > earlier


def test_an_expired_session_is_removed_even_from_a_reading_request(
    runtime: Runtime, accounts: Accounts
) -> None:
    person = accounts.person(Role.viewer)
    with runtime.database.session() as session:
        started = signin.sign_in(
            session,
            runtime.settings,
            runtime.passwords,
            runtime.secrets,
            email=person.email,
            password=person.password,
            client_address="10.0.0.9",
        )
        cookie, id_hash = started.cookie_value, started.record.id_hash
    with runtime.database.session() as session:
        session.execute(update(WebSession).filter_by(id_hash=id_hash).values(expires_at=utcnow()))
    with runtime.database.session(reading=True) as reader:
        try:
            signin.resolve_session(
                reader, runtime.settings, runtime.secrets, cookie, database=runtime.database
            )
        except Unauthorized:
            pass
        else:  # pragma: no cover - the assertion below names the failure
            raise AssertionError("an expired session was accepted")
    with runtime.database.session() as session:
        assert session.get(WebSession, id_hash) is None


def test_token_last_use_is_written_beside_a_reading_session(
    runtime: Runtime, accounts: Accounts
) -> None:
    person = accounts.person(Role.editor)
    with runtime.database.session() as session:
        user = session.scalar(select(User).filter_by(email=person.email))
        assert user is not None
        _, secret = tokens.create_token(
            session,
            Actor.for_user(user),
            runtime.secrets,
            user=user,
            name="reader",
            scope=TokenScope.read,
        )
    with runtime.database.session(reading=True) as reader:
        token = tokens.authenticate_token(
            reader, runtime.secrets, secret, database=runtime.database
        )
        assert token.last_used_at is not None
        assert not reader.dirty
    with runtime.database.session() as session:
        stored = session.scalar(select(ApiToken.last_used_at).filter_by(id=token.id))
    assert stored is not None


def test_a_write_in_a_reading_session_is_refused_under_strict_reads(
    runtime: Runtime, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = accounts.person(Role.viewer)
    monkeypatch.setenv("PILOTHOUSE_TEST_STRICT_READS", "1")
    with pytest.raises(WriteWhileReading, match="User"):
        with runtime.database.session(reading=True) as reader:
            user = reader.scalar(select(User).filter_by(email=person.email))
            assert user is not None
            user.name = "Written on a read path"
    with runtime.database.session() as session:  # nothing was written
        assert session.scalar(select(User.name).filter_by(email=person.email)) != (
            "Written on a read path"
        )


def test_a_refusal_record_of_a_reading_request_is_kept(runtime: Runtime) -> None:
    """Records of refused requests (rate-limit counts) are written after the rollback,
    in an ordinary transaction, even when the request only read."""

    def record(session: Session) -> None:
        session.add(
            LoginAttempt(email="kept@example.com", client_address="10.0.0.7", succeeded=False)
        )

    error = Unauthorized("refused")
    error.record = record  # type: ignore[attr-defined]
    with pytest.raises(Unauthorized):
        with runtime.database.session(reading=True):
            raise error
    with runtime.database.session() as session:
        kept = session.scalar(select(LoginAttempt).filter_by(email="kept@example.com"))
    assert kept is not None


def test_rows_seeded_beside_a_reading_session_are_visible_to_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First-use seeding from a page (the default workflow statuses) writes beside the
    page's reading transaction, and the page then sees the rows it seeded."""
    from pilothouse.roadmap.models import WorkflowStatus
    from pilothouse.roadmap.statuses import DEFAULT_STATUSES, list_statuses

    monkeypatch.setenv("PILOTHOUSE_TEST_STRICT_READS", "1")
    with runtime.database.session() as session:
        session.execute(delete(WorkflowStatus))
    with runtime.database.session(reading=True) as reader:
        reader.scalar(select(User.id))  # the reader's snapshot starts before the seeding
        keys = [status.key for status in list_statuses(reader)]
    assert keys == [key for key, _, _ in DEFAULT_STATUSES]
    with runtime.database.session(reading=True) as reader:
        assert len(list_statuses(reader)) == len(DEFAULT_STATUSES)  # seeded once
