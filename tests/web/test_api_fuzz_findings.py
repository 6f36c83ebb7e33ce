"""Regressions found by the API fuzz test (tests/web/test_api_fuzz.py), core API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pilothouse.core.ids import ID_MAX, parse_id
from pilothouse.core.models import Role
from tests.support.accounts import Accounts


def test_parse_id_accepts_only_what_an_id_can_be() -> None:
    assert [parse_id(t) for t in ("12", " 7 ", str(ID_MAX))] == [12, 7, ID_MAX]
    for text in ("²", "١٢", str(ID_MAX + 1), "99999999999999999999", "-1", "1.0", "", "EXP-1"):
        assert parse_id(text) is None, text


def test_area_owner_true_is_refused(client: TestClient, accounts: Accounts) -> None:
    """``owner_id: true`` made user 1 the owner of a new area (pydantic read true as 1)."""
    admin = accounts.bearer(accounts.person(Role.admin))
    response = client.post(
        "/api/v1/areas", json={"name": "Billing", "owner_id": True}, headers=admin
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["owner_id"]
    assert client.get("/api/v1/areas", headers=admin).json()["items"] == []


def test_areas_and_sources_by_a_key_that_only_looks_numeric(
    client: TestClient, accounts: Accounts
) -> None:
    admin = accounts.bearer(accounts.person(Role.admin))
    for key in ("%C2%B2", "99999999999999999999"):
        assert client.get(f"/api/v1/areas/{key}", headers=admin).status_code == 404
        assert client.delete(f"/api/v1/sources/{key}", headers=admin).status_code == 404
