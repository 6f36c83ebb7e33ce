"""Every state-changing HTML route is protected against cross-site request forgery.

The walk covers every non-``/api`` route with POST, PUT, PATCH or DELETE. Each must
either need a signed-in person (``Requires``: browser sessions must then send the
session's CSRF token, checked before the handler runs) or be listed in
``CSRF_EXEMPT`` with the reason it is safe without one. A new form route that is
neither fails the first test. The others send every protected route a session
cookie without a token and with a wrong one, and check the 403 and that nothing
changed; and they check the exempt routes refuse a forged or missing token.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pilothouse.core.actor import Actor
from pilothouse.core.db import Base
from pilothouse.core.models import Role
from pilothouse.core.registry import import_all_models
from pilothouse.core.runtime import Runtime
from pilothouse.core.workspace import set_setting
from pilothouse.web.deps import SESSION_COOKIE, PublicAccess, Requires
from tests.support.accounts import Accounts, sign_in
from tests.support.routes import api_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

#: HTML writes that need no session CSRF token, and why each is safe without one.
CSRF_EXEMPT = {
    ("POST", "/login"): "its own double-submit token: a SameSite=Strict cookie the form echoes",
    ("POST", "/notifications/unsubscribe/{token}"): "RFC 8058 one-click unsubscribe: "
    "no session; the signed token in the URL is the only authority",
    ("POST", "/public/changelog/subscribe"): "no session; a signed, timed form token, and the "
    "subscription waits for the e-mailed confirmation (double opt-in)",
    ("POST", "/public/changelog/confirm/{token}"): "no session; the signed confirmation token",
    ("POST", "/public/changelog/unsubscribe/{token}"): "RFC 8058 one-click unsubscribe with "
    "the signed token; no session",
}


def _marker(route: Any) -> Any:
    def walk(dependant: Any) -> list[Any]:
        found = [
            d.call for d in dependant.dependencies if isinstance(d.call, Requires | PublicAccess)
        ]
        for sub in dependant.dependencies:
            found += walk(sub)
        return found

    markers = walk(route.dependant)
    return markers[0] if markers else None


def _html_writes(app: FastAPI) -> list[tuple[str, str, Any]]:
    return sorted(
        (
            (method, route.path, _marker(route))
            for route in api_routes(app)
            if not route.path.startswith("/api/")
            for method in route.methods
            if method in UNSAFE
        ),
        key=lambda case: (case[1], case[0]),
    )


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


#: Written by sign-in itself or by background threads (the rule dispatcher's cursor,
#: the scheduler's and job queue's records) on their own clock, not by the request.
BOOKKEEPING = {
    "web_sessions",
    "login_attempts",
    "automation_cursors",
    "jobs",
    "schedules",
    "schedule_runs",
}


def _row_counts(runtime: Runtime) -> dict[str, int]:
    import_all_models()
    with runtime.database.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name not in BOOKKEEPING
        }


def test_every_html_write_is_protected_or_exempt_with_a_reason(app: FastAPI) -> None:
    writes = _html_writes(app)
    assert len(writes) >= 40, "the route table was not found"
    unprotected = [
        f"{method} {path} ({marker!r})"
        for method, path, marker in writes
        if not isinstance(marker, Requires) and (method, path) not in CSRF_EXEMPT
    ]
    assert not unprotected, (
        "HTML routes that change state without the CSRF check: give them a Requires "
        "dependency, or list them in CSRF_EXEMPT with the reason:\n" + "\n".join(unprotected)
    )
    stale = set(CSRF_EXEMPT) - {(m, p) for m, p, _ in writes}
    assert not stale, f"CSRF_EXEMPT lists routes that no longer exist: {stale}"
    assert all(len(reason) > 20 for reason in CSRF_EXEMPT.values())


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["without", "wrong"])
def test_form_posts_without_the_right_token_are_refused_and_change_nothing(
    app: FastAPI, client: TestClient, accounts: Accounts, runtime: Runtime, token: str | None
) -> None:
    sign_in(client, accounts.person(Role.admin))
    cookie = client.cookies.get(SESSION_COOKIE)
    before = _row_counts(runtime)
    data = {"name": "Forged", "title": "Forged", "text": "Forged", "email": "x@example.com"}
    if token is not None:
        data["csrf_token"] = token
    checked = []
    for method, path, marker in _html_writes(app):
        if not isinstance(marker, Requires):
            continue
        response = client.request(
            method,
            _concrete(path),
            data=data,
            headers={"Referer": "http://testserver/"},
            follow_redirects=False,
        )
        assert response.status_code == 403, (method, path, response.status_code)
        assert "did not come from this site" in response.text, (method, path)
        checked.append(path)
    assert len(checked) >= 40
    assert _row_counts(runtime) == before
    assert client.cookies.get(SESSION_COOKIE) == cookie  # still signed in: logout was refused too
    assert client.get("/api/v1/me").status_code == 200


def test_htmx_posts_need_the_header_token(client: TestClient, accounts: Accounts) -> None:
    csrf = sign_in(client, accounts.person(Role.admin))
    headers = {"HX-Request": "true", "X-CSRF-Token": "wrong"}
    assert client.post("/areas", data={"name": "Forged"}, headers=headers).status_code == 403
    headers["X-CSRF-Token"] = csrf
    made = client.post("/areas", data={"name": "Real"}, headers=headers, follow_redirects=False)
    assert made.status_code in (200, 303), made.text
    assert [a["name"] for a in client.get("/api/v1/areas").json()["items"]] == ["Real"]


def test_sign_in_form_without_its_token_is_refused(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    person = accounts.person(Role.editor)
    before = _row_counts(runtime)
    for login_csrf in ("", "forged"):
        client.get("/login")
        response = client.post(
            "/login",
            data={"email": person.email, "password": person.password, "login_csrf": login_csrf},
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert "The form expired" in response.text
        assert SESSION_COOKIE not in client.cookies
    assert _row_counts(runtime) == before


def test_exempt_routes_refuse_forged_tokens_and_change_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    with runtime.database.session() as session:  # on, so the routes do more than 404
        set_setting(session, Actor.command_line(), "launches.public_changelog", True)
    before = _row_counts(runtime)
    for method, path in CSRF_EXEMPT:
        if path == "/login":
            continue  # above
        forged = path.replace("{token}", "forged.token")
        response = client.request(
            method,
            forged,
            data={"email": "x@example.com", "token": "forged"},
            follow_redirects=False,
        )
        assert response.status_code in (400, 403, 422), (method, path, response.status_code)
    assert _row_counts(runtime) == before
