"""Regressions found by the API fuzz test (tests/web/test_api_fuzz.py), roadmap API."""

from __future__ import annotations

from tests.roadmap.helpers import API, Team

TOO_BIG = 2**31  # one past the largest id (PostgreSQL's ids are 32-bit integers)


def test_a_boolean_is_not_an_item_id(team: Team) -> None:
    """``parent: true`` made an item the child of item 1 (pydantic read true as 1)."""
    team.item(title="Parent")
    response = team.client.post(
        f"{API}/items", json={"title": "Child", "parent": True}, headers=team.editor
    )
    assert response.status_code == 422, response.text
    assert "parent.int" in {e["field"] for e in response.json()["errors"]}
    assert [i["title"] for i in team.get("/items")["items"]] == ["Parent"]


def test_an_id_past_64_bits_is_refused_with_its_name(team: Team) -> None:
    """Revoking share link 2**63 was a 500 (SQLite's OverflowError, PostgreSQL's
    'integer out of range', the latter from 2**31 on)."""
    response = team.client.post(f"{API}/share-links/{TOO_BIG}/revoke", headers=team.editor)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"] == [
        {"field": "link_id", "message": f"must be between {-(2**31)} and {2**31 - 1}"}
    ]
    largest = team.client.post(f"{API}/share-links/{2**31 - 1}/revoke", headers=team.editor)
    assert largest.status_code == 404  # in range: looked up, and not there


def test_keys_that_look_numeric_but_are_no_id_are_not_found(team: Team) -> None:
    """``"²".isdigit()`` is true but ``int("²")`` fails: moving item ² was a 500."""
    team.item(title="Only")
    for key in ("%C2%B2", "99999999999999999999"):
        moved = team.client.post(
            f"{API}/items/{key}/move", json={"horizon": "next"}, headers=team.editor
        )
        assert moved.status_code == 404, moved.text
        assert team.client.get(f"{API}/items/{key}", headers=team.viewer).status_code == 404
    assert team.get("/items/1")["title"] == "Only"
