"""People with tokens for the playbook tests (the decision tests' Team, on our API)."""

from __future__ import annotations

from typing import Any

from tests.decisions.helpers import Team

API = "/api/v1/playbooks"


class PlaybookTeam(Team):
    def get(self, path: str = "", **params: Any) -> Any:
        response = self.client.get(f"{API}{path}", params=params, headers=self.viewer)
        assert response.status_code == 200, response.text
        return response.json()
