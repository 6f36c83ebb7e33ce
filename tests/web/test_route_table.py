"""Walk the whole route table: every route declares its role, and the roles hold.

Anonymous requests to anything but public routes are refused (401 problem for
the API, a redirect to sign-in for pages). Viewers get 403 from every write that
is not about their own account. Nothing can change the audit log.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from starlette.routing import compile_path

from pilothouse.core.models import Role
from pilothouse.metrics.routes import WriteKeyAuth
from pilothouse.web.api import API_PREFIX
from pilothouse.web.deps import PublicAccess, Requires
from tests.support.accounts import Accounts, sign_in
from tests.support.routes import api_routes, mounts

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: Routes anyone may call, and why.
EXPECTED_PUBLIC = {
    ("GET", "/healthz"),  # load balancers and monitors
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/auth/oidc/login"),  # single sign-on: off to the provider (docs/sso.md)
    ("GET", "/auth/oidc/callback"),  # and back, with state, code and PKCE checked
    ("GET", "/api/v1/openapi.json"),  # the schema is as public as the source
    ("GET", "/api/v1/docs"),
    ("GET", "/share/roadmap/{token}"),  # read-only roadmap share links (token in the URL)
    ("GET", "/notifications/unsubscribe/{token}"),  # e-mail unsubscribe (signed token)
    ("POST", "/notifications/unsubscribe/{token}"),  # RFC 8058 one-click, no sign-in
    ("GET", "/public/changelog"),  # public changelog (opt-in workspace setting, else 404)
    ("GET", "/public/changelog.atom"),
    ("GET", "/public/changelog/{key}"),
    ("POST", "/public/changelog/subscribe"),  # signed form token, double opt-in
    ("GET", "/public/changelog/confirm/{token}"),  # signed confirmation link
    ("POST", "/public/changelog/confirm/{token}"),
    ("GET", "/public/changelog/unsubscribe/{token}"),  # signed unsubscribe link
    ("POST", "/public/changelog/unsubscribe/{token}"),  # RFC 8058 one-click
}


def _markers(dependant: Dependant) -> list[Any]:
    found = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Requires | PublicAccess | WriteKeyAuth):
            found.append(sub.call)
        found += _markers(sub)
    return found


def _concrete_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _cases(app: FastAPI) -> list[tuple[str, str, Any]]:
    return [
        (method, route.path, _markers(route.dependant)[0])
        for route in api_routes(app)
        for method in sorted(route.methods)
    ]


def test_every_route_declares_exactly_one_role(app: FastAPI) -> None:
    problems = []
    routes = api_routes(app)
    assert len(routes) >= 30, "the route table was not found"
    for route in routes:
        markers = _markers(route.dependant)
        if len(markers) != 1:
            problems.append(f"{sorted(route.methods)} {route.path}: {markers}")
    assert not problems, "routes without exactly one Requires/Public/WriteKeyAuth:\n" + "\n".join(
        problems
    )
    assert mounts(app) == ["/static"], "only the static assets may be mounted"


def test_the_tracking_routes_share_no_path_with_any_other_route(app: FastAPI) -> None:
    """The tracking router is checked first (``web/api/__init__.py``): that changes no
    answer only while no other route matches a tracking path, and none matches any
    other route's path."""
    from pilothouse.metrics.routes import ingest_router

    tracking = {API_PREFIX + route.path for route in ingest_router.routes}
    assert {"/api/v1/batch", "/api/v1/track"} <= tracking
    others = [r.path for r in api_routes(app) if r.path not in tracking]
    assert len(others) > 200
    for path in others:
        pattern, _format, _convertors = compile_path(path)
        clashes = [t for t in tracking if pattern.match(t)]
        assert not clashes, f"{path} also matches {clashes}"
    for path in tracking:
        pattern, _format, _convertors = compile_path(path)
        assert not [o for o in others if pattern.match(_concrete_path(o))], path


def test_public_routes_are_exactly_the_expected_ones(app: FastAPI) -> None:
    public = {(m, p) for m, p, marker in _cases(app) if isinstance(marker, PublicAccess)}
    assert public == EXPECTED_PUBLIC


def test_writes_need_more_than_viewer_unless_about_own_account(app: FastAPI) -> None:
    loose = [
        (m, p, marker)
        for m, p, marker in _cases(app)
        if m in UNSAFE
        and isinstance(marker, Requires)
        and marker.role is Role.viewer
        and not marker.own
    ]
    assert not loose


def test_nothing_can_change_the_audit_log(app: FastAPI) -> None:
    audit_writes = [(m, p) for m, p, _ in _cases(app) if "audit" in p and m != "GET"]
    assert audit_writes == []


def test_anonymous_requests_are_refused(app: FastAPI, client: TestClient) -> None:
    checked = 0
    for method, path, marker in _cases(app):
        if isinstance(marker, PublicAccess):
            continue
        response = client.request(method, _concrete_path(path), follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"].startswith("Bearer")
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next=")
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("via", ["token", "session"])
def test_viewers_cannot_write(
    app: FastAPI, client: TestClient, accounts: Accounts, via: str
) -> None:
    viewer = accounts.person(Role.viewer)
    headers: dict[str, str] = {}
    if via == "token":
        headers = accounts.bearer(viewer)
    else:
        headers = {"X-CSRF-Token": sign_in(client, viewer)}
    checked = 0
    for method, path, marker in _cases(app):
        if method not in UNSAFE or not isinstance(marker, Requires) or marker.own:
            continue
        response = client.request(
            method, _concrete_path(path), headers=headers, follow_redirects=False
        )
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        checked += 1
    assert checked >= 10


def test_editors_cannot_do_admin_things(
    app: FastAPI, client: TestClient, accounts: Accounts
) -> None:
    headers = accounts.bearer(accounts.person(Role.editor))
    for method, path, marker in _cases(app):
        if isinstance(marker, Requires) and marker.role is Role.admin:
            response = client.request(
                method, _concrete_path(path), headers=headers, follow_redirects=False
            )
            assert response.status_code == 403, (method, path, response.status_code)


def test_session_writes_without_csrf_token_are_refused(
    client: TestClient, accounts: Accounts
) -> None:
    editor = accounts.person(Role.editor)
    sign_in(client, editor)
    no_token = client.post("/api/v1/areas", json={"name": "Sneaky"})
    assert no_token.status_code == 403
    wrong = client.post("/api/v1/areas", json={"name": "Sneaky"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    form = client.post("/areas", data={"name": "Sneaky"}, follow_redirects=False)
    assert form.status_code == 403
    assert client.get("/api/v1/areas").json()["items"] == []
