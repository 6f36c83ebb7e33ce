"""The JSON API: shapes, one error format, bad input changing nothing, paging, tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pilothouse.core.db import utcnow
from pilothouse.core.models import ApiToken, Event, ProductArea, Role, TokenScope, WebSession
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts, sign_in

PROBLEM = "application/problem+json"


def _count(runtime: Runtime, model: type) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_problem(response, status: int, *, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert body["type"].startswith("urn:pilothouse:problem:")
    assert body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def test_health_reports_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_openapi_schema_lists_the_api(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Pilothouse"
    assert "/api/v1/areas" in schema["paths"]
    assert "/api/v1/audit" in schema["paths"]
    assert not any(p.startswith("/areas") for p in schema["paths"]), "pages leak into the API"


def test_create_and_read_area_with_token(client: TestClient, accounts: Accounts) -> None:
    editor = accounts.person(Role.editor)
    headers = accounts.bearer(editor)
    created = client.post(
        "/api/v1/areas",
        json={"name": "Growth & Onboarding", "owner_id": editor.id},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["slug"] == "growth-onboarding"
    assert body["owner"]["email"] == editor.email
    by_slug = client.get("/api/v1/areas/growth-onboarding", headers=headers)
    by_id = client.get(f"/api/v1/areas/{body['id']}", headers=headers)
    assert by_slug.json() == by_id.json() == body


def test_area_changes_are_audited_field_by_field(client: TestClient, accounts: Accounts) -> None:
    editor, admin = accounts.person(Role.editor), accounts.person(Role.admin)
    headers = accounts.bearer(editor)
    area = client.post("/api/v1/areas", json={"name": "Billing"}, headers=headers).json()
    patched = client.patch(
        f"/api/v1/areas/{area['id']}",
        json={"description": "Invoices", "owner_id": admin.id},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert client.delete(f"/api/v1/areas/{area['id']}", headers=headers).status_code == 204
    log = client.get(
        "/api/v1/audit", params={"object_type": "product_area"}, headers=accounts.bearer(admin)
    ).json()["items"]
    assert [e["action"] for e in log] == ["deleted", "updated", "created"]
    assert all(e["actor_label"] == editor.email for e in log)
    update = log[1]["changes"]
    assert update == {
        "description": {"before": "", "after": "Invoices"},
        "owner_id": {"before": None, "after": admin.id},
    }
    assert log[0]["changes"]["name"] == {"before": "Billing", "after": None}


def test_malformed_json_is_a_problem_and_changes_nothing(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    headers = {**accounts.bearer(accounts.person(Role.editor)), "content-type": "application/json"}
    response = client.post("/api/v1/areas", content=b'{"name": "x",', headers=headers)
    body = assert_problem(response, 422, field="body")
    assert "malformed JSON" in body["detail"]
    assert _count(runtime, ProductArea) == 0


def test_wrong_types_and_unknown_fields_name_the_field(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    headers = accounts.bearer(accounts.person(Role.editor))
    wrong_type = client.post("/api/v1/areas", json={"name": "A", "owner_id": "me"}, headers=headers)
    assert_problem(wrong_type, 422, field="owner_id")
    unknown = client.post("/api/v1/areas", json={"name": "A", "colour": "red"}, headers=headers)
    body = assert_problem(unknown, 422, field="colour")
    assert body["errors"][0]["message"] == "unknown field"
    missing = client.post("/api/v1/areas", json={}, headers=headers)
    assert_problem(missing, 422, field="name")
    assert _count(runtime, ProductArea) == 0


def test_oversize_body_is_refused(client: TestClient, accounts: Accounts, runtime: Runtime) -> None:
    headers = accounts.bearer(accounts.person(Role.editor))
    limit = runtime.settings.max_body_bytes
    response = client.post(
        "/api/v1/areas", json={"name": "A", "description": "x" * limit}, headers=headers
    )
    assert_problem(response, 413)
    assert _count(runtime, ProductArea) == 0


def test_duplicate_email_is_a_conflict(client: TestClient, accounts: Accounts) -> None:
    admin = accounts.person(Role.admin)
    headers = accounts.bearer(admin)
    first = client.post(
        "/api/v1/users", json={"email": "Ada@Example.com", "name": "Ada"}, headers=headers
    )
    assert first.status_code == 201, first.text
    assert first.json()["email"] == "ada@example.com"
    again = client.post(
        "/api/v1/users", json={"email": "ada@example.COM", "name": "Ada 2"}, headers=headers
    )
    assert_problem(again, 409, field="email")


def test_invalid_email_names_the_field(client: TestClient, accounts: Accounts) -> None:
    headers = accounts.bearer(accounts.person(Role.admin))
    response = client.post(
        "/api/v1/users", json={"email": "not-an-email", "name": "X"}, headers=headers
    )
    assert_problem(response, 422, field="email")


def test_revoked_token_is_refused(client: TestClient, accounts: Accounts) -> None:
    viewer = accounts.person(Role.viewer)
    headers = accounts.bearer(viewer)
    mine = client.get("/api/v1/tokens", headers=headers).json()["items"]
    assert len(mine) == 1
    assert client.delete(f"/api/v1/tokens/{mine[0]['id']}", headers=headers).status_code == 200
    body = assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert "revoked" in body["detail"]


def test_expired_token_and_garbage_token_are_refused(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    viewer = accounts.person(Role.viewer)
    headers = accounts.bearer(viewer)
    with runtime.database.session() as session:
        for token in session.scalars(select(ApiToken)):
            token.expires_at = utcnow() - timedelta(seconds=1)
    assert "expired" in assert_problem(client.get("/api/v1/me", headers=headers), 401)["detail"]
    bogus = client.get("/api/v1/me", headers={"Authorization": "Bearer ph_nope"})
    assert_problem(bogus, 401)
    basic = client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_problem(basic, 401)


def test_token_last_used_is_recorded(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with runtime.database.session() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.last_used_at is not None


def test_read_scope_token_cannot_write(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    admin = accounts.person(Role.admin)
    headers = accounts.bearer(admin, TokenScope.read)
    assert client.get("/api/v1/areas", headers=headers).status_code == 200
    body = assert_problem(client.post("/api/v1/areas", json={"name": "X"}, headers=headers), 403)
    assert "read scope" in body["detail"]
    assert _count(runtime, ProductArea) == 0


def test_new_token_is_shown_once_and_stored_hashed(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    editor = accounts.person(Role.editor)
    created = client.post(
        "/api/v1/tokens", json={"name": "ci", "scope": "write"}, headers=accounts.bearer(editor)
    )
    assert created.status_code == 201, created.text
    secret = created.json()["token"]
    assert secret.startswith("ph_")
    with runtime.database.session() as session:
        stored = [t.token_hash for t in session.scalars(select(ApiToken))]
    assert secret not in stored
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"}).json()
    assert all("token" not in item for item in listed["items"])
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["email"]
        == editor.email
    )


def test_people_cannot_revoke_each_others_tokens(client: TestClient, accounts: Accounts) -> None:
    alice, bob = accounts.person(Role.editor), accounts.person(Role.editor)
    alice_headers = accounts.bearer(alice)
    bob_headers = accounts.bearer(bob)
    bobs = client.get("/api/v1/tokens", headers=bob_headers).json()["items"]
    assert_problem(client.delete(f"/api/v1/tokens/{bobs[0]['id']}", headers=alice_headers), 403)
    alices_view = client.get(
        "/api/v1/tokens", params={"user_id": bob.id}, headers=alice_headers
    ).json()["items"]
    assert {t["user_id"] for t in alices_view} == {alice.id}


def test_cursor_pagination_walks_every_row_once(client: TestClient, accounts: Accounts) -> None:
    headers = accounts.bearer(accounts.person(Role.editor))
    names = {f"Area {i:02d}" for i in range(7)}
    for name in names:
        assert client.post("/api/v1/areas", json={"name": name}, headers=headers).status_code == 201
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/areas", params=params, headers=headers).json()
        seen += [a["name"] for a in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(names) and len(seen) == len(names)


def test_bad_cursor_and_limit_are_problems(client: TestClient, accounts: Accounts) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    assert_problem(
        client.get("/api/v1/areas", params={"cursor": "garbage"}, headers=headers),
        400,
        field="cursor",
    )
    assert_problem(
        client.get("/api/v1/areas", params={"limit": 0}, headers=headers), 422, field="limit"
    )
    assert_problem(
        client.get("/api/v1/areas", params={"limit": 100_000}, headers=headers), 422, field="limit"
    )


def test_unknown_route_and_object_are_problems(client: TestClient, accounts: Accounts) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    assert_problem(client.get("/api/v1/nothing-here", headers=headers), 404)
    assert_problem(client.get("/api/v1/areas/no-such-area", headers=headers), 404)
    assert_problem(client.get("/api/v1/users/999999", headers=headers), 404)


def test_last_admin_cannot_be_demoted(client: TestClient, accounts: Accounts) -> None:
    admin = accounts.person(Role.admin)
    headers = accounts.bearer(admin)
    body = assert_problem(
        client.patch(f"/api/v1/users/{admin.id}", json={"role": "viewer"}, headers=headers), 409
    )
    assert "last active admin" in body["detail"]


def test_deactivating_a_person_ends_their_sessions_and_tokens(
    client: TestClient, accounts: Accounts, runtime: Runtime, app
) -> None:  # type: ignore[no-untyped-def]
    admin, editor = accounts.person(Role.admin), accounts.person(Role.editor)
    editor_headers = accounts.bearer(editor)
    with TestClient(app) as browser:
        sign_in(browser, editor)
        assert _count(runtime, WebSession) == 1
        response = client.patch(
            f"/api/v1/users/{editor.id}", json={"is_active": False}, headers=accounts.bearer(admin)
        )
        assert response.status_code == 200, response.text
        assert _count(runtime, WebSession) == 0
        assert browser.get("/", follow_redirects=False).status_code == 303
    assert_problem(client.get("/api/v1/me", headers=editor_headers), 401)


def test_audit_log_is_admin_only_and_filterable(client: TestClient, accounts: Accounts) -> None:
    admin, editor = accounts.person(Role.admin), accounts.person(Role.editor)
    client.post("/api/v1/areas", json={"name": "Mobile"}, headers=accounts.bearer(editor))
    assert_problem(client.get("/api/v1/audit", headers=accounts.bearer(editor)), 403)
    admin_headers = accounts.bearer(admin)
    by_actor = client.get(
        "/api/v1/audit", params={"actor": editor.email}, headers=admin_headers
    ).json()["items"]
    assert by_actor and all(e["actor_label"] == editor.email for e in by_actor)
    users_only = client.get(
        "/api/v1/audit", params={"object_type": "user"}, headers=admin_headers
    ).json()["items"]
    assert users_only and all(e["object_type"] == "user" for e in users_only)
    one = client.get(f"/api/v1/audit/{by_actor[0]['id']}", headers=admin_headers)
    assert one.json() == by_actor[0]


def test_password_change_through_the_api(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    viewer = accounts.person(Role.viewer)
    headers = accounts.bearer(viewer)
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "nope", "new_password": "a much longer one"},
        headers=headers,
    )
    assert_problem(wrong, 400, field="current_password")
    short = client.post(
        "/api/v1/me/password",
        json={"current_password": viewer.password, "new_password": "short"},
        headers=headers,
    )
    assert_problem(short, 422, field="new_password")
    ok = client.post(
        "/api/v1/me/password",
        json={"current_password": viewer.password, "new_password": "a much longer one"},
        headers=headers,
    )
    assert ok.status_code == 204
    with runtime.database.session() as session:
        names = list(session.scalars(select(Event.name).where(Event.object_id == str(viewer.id))))
    assert "user.password_changed" in names


def test_times_without_offset(client: TestClient, accounts: Accounts) -> None:
    """Token expiry must say its time zone; audit filters read a bare time as UTC."""
    admin = accounts.person(Role.admin)
    headers = accounts.bearer(admin)
    naive = client.post(
        "/api/v1/tokens", json={"name": "n", "expires_at": "2030-01-01T00:00:00"}, headers=headers
    )
    assert_problem(naive, 422, field="expires_at")
    aware = client.post(
        "/api/v1/tokens", json={"name": "a", "expires_at": "2030-01-01T00:00:00Z"}, headers=headers
    )
    assert aware.status_code == 201
    since = client.get("/api/v1/audit", params={"since": "2020-01-01T00:00:00"}, headers=headers)
    assert since.status_code == 200 and since.json()["items"]
    future = client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"}, headers=headers)
    assert future.json()["items"] == []
