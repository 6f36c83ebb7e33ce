"""Adding checklist items to a running launch (``checklists.add_item`` and
``POST /api/v1/launches/{key}/items``), SQLite and PostgreSQL: where the item goes, its
defaults, who may, and what is refused with nothing stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.errors import Conflict, Forbidden, ValidationFailed
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.launches import blueprints, checklists, launching
from pilothouse.launches.common import find_launch
from tests.support.accounts import Accounts, sign_in

CLI = Actor.command_line()
STAGES = [
    {"name": "Beta", "offset_days": -14, "items": [{"title": "Signed", "offset_days": -20}]},
    {"name": "GA", "offset_days": 0, "items": [{"title": "Announce", "offset_days": 0}]},
]


def _launch(runtime: Runtime) -> str:
    with runtime.database.session() as session:
        blueprints.create_template(session, CLI, {"name": "Two", "stages": STAGES})
        values = {"template": "Two", "name": "Exports", "target_date": "2027-05-03"}
        return launching.create_launch(session, CLI, values).key


def test_items_go_to_the_current_or_named_stage_and_are_audited(runtime: Runtime) -> None:
    owner = Accounts(runtime).person(Role.viewer)
    key = _launch(runtime)
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        first = checklists.add_item(session, CLI, launch, {"title": " Security review "})
        second = checklists.add_item(
            session,
            CLI,
            launch,
            {"title": "Pricing page", "stage": "ga", "owner": owner.email, "required": False},
        )
        beta, ga = launch.stages
        assert (first.stage_id, first.title, first.required) == (beta.id, "Security review", True)
        assert (first.due_date, first.position) == (beta.due_date, 1)
        assert (second.stage_id, second.owner_id, second.required) == (ga.id, owner.id, False)
        item_id = second.id
    with runtime.database.session() as session:
        events = list(session.scalars(select(Event).where(Event.name == "launch.item_added")))
        assert len(events) == 2
        assert events[1].changes[f"items.{item_id}.title"]["after"] == "Pricing page"
        assert "Pricing page" in events[1].object_label


def test_bad_items_are_refused_and_nothing_is_added(runtime: Runtime) -> None:
    viewer = Accounts(runtime).person(Role.viewer)
    key = _launch(runtime)
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        with pytest.raises(ValidationFailed) as refused:
            checklists.add_item(session, CLI, launch, {"title": "x", "stage": "Alpha"})
        assert refused.value.errors[0].field == "stage"
        assert "Beta, GA" in refused.value.errors[0].message
        with pytest.raises(ValidationFailed) as refused:
            checklists.add_item(session, CLI, launch, {"title": "  "})
        assert refused.value.errors[0].field == "title"
        with pytest.raises(Forbidden):
            checklists.add_item(
                session, Actor(viewer.id, viewer.email, Role.viewer), launch, {"title": "x"}
            )
        launching.update_launch(session, CLI, launch, {"status": "cancelled"})
        with pytest.raises(Conflict):
            checklists.add_item(session, CLI, launch, {"title": "x"})
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        assert [len(s.items) for s in launch.stages] == [1, 1]


def test_the_api_adds_items_for_editors_only(client: TestClient, runtime: Runtime) -> None:
    accounts = Accounts(runtime)
    editor = accounts.bearer(accounts.person(Role.editor))
    viewer = accounts.bearer(accounts.person(Role.viewer))
    key = _launch(runtime)
    body = {"title": "Legal sign-off", "stage": "GA", "due_date": "2027-04-30"}
    added = client.post(f"/api/v1/launches/{key}/items", json=body, headers=editor)
    assert added.status_code == 201, added.text
    ga = added.json()["stages"][1]
    assert [(i["title"], i["due_date"]) for i in ga["items"]][-1] == (
        "Legal sign-off",
        "2027-04-30",
    )
    refused = client.post(f"/api/v1/launches/{key}/items", json={"title": "x"}, headers=viewer)
    assert refused.status_code == 403
    bad = client.post(
        f"/api/v1/launches/{key}/items", json={"title": "x", "stage": "Alpha"}, headers=editor
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["stage"]


def test_the_launch_page_adds_items_to_a_stage(client: TestClient, runtime: Runtime) -> None:
    key = _launch(runtime)
    csrf = sign_in(client, Accounts(runtime).person(Role.editor))
    page = client.get(f"/launches/{key}").text
    assert "Add an item to Beta" in page and "Add an item to GA" in page
    form = {"csrf_token": csrf, "stage": "GA", "title": "Press kit", "required": "on"}
    added = client.post(f"/launches/{key}/items", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    refused = client.post(
        f"/launches/{key}/items",
        data={**form, "title": " ", "due_date": "2027-02-30"},
        headers={"referer": f"http://testserver/launches/{key}"},
    )
    assert refused.status_code == 422
    with runtime.database.session() as session:
        ga = find_launch(session, key).stages[1]
        assert [(i.title, i.required, i.due_date) for i in ga.items][-1] == (
            "Press kit",
            True,
            ga.due_date,
        )
        assert len(ga.items) == 2
