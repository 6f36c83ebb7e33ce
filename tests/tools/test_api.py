"""The tools API over HTTP on SQLite and PostgreSQL: roles, shapes, the preview and the
all-or-nothing import with errors naming row and field, seat usage, the summary."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts
from tests.tools.helpers import TODAY, count_events, count_tools, tool_csv


def test_roles_create_change_delete(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    viewer, editor, admin = (accounts.bearer(accounts.person(r)) for r in Role)
    body = {
        "name": "Linear",
        "category": "engineering",
        "cost_cents": 850,
        "currency": "EUR",
        "billing": "monthly",
        "capabilities": ["issue-tracking"],
    }
    assert client.post("/api/v1/tools", json=body, headers=viewer).status_code == 403
    created = client.post("/api/v1/tools", json=body, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["annual_cents"] == 10200 and created.json()["slug"] == "linear"
    bad = client.patch(
        "/api/v1/tools/linear", json={"cost_cents": -1, "category": "crm"}, headers=editor
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"cost_cents", "category"}
    assert client.patch("/api/v1/tools/linear", json={"nope": 1}, headers=editor).status_code == 422
    ok = client.patch("/api/v1/tools/linear", json={"seats_bought": 5}, headers=editor)
    assert ok.json()["seats_bought"] == 5
    assert client.get("/api/v1/tools/linear", headers=viewer).json()["cost_cents"] == 850
    assert client.delete("/api/v1/tools/linear", headers=editor).status_code == 403
    assert client.delete("/api/v1/tools/linear", headers=admin).status_code == 204
    assert client.get("/api/v1/tools/linear", headers=viewer).status_code == 404
    assert [count_events(runtime, f"tool.{a}") for a in ("created", "updated", "deleted")] == [
        1,
        1,
        1,
    ]


def test_import_preview_then_apply_then_summary(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    editor = accounts.person(Role.editor)
    headers = accounts.bearer(editor)
    content = tool_csv(editor.email)
    preview = client.post(
        "/api/v1/tools/imports?dry_run=true", json={"content": content}, headers=headers
    )
    assert preview.status_code == 200, preview.text
    assert (preview.json()["created"], preview.json()["applied"]) == (3, False)
    assert count_tools(runtime) == 0
    applied = client.post(
        "/api/v1/tools/imports?dry_run=false", json={"content": content}, headers=headers
    )
    assert applied.json()["applied"] is True and count_tools(runtime) == 3
    summary = client.get("/api/v1/tools/summary", headers=headers).json()
    assert [r["tool"] for r in summary["renewals"]] == ["amplitude"]
    assert {
        "kind": "capability",
        "value": "session-replay",
        "tools": ["amplitude", "fullstory"],
    } in summary["overlaps"]
    assert {(c["category"], c["currency"]) for c in summary["by_category"]} == {
        ("analytics", "USD"),
        ("design", "EUR"),
    }
    seats = "email,tool,last_active\n" + f"a@x.com,Amplitude,{TODAY - timedelta(days=3)}\n"
    preview = client.post(
        "/api/v1/tools/seat-usage?active_days=30", json={"content": seats}, headers=headers
    )
    assert preview.json()["tools"][0]["seats_used"] == 1 and preview.json()["dry_run"]
    assert client.get("/api/v1/tools/amplitude", headers=headers).json()["seats_used"] == 20
    client.post("/api/v1/tools/seat-usage?dry_run=false", json={"content": seats}, headers=headers)
    assert client.get("/api/v1/tools/amplitude", headers=headers).json()["seats_used"] == 1


def test_a_bad_import_is_refused_whole(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    headers = accounts.bearer(accounts.person(Role.editor))
    content = "name,category,cost,currency\nGood,analytics,10,USD\nBad,analytics,-3,USD\n"
    preview = client.post("/api/v1/tools/imports", json={"content": content}, headers=headers)
    assert preview.json()["errors"] == ["row 3, cost: must not be negative"]
    refused = client.post(
        "/api/v1/tools/imports?dry_run=false", json={"content": content}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "row 3.cost", "message": "must not be negative"}]
    missing = client.post(
        "/api/v1/tools/imports?dry_run=false", json={"content": "name,cost\nX,1\n"}, headers=headers
    )
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"row 1.category", "row 1.currency"}
    assert count_tools(runtime) == 0
