"""Playbooks over the API on SQLite and PostgreSQL: create, edit with versions and a diff,
review and the stale flag, links to templates, roles, validation and the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from pilothouse.core.actor import Actor
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.launches import blueprints
from pilothouse.playbooks.models import Playbook, PlaybookRevision
from tests.playbooks.helpers import API
from tests.playbooks.helpers import PlaybookTeam as Team


def _launch_template(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        template = blueprints.create_template(
            session,
            Actor.command_line(),
            {"name": "Standard launch", "stages": [{"name": "Build"}, {"name": "GA"}]},
        )
        return template.id


def test_create_edit_history_and_diff(team: Team) -> None:
    created = team.client.post(
        API,
        json={
            "title": "Launch playbook",
            "body": "## Tiers\n\nTier 1 is announced.",
            "owner": team.editor_email,
            "reviewed_on": date.today().isoformat(),
        },
        headers=team.editor,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["slug"] == "launch-playbook" and body["version"] == 1
    assert body["owner"]["email"] == team.editor_email and body["stale"] is False
    edited = team.client.patch(
        f"{API}/launch-playbook",
        json={"body": "## Tiers\n\nTier 1 is announced by e-mail.", "version": 1},
        headers=team.editor,
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    lost = team.client.patch(
        f"{API}/launch-playbook", json={"title": "Lost", "version": 1}, headers=team.editor
    )
    assert lost.status_code == 409 and "version" in lost.text
    history = team.get("/launch-playbook/history")["items"]
    assert [r["version"] for r in history] == [2, 1]
    assert history[1]["body"] == "## Tiers\n\nTier 1 is announced."  # the old text is kept
    diff = team.get("/launch-playbook/diff", old=1, new=2)["lines"]
    assert "-Tier 1 is announced." in diff and "+Tier 1 is announced by e-mail." in diff


def test_stale_flag_and_review(team: Team, runtime: Runtime) -> None:
    old = (date.today() - timedelta(days=181)).isoformat()
    recent = (date.today() - timedelta(days=179)).isoformat()
    team.client.post(API, json={"title": "Old", "reviewed_on": old}, headers=team.editor)
    team.client.post(API, json={"title": "Recent", "reviewed_on": recent}, headers=team.editor)
    team.client.post(API, json={"title": "Never"}, headers=team.editor)
    assert [p["slug"] for p in team.get("", stale="true")["items"]] == ["never", "old"]
    reviewed = team.client.post(f"{API}/old/review", json={}, headers=team.editor)
    assert reviewed.json()["stale"] is False
    assert reviewed.json()["reviewed_on"] == date.today().isoformat()
    assert [p["slug"] for p in team.get("", stale="true")["items"]] == ["never"]
    assert runtime.settings.playbooks_stale_after_days == 180


def test_links_to_templates_are_named(team: Team, runtime: Runtime) -> None:
    template_id = _launch_template(runtime)
    created = team.client.post(
        API,
        json={"title": "Launch playbook", "links": [f"launch_template:{template_id}"]},
        headers=team.editor,
    )
    link = created.json()["links"][0]
    assert (link["label"], link["url"]) == ("Standard launch", "/launches/templates")
    missing = team.client.post(
        f"{API}/launch-playbook/links", json={"target": "launch_template:999"}, headers=team.editor
    )
    assert missing.status_code == 422 and "launch_template" in missing.text
    bogus = team.client.post(
        f"{API}/launch-playbook/links", json={"target": "spaceship:1"}, headers=team.editor
    )
    assert bogus.status_code == 422 and "unknown type" in bogus.text
    gone = team.client.delete(f"{API}/launch-playbook/links/{link['link_id']}", headers=team.editor)
    assert gone.status_code == 204
    assert team.get("/launch-playbook")["links"] == []


def test_roles_validation_and_audit(team: Team, runtime: Runtime) -> None:
    denied = team.client.post(API, json={"title": "Mine"}, headers=team.viewer)
    assert denied.status_code == 403
    bad_owner = team.client.post(
        API, json={"title": "X", "owner": "nobody@example.com"}, headers=team.editor
    )
    assert bad_owner.status_code == 422
    assert bad_owner.json()["errors"][0]["field"] == "owner"
    bad_slug = team.client.post(API, json={"title": "X", "slug": "Not A Slug"}, headers=team.editor)
    assert bad_slug.status_code == 422 and bad_slug.json()["errors"][0]["field"] == "slug"
    future = (date.today() + timedelta(days=3)).isoformat()
    bad_date = team.client.post(
        API, json={"title": "X", "reviewed_on": future}, headers=team.editor
    )
    assert bad_date.status_code == 422
    nul = team.client.post(API, json={"title": "A\u0000B"}, headers=team.editor)
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "title"
    assert team.client.get(f"{API}/a%00b", headers=team.viewer).status_code == 404
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Playbook)) == 0
    team.client.post(API, json={"title": "Triage"}, headers=team.editor)
    taken = team.client.post(API, json={"title": "Triage"}, headers=team.editor)
    assert taken.status_code == 409
    team.client.patch(f"{API}/triage", json={"body": "Daily."}, headers=team.editor)
    with runtime.database.session() as session:
        names = list(
            session.scalars(
                select(Event.name).where(Event.object_type == "playbook").order_by(Event.id)
            )
        )
        assert names == ["playbook.created", "playbook.updated"]
        assert session.scalar(select(func.count()).select_from(PlaybookRevision)) == 2
