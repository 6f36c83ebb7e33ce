"""Shared helpers of the decision tests: people with tokens, and decisions made over the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts

API = "/api/v1/decisions"


class Team:
    """An admin, an editor and a viewer, each with a write token."""

    def __init__(self, client: TestClient, accounts: Accounts) -> None:
        self.client = client
        admin = accounts.person(Role.admin)
        self.admin_email = admin.email
        self.admin = accounts.bearer(admin)
        editor = accounts.person(Role.editor)
        self.editor_id, self.editor_email = editor.id, editor.email
        self.editor = accounts.bearer(editor)
        viewer = accounts.person(Role.viewer)
        self.viewer_email = viewer.email
        self.viewer = accounts.bearer(viewer)

    def decision(self, **values: Any) -> dict[str, Any]:
        values.setdefault("title", "A decision")
        response = self.client.post(API, json=values, headers=self.editor)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, path: str = "", **params: Any) -> Any:
        response = self.client.get(f"{API}{path}", params=params, headers=self.viewer)
        assert response.status_code == 200, response.text
        return response.json()

    def keys(self, **params: Any) -> list[str]:
        return [d["key"] for d in self.get("", **params)["items"]]
