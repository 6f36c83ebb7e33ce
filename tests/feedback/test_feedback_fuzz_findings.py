"""Regressions found by the API fuzz test (tests/web/test_api_fuzz.py), feedback API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.support.accounts import Accounts

from pilothouse.core.models import Role

API = "/api/v1/feedback"
TOO_BIG = 2**63


def _field_errors(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_theme_with_an_example_id_past_64_bits_is_refused(
    client: TestClient, accounts: Accounts
) -> None:
    """It was a 500 (SQLite OverflowError, PostgreSQL bigint out of range)."""
    editor = accounts.bearer(accounts.person(Role.editor))
    body = {"label": "Slow checkout", "example_item_ids": [1, -TOO_BIG - 1]}
    response = client.post(f"{API}/themes", json=body, headers=editor)
    assert response.status_code == 422, response.text
    assert _field_errors(response) == ["example_item_ids.1"]
    assert client.get(f"{API}/themes", headers=editor).json()["items"] == []


def test_moving_items_to_a_theme_id_past_64_bits_is_refused(
    client: TestClient, accounts: Accounts
) -> None:
    editor = accounts.bearer(accounts.person(Role.editor))
    created = client.post(API, json={"text": "Checkout is slow"}, headers=editor)
    assert created.status_code == 201, created.text
    item = created.json()["id"]
    body = {"item_ids": [item], "theme_id": TOO_BIG}
    response = client.post(f"{API}/items/move", json=body, headers=editor)
    assert response.status_code == 422, response.text
    assert _field_errors(response) == ["theme_id"]
    assert client.get(f"{API}/{item}", headers=editor).json()["id"] == item


def test_a_theme_id_past_the_id_column_is_a_client_error(
    client: TestClient, accounts: Accounts
) -> None:
    """2**40 fits 64 bits but not PostgreSQL's 32-bit id column: a 422 there (it was a
    500), no such theme (404) on SQLite; the item stays where it was either way."""
    editor = accounts.bearer(accounts.person(Role.editor))
    item = client.post(API, json={"text": "Slow"}, headers=editor).json()
    body = {"item_ids": [item["id"]], "theme_id": 2**40}
    response = client.post(f"{API}/items/move", json=body, headers=editor)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{API}/{item['id']}", headers=editor).json() == item


def test_theme_list_and_synthesis_declare_every_answer(client: TestClient) -> None:
    """The CSV form of the theme list and the 200 of ``wait=true`` were undeclared."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    themes = paths[f"{API}/themes"]["get"]["responses"]["200"]["content"]
    assert set(themes) == {"application/json", "text/csv"}
    synthesize = paths[f"{API}/synthesize"]["post"]["responses"]
    assert {"200", "202"} <= set(synthesize)
    export = paths[f"{API}/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"application/json", "text/csv"}
