"""Workspace settings: the API (viewers read, admins change), the admin page, the audit
trail, and that a change takes effect on the rule it governs (starting an experiment)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts, csrf_of, sign_in

HYPOTHESIS = "experiments.require_hypothesis"
PRIMARY = "experiments.require_primary_metric"
EXPOSURE = {
    "kind": "event",
    "event": "Experiment Viewed",
    "experiment_property": "experiment",
    "variation_property": "variation",
}


def test_viewers_read_admins_change_and_changes_are_audited(
    client: TestClient, accounts: Accounts
) -> None:
    viewer = accounts.bearer(accounts.person(Role.viewer))
    admin = accounts.bearer(accounts.person(Role.admin))
    read = client.get("/api/v1/workspace/settings", headers=viewer)
    assert read.status_code == 200
    body = read.json()
    assert {k: body["values"][k] for k in (HYPOTHESIS, PRIMARY)} == {
        HYPOTHESIS: True,
        PRIMARY: True,
    }
    item = next(i for i in body["items"] if i["key"] == HYPOTHESIS)
    assert item["default"] is True and item["kind"] == "bool" and item["updated_at"] is None
    assert "hypothesis" in item["help"]

    refused = client.patch("/api/v1/workspace/settings", json={HYPOTHESIS: False}, headers=viewer)
    assert refused.status_code == 403
    changed = client.patch("/api/v1/workspace/settings", json={HYPOTHESIS: False}, headers=admin)
    assert changed.status_code == 200, changed.text
    values = changed.json()["values"]
    assert {k: values[k] for k in (HYPOTHESIS, PRIMARY)} == {HYPOTHESIS: False, PRIMARY: True}

    audit = client.get(
        "/api/v1/audit", params={"object_type": "workspace_setting"}, headers=admin
    ).json()
    entries = [e for e in audit["items"] if e["object_id"] == HYPOTHESIS]
    assert len(entries) == 1
    assert entries[0]["changes"] == {"value": {"before": True, "after": False}}
    # Saving the same value again writes nothing (no audit entry for a no-op).
    client.patch("/api/v1/workspace/settings", json={HYPOTHESIS: False}, headers=admin)
    again = client.get(
        "/api/v1/audit", params={"object_type": "workspace_setting"}, headers=admin
    ).json()
    assert len([e for e in again["items"] if e["object_id"] == HYPOTHESIS]) == 1


def test_bad_values_are_refused_and_nothing_is_half_written(
    client: TestClient, accounts: Accounts
) -> None:
    admin = accounts.bearer(accounts.person(Role.admin))
    response = client.patch(
        "/api/v1/workspace/settings",
        json={HYPOTHESIS: False, PRIMARY: "no", "experiments.typo": True},
        headers=admin,
    )
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {PRIMARY, "experiments.typo"}
    values = client.get("/api/v1/workspace/settings", headers=admin).json()["values"]
    assert {k: values[k] for k in (HYPOTHESIS, PRIMARY)} == {HYPOTHESIS: True, PRIMARY: True}


def test_the_setting_governs_starting_an_experiment(client: TestClient, accounts: Accounts) -> None:
    admin = accounts.bearer(accounts.person(Role.admin))
    created = client.post(
        "/api/v1/experiments", json={"name": "No hypothesis", "exposure": EXPOSURE}, headers=admin
    ).json()
    key = created["key"]
    blocked = client.post(f"/api/v1/experiments/{key}/start", headers=admin)
    assert blocked.status_code == 422
    client.patch(
        "/api/v1/workspace/settings", json={HYPOTHESIS: False, PRIMARY: False}, headers=admin
    )
    started = client.post(f"/api/v1/experiments/{key}/start", headers=admin)
    assert started.status_code == 200 and started.json()["status"] == "running"


def test_admin_page_form_saves_and_is_only_for_admins(
    client: TestClient, accounts: Accounts
) -> None:
    sign_in(client, accounts.person(Role.editor))
    assert client.get("/admin/settings").status_code == 403
    assert 'href="/admin/settings"' not in client.get("/").text
    client.cookies.clear()
    sign_in(client, accounts.person(Role.admin))
    page = client.get("/admin/settings")
    assert page.status_code == 200 and 'href="/admin/settings"' in page.text
    assert f'name="{HYPOTHESIS}" checked' in page.text
    # Unticking a box sends nothing for it: the form reads that as false.
    saved = client.post("/admin/settings", data={"csrf_token": csrf_of(client), PRIMARY: "on"})
    assert saved.status_code == 200 and "Workspace settings saved." in saved.text
    assert f'name="{HYPOTHESIS}" checked' not in saved.text
    assert f'name="{PRIMARY}" checked' in saved.text
    audit = client.get("/admin/audit", params={"object_type": "workspace_setting"})
    assert HYPOTHESIS in audit.text
