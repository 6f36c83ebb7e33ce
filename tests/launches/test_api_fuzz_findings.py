"""Regressions found by the API fuzz test (tests/web/test_api_fuzz.py), launches API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts


def test_changing_a_launch_with_an_area_id_past_64_bits_is_refused(
    client: TestClient, accounts: Accounts
) -> None:
    """``product_area: 2**72`` was a 500; now a 422 naming the field, nothing changed."""
    crew = Crew(client, accounts)
    crew.template()
    launch = crew.launch()
    response = client.patch(
        f"{API}/launches/{launch['key']}",
        json={"product_area": 2**72, "name": "Renamed"},
        headers=crew.editor,
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["product_area"]
    assert crew.get(launch["key"])["name"] == launch["name"]


def test_a_boolean_is_not_a_template_id(client: TestClient, accounts: Accounts) -> None:
    crew = Crew(client, accounts)
    crew.template()
    body = {"template": True, "name": "Reports", "target_date": "2026-12-01"}
    response = client.post(f"{API}/launches", json=body, headers=crew.editor)
    assert response.status_code == 422, response.text
    assert client.get(f"{API}/launches", headers=crew.viewer).json()["items"] == []
