"""The automations JSON API: rules CRUD with clear refusals, test fire, the delivery log."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver, verify
from tests.support.accounts import Accounts

BASE = "/api/v1/automations"
#: Never called in these tests; allowed because each test enables private targets.
HOOK = "http://127.0.0.1:9/h"


def rule_body(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Launch news",
        "trigger": "roadmap_item.created",
        "conditions": [{"field": "kind", "op": "eq", "value": "feature"}],
        "actions": [{"kind": "webhook", "url": url, "format": "slack"}],
        **extra,
    }


def fields_of(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def test_bad_rules_are_refused_naming_the_field_and_nothing_changes(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    allow_private(runtime)
    editor = accounts.bearer(accounts.person(Role.editor))
    cases = [
        (rule_body(HOOK, trigger="roadmap_item.exploded"), "trigger"),
        (
            rule_body(HOOK, conditions=[{"field": "colour", "value": 1}]),
            "conditions[0].field",
        ),
        (
            rule_body(HOOK, conditions=[{"field": "kind", "op": "like"}]),
            "conditions[0].op",
        ),
        (rule_body("ftp://example.com/h"), "actions[0].url"),
        (rule_body("https://no-such-host.invalid/hook"), "actions[0].url"),  # unreachable
        (rule_body(HOOK, actions=[{"kind": "fax"}]), "actions[0].kind"),
        (
            rule_body(HOOK, actions=[{"kind": "link", "to": "decision:1", "link_kind": "Big!"}]),
            "actions[0].link_kind",
        ),
        (rule_body(HOOK, colour="red"), "colour"),
    ]
    for body, field in cases:
        response = client.post(f"{BASE}/rules", json=body, headers=editor)
        assert response.status_code == 422, response.text
        assert any(field in f for f in fields_of(response)), (field, response.json())
        if "invalid/hook" in str(body):
            [problem] = response.json()["errors"]
            assert "'no-such-host.invalid' does not resolve" in problem["message"]
    listed = client.get(f"{BASE}/rules", headers=editor).json()
    assert listed["count"] == 0
    with runtime.database.session() as session:
        names = session.scalars(select(Event.name).where(Event.object_type == "automation_rule"))
        assert list(names) == []


def test_viewers_read_but_do_not_write_or_see_secrets(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    allow_private(runtime)
    editor = accounts.bearer(accounts.person(Role.editor))
    viewer = accounts.bearer(accounts.person(Role.viewer))
    created = client.post(f"{BASE}/rules", json=rule_body(HOOK), headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["signing_secrets"][0].startswith("whsec_")
    refused = client.post(f"{BASE}/rules", json=rule_body(HOOK, name="x"), headers=viewer)
    assert refused.status_code == 403
    seen = client.get(f"{BASE}/rules/Launch news", headers=viewer).json()
    assert seen["signing_secrets"] is None and seen["trigger"] == "roadmap_item.created"
    catalogue = client.get(f"{BASE}/events", headers=viewer).json()
    assert {"roadmap_item.status_changed", "launch.gate_refused", "job.failed"} <= {
        t["name"] for t in catalogue
    }


def test_update_rotate_delete_are_audited(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    allow_private(runtime)
    editor = accounts.bearer(accounts.person(Role.editor))
    rule_id = client.post(f"{BASE}/rules", json=rule_body(HOOK), headers=editor).json()["id"]
    changed = client.patch(f"{BASE}/rules/{rule_id}", json={"enabled": False}, headers=editor)
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    rotated = client.post(f"{BASE}/rules/{rule_id}/rotate-secret", headers=editor).json()
    assert (
        len(rotated["signing_secrets"]) == 2 and rotated["signing_secrets"][0] == rotated["secret"]
    )
    assert client.delete(f"{BASE}/rules/{rule_id}", headers=editor).status_code == 204
    with runtime.database.session() as session:
        names = list(
            session.scalars(
                select(Event.name).where(Event.object_type == "automation_rule").order_by(Event.id)
            )
        )
    assert names == [
        "automation_rule.created",
        "automation_rule.updated",
        "automation_rule.secret_rotated",
        "automation_rule.deleted",
    ]


def test_test_fire_sends_a_signed_slack_webhook_and_logs_it(
    client: TestClient, accounts: Accounts, runtime: Runtime, receiver: Receiver
) -> None:
    allow_private(runtime)
    editor = accounts.bearer(accounts.person(Role.editor))
    with runtime.database.session() as session:
        items.create_item(session, Actor.command_line(), {"kind": "feature", "title": "SSO"})
    created = client.post(f"{BASE}/rules", json=rule_body(receiver.url), headers=editor).json()

    fired = client.post(f"{BASE}/rules/{created['id']}/test", headers=editor)

    assert fired.status_code == 200, fired.text
    plan = fired.json()
    assert plan["sample"] is False and "SSO" in plan["event"]["object"]["label"]
    [action] = plan["actions"]
    assert action["delivery"]["status"] == "succeeded"
    assert action["delivery"]["attempt_log"][0]["response_code"] == 200
    [got] = receiver.received
    assert verify(created["signing_secrets"][0], got.headers, got.body)
    assert "SSO" in got.json["text"] and got.json["blocks"][0]["type"] == "section"

    log = client.get(f"{BASE}/deliveries", params={"limit": 1}, headers=editor).json()
    assert [d["is_test"] for d in log["items"]] == [True] and log["next_cursor"] is None
    by_rule = client.get(f"{BASE}/deliveries", params={"rule": "Launch news"}, headers=editor)
    assert len(by_rule.json()["items"]) == 1


def test_deliveries_page_with_a_cursor(
    client: TestClient, accounts: Accounts, runtime: Runtime, receiver: Receiver
) -> None:
    allow_private(runtime)
    editor = accounts.bearer(accounts.person(Role.editor))
    created = client.post(f"{BASE}/rules", json=rule_body(receiver.url), headers=editor).json()
    for _ in range(3):
        client.post(f"{BASE}/rules/{created['id']}/test", headers=editor)
    first = client.get(f"{BASE}/deliveries", params={"limit": 2}, headers=editor).json()
    second = client.get(
        f"{BASE}/deliveries", params={"limit": 2, "cursor": first["next_cursor"]}, headers=editor
    ).json()
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    assert second["next_cursor"] is None
    bad = client.get(f"{BASE}/deliveries", params={"status": "lost"}, headers=editor)
    assert bad.status_code == 422 and fields_of(bad) == ["status"]
