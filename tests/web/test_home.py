"""The home page answers "what needs my attention" for the signed-in person, over HTTP on
SQLite and PostgreSQL: each block shows the right object, as a named link, to the right
person, and says what to do when it is empty."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.launches.common import workspace_today
from pilothouse.metrics.demo import copy_demo_definitions
from tests.support.accounts import Accounts, Person, sign_in
from tests.support.statements import sent_statements

API = "/api/v1"
EXPOSURE = {
    "kind": "event",
    "event": "Experiment Viewed",
    "experiment_property": "experiment",
    "variation_property": "variation",
}


def _post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = client.post(f"{API}{path}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _block(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no {testid} block"
    return found.group(1)


def _links(block: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', block)


def _home(client: TestClient, person: Person) -> str:
    client.cookies.clear()
    sign_in(client, person)
    response = client.get("/")
    assert response.status_code == 200
    return response.text


@pytest.fixture
def team(accounts: Accounts) -> dict[str, Person]:
    return {
        "editor": accounts.person(Role.editor, email="pm@example.com"),
        "approver": accounts.person(Role.viewer, email="legal@example.com"),
        "bystander": accounts.person(Role.viewer, email="sales@example.com"),
    }


def _launches(client: TestClient, editor: dict[str, str], today: date) -> None:
    """A late launch and an on-plan one, both waiting on legal@'s approval in stage one."""
    stages = [
        {
            "name": "Beta",
            "offset_days": -14,
            "items": [{"title": "Beta customers signed", "owner_role": "PM", "offset_days": -30}],
            "gates": [{"name": "GA review", "approvers": ["legal@example.com"]}],
        },
        {"name": "GA", "offset_days": 0, "items": []},
    ]
    _post(client, "/launch-templates", {"name": "Standard", "stages": stages}, editor)
    late = {"template": "Standard", "name": "Scheduled reports"}
    _post(client, "/launches", {**late, "target_date": str(today - timedelta(days=3))}, editor)
    on_plan = {"template": "Standard", "name": "Dark mode"}
    _post(client, "/launches", {**on_plan, "target_date": str(today + timedelta(days=90))}, editor)


def test_gates_and_late_launches(
    client: TestClient, accounts: Accounts, runtime: Runtime, team: dict[str, Person]
) -> None:
    today = workspace_today(runtime.settings.timezone)
    _launches(client, accounts.bearer(team["editor"]), today)

    home = _home(client, team["approver"])
    gates = _block(home, "attention-gates")
    assert _links(gates) == [
        ("/launches/LAUNCH-1", "Scheduled reports"),
        ("/launches/LAUNCH-2", "Dark mode"),
    ]
    assert "GA review · end of Beta" in gates
    late = _block(home, "attention-late")
    assert _links(late) == [("/launches/LAUNCH-1", "Scheduled reports")]
    assert f"GA date {today - timedelta(days=3)} has passed" in late
    assert "Beta stage was due" in late and "1 required checklist item overdue" in late

    others = _home(client, team["bystander"])
    assert _links(_block(others, "attention-gates")) == []
    assert "No gate is waiting for you" in _block(others, "attention-gates")
    # Late launches are everyone's business: the bystander sees the same one.
    assert _links(_block(others, "attention-late")) == [("/launches/LAUNCH-1", "Scheduled reports")]


def test_a_decided_gate_leaves_the_approvers_list(
    client: TestClient, accounts: Accounts, runtime: Runtime, team: dict[str, Person]
) -> None:
    today = workspace_today(runtime.settings.timezone)
    _launches(client, accounts.bearer(team["editor"]), today)
    launch = client.get(f"{API}/launches/LAUNCH-2", headers=accounts.bearer(team["editor"])).json()
    gate = launch["stages"][0]["gates"][0]["id"]
    _post(
        client,
        f"/launches/LAUNCH-2/gates/{gate}/approve",
        {"comment": "fine"},
        accounts.bearer(team["approver"]),
    )
    gates = _block(_home(client, team["approver"]), "attention-gates")
    assert _links(gates) == [("/launches/LAUNCH-1", "Scheduled reports")]


def _experiment(client: TestClient, headers: dict[str, str], name: str, steps: list[str]) -> str:
    body = {
        "name": name,
        "hypothesis": "It helps.",
        "exposure": EXPOSURE,
        "metrics": [{"metric": "activation_rate", "role": "primary"}],
    }
    key = str(_post(client, "/experiments", body, headers)["key"])
    for step in steps:
        if step == "decide":
            _post(
                client,
                f"/experiments/{key}/decision",
                {"outcome": "roll_back", "rationale": "No lift."},
                headers,
            )
        else:
            _post(client, f"/experiments/{key}/{step}", {}, headers)
    return key


def test_experiments_ready_to_decide(
    client: TestClient, accounts: Accounts, runtime: Runtime, team: dict[str, Person]
) -> None:
    copy_demo_definitions(runtime.settings.effective_metrics_path)
    editor = accounts.bearer(team["editor"])
    _experiment(client, editor, "Draft copy test", [])
    _experiment(client, editor, "Running checklist", ["start"])
    stopped = _experiment(client, editor, "Annual plan nudge", ["start", "stop"])
    _experiment(client, editor, "Decided pricing", ["start", "stop", "decide"])

    mine = _block(_home(client, team["editor"]), "attention-experiments")
    assert _links(mine) == [(f"/experiments/{stopped}", "Annual plan nudge")]
    assert "yours to decide" in mine
    theirs = _block(_home(client, team["bystander"]), "attention-experiments")
    assert _links(theirs) == [(f"/experiments/{stopped}", "Annual plan nudge")]
    assert "owner Pm" in theirs and "yours to decide" not in theirs


def test_my_open_roadmap_items_with_status(
    client: TestClient, accounts: Accounts, team: dict[str, Person], runtime: Runtime
) -> None:
    editor = accounts.bearer(team["editor"])
    _post(client, "/roadmap/items", {"kind": "feature", "title": "Audit export"}, editor)
    mine = {"kind": "feature", "owner_id": "legal@example.com"}
    _post(
        client, "/roadmap/items", {**mine, "title": "Consent log", "status": "in-progress"}, editor
    )
    _post(
        client, "/roadmap/items", {**mine, "title": "Data retention", "status": "discovery"}, editor
    )
    _post(client, "/roadmap/items", {**mine, "title": "Old DPA", "status": "launched"}, editor)

    with sent_statements(runtime.database.engine) as seen:
        block = _block(_home(client, team["approver"]), "attention-items")
    titles = [title for _href, title in _links(block)]
    assert titles == ["Consent log", "Data retention"]  # furthest along first; done left out
    # Named by key, title, status and date: their tags, fields, objectives and
    # references are not read (four statements more).
    extras = ("roadmap_item_tags", "roadmap_field_values", "roadmap_item_objectives")
    assert not [s for s in seen if any(table in s for table in extras)], seen
    assert "In progress" in block and "Discovery" in block
    empty = _block(_home(client, team["bystander"]), "attention-items")
    assert "/roadmap/items/" not in empty and "You own no open roadmap item" in empty


def test_recent_decisions_newest_decision_first(
    client: TestClient, accounts: Accounts, team: dict[str, Person]
) -> None:
    editor = accounts.bearer(team["editor"])
    old = {"title": "Keep the landing page", "status": "decided", "chosen_option": "Keep"}
    _post(client, "/decisions", {**old, "decided_on": "2026-02-03"}, editor)
    new = {"title": "Partner for ETL", "status": "decided", "chosen_option": "Partner"}
    _post(client, "/decisions", {**new, "decided_on": "2026-05-20"}, editor)
    _post(client, "/decisions", {"title": "Offline mode?", "status": "proposed"}, editor)
    late = {"title": "Drop IE11", "status": "decided", "chosen_option": "Drop"}
    _post(client, "/decisions", {**late, "decided_on": "2025-11-30"}, editor)  # recorded last
    block = _block(_home(client, team["bystander"]), "attention-decisions")
    assert [t for _h, t in _links(block) if _h.startswith("/decisions/DEC")] == [
        "Partner for ETL",
        "Keep the landing page",
        "Drop IE11",
    ]
    assert "chose “Partner”" in block


def test_empty_workspace_says_what_to_do(client: TestClient, team: dict[str, Person]) -> None:
    home = _home(client, team["bystander"])
    assert "People" not in re.sub(r"<header.*?</header>", "", home, flags=re.S)
    for testid, words in (
        ("attention-gates", "No gate is waiting for you"),
        ("attention-experiments", "No experiment is waiting for a decision"),
        ("attention-late", "Every open launch is on plan"),
        ("feedback-spikes", "No feedback theme rose above its usual weekly volume"),
        ("attention-items", "You own no open roadmap item"),
        ("attention-decisions", "No decision recorded yet"),
    ):
        assert words in _block(home, testid), testid


def test_late_launches_never_read_gates_approvals_or_checklist_people(
    client: TestClient, accounts: Accounts, runtime: Runtime, team: dict[str, Person]
) -> None:
    """Lateness needs the stages and their checklists; gates and their approvals were
    loaded with them for nothing (two statements and their rows on every home view),
    and so were the owner and the doer of every checklist item (two joined users)."""

    from pilothouse.launches.attention import late_launches

    today = workspace_today(runtime.settings.timezone)
    _launches(client, accounts.bearer(team["editor"]), today)
    with runtime.database.session(reading=True) as session:
        mine = session.connection()  # the app's job and schedule threads send others
        with sent_statements(runtime.database.engine, mine) as sent:
            late = late_launches(session, today)
    assert [entry.launch.key for entry in late] == ["LAUNCH-1"]
    (checklist,) = [s for s in sent if "FROM launch_items" in s]
    assert "users" not in checklist, checklist
    assert not any("launch_gates" in s or "launch_gate_approvals" in s for s in sent), sent


def test_spike_alerts_are_kept_for_the_configured_seconds(
    client: TestClient, runtime: Runtime, team: dict[str, Person], monkeypatch: Any
) -> None:
    """PILOTHOUSE_SPIKE_ALERTS_MAX_AGE_SECONDS reaches the home page: within it a view
    shows the kept answer; with 0 every view checks (the tests' setting)."""
    from pilothouse.core.actor import Actor
    from pilothouse.feedback import insights_queries, service, themes

    monkeypatch.setattr(insights_queries, "_SPIKES_KEPT", {})  # not an earlier test's
    monkeypatch.setattr(runtime.settings, "spike_alerts_max_age_seconds", 300.0)
    quiet = "No feedback theme rose above its usual weekly volume"
    assert quiet in _block(_home(client, team["editor"]), "feedback-spikes")
    actor = Actor(None, "system", Role.admin)
    with runtime.database.session() as session:
        theme_id = themes.create_theme(session, actor, label="Card declined")
        items = [
            service.create_feedback(session, actor, {"text": f"My card was declined ({n})"})
            for n in range(30)
        ]
        themes.move_items(session, actor, [i.id for i in items], theme_id)
    assert quiet in _block(_home(client, team["editor"]), "feedback-spikes")  # kept
    monkeypatch.setattr(runtime.settings, "spike_alerts_max_age_seconds", 0.0)
    assert "Card declined" in _block(_home(client, team["editor"]), "feedback-spikes")
