"""Web security rules, one test (or more) per rule of docs/security.md.

Headers (CSP without inline script, clickjacking, nosniff, referrer, HSTS on HTTPS),
cookie flags, session fixation, rate limits (sign-in, bad API tokens, ingestion)
and request size limits (global, uploads, tracking calls; declared and streamed).
Every refusal is checked to change nothing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.models import LoginAttempt, ProductArea, Role
from pilothouse.core.ratelimit import take_slot
from pilothouse.core.runtime import Runtime
from pilothouse.feedback.models import FeedbackItem
from pilothouse.metrics import sources
from pilothouse.web.app import create_app
from pilothouse.web.deps import SESSION_COOKIE
from tests.support.accounts import Accounts, Person, sign_in
from tests.support.statements import sent_statements

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


@pytest.fixture
def tuned(runtime: Runtime) -> Iterator[Any]:
    """Builds a client whose app runs with some settings changed (limits made small)."""
    clients: list[TestClient] = []

    def make(base_url: str = "http://testserver", **overrides: object) -> TestClient:
        runtime.settings = runtime.settings.model_copy(update=overrides)
        client = TestClient(create_app(runtime=runtime, migrate=False), base_url=base_url)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _policy(header: str) -> dict[str, str]:
    parts = (p.strip().split(None, 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/areas", "/no-such-page"])
def test_every_response_has_the_policy_and_the_headers(client: TestClient, path: str) -> None:
    headers = client.get(path, follow_redirects=False).headers
    policy = _policy(headers["content-security-policy"])
    for name, value in DIRECTIVES.items():
        assert policy.get(name) == value, (path, name, policy)
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "unsafe-eval" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_hsts_only_over_https(tuned: Any) -> None:
    plain = tuned().get("/login")
    assert "strict-transport-security" not in plain.headers
    secure = tuned(base_url="https://pilothouse.example.com").get("/login")
    assert secure.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    off = tuned(base_url="https://pilothouse.example.com", hsts_max_age_seconds=0).get("/login")
    assert "strict-transport-security" not in off.headers


def test_static_assets_carry_the_headers_too(client: TestClient) -> None:
    response = client.get("/static/app.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in response.headers


# --- cookies and session fixation ---------------------------------------------------------


def _session_cookie_header(response: Any) -> str:
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    found = [c for c in cookies if c.startswith(f"{SESSION_COOKIE}=")]
    assert found, cookies
    return found[0]


def _post_login(client: TestClient, person: Person) -> Any:
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token
    return client.post(
        "/login",
        data={"email": person.email, "password": person.password, "login_csrf": token.group(1)},
        follow_redirects=False,
    )


def _session_value(client: TestClient) -> str:
    values = [c.value for c in client.cookies.jar if c.name == SESSION_COOKIE]
    assert values, "no session cookie"
    return str(values[-1])


def _only_cookie(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)


def test_session_cookie_flags(tuned: Any, accounts: Accounts) -> None:
    person = accounts.person(Role.editor)
    cookie = _session_cookie_header(_post_login(tuned(), person)).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP to a host that is not loopback


def test_secure_flag_when_the_public_url_is_https(tuned: Any, accounts: Accounts) -> None:
    """Behind a TLS proxy whose scheme header is not trusted, the request looks like HTTP."""
    client = tuned(public_url="https://pilothouse.example.com")
    person = accounts.person(Role.editor)
    form = client.get("/login")
    assert "secure" in form.headers["set-cookie"].lower()
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token
    response = client.post(
        "/login",
        data={"email": person.email, "password": person.password, "login_csrf": token.group(1)},
        headers={"cookie": f"pilothouse_login_csrf={token.group(1)}"},
        follow_redirects=False,
    )
    cookie = _session_cookie_header(response).lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_a_cookie_planted_before_sign_in_is_not_the_session(
    client: TestClient, accounts: Accounts
) -> None:
    planted = "attacker-chosen-session-id"
    _only_cookie(client, planted)
    assert client.get("/api/v1/me").status_code == 401
    sign_in(client, accounts.person(Role.editor))
    issued = _session_value(client)
    assert issued != planted
    _only_cookie(client, issued)
    assert client.get("/api/v1/me").status_code == 200
    _only_cookie(client, planted)
    assert client.get("/api/v1/me").status_code == 401


def test_signing_in_again_ends_the_previous_session(client: TestClient, accounts: Accounts) -> None:
    first_person, second_person = accounts.person(Role.editor), accounts.person(Role.viewer)
    sign_in(client, first_person)
    before = _session_value(client)
    assert client.get("/api/v1/me").json()["email"] == first_person.email
    sign_in(client, second_person)
    after = _session_value(client)
    assert after != before
    assert client.get("/api/v1/me").json()["email"] == second_person.email
    _only_cookie(client, before)
    assert client.get("/api/v1/me").status_code == 401  # the old id is void


# --- rate limits ----------------------------------------------------------------------------


def _wrong_password(client: TestClient, email: str) -> Any:
    return _post_login(client, Person(0, email, Role.viewer, password="not the password"))


def test_sign_in_is_limited_per_address_with_retry_after(tuned: Any, accounts: Accounts) -> None:
    client = tuned(login_max_failures_per_ip=3, login_max_failures_per_account=50)
    person = accounts.person(Role.editor)
    for n in range(3):
        assert _wrong_password(client, f"nobody{n}@example.com").status_code == 401
    refused = _post_login(client, person)  # even the right password, from this address
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "too many failed sign-ins from your address" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


def test_sign_in_is_limited_per_account(tuned: Any, accounts: Accounts) -> None:
    client = tuned(login_max_failures_per_account=2)
    person = accounts.person(Role.editor)
    for _ in range(2):
        assert _wrong_password(client, person.email).status_code == 401
    refused = _post_login(client, person)
    assert refused.status_code == 401  # answers like a wrong password: locks reveal nothing
    assert "locked" in refused.text
    assert SESSION_COOKIE not in client.cookies


def test_bad_api_tokens_are_limited_per_address(
    tuned: Any, accounts: Accounts, runtime: Runtime
) -> None:
    client = tuned(api_token_max_failures_per_ip=3)
    good = accounts.bearer(accounts.person(Role.editor))
    assert client.get("/api/v1/areas", headers=good).status_code == 200
    for n in range(3):
        bad = client.get("/api/v1/areas", headers={"Authorization": f"Bearer ph_wrong{n}"})
        assert bad.status_code == 401, bad.text
    refused = client.post("/api/v1/areas", json={"name": "Guessed"}, headers=good)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "invalid API token" in refused.json()["detail"]
    assert _count(runtime, ProductArea) == 0
    # A further guess is refused as such, not told that it was wrong (401).
    guess = client.get("/api/v1/areas", headers={"Authorization": "Bearer ph_wrong9"})
    assert guess.status_code == 429, guess.text
    assert client.get("/api/v1/areas", headers=good).status_code == 429
    # The sign-in limit per address is a separate budget: the form still works.
    assert _post_login(client, accounts.person(Role.viewer)).status_code == 303


def test_a_token_and_its_addresss_failures_are_read_in_one_statement(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    """The bad-token limit costs no statement of its own on a good token's request."""
    good = accounts.bearer(accounts.person(Role.editor))
    assert client.get("/api/v1/areas", headers=good).status_code == 200  # notes its first use
    with sent_statements(runtime.database.engine) as seen:
        assert client.get("/api/v1/areas", headers=good).status_code == 200
    touching = [s for s in seen if "login_attempts" in s or "api_tokens" in s]
    assert len(touching) == 1, touching
    assert "login_attempts" in touching[0] and "api_tokens" in touching[0]


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def _track(i: int) -> dict[str, object]:
    return {"type": "track", "event": "Report Exported", "userId": f"u{i}", "messageId": f"m{i}"}


def _write_key(runtime: Runtime, name: str) -> str:
    with runtime.database.session() as session:
        _source, key = sources.create_source(session, Actor.command_line(), runtime.secrets, name)
    return key


def _events(runtime: Runtime) -> int:
    cursor = runtime.event_store.cursor()
    try:
        return int(cursor.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        cursor.close()


def test_ingestion_is_limited_per_write_key(tuned: Any, runtime: Runtime) -> None:
    client = tuned(ingest_max_requests_per_minute=3)
    web, app = _write_key(runtime, "web"), _write_key(runtime, "app")
    for n in range(3):
        ok = client.post("/api/v1/track", json=_track(n), headers=_basic(web))
        assert ok.status_code == 200, ok.text
    refused = client.post("/api/v1/track", json=_track(9), headers=_basic(web))
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 61
    assert "PILOTHOUSE_INGEST_MAX_REQUESTS_PER_MINUTE" in refused.json()["detail"]
    assert _events(runtime) == 3
    other = client.post("/api/v1/track", json=_track(10), headers=_basic(app))
    assert other.status_code == 200  # each key has its own budget
    assert _events(runtime) == 4


def test_bad_write_keys_count_as_bad_tokens(tuned: Any, runtime: Runtime) -> None:
    client = tuned(api_token_max_failures_per_ip=2)
    good = _write_key(runtime, "web")
    for n in range(2):
        bad = client.post("/api/v1/track", json=_track(n), headers=_basic(f"wrong{n}"))
        assert bad.status_code == 401
    refused = client.post("/api/v1/track", json=_track(5), headers=_basic(good))
    assert refused.status_code == 429
    assert _events(runtime) == 0


# --- size limits ----------------------------------------------------------------------------


def test_global_body_limit_on_api_and_forms(
    tuned: Any, accounts: Accounts, runtime: Runtime
) -> None:
    client = tuned(max_body_bytes=2048)
    headers = accounts.bearer(accounts.person(Role.editor))
    big = {"name": "Area", "description": "x" * 4000}
    refused = client.post("/api/v1/areas", json=big, headers=headers)
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "PILOTHOUSE_MAX_BODY_BYTES" in refused.json()["detail"]
    csrf = sign_in(client, accounts.person(Role.editor))
    form = client.post(
        "/areas", data={"name": "Area", "description": "x" * 4000, "csrf_token": csrf}
    )
    assert form.status_code == 413
    assert form.headers["content-type"].startswith("text/html")
    assert "PILOTHOUSE_MAX_BODY_BYTES" in form.text
    assert _count(runtime, ProductArea) == 0


def test_streamed_body_over_the_limit_is_refused(
    tuned: Any, accounts: Accounts, runtime: Runtime
) -> None:
    client = tuned(max_body_bytes=2048)
    headers = accounts.bearer(accounts.person(Role.editor)) | {"content-type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "Area", "description": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    refused = client.post("/api/v1/areas", content=chunks(), headers=headers)
    assert refused.status_code == 413
    assert "PILOTHOUSE_MAX_BODY_BYTES" in refused.json()["detail"]
    assert _count(runtime, ProductArea) == 0


def _csv(size: int) -> bytes:
    lines = ["text,author_email"]
    while sum(len(line) + 1 for line in lines) < size:
        lines.append(f"The export to PDF times out on big boards {len(lines)},a@example.com")
    return ("\n".join(lines) + "\n").encode()


def test_uploads_have_their_own_larger_limit(
    tuned: Any, accounts: Accounts, runtime: Runtime
) -> None:
    client = tuned(max_body_bytes=4096, upload_max_bytes=16 * 1024)
    csrf = sign_in(client, accounts.person(Role.editor))
    fits = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv", "text_column": "text", "action": "preview"},
        files={"file": ("small.csv", _csv(12 * 1024), "text/csv")},
    )
    assert fits.status_code == 200, fits.text[:500]  # over the global limit, under the upload one
    too_big = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv", "text_column": "text", "action": "import"},
        files={"file": ("big.csv", _csv(100 * 1024), "text/csv")},
    )
    assert too_big.status_code == 413
    assert "PILOTHOUSE_UPLOAD_MAX_BYTES" in too_big.text
    # Within the body cap (form overhead) but over the file limit: the page says so.
    over_file = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv", "text_column": "text", "action": "import"},
        files={"file": ("over.csv", _csv(40 * 1024), "text/csv")},
        headers={"Referer": "http://testserver/feedback/import"},
    )
    assert over_file.status_code == 422
    assert "PILOTHOUSE_UPLOAD_MAX_BYTES" in over_file.text
    api = client.post(
        "/api/v1/feedback/imports",
        json={"format": "csv", "content": _csv(100 * 1024).decode(), "dry_run": False},
        headers=accounts.bearer(accounts.person(Role.editor)),
    )
    assert api.status_code == 413
    assert "PILOTHOUSE_UPLOAD_MAX_BYTES" in api.json()["detail"]
    assert _count(runtime, FeedbackItem) == 0


def test_tracking_calls_have_their_own_limit(tuned: Any, runtime: Runtime) -> None:
    client = tuned(ingest_max_body_bytes=2048)
    key = _write_key(runtime, "web")
    batch = {"batch": [_track(n) for n in range(60)]}
    refused = client.post("/api/v1/batch", json=batch, headers=_basic(key))
    assert refused.status_code == 413
    assert "PILOTHOUSE_INGEST_MAX_BODY_BYTES" in refused.json()["detail"]
    assert _events(runtime) == 0
    small = client.post("/api/v1/batch", json={"batch": [_track(1)]}, headers=_basic(key))
    assert small.status_code == 200
    assert _events(runtime) == 1


def test_two_workers_share_one_budget(runtime: Runtime) -> None:
    """Two apps on one database, as two web workers are: the limit holds across both."""
    runtime.settings = runtime.settings.model_copy(update={"ingest_max_requests_per_minute": 4})
    second = Runtime(settings=runtime.settings, database=runtime.database)
    key = _write_key(runtime, "web")
    with (
        TestClient(create_app(runtime=runtime, migrate=False)) as one,
        TestClient(create_app(runtime=second, migrate=False)) as two,
    ):
        answers = [
            worker.post("/api/v1/track", json=_track(n), headers=_basic(key)).status_code
            for n, worker in enumerate([one, two, one, two, one, two])
        ]
    if "event_store" in second.__dict__:
        second.event_store.close()
    assert answers == [200, 200, 200, 200, 429, 429]


def test_take_slot_counts_in_the_database_and_forgets_old_uses(runtime: Runtime) -> None:
    window = timedelta(hours=1)
    with runtime.database.session() as session:  # an hour-old use no longer counts
        old = utcnow() - timedelta(hours=2)
        session.add(
            LoginAttempt(email="slot:x", client_address="-", succeeded=True, attempted_at=old)
        )
    for expected in (True, True, False):
        with runtime.database.session() as session:  # a fresh session, as another worker
            assert take_slot(session, "x", limit=2, window=window) is expected
    assert _count(runtime, LoginAttempt) == 2
