"""The experiment registry: drafts, the lifecycle, workspace rules and the audit trail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.core.workspace import set_setting
from pilothouse.metrics.demo import copy_demo_definitions
from tests.support.accounts import Accounts

EXPOSURE = {
    "kind": "event",
    "event": "Experiment Viewed",
    "experiment_property": "experiment",
    "variation_property": "variation",
}


@pytest.fixture
def editor_headers(runtime: Runtime, accounts: Accounts) -> dict[str, str]:
    copy_demo_definitions(runtime.settings.effective_metrics_path)
    return accounts.bearer(accounts.person(Role.editor))


def _create(client: TestClient, headers: dict[str, str], **body: object) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/experiments", json={"name": "Checklist onboarding", **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_lifecycle_from_draft_to_decision(
    client: TestClient, editor_headers: dict[str, str], accounts: Accounts
) -> None:
    created = _create(
        client,
        editor_headers,
        hypothesis="A checklist lifts activation.",
        exposure=EXPOSURE,
        metrics=[
            {"metric": "activation_rate", "role": "primary"},
            {
                "metric": "card_payments",
                "role": "guardrail",
                "bad_direction": "decrease",
                "margin": 0.02,
            },
        ],
    )
    key = created["key"]
    assert key == "EXP-1" and created["status"] == "draft"
    assert [v["key"] for v in created["variations"]] == ["control", "treatment"]
    started = client.post(f"/api/v1/experiments/{key}/start", headers=editor_headers).json()
    assert started["status"] == "running" and started["started_at"]
    locked = client.patch(
        f"/api/v1/experiments/{key}",
        json={"variations": [{"key": "a", "weight": 1.0}]},
        headers=editor_headers,
    )
    assert locked.status_code == 409 and "draft" in locked.json()["detail"]
    renamed = client.patch(
        f"/api/v1/experiments/{key}", json={"name": "Checklist v1"}, headers=editor_headers
    )
    assert renamed.status_code == 200
    early = client.post(
        f"/api/v1/experiments/{key}/decision",
        json={"outcome": "ship", "rationale": "won"},
        headers=editor_headers,
    )
    assert early.status_code == 409
    client.post(f"/api/v1/experiments/{key}/stop", headers=editor_headers)
    decided = client.post(
        f"/api/v1/experiments/{key}/decision",
        json={"outcome": "ship", "rationale": "Activation +6 pts, no harm."},
        headers=editor_headers,
    ).json()
    assert decided["status"] == "decided"
    assert decided["decision"]["outcome"] == "ship"
    admin_headers = accounts.bearer(accounts.person(Role.admin))
    log = client.get("/api/v1/audit", params={"object_id": key}, headers=admin_headers).json()
    names = [e["name"] for e in log["items"]]
    for expected in (
        "experiment.created",
        "experiment.started",
        "experiment.updated",
        "experiment.stopped",
        "experiment.decided",
        "experiment.decision_recorded",
    ):
        assert expected in names


def test_bad_designs_name_the_field(client: TestClient, editor_headers: dict[str, str]) -> None:
    unknown = client.post(
        "/api/v1/experiments",
        json={"name": "X", "metrics": [{"metric": "revenue_typo", "role": "primary"}]},
        headers=editor_headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "metrics[0].metric"
    weights = client.post(
        "/api/v1/experiments",
        json={
            "name": "X",
            "variations": [{"key": "control", "weight": 0.5}, {"key": "treatment", "weight": 0.4}],
        },
        headers=editor_headers,
    )
    assert weights.status_code == 422 and "add up to 1" in weights.json()["errors"][0]["message"]
    guardrail = client.post(
        "/api/v1/experiments",
        json={"name": "X", "metrics": [{"metric": "signups", "role": "guardrail"}]},
        headers=editor_headers,
    )
    assert guardrail.json()["errors"][0]["field"] == "metrics[0].bad_direction"
    exposure = client.post(
        "/api/v1/experiments",
        json={"name": "X", "exposure": {"kind": "event"}},
        headers=editor_headers,
    )
    assert {e["field"] for e in exposure.json()["errors"]} == {
        "exposure.event",
        "exposure.experiment_property",
        "exposure.variation_property",
    }


def test_start_follows_the_workspace_rules(
    client: TestClient, editor_headers: dict[str, str], runtime: Runtime
) -> None:
    key = _create(client, editor_headers, exposure=EXPOSURE)["key"]
    refused = client.post(f"/api/v1/experiments/{key}/start", headers=editor_headers)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"hypothesis", "metrics"}
    with runtime.database.session() as session:
        actor = Actor.command_line()
        set_setting(session, actor, "experiments.require_hypothesis", False)
        set_setting(session, actor, "experiments.require_primary_metric", False)
    allowed = client.post(f"/api/v1/experiments/{key}/start", headers=editor_headers)
    assert allowed.status_code == 200 and allowed.json()["status"] == "running"


def test_list_filters_by_status(client: TestClient, editor_headers: dict[str, str]) -> None:
    _create(client, editor_headers)
    _create(client, editor_headers, name="Pricing page copy")
    listed = client.get(
        "/api/v1/experiments", params={"status": "draft"}, headers=editor_headers
    ).json()
    assert [e["key"] for e in listed["items"]] == ["EXP-2", "EXP-1"]
    assert (
        client.get(
            "/api/v1/experiments", params={"status": "running"}, headers=editor_headers
        ).json()["items"]
        == []
    )
