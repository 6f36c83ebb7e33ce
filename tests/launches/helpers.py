"""Shared helpers of the launch tests: a team with tokens, a template and a launch via the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts, Person

API = "/api/v1"


class Crew:
    """An admin, an editor, a viewer, and an approver who is only a viewer, with tokens."""

    def __init__(self, client: TestClient, accounts: Accounts) -> None:
        self.client = client
        self.admin_person = accounts.person(Role.admin)
        self.editor_person = accounts.person(Role.editor)
        self.viewer_person = accounts.person(Role.viewer)
        self.approver_person = accounts.person(Role.viewer, email="legal@example.com")
        self.admin = accounts.bearer(self.admin_person)
        self.editor = accounts.bearer(self.editor_person)
        self.viewer = accounts.bearer(self.viewer_person)
        self.approver = accounts.bearer(self.approver_person)

    def template(self, **values: Any) -> dict[str, Any]:
        body = {"name": "Standard", "stages": stages(self.editor_person, self.approver_person)}
        body.update(values)
        response = self.client.post(f"{API}/launch-templates", json=body, headers=self.editor)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def feature(self, title: str, **values: Any) -> dict[str, Any]:
        body = {"kind": "feature", "title": title, **values}
        response = self.client.post(f"{API}/roadmap/items", json=body, headers=self.editor)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def launch(self, **values: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "template": "Standard",
            "name": "Scheduled reports",
            "target_date": "2026-12-01",
        }
        body.update(values)
        response = self.client.post(f"{API}/launches", json=body, headers=self.editor)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, key: str) -> dict[str, Any]:
        response = self.client.get(f"{API}/launches/{key}", headers=self.viewer)
        assert response.status_code == 200, response.text
        return dict(response.json())


def stages(editor: Person, approver: Person) -> list[dict[str, Any]]:
    """Beta → GA, with one required and one optional item in Beta and a two-person gate."""
    return [
        {
            "name": "Beta",
            "offset_days": -14,
            "items": [
                {"title": "Beta customers signed", "owner_role": "PM", "offset_days": -30},
                {
                    "title": "Docs draft",
                    "owner_role": "Docs",
                    "offset_days": -20,
                    "required": False,
                },
            ],
            "gates": [{"name": "GA review", "approvers": [editor.email, approver.email]}],
        },
        {
            "name": "GA",
            "offset_days": 0,
            "items": [{"title": "Announcement", "owner_role": "Marketing", "offset_days": 0}],
        },
    ]
