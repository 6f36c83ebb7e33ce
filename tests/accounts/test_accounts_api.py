"""Customer accounts through the API: money in integer cents, audited edits, lookups."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts


def test_create_update_and_find_accounts(client: TestClient, accounts: Accounts) -> None:
    editor, admin = accounts.person(Role.editor), accounts.person(Role.admin)
    headers = accounts.bearer(editor)
    created = client.post(
        "/api/v1/accounts",
        json={"external_id": "sf-001", "name": "Globex", "plan": "growth", "arr_cents": 1_234_567},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["arr_cents"] == 1_234_567
    patched = client.patch("/api/v1/accounts/sf-001", json={"plan": "enterprise"}, headers=headers)
    assert patched.json()["plan"] == "enterprise"
    found = client.get("/api/v1/accounts", params={"q": "glob"}, headers=headers).json()
    assert [a["external_id"] for a in found["items"]] == ["sf-001"]
    log = client.get(
        "/api/v1/audit", params={"object_type": "customer_account"}, headers=accounts.bearer(admin)
    ).json()["items"]
    assert log[0]["changes"] == {"plan": {"before": "growth", "after": "enterprise"}}


def test_money_must_be_integer_cents(client: TestClient, accounts: Accounts) -> None:
    headers = accounts.bearer(accounts.person(Role.editor))
    response = client.post(
        "/api/v1/accounts", json={"external_id": "x", "arr_cents": 12.5}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "arr_cents"
    duplicate = client.post("/api/v1/accounts", json={"external_id": "y"}, headers=headers)
    assert duplicate.status_code == 201
    again = client.post("/api/v1/accounts", json={"external_id": "y"}, headers=headers)
    assert again.status_code == 409
