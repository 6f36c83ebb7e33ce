"""Regressions found by the API fuzz test (tests/web/test_api_fuzz.py), tools API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts


def test_seat_usage_that_is_not_csv_is_a_422(client: TestClient, accounts: Accounts) -> None:
    """A bare carriage return inside a field made the CSV reader raise: it was a 500."""
    headers = accounts.bearer(accounts.person(Role.admin))
    response = client.post(
        "/api/v1/tools/seat-usage?dry_run=false",
        json={"content": "a*\x17\xad*<*\x9e\xfd\xfb\r\xeb\x04"},
        headers=headers,
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["file"]
    assert "not readable as CSV" in response.json()["detail"]
