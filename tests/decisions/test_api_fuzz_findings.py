"""Regressions found by the API fuzz test (tests/web/test_api_fuzz.py), decisions API.

The fuzzer found ``true`` taken as id 1 in the roadmap; decisions name people and
areas the same way (id or key), so they refuse a boolean the same way.
"""

from __future__ import annotations

from tests.decisions.helpers import API, Team


def test_a_boolean_is_not_a_person_id(team: Team) -> None:
    response = team.client.post(
        API, json={"title": "Ship it", "decided_by": True}, headers=team.editor
    )
    assert response.status_code == 422, response.text
    assert "decided_by.int" in {e["field"] for e in response.json()["errors"]}
    assert team.keys() == []
    by_id = team.decision(title="Ship it", decided_by=team.editor_id)
    assert by_id["decided_by"] is not None
