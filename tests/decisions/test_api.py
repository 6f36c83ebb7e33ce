"""The decision log over the API: keys, options, decide, supersede (and cycles), links,
history, search and filters on both backends, roles, validation and the audit trail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Event, Role, TokenScope
from pilothouse.core.runtime import Runtime
from pilothouse.decisions.linking import decisions_about
from pilothouse.decisions.models import DecisionRevision, ImmutableRevision
from tests.decisions.helpers import API, Team
from tests.support.accounts import Accounts

OPTIONS = [
    {"name": "Keep the old page", "pros": "Known baseline", "cons": "No upside"},
    {"name": "Ship the new page", "pros": "Modern look", "cons": "Unproven"},
]


def test_create_edit_and_history(team: Team) -> None:
    first = team.decision(
        title="Landing page for the spring campaign",
        context="We ran **EXP-1** for three weeks.",
        options=OPTIONS,
        consulted=[team.admin_email],
        tags=["pricing", "growth"],
    )
    assert first["key"] == "DEC-1" and first["status"] == "proposed"
    assert [o["name"] for o in first["options"]] == ["Keep the old page", "Ship the new page"]
    assert [p["email"] for p in first["consulted"]] == [team.admin_email]
    assert first["version"] == 1 and first["url"] == "/decisions/DEC-1"
    assert team.decision(title="Second")["key"] == "DEC-2"

    changed = team.client.patch(
        f"{API}/dec-1",
        json={"rationale": "Cheaper to keep", "tags": ["pricing"], "version": 1},
        headers=team.editor,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["tags"] == ["pricing"]
    unchanged = team.client.patch(f"{API}/DEC-1", json={"tags": ["pricing"]}, headers=team.editor)
    assert unchanged.json()["version"] == 2  # nothing changed, no revision
    stale = team.client.patch(
        f"{API}/DEC-1", json={"title": "Lost update", "version": 1}, headers=team.editor
    )
    assert stale.status_code == 409 and stale.json()["errors"][0]["field"] == "version"

    history = team.get("/DEC-1/history")
    assert [r["version"] for r in history["items"]] == [2, 1]
    latest = history["items"][0]
    assert latest["action"] == "updated" and latest["actor_label"] == team.editor_email
    assert latest["changes"] == {
        "rationale": {"before": "", "after": "Cheaper to keep"},
        "tags": {"before": ["pricing", "growth"], "after": ["pricing"]},
    }
    assert latest["snapshot"]["title"] == "Landing page for the spring campaign"
    assert team.get("/DEC-1/history/1")["snapshot"]["tags"] == ["pricing", "growth"]
    assert team.client.get(f"{API}/DEC-1/history/9", headers=team.viewer).status_code == 404
    assert team.client.get(f"{API}/DEC-99", headers=team.viewer).status_code == 404


def test_decide_then_supersede_and_refuse_cycles(team: Team) -> None:
    old = team.decision(title="Gate at level 30", options=OPTIONS)
    not_chosen = team.client.post(f"{API}/{old['key']}/decide", json={}, headers=team.editor)
    assert not_chosen.status_code == 422
    assert not_chosen.json()["errors"][0]["field"] == "chosen_option"
    decided = team.client.post(
        f"{API}/{old['key']}/decide",
        json={"chosen_option": "keep the OLD page", "rationale": "Retention fell"},
        headers=team.editor,
    ).json()
    assert decided["status"] == "decided"
    assert decided["chosen_option"] == "Keep the old page"  # matched to the listed option
    assert decided["decided_by"]["id"] == team.editor_id and decided["decided_on"]
    again = team.client.post(f"{API}/{old['key']}/decide", json={}, headers=team.editor)
    assert again.status_code == 409

    new = team.decision(title="Gate at level 35", status="decided", chosen_option="Level 35")
    third = team.decision(title="Remove the gate")
    result = team.client.post(
        f"{API}/{old['key']}/supersede", json={"by": new["key"]}, headers=team.editor
    ).json()
    assert result["status"] == "superseded" and result["superseded_by"] == new["key"]
    assert team.get(f"/{new['key']}")["supersedes"] == [old["key"]]
    assert team.get(f"/{new['key']}/history")["items"][0]["action"] == "supersedes"

    chained = team.client.post(
        f"{API}/{new['key']}/supersede", json={"by": third["key"]}, headers=team.editor
    )
    assert chained.status_code == 200
    cycle = team.client.post(
        f"{API}/{third['key']}/supersede", json={"by": old["key"]}, headers=team.editor
    )
    assert cycle.status_code == 409, cycle.text
    assert cycle.json()["errors"][0] == {
        "field": "by",
        "message": f"cycle: {third['key']} → {old['key']} → {new['key']} → {third['key']}",
    }
    itself = team.client.post(
        f"{API}/{third['key']}/supersede", json={"by": third["key"]}, headers=team.editor
    )
    assert itself.status_code == 422
    twice = team.client.post(
        f"{API}/{old['key']}/supersede", json={"by": third["key"]}, headers=team.editor
    )
    assert twice.status_code == 409 and "already" in twice.json()["detail"]
    assert team.get(f"/{third['key']}")["status"] == "proposed"


BAD_VALUES: list[tuple[dict[str, object], str]] = [
    ({"title": "  "}, "title"),
    ({"options": [{"name": "A"}, {"name": "a"}]}, "options.1.name"),
    ({"options": [{"name": "A"}], "chosen_option": "B"}, "chosen_option"),
    ({"decided_by": "ghost@example.com"}, "decided_by"),
    ({"consulted": ["ghost@example.com"]}, "consulted.0"),
    ({"product_area": "nowhere"}, "product_area"),
    ({"decided_on": "yesterday"}, "decided_on"),
    ({"status": "superseded"}, "status"),
    ({"status": "decided"}, "chosen_option"),
    ({"links": ["planet:1"]}, "links.0"),
    ({"links": ["roadmap_item:FEAT-404"]}, "links.0"),
    ({"colour": "red"}, "colour"),
    ({"tags": ["x" * 65]}, "tags"),
]


def test_bad_values_name_the_field(team: Team) -> None:
    for values, field in BAD_VALUES + [
        ({"consulted": [team.editor_email, "x@y.z"]}, "consulted.1")
    ]:
        response = team.client.post(API, json={"title": "x", **values}, headers=team.editor)
        assert response.status_code == 422, (values, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()
    assert team.get()["items"] == []  # nothing half-written


def test_roles_and_scopes(team: Team, client: TestClient, accounts: Accounts) -> None:
    made = team.decision(title="Readable by all")
    key = made["key"]
    writes = [
        ("post", API, {"title": "x"}),
        ("patch", f"{API}/{key}", {"title": "y"}),
        ("post", f"{API}/{key}/decide", {"chosen_option": "z"}),
        ("post", f"{API}/{key}/supersede", {"by": key}),
        ("post", f"{API}/{key}/links", {"to_type": "launch", "to_id": "1"}),
        ("delete", f"{API}/{key}/links/1", None),
    ]
    read_token = accounts.bearer(accounts.person(Role.editor), TokenScope.read)
    for method, path, body in writes:
        kwargs = {"json": body} if body is not None else {}
        assert client.request(method, path, headers=team.viewer, **kwargs).status_code == 403
        assert client.request(method, path, headers=read_token, **kwargs).status_code == 403
        assert client.request(method, path, **kwargs).status_code == 401
    for path in (API, f"{API}/{key}", f"{API}/{key}/history"):
        assert client.get(path, headers=team.viewer).status_code == 200
        assert client.get(path, headers=read_token).status_code == 200
        assert client.get(path).status_code == 401
    admin_made = client.post(API, json={"title": "By an admin"}, headers=team.admin)
    assert admin_made.status_code == 201
    assert client.patch(f"{API}/{key}/history/1", headers=team.admin).status_code == 405


def test_links_and_decisions_about(team: Team, runtime: Runtime) -> None:
    item = team.client.post(
        "/api/v1/roadmap/items", json={"kind": "feature", "title": "Checklist"}, headers=team.editor
    ).json()
    decision = team.decision(title="Build the checklist", links=[f"roadmap_item:{item['key']}"])
    assert decision["links"][0]["type"] == "roadmap_item"
    assert decision["links"][0]["id"] == str(item["id"])  # keys become the id the domain links by
    assert decision["links"][0]["label"] == f"{item['key']} · Checklist"
    assert decision["links"][0]["href"] == f"/roadmap/items/{item['key']}"
    other = team.decision(title="Unrelated")
    linked = team.client.post(
        f"{API}/{other['key']}/links",
        json={"to_type": "launch", "to_id": "17", "kind": "blocks"},
        headers=team.editor,
    )
    assert linked.status_code == 201
    assert linked.json()["label"] == "Launch 17" and linked.json()["href"] is None
    bad = team.client.post(
        f"{API}/{other['key']}/links", json={"to_type": "planet", "to_id": "1"}, headers=team.editor
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to_type"

    assert team.keys(linked=f"roadmap_item:{item['key']}") == [decision["key"]]
    assert team.keys(linked=f"roadmap_item:{item['id']}") == [decision["key"]]
    assert team.keys(linked="launch:17") == [other["key"]]
    assert team.keys(linked="launch:18") == []
    with runtime.database.session() as session:
        about = decisions_about(session, ObjectRef("roadmap_item", str(item["id"])))
        assert [d.key for d in about] == [decision["key"]]

    link_id = linked.json()["link_id"]
    wrong = team.client.delete(f"{API}/{decision['key']}/links/{link_id}", headers=team.editor)
    assert wrong.status_code == 404
    gone = team.client.delete(f"{API}/{other['key']}/links/{link_id}", headers=team.editor)
    assert gone.status_code == 204
    actions = [r["action"] for r in team.get(f"/{other['key']}/history")["items"]]
    assert actions == ["unlinked", "linked", "created"]


def test_search_and_filters(team: Team, runtime: Runtime) -> None:
    with runtime.database.session() as session:
        from pilothouse.core import areas

        areas.create_area(session, Actor.command_line(), name="Billing & Plans")
    a = team.decision(
        title="Annual billing discount",
        context="Offer 15% off for annual plans; inspired by the Café survey.",
        options=[{"name": "Discount", "pros": "cash up front", "cons": "lower_ARR"}],
        tags=["Pricing"],
        product_area="billing-plans",
        status="decided",
        chosen_option="Discount",
        decided_on="2026-03-10",
    )
    b = team.decision(
        title="Keep monthly billing only",
        rationale="Simpler invoicing",
        decided_by=team.admin_email,
        decided_on="2026-05-02",
    )
    c = team.decision(title="Dark mode", tags=["mobile"])
    assert team.keys(q="billing") == [b["key"], a["key"]]  # newest first
    assert team.keys(q="BILLING annual") == [a["key"]]
    assert team.keys(q="cafe") == [a["key"]]  # accents and case do not matter
    assert team.keys(q="15%") == [a["key"]] and team.keys(q="%") == [a["key"]]
    assert team.keys(q="lower_arr") == [a["key"]] and team.keys(q="w_r") == []
    assert team.keys(q="cash up front") == [a["key"]]  # pros and cons are searched
    assert team.keys(q="invoicing") == [b["key"]]
    assert team.keys(status="decided") == [a["key"]]
    assert team.keys(tag="pricing") == [a["key"]]
    assert team.keys(product_area="billing-plans") == [a["key"]]
    assert team.keys(decided_by=team.admin_email) == [b["key"]]
    assert team.keys(decided_from="2026-04-01") == [b["key"]]
    assert team.keys(decided_to="2026-04-01") == [a["key"]]
    bad_range = team.client.get(
        API, params={"decided_from": "2026-05-01", "decided_to": "2026-01-01"}, headers=team.viewer
    )
    assert bad_range.status_code == 422
    assert bad_range.json()["errors"][0]["field"] == "decided_to"
    first = team.get("", limit=2)
    assert [d["key"] for d in first["items"]] == [c["key"], b["key"]]
    rest = team.get("", limit=2, cursor=first["next_cursor"])
    assert [d["key"] for d in rest["items"]] == [a["key"]] and rest["next_cursor"] is None


def test_revisions_are_immutable_and_audited(team: Team, runtime: Runtime) -> None:
    made = team.decision(title="Ship it")
    team.client.post(
        f"{API}/{made['key']}/decide", json={"chosen_option": "Yes"}, headers=team.editor
    )
    with runtime.database.session() as session:
        revision = session.scalars(select(DecisionRevision)).first()
        assert revision is not None
        revision.action = "tampered"
        with pytest.raises(ImmutableRevision):
            session.flush()
        session.rollback()
    with pytest.raises(DBAPIError), runtime.database.session() as session:
        session.execute(update(DecisionRevision).values(action="tampered"))
    with runtime.database.session() as session:
        actions = session.scalars(text("SELECT action FROM decision_revisions ORDER BY version"))
        assert list(actions) == ["created", "decided"]
        events = session.scalars(
            select(Event).where(Event.object_type == "decision").order_by(Event.id)
        ).all()
        assert [e.name for e in events] == ["decision.created", "decision.decided"]
        assert events[1].actor_label == team.editor_email
        assert events[1].changes["status"] == {"before": "proposed", "after": "decided"}


def test_people_who_left_stay_on_their_decisions(team: Team, accounts: Accounts) -> None:
    from pilothouse.core import users
    from pilothouse.core.models import User

    leaver = accounts.person(Role.editor)
    made = team.decision(title="Old call", decided_by=leaver.email, consulted=[leaver.email])
    with accounts.runtime.database.session() as session:
        user = session.get(User, leaver.id)
        assert user is not None
        users.update_user(session, Actor.command_line(), user, is_active=False)
    kept = team.client.patch(
        f"{API}/{made['key']}",
        json={"title": "Old call, reworded", "decided_by": leaver.id, "consulted": [leaver.id]},
        headers=team.editor,
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["decided_by"]["email"] == leaver.email
    refused = team.client.post(
        API, json={"title": "New call", "decided_by": leaver.email}, headers=team.editor
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "decided_by"
