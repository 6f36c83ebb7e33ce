"""The launch API on SQLite and PostgreSQL: templates, launches, checklists, gates, the
refused gate (409 naming what is missing, and audited), roles, and release notes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts


@pytest.fixture
def crew(client: TestClient, accounts: Accounts) -> Crew:
    return Crew(client, accounts)


def _events(crew: Crew, name: str) -> list[dict[str, Any]]:
    response = crew.client.get(f"{API}/audit", params={"name": name}, headers=crew.admin)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_template_crud_roles_and_audit(crew: Crew) -> None:
    client = crew.client
    template = crew.template(description="Our default")
    assert [s["name"] for s in template["stages"]] == ["Beta", "GA"]
    gate = template["stages"][0]["gates"][0]
    assert [a["email"] for a in gate["approvers"]] == [
        crew.editor_person.email,
        "legal@example.com",
    ]
    body = {"name": "Other", "stages": template["stages"][:1]}
    assert client.post(f"{API}/launch-templates", json=body, headers=crew.viewer).status_code == 403
    short = client.post(f"{API}/launch-templates", json=body, headers=crew.editor)
    assert short.status_code == 422
    bad = {
        "name": "Other",
        "stages": [
            {"name": "A", "gates": [{"name": "G", "approvers": ["nobody@example.com"]}]},
            {"name": "B"},
        ],
    }
    response = client.post(f"{API}/launch-templates", json=bad, headers=crew.editor)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stages.0.gates.0.approvers.0"
    again = client.post(
        f"{API}/launch-templates",
        json={"name": "standard", "stages": [{"name": "A"}, {"name": "B"}]},
        headers=crew.editor,
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "name"
    renamed = client.patch(
        f"{API}/launch-templates/{template['id']}",
        json={"name": "Standard v2"},
        headers=crew.editor,
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Standard v2"
    listed = client.get(f"{API}/launch-templates", headers=crew.viewer).json()
    assert listed["count"] == 1
    deleted = client.delete(f"{API}/launch-templates/{template['id']}", headers=crew.editor)
    assert deleted.status_code == 204
    assert (
        client.get(f"{API}/launch-templates/{template['id']}", headers=crew.viewer).status_code
        == 404
    )
    names = {e["name"] for e in _events(crew, "launch_template.created")}
    assert names == {"launch_template.created"}
    updated = _events(crew, "launch_template.updated")[0]
    assert updated["changes"]["name"] == {"before": "Standard", "after": "Standard v2"}
    assert _events(crew, "launch_template.deleted")


def test_launch_copies_template_with_owners_dates_and_features(crew: Crew) -> None:
    template = crew.template()
    feature = crew.feature("Scheduled e-mails", description="Reports arrive by e-mail.")
    launch = crew.launch(
        features=[feature["key"]], owners={"Docs": "legal@example.com"}, product_area=None
    )
    assert launch["key"].startswith("LAUNCH-")
    assert launch["status"] == "planned" and launch["stage"] == "Beta"
    beta = launch["stages"][0]
    assert beta["due_date"] == "2026-11-17"
    assert [i["due_date"] for i in beta["items"]] == ["2026-11-01", "2026-11-11"]
    assert beta["items"][0]["owner"]["email"] == crew.editor_person.email  # the launch owner
    assert beta["items"][1]["owner"]["email"] == "legal@example.com"
    assert [f["key"] for f in launch["features"]] == [feature["key"]]
    # Editing the template afterwards leaves the running launch alone.
    crew.client.patch(
        f"{API}/launch-templates/{template['id']}",
        json={"stages": [{"name": "Only"}, {"name": "Two"}]},
        headers=crew.editor,
    )
    assert [s["name"] for s in crew.get(launch["key"])["stages"]] == ["Beta", "GA"]
    # Moving the GA date moves every due date with it.
    moved = crew.client.patch(
        f"{API}/launches/{launch['key']}", json={"target_date": "2026-12-08"}, headers=crew.editor
    ).json()
    assert moved["stages"][0]["items"][0]["due_date"] == "2026-11-08"
    typo = crew.client.post(
        f"{API}/launches",
        json={
            "template": "Standard",
            "name": "X",
            "target_date": "2026-12-01",
            "owners": {"QA": 1},
        },
        headers=crew.editor,
    )
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "owners.QA"
    unknown = crew.client.post(
        f"{API}/launches",
        json={
            "template": "Standard",
            "name": "X",
            "target_date": "2026-12-01",
            "features": ["FEAT-999"],
        },
        headers=crew.editor,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "features.0"
    # A viewer may tick off an item they own (the Docs item), and nothing else.
    docs_item = f"{API}/launches/{launch['key']}/items/{beta['items'][1]['id']}"
    assert crew.client.post(f"{docs_item}/check", headers=crew.approver).status_code == 200
    assert (
        crew.client.patch(docs_item, json={"title": "x"}, headers=crew.approver).status_code == 403
    )
    listed = crew.client.get(f"{API}/launches", params={"status": "planned"}, headers=crew.viewer)
    assert [row["key"] for row in listed.json()["items"]] == [launch["key"]]


def test_gate_refused_then_approved_and_passed(crew: Crew) -> None:
    client = crew.client
    crew.template()
    feature = crew.feature("Scheduled e-mails")
    launch = crew.launch(features=[feature["key"]])
    key = launch["key"]
    beta = launch["stages"][0]
    gate_id = beta["gates"][0]["id"]

    refused = client.post(f"{API}/launches/{key}/advance", headers=crew.editor)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "urn:pilothouse:problem:gate-refused"
    assert "Beta customers signed" in problem["detail"]
    assert "legal@example.com" in problem["detail"]
    fields = [e["field"] for e in problem["errors"]]
    assert f"items.{beta['items'][0]['id']}" in fields
    assert f"gates.{gate_id}.approvers.legal@example.com" in fields
    assert all("Docs draft" not in e["message"] for e in problem["errors"])  # optional
    refusals = _events(crew, "launch.gate_refused")
    assert len(refusals) == 1 and refusals[0]["object_id"] == str(launch["id"])
    assert refusals[0]["actor_label"] == crew.editor_person.email
    assert crew.get(key)["stage"] == "Beta"

    # Only the named approvers decide; a viewer who is one may; a rejection needs a reason.
    approve = f"{API}/launches/{key}/gates/{gate_id}/approve"
    assert client.post(approve, headers=crew.viewer).status_code == 403
    assert client.post(approve, headers=crew.admin).status_code == 403
    no_reason = client.post(
        f"{API}/launches/{key}/gates/{gate_id}/reject", json={"comment": " "}, headers=crew.approver
    )
    assert no_reason.status_code == 422
    rejected = client.post(
        f"{API}/launches/{key}/gates/{gate_id}/reject",
        json={"comment": "Privacy review missing"},
        headers=crew.approver,
    )
    assert rejected.status_code == 200
    assert "approval rejected from legal@example.com" in " ".join(rejected.json()["blockers"])
    assert client.post(approve, json={"comment": "ok"}, headers=crew.approver).status_code == 200
    assert client.post(approve, headers=crew.editor).status_code == 200

    # The item's owner (or an editor) ticks it off; a viewer who does not own it may not.
    item = f"{API}/launches/{key}/items/{beta['items'][0]['id']}"
    assert client.post(f"{item}/check", headers=crew.viewer).status_code == 403
    assert client.post(f"{item}/check", headers=crew.editor).status_code == 200

    passed = client.post(f"{API}/launches/{key}/advance", headers=crew.editor)
    assert passed.status_code == 200, passed.text
    body = passed.json()
    assert body["stage"] == "GA" and body["status"] == "launched"
    assert body["stages"][0]["state"] == "passed"
    assert body["features"][0]["status"] == "launched"  # marked on the roadmap
    changed = _events(crew, "launch.stage_changed")[0]
    assert changed["changes"]["stage"] == {"before": "Beta", "after": "GA"}
    assert _events(crew, "launch.gate_approved") and _events(crew, "launch.gate_rejected")
    assert _events(crew, "launch.item_done")
    again = client.post(f"{API}/launches/{key}/advance", headers=crew.editor)
    assert again.status_code == 409


def test_viewers_cannot_change_launches(crew: Crew) -> None:
    crew.template()
    key = crew.launch()["key"]
    client = crew.client
    for method, path, body in (
        (
            "POST",
            f"{API}/launches",
            {"template": "Standard", "name": "X", "target_date": "2026-12-01"},
        ),
        ("PATCH", f"{API}/launches/{key}", {"name": "Y"}),
        ("POST", f"{API}/launches/{key}/advance", None),
        ("PUT", f"{API}/launches/{key}/release-notes", {"markdown": "x"}),
        ("DELETE", f"{API}/launches/{key}", None),
    ):
        response = client.request(method, path, json=body, headers=crew.viewer)
        assert response.status_code == 403, (method, path, response.text)
    assert client.get(f"{API}/launches/{key}", headers=crew.viewer).status_code == 200


def test_release_notes_generate_edit_publish_markdown(crew: Crew) -> None:
    client = crew.client
    area = client.post(f"{API}/areas", json={"name": "Analytics"}, headers=crew.editor).json()
    crew.template()
    one = crew.feature(
        "Scheduled e-mails", description="Reports arrive by e-mail.", product_area_id=area["id"]
    )
    two = crew.feature("Faster exports", description="Exports are twice as fast.")
    key = crew.launch(features=[one["key"], two["key"]])["key"]
    notes = f"{API}/launches/{key}/release-notes"
    assert client.get(f"{notes}.md", headers=crew.viewer).status_code == 404
    nothing = client.post(f"{notes}/publish", headers=crew.editor)
    assert nothing.status_code == 409
    draft = client.post(f"{notes}/generate", headers=crew.editor).json()["draft"]
    assert draft.index("### Analytics") < draft.index("#### Scheduled e-mails")
    assert "Reports arrive by e-mail." in draft and "### Other improvements" in draft
    edited = draft + "\nThanks to our beta customers.\n"
    assert client.put(notes, json={"markdown": edited}, headers=crew.editor).status_code == 200
    published = client.post(f"{notes}/publish", headers=crew.editor).json()
    assert published["published"] == edited and published["published_at"]
    markdown = client.get(f"{notes}.md", headers=crew.viewer)
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text == edited
    changelog = client.get(f"{API}/launches/changelog", headers=crew.viewer).json()
    assert [e["key"] for e in changelog["items"]] == [key]
    assert _events(crew, "launch.release_notes_published")


def test_calendar_month_and_area_filter(crew: Crew) -> None:
    client = crew.client
    area = client.post(f"{API}/areas", json={"name": "Billing"}, headers=crew.editor).json()
    crew.template()
    crew.launch(name="Annual plans", product_area=area["slug"])
    crew.launch(name="Other", target_date="2027-01-10")
    month = client.get(f"{API}/launches/calendar", params={"month": "2026-11"}, headers=crew.viewer)
    labels = [(e["day"], e["label"]) for e in month.json()["entries"]]
    assert labels == [("2026-11-17", "Annual plans: Beta ends")]
    december = client.get(
        f"{API}/launches/calendar",
        params={"month": "2026-12", "area": "billing"},
        headers=crew.viewer,
    ).json()
    assert [(e["day"], e["kind"]) for e in december["entries"]] == [("2026-12-01", "ga")]
    assert december["previous"] == "2026-11" and december["next"] == "2027-01"
    bad = client.get(f"{API}/launches/calendar", params={"month": "2026-13"}, headers=crew.viewer)
    assert bad.status_code == 422


def test_cancel_delete_and_features(crew: Crew) -> None:
    client = crew.client
    crew.template()
    feature = crew.feature("Scheduled e-mails")
    launch = crew.launch()
    key = launch["key"]
    added = client.post(
        f"{API}/launches/{key}/features", json={"feature": feature["key"]}, headers=crew.editor
    )
    assert added.status_code == 201 and added.json()["features"][0]["key"] == feature["key"]
    assert (
        client.delete(
            f"{API}/launches/{key}/features/{feature['key']}", headers=crew.editor
        ).status_code
        == 204
    )
    assert crew.get(key)["features"] == []
    soon = crew.launch(name="Soon", target_date=str(date.today() + timedelta(days=10)))
    beta = soon["stages"][0]["items"]
    assert [i["overdue"] for i in beta] == [True, True]  # due 30 and 20 days before GA
    assert soon["readiness"]["overdue_required"] == 1
    assert soon["readiness"]["overdue_optional"] == 1
    # base = 0 of (2·3 + 1·1) units → 0, so the score is 0 whatever the penalty
    assert soon["readiness"]["score"] == 0
    off = client.patch(
        f"{API}/launches/{soon['key']}", json={"status": "cancelled"}, headers=crew.editor
    ).json()
    assert [i["overdue"] for i in off["stages"][0]["items"]] == [False, False]
    cancelled = client.patch(
        f"{API}/launches/{key}", json={"status": "cancelled"}, headers=crew.editor
    )
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"{API}/launches/{key}/advance", headers=crew.editor).status_code == 409
    not_settable = client.patch(
        f"{API}/launches/{key}", json={"status": "launched"}, headers=crew.editor
    )
    assert not_settable.status_code == 422
    assert client.delete(f"{API}/launches/{key}", headers=crew.editor).status_code == 204
    assert client.get(f"{API}/launches/{key}", headers=crew.viewer).status_code == 404
    assert crew.launch()["key"] != key  # keys are never reused
    assert _events(crew, "launch.deleted")
