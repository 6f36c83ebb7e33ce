"""Shared helpers of the roadmap tests: people with tokens, and items made over the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts

FIXTURES = Path(__file__).parent / "fixtures"
API = "/api/v1/roadmap"


class Team:
    """An admin, an editor and a viewer, each with a write token."""

    def __init__(self, client: TestClient, accounts: Accounts) -> None:
        self.client = client
        self.admin = accounts.bearer(accounts.person(Role.admin))
        editor = accounts.person(Role.editor)
        self.editor_id = editor.id
        self.editor = accounts.bearer(editor)
        self.viewer = accounts.bearer(accounts.person(Role.viewer))

    def item(self, **values: Any) -> dict[str, Any]:
        values.setdefault("title", "An item")
        response = self.client.post(f"{API}/items", json=values, headers=self.editor)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, path: str, **params: Any) -> Any:
        return self.get_as(self.viewer, path, **params)

    def get_as(self, headers: dict[str, str], path: str, **params: Any) -> Any:
        response = self.client.get(f"{API}{path}", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


#: A small metric catalog (key results are checked against the catalog when saved).
CATALOG = """\
metrics:
  - name: signups
    label: Sign-ups
    description: New accounts.
    owner: pm@example.com
    product_area: growth
    type: count
    event: Signed Up
  - name: activation_rate
    label: Activation rate
    description: Sign-ups that created a dashboard within 7 days.
    owner: pm@example.com
    product_area: growth
    format: percent
    type: conversion
    from: Signed Up
    to: Dashboard Created
    within: 7d
  - name: active_users
    label: Active users
    description: People with any activity.
    owner: pm@example.com
    product_area: growth
    type: distinct
  - name: weekly_active_users
    label: Weekly active users
    description: Active users in the 7 days up to each day.
    owner: pm@example.com
    product_area: growth
    type: rolling
    of: active_users
    window: 7d
"""


def write_metric_catalog(runtime: Runtime) -> None:
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "growth.yaml").write_text(CATALOG, encoding="utf-8")


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")
