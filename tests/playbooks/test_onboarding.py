"""Onboarding checklists over the API (SQLite and PostgreSQL): a template per role, an
assignment with a manager, the person ticks steps, the manager sees progress; who may
tick; audit entries."""

from __future__ import annotations

from sqlalchemy import select

from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from tests.playbooks.helpers import PlaybookTeam
from tests.support.accounts import Accounts

API = "/api/v1/onboarding"


def _setup(team: PlaybookTeam, accounts: Accounts) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    playbook = team.client.post(
        "/api/v1/playbooks", json={"title": "Launch playbook"}, headers=team.editor
    ).json()
    template = team.client.post(
        f"{API}/templates",
        json={
            "role": "pm",
            "title": "PM onboarding",
            "steps": [
                {"title": "Meet your area owner"},
                {"title": "Read the launch playbook", "link": f"playbook:{playbook['id']}"},
                {"title": "Run feedback triage for a week"},
            ],
        },
        headers=team.editor,
    )
    assert template.status_code == 201, template.text
    new_pm = accounts.person(Role.viewer, email="new.pm@example.com")
    manager = accounts.person(Role.viewer, email="lead@example.com")
    people = {
        "pm": accounts.bearer(new_pm),
        "manager": accounts.bearer(manager),
        "other": accounts.bearer(accounts.person(Role.viewer, email="other@example.com")),
    }
    assigned = team.client.post(
        f"{API}/assignments",
        json={"role": "pm", "person": new_pm.email, "manager": manager.email},
        headers=team.editor,
    )
    assert assigned.status_code == 201, assigned.text
    return template.json(), assigned.json(), people


def test_person_ticks_and_manager_sees_progress(
    team: PlaybookTeam, accounts: Accounts, runtime: Runtime
) -> None:
    template, assignment, people = _setup(team, accounts)
    link = template["steps"][1]["link"]
    assert (link["label"], link["url"]) == ("Launch playbook", "/playbooks/launch-playbook")
    steps = [s["id"] for s in template["steps"]]
    url = f"{API}/assignments/{assignment['id']}/steps"
    ticked = team.client.put(f"{url}/{steps[0]}", json={"done": True}, headers=people["pm"])
    assert ticked.status_code == 200, ticked.text
    assert (ticked.json()["done"], ticked.json()["total"], ticked.json()["percent"]) == (1, 3, 33)
    team.client.put(f"{url}/{steps[1]}", json={"done": True}, headers=people["pm"])
    again = team.client.put(f"{url}/{steps[1]}", json={"done": True}, headers=people["pm"])
    assert again.json()["done"] == 2  # ticking twice changes nothing
    mine = team.client.get(f"{API}/mine", headers=people["pm"]).json()["items"]
    assert [(a["role"], a["done"]) for a in mine] == [("pm", 2)]
    reports = team.client.get(f"{API}/reports", headers=people["manager"]).json()["items"]
    assert [(r["person"]["email"], r["done"], r["percent"]) for r in reports] == [
        ("new.pm@example.com", 2, 67)
    ]
    assert team.client.get(f"{API}/reports", headers=people["pm"]).json()["items"] == []
    undone = team.client.put(f"{url}/{steps[0]}", json={"done": False}, headers=people["manager"])
    assert undone.json()["done_step_ids"] == [steps[1]]
    with runtime.database.session() as session:
        names = session.scalars(
            select(Event.name).where(Event.object_type == "onboarding_assignment")
        ).all()
    assert sorted(names) == sorted(
        [
            "onboarding_assignment.created",
            "onboarding.step_done",
            "onboarding.step_done",
            "onboarding.step_undone",
        ]
    )


def test_who_may_tick_and_bad_input(team: PlaybookTeam, accounts: Accounts) -> None:
    template, assignment, people = _setup(team, accounts)
    url = f"{API}/assignments/{assignment['id']}/steps"
    step = template["steps"][0]["id"]
    other = team.client.put(f"{url}/{step}", json={"done": True}, headers=people["other"])
    assert other.status_code == 403
    assert (
        team.client.put(f"{url}/{step}", json={"done": True}, headers=team.editor).status_code
        == 200
    )
    wrong = team.client.put(f"{url}/999999", json={"done": True}, headers=people["pm"])
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "step"
    twice = team.client.post(
        f"{API}/assignments",
        json={"role": "pm", "person": "new.pm@example.com"},
        headers=team.editor,
    )
    assert twice.status_code == 409
    empty = team.client.post(
        f"{API}/templates",
        json={"role": "designer", "title": "D", "steps": []},
        headers=team.editor,
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "steps"
    bad_link = team.client.post(
        f"{API}/templates",
        json={"role": "designer", "title": "D", "steps": [{"title": "x", "link": "playbook:99"}]},
        headers=team.editor,
    )
    assert bad_link.status_code == 422
    assert bad_link.json()["errors"][0]["field"] == "steps.0.link"
    nul = team.client.post(
        f"{API}/assignments",
        json={"role": "pm\u0000", "person": "a\u0000@x.io"},
        headers=team.editor,
    )
    assert nul.status_code == 404  # no role of that name, on PostgreSQL too
    nul_person = team.client.post(
        f"{API}/assignments",
        json={"role": "pm", "person": "a\u0000@x.io"},
        headers=team.editor,
    )
    assert nul_person.status_code == 422 and "NUL" in nul_person.text
    denied = team.client.post(
        f"{API}/assignments",
        json={"role": "pm", "person": "other@example.com"},
        headers=people["manager"],
    )
    assert denied.status_code == 403


def test_changing_a_template_keeps_ticks_of_kept_steps(
    team: PlaybookTeam, accounts: Accounts, runtime: Runtime
) -> None:
    template, assignment, people = _setup(team, accounts)
    first, second, third = (s["id"] for s in template["steps"])
    url = f"{API}/assignments/{assignment['id']}/steps"
    for step in (second, third):
        team.client.put(f"{url}/{step}", json={"done": True}, headers=people["pm"])
    steps = [
        {"id": second, "title": "Read the launch playbook first"},
        {"title": "Shadow a launch review"},
        {"id": first, "title": "Meet your area owner"},
    ]
    changed = team.client.patch(
        f"{API}/templates/pm",
        json={"title": "PM onboarding v2", "steps": steps},
        headers=team.editor,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [(s["position"], s["title"]) for s in body["steps"]] == [
        (1, "Read the launch playbook first"),
        (2, "Shadow a launch review"),
        (3, "Meet your area owner"),
    ]
    assert [body["steps"][0]["id"], body["steps"][2]["id"]] == [second, first]
    # the removed step's tick went with it (SQLite may give its id to the new step)
    assert body["steps"][0]["link"] is None  # sent without a link: the link is dropped
    again = team.client.get(f"{API}/assignments/{assignment['id']}", headers=people["pm"]).json()
    assert (again["done"], again["total"], again["done_step_ids"]) == (1, 3, [second])
    assert team.client.get(f"{API}/templates/pm", headers=team.viewer).json() == body
    with runtime.database.session() as session:
        event = session.scalars(
            select(Event).where(Event.name == "onboarding_template.updated")
        ).one()
        assert event.changes["title"] == {"before": "PM onboarding", "after": "PM onboarding v2"}
        assert len(event.changes["steps"]["before"]) == 3

    foreign = team.client.patch(
        f"{API}/templates/pm", json={"steps": [{"id": 999999, "title": "x"}]}, headers=team.editor
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "steps.0.id"
    viewer = team.client.patch(f"{API}/templates/pm", json={"title": "X"}, headers=team.viewer)
    assert viewer.status_code == 403
    missing = team.client.patch(f"{API}/templates/nobody", json={"title": "X"}, headers=team.editor)
    assert missing.status_code == 404
    assert team.client.get(f"{API}/templates/pm", headers=team.viewer).json() == body
