"""Planning objects over the API: items and their hierarchy, statuses, custom fields, OKRs,
filters and sorting, links, roles and the audit trail."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.roadmap.helpers import API, Team, write_metric_catalog
from tests.support.accounts import Accounts


def test_items_get_stable_keys_per_kind(team: Team) -> None:
    initiative = team.item(kind="initiative", title="Guided onboarding")
    feature = team.item(kind="feature", title="Checklist", parent=initiative["key"])
    idea = team.item(title="Progress bar", parent=feature["key"])
    assert (initiative["key"], feature["key"], idea["key"]) == ("INIT-1", "FEAT-1", "IDEA-1")
    assert idea["status"] == {"key": "new", "name": "New", "category": "backlog"}
    assert idea["parent"] == "FEAT-1"
    response = team.client.delete(f"{API}/items/IDEA-1", headers=team.editor)
    assert response.status_code == 204
    assert team.item(title="Another")["key"] == "IDEA-2"  # keys are never reused
    promoted = team.client.patch(
        f"{API}/items/IDEA-2", json={"kind": "feature"}, headers=team.editor
    ).json()
    assert promoted["key"] == "FEAT-2"
    assert team.get("/items/idea-2")["key"] == "FEAT-2"  # the old key still resolves


def test_hierarchy_refuses_cycles_and_upside_down_parents(team: Team) -> None:
    top = team.item(kind="initiative", title="Top")
    middle = team.item(kind="initiative", title="Middle", parent=top["key"])
    bottom = team.item(kind="initiative", title="Bottom", parent=middle["key"])
    cycle = team.client.patch(
        f"{API}/items/{top['key']}", json={"parent": bottom["key"]}, headers=team.editor
    )
    assert cycle.status_code == 409
    assert "cycle" in cycle.json()["detail"]
    assert cycle.json()["errors"][0] == {
        "field": "parent",
        "message": "cycle: INIT-1 → INIT-3 → INIT-2 → INIT-1",
    }
    itself = team.client.patch(
        f"{API}/items/{top['key']}", json={"parent": top["key"]}, headers=team.editor
    )
    assert itself.status_code == 409
    idea = team.item(title="Idea")
    upside = team.client.post(
        f"{API}/items",
        json={"kind": "feature", "title": "F", "parent": idea["key"]},
        headers=team.editor,
    )
    assert upside.status_code == 422
    assert upside.json()["errors"][0]["field"] == "parent"
    demote = team.client.patch(
        f"{API}/items/{middle['key']}", json={"kind": "idea"}, headers=team.editor
    )
    assert demote.status_code == 422  # Bottom, an initiative, sits under it
    busy = team.client.delete(f"{API}/items/{top['key']}", headers=team.editor)
    assert busy.status_code == 409 and "INIT-2" in busy.json()["detail"]
    assert team.get("/items", parent="none")["items"][0]["key"] == "INIT-1"


def test_bad_values_name_the_field(team: Team) -> None:
    for values, field in [
        ({"confidence": 120}, "confidence"),
        ({"effort": -1}, "effort"),
        ({"target_quarter": "Q5"}, "target_quarter"),
        ({"status": "nope"}, "status"),
        ({"owner_id": "ghost@example.com"}, "owner_id"),
        ({"product_area_id": "nowhere"}, "product_area_id"),
        ({"fields": {"nope": 1}}, "fields.nope"),
        ({"objectives": ["OBJ-99"]}, "objectives.0"),
        ({"start_date": "2026-05-01", "target_date": "2026-04-01"}, "target_date"),
    ]:
        response = team.client.post(
            f"{API}/items", json={"title": "x", **values}, headers=team.editor
        )
        assert response.status_code == 422, (values, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()
    assert team.get("/items")["items"] == []


def test_statuses_are_a_configurable_workflow(team: Team) -> None:
    keys = [s["key"] for s in team.get("/statuses")["items"]]
    assert keys == ["new", "discovery", "planned", "in-progress", "launched", "declined"]
    created = team.client.post(
        f"{API}/statuses",
        json={"name": "Beta", "category": "in_progress", "position": 4},
        headers=team.admin,
    )
    assert created.status_code == 201, created.text
    assert [s["key"] for s in team.get("/statuses")["items"]][3:6] == [
        "in-progress",
        "beta",
        "launched",
    ]
    assert (
        team.client.post(
            f"{API}/statuses", json={"name": "X", "category": "done"}, headers=team.editor
        ).status_code
        == 403
    )
    item = team.item(title="In beta", status="Beta")
    assert item["status"]["category"] == "in_progress"
    refused = team.client.delete(f"{API}/statuses/beta", headers=team.admin)
    assert refused.status_code == 409
    moved = team.client.delete(
        f"{API}/statuses/beta", params={"move_to": "launched"}, headers=team.admin
    )
    assert moved.status_code == 204
    assert team.get(f"/items/{item['key']}")["status"]["key"] == "launched"
    default = team.client.patch(
        f"{API}/statuses/planned", json={"is_default": True}, headers=team.admin
    )
    assert default.json()["is_default"] is True
    assert team.item(title="Now planned by default")["status"]["key"] == "planned"


def test_custom_fields_filter_and_sort(team: Team) -> None:
    for body in (
        {"name": "Segment", "type": "single_select", "options": ["SMB", "Enterprise"]},
        {"name": "Platforms", "type": "multi_select", "options": ["web", "ios", "android"]},
        {"name": "Story points", "type": "number"},
        {"name": "Launch date", "type": "date"},
        {"name": "Design lead", "type": "user"},
        {"name": "Spec", "type": "url"},
        {"name": "Notes", "type": "text"},
    ):
        response = team.client.post(f"{API}/fields", json=body, headers=team.admin)
        assert response.status_code == 201, response.text
    assert (
        team.client.post(
            f"{API}/fields", json={"name": "Z", "type": "text"}, headers=team.editor
        ).status_code
        == 403
    )
    a = team.item(
        title="A",
        fields={
            "segment": "enterprise",
            "platforms": ["ios", "web"],
            "story_points": 8,
            "launch_date": "2026-09-01",
            "design_lead": team.editor_id,
            "spec": "https://docs.example/a",
        },
    )
    assert a["fields"]["segment"] == "Enterprise"
    assert a["fields"]["platforms"] == ["web", "ios"]
    b = team.item(title="B", fields={"segment": "SMB", "platforms": "android", "story_points": 3})
    team.item(title="C")
    keys = lambda **p: [i["key"] for i in team.get("/items", **p)["items"]]  # noqa: E731
    assert keys(field="segment=Enterprise") == [a["key"]]
    assert keys(field="platforms=ios") == [a["key"]]
    assert keys(field="story_points>=4") == [a["key"]]
    assert keys(field="launch_date<2026-12-31") == [a["key"]]
    assert keys(field="segment!=Enterprise") == [b["key"], "IDEA-3"]
    assert keys(sort="-field:story_points") == [a["key"], b["key"], "IDEA-3"]
    assert keys(sort="field:story_points") == [b["key"], a["key"], "IDEA-3"]
    bad = team.client.post(
        f"{API}/items", json={"title": "x", "fields": {"segment": "Mid"}}, headers=team.editor
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "fields.segment"
    bad_url = team.client.post(
        f"{API}/items", json={"title": "x", "fields": {"spec": "ftp://x"}}, headers=team.editor
    )
    assert bad_url.status_code == 422
    in_use = team.client.patch(
        f"{API}/fields/segment", json={"options": ["SMB"]}, headers=team.admin
    )
    assert in_use.status_code == 409


def test_filters_sorting_and_pages(team: Team, client: TestClient) -> None:
    area = client.post("/api/v1/areas", json={"name": "Billing"}, headers=team.admin).json()
    objective = client.post(
        f"{API}/objectives", json={"title": "Grow revenue"}, headers=team.editor
    ).json()
    for n in range(5):
        team.item(
            kind="feature",
            title=f"Feature {n}",
            reach=100 * (n + 1),
            impact=1,
            confidence=100,
            effort=1,
            tags=["billing"] if n % 2 else [],
            product_area_id=area["slug"] if n < 2 else None,
            objectives=[objective["key"]] if n == 4 else [],
            owner_id=team.editor_id if n == 3 else None,
            target_quarter="Q3 2026" if n == 0 else None,
        )
    keys = lambda **p: [i["key"] for i in team.get("/items", **p)["items"]]  # noqa: E731
    assert keys(tag="BILLING") == ["FEAT-2", "FEAT-4"]
    assert keys(product_area="billing") == ["FEAT-1", "FEAT-2"]
    assert keys(objective=objective["key"]) == ["FEAT-5"]
    assert keys(owner=str(team.editor_id)) == ["FEAT-4"]
    assert keys(quarter="2026-Q3") == ["FEAT-1"]
    assert keys(q="feature 3") == ["FEAT-4"]
    assert keys(category="backlog", kind="feature") == [f"FEAT-{n}" for n in range(1, 6)]
    first = team.get("/items", sort="-score:rice", limit=2)
    assert [i["key"] for i in first["items"]] == ["FEAT-5", "FEAT-4"]
    rest = team.get("/items", sort="-score:rice", limit=10, cursor=first["next_cursor"])
    assert [i["key"] for i in rest["items"]] == ["FEAT-3", "FEAT-2", "FEAT-1"]
    assert keys(sort="-id", limit=1) == ["FEAT-5"]
    wrong = client.get(
        f"{API}/items",
        params={"sort": "title", "cursor": first["next_cursor"]},
        headers=team.viewer,
    )
    assert wrong.status_code == 400
    assert (
        client.get(f"{API}/items", params={"sort": "nope"}, headers=team.viewer).status_code == 422
    )


def test_objectives_with_key_results_bound_to_metrics(team: Team, runtime: Runtime) -> None:
    write_metric_catalog(runtime)  # metric names are checked when saved
    created = team.client.post(
        f"{API}/objectives",
        json={
            "title": "Make the first week effortless",
            "period": "2026-Q3",
            "key_results": [
                {
                    "title": "Activation to 70%",
                    "metric_slug": "activation-rate",
                    "baseline_value": 55,
                    "target_value": 70,
                    "current_value": 61,
                },
                {"title": "WAU 2,400", "metric_slug": "weekly_active_users", "target_value": 2400},
            ],
        },
        headers=team.editor,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"] == "OBJ-1"
    first, second = body["key_results"]
    assert first["current_source"] == "manual" and first["progress"] == 0.4
    assert second["current_value"] is None and second["progress"] is None
    assert body["progress"] == 0.4
    updated = team.client.patch(
        f"{API}/key-results/{second['id']}", json={"current_value": 1200}, headers=team.editor
    ).json()
    assert updated["progress"] == 0.45
    bad = team.client.post(
        f"{API}/objectives/OBJ-1/key-results",
        json={"title": "x", "metric_slug": "Not A Slug!", "target_value": 1},
        headers=team.editor,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "metric_slug"
    feature = team.item(title="Checklist", objectives=["OBJ-1"])
    assert feature["objectives"] == ["OBJ-1"]
    assert team.client.delete(f"{API}/objectives/OBJ-1", headers=team.editor).status_code == 204
    assert team.get(f"/items/{feature['key']}")["objectives"] == []


def test_links_and_external_tickets(team: Team) -> None:
    item = team.item(kind="feature", title="Excel export")
    link = team.client.post(
        f"{API}/items/{item['key']}/links",
        json={"to_type": "experiment", "to_id": "EXP-4", "kind": "validated_by"},
        headers=team.editor,
    )
    assert link.status_code == 201
    feedback = team.client.post(
        f"{API}/items/{item['key']}/links",
        json={"to_type": "feedback_item", "to_id": "77", "kind": "evidence"},
        headers=team.editor,
    ).json()
    assert (feedback["from_type"], feedback["to_type"]) == ("feedback_item", "roadmap_item")
    ticket = team.client.post(
        f"{API}/items/{item['key']}/external-refs",
        json={"url": "https://acme.atlassian.net/browse/REP-12"},
        headers=team.editor,
    ).json()
    assert (ticket["system"], ticket["external_key"]) == ("jira", "REP-12")
    links = team.get(f"/items/{item['key']}/links")["items"]
    assert {(lk["to_type"], lk["to_id"]) for lk in links} == {
        ("experiment", "EXP-4"),
        ("roadmap_item", str(item["id"])),
        ("external_ticket", "jira:REP-12"),
    }
    other = team.item(title="Other")
    taken = team.client.post(
        f"{API}/items/{other['key']}/external-refs",
        json={"url": "https://acme.atlassian.net/browse/REP-12"},
        headers=team.editor,
    )
    assert taken.status_code == 409
    gone = team.client.delete(
        f"{API}/items/{item['key']}/links/{link.json()['id']}", headers=team.editor
    )
    assert gone.status_code == 204


def test_every_change_is_audited_field_by_field(team: Team, client: TestClient) -> None:
    client.post(f"{API}/fields", json={"name": "Tier", "type": "number"}, headers=team.admin)
    item = team.item(title="Audit me", reach=10, tags=["a"])
    team.client.patch(
        f"{API}/items/{item['key']}",
        json={"reach": 20, "tags": ["a", "b"], "status": "planned", "fields": {"tier": 2}},
        headers=team.editor,
    )
    log = client.get(
        "/api/v1/audit", params={"object_type": "roadmap_item"}, headers=team.admin
    ).json()["items"]
    assert log[0]["action"] == "updated"
    assert log[0]["changes"] == {
        "reach": {"before": 10.0, "after": 20.0},
        "tags": {"before": ["a"], "after": ["a", "b"]},
        "status": {"before": "new", "after": "planned"},
        "fields.tier": {"before": None, "after": 2.0},
    }
    assert log[1]["action"] == "created"


def test_viewers_read_but_cannot_write(team: Team, accounts: Accounts) -> None:
    team.item(title="Visible")
    assert len(team.get("/items")["items"]) == 1
    viewer = accounts.bearer(accounts.person(Role.viewer))
    for method, path in [
        ("post", "/items"),
        ("patch", "/items/IDEA-1"),
        ("delete", "/items/IDEA-1"),
        ("post", "/formulas"),
        ("post", "/imports"),
        ("post", "/objectives"),
    ]:
        response = getattr(team.client, method)(f"{API}{path}", headers=viewer)
        assert response.status_code == 403, (method, path)
