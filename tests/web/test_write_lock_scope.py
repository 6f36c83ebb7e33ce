"""Write requests on SQLite read their credentials before they take the write lock.

SQLite lets one transaction write at a time, and a write request's session takes
that lock with its first statement (``BEGIN IMMEDIATE``, see ``core/db.py``). When
the credentials were checked in that session, every write held the lock through
the token look-up and the rate-limit check, and other writers queued behind it
(``benchmarks/load.py``, issue 14.3). The credentials are now read in a reading
transaction beside it (``web/deps._authenticate_before_writing``).

PostgreSQL locks rows, not the database, and keeps one transaction per request;
the tests that are about the lock say so and run on SQLite only. The refusal
records run on both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from pilothouse.core.models import LoginAttempt, Role
from pilothouse.core.ratelimit import TOKEN_SUBJECT
from pilothouse.core.runtime import Runtime
from pilothouse.web.app import create_app
from tests.support.accounts import Accounts, sign_in


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    """The app without its lifespan: no job or schedule threads sending statements of
    their own while a test reads the order of a request's statements (the schedule
    loop's once passed for the route's transaction)."""
    return TestClient(create_app(runtime=runtime, migrate=False))


@pytest.fixture
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every statement the app's engine sends, in order (``BEGIN`` included)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    engine = runtime.database.engine
    event.listen(engine, "before_cursor_execute", seen)
    yield sent
    event.remove(engine, "before_cursor_execute", seen)


def _sqlite_only(runtime: Runtime) -> None:
    if not runtime.database.is_sqlite:
        pytest.skip("PostgreSQL has no database-wide write lock to keep short")


def test_the_token_is_read_before_the_write_lock_is_taken(
    runtime: Runtime, client: TestClient, accounts: Accounts, statements: list[str]
) -> None:
    _sqlite_only(runtime)
    headers = accounts.bearer(accounts.person(Role.admin))
    statements.clear()
    created = client.post("/api/v1/areas", json={"name": "Checkout"}, headers=headers)
    assert created.status_code == 201, created.text
    token_read = next(i for i, s in enumerate(statements) if "FROM api_tokens" in s)
    assert "BEGIN DEFERRED" in statements[:token_read]
    # The route's transaction is the last one; the token's last use and the day's
    # activity row, written on first use, have short transactions of their own.
    route = len(statements) - 1 - statements[::-1].index("BEGIN IMMEDIATE")
    assert token_read < route
    work = " ".join(statements[route:])
    assert "INSERT INTO product_areas" in work  # the route's own work holds the lock
    assert "api_tokens" not in work and "login_attempts" not in work and "users" not in work


def test_a_refused_form_never_waits_for_the_write_lock(
    runtime: Runtime, client: TestClient, accounts: Accounts
) -> None:
    """Another writer holds the lock throughout; a form with a stale CSRF token is
    refused with 403 from what was read beside it, not 503 after the busy timeout."""
    _sqlite_only(runtime)
    sign_in(client, accounts.person(Role.editor))
    runtime.database.engine.dispose()  # the held lock below is the only writer
    holding, done = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with runtime.database.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")  # begins with BEGIN IMMEDIATE
            holding.set()
            done.wait(timeout=60)
            connection.rollback()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        refused = client.post("/feedback", data={"text": "Dark mode", "csrf_token": "stale"})
    finally:
        done.set()
        holder.join()
    assert refused.status_code == 403, refused.text


def test_a_bad_token_on_a_write_is_recorded_once(runtime: Runtime, client: TestClient) -> None:
    """A guard for the nested sessions: the reading one keeps the refusal's record, and
    the request's own must not keep it again (``Database.session`` clears it)."""
    refused = client.post(
        "/api/v1/areas", json={"name": "Guessed"}, headers={"Authorization": "Bearer ph_wrong"}
    )
    assert refused.status_code == 401
    with runtime.database.session() as session:
        recorded = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.email == TOKEN_SUBJECT)
        )
    assert recorded == 1


def test_a_write_with_a_browser_session_still_checks_its_csrf_token(
    client: TestClient, accounts: Accounts
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    logged = client.post(
        "/feedback",
        data={"text": "Please add dark mode", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert logged.status_code == 303, logged.text
    refused = client.post("/feedback", data={"text": "Again", "csrf_token": csrf + "x"})
    assert refused.status_code == 403


def test_the_route_reads_the_person_as_its_own_transaction_sees_them(
    runtime: Runtime, accounts: Accounts
) -> None:
    """The person was read before the lock; what the route reads of them (a password
    hash, a role) is read again in its own transaction, so a change made while the
    request waited is seen."""
    from sqlalchemy import update
    from starlette.requests import Request

    from pilothouse.core.models import User
    from pilothouse.web.deps import _authenticate_before_writing

    person = accounts.person(Role.editor)
    headers = accounts.bearer(person)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/areas",
        "headers": [(b"authorization", headers["Authorization"].encode())],
        "client": ("10.0.0.7", 5000),
    }
    with runtime.database.session() as session:
        principal = _authenticate_before_writing(Request(scope), session, runtime)
        assert principal.identity.name != "Renamed meanwhile"
        with runtime.database.session() as other:  # while this request waits for the lock
            other.execute(
                update(User).filter_by(email=person.email).values(name="Renamed meanwhile")
            )
        assert principal.user.name == "Renamed meanwhile"
