"""The findings the domains record themselves reach rules once: a gate waiting for approval,
a significant primary result, a sample-ratio mismatch; and the checklist-item action.

End to end on SQLite and PostgreSQL: a real change (ticking off the last required item,
a real analysis on the embedded event store) records the event in its own transaction,
the dispatcher fires the rule, and the action runs through the launches and core
notification services. Repeating the change (analysing again, ticking an optional
item while the gate waits) fires nothing more; a gate whose stage stopped being ready
(an item re-opened) and is ready again is announced again.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from pilothouse.automations import rules, yaml_files
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.models import AutomationFiring, Delivery
from pilothouse.core.actor import Actor
from pilothouse.core.areas import create_area
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import Event, Role
from pilothouse.core.notifications.models import Notification
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.analysis import service as analysis
from pilothouse.experiments.analysis.findings import significant_results, srm_finding
from pilothouse.experiments.models import MetricRole
from pilothouse.launches import blueprints, checklists, launching
from pilothouse.launches.common import find_launch
from pilothouse.launches.waiting import note_waiting_gates
from tests.experiments.analysis import synthetic as syn
from tests.support.accounts import Accounts, Person

CLI = Actor.command_line()


def _rule(runtime: Runtime, **values: Any) -> int:
    with runtime.database.session() as session:
        return rules.create_rule(session, CLI, values).id


def _events(runtime: Runtime, name: str) -> list[dict[str, Any]]:
    with runtime.database.session() as session:
        rows = session.scalars(select(Event).where(Event.name == name).order_by(Event.id))
        return [{k: v.get("after") for k, v in row.changes.items()} for row in rows]


def _firings(runtime: Runtime, rule_id: int) -> int:
    with runtime.database.session() as session:
        query = select(func.count()).where(AutomationFiring.rule_id == rule_id)
        return int(session.scalar(query) or 0)


def _statuses(runtime: Runtime, rule_id: int) -> list[str]:
    with runtime.database.session() as session:
        query = select(Delivery.status).where(Delivery.rule_id == rule_id).order_by(Delivery.id)
        return [str(s) for s in session.scalars(query)]


def _bell(runtime: Runtime, person: Person) -> list[str]:
    with runtime.database.session() as session:
        query = select(Notification.title).where(Notification.recipient_id == person.id)
        return list(session.scalars(query.order_by(Notification.id)))


# -- launch.gate_waiting and the checklist-item action -----------------------------------


def _launch(runtime: Runtime, editor: Person, approver: Person) -> str:
    stages = [
        {
            "name": "Beta",
            "offset_days": -14,
            "items": [
                {"title": "Beta customers signed", "owner_role": "PM", "offset_days": -20},
                {"title": "Docs draft", "offset_days": -20, "required": False},
            ],
            "gates": [{"name": "GA review", "approvers": [approver.email]}],
        },
        {"name": "GA", "offset_days": 0, "items": [{"title": "Announce", "offset_days": 0}]},
    ]
    with runtime.database.session() as session:
        create_area(session, CLI, name="Billing", slug="billing")
        blueprints.create_template(session, CLI, {"name": "Standard", "stages": stages})
        actor = Actor(editor.id, editor.email, Role.editor)
        launch = launching.create_launch(
            session,
            actor,
            {
                "template": "Standard",
                "name": "Invoices",
                "target_date": "2027-03-01",
                "product_area": "billing",
            },
        )
        return launch.key


def _tick(runtime: Runtime, key: str, title: str, done: bool) -> None:
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        item = next(i for s in launch.stages for i in s.items if i.title == title)
        checklists.set_done(session, CLI, launch, item, done)


def test_a_gate_waiting_fires_its_rule_once_and_adds_a_checklist_item(runtime: Runtime) -> None:
    accounts = Accounts(runtime)
    editor = accounts.person(Role.editor)
    approver = accounts.person(Role.viewer)
    key = _launch(runtime, editor, approver)
    assert _events(runtime, "launch.gate_waiting") == []  # a required item is still open
    rule_id = _rule(
        runtime,
        name="Gates waiting in billing",
        trigger="launch.gate_waiting",
        conditions=[
            {"field": "area", "op": "eq", "value": "billing"},
            {"field": "stage", "op": "eq", "value": "Beta"},
        ],
        actions=[
            {
                "kind": "add_checklist_item",
                "text": "Chase {{ approvers }} for {{ gate }}",
                "stage": "GA",
                "owner": editor.email,
                "required": False,
            },
            # the people of each event: the gate's approvers who have not approved yet
            {"kind": "notify", "users": ["{{ approvers }}"], "title": "{{ gate }} waits for you"},
        ],
    )

    _tick(runtime, key, "Beta customers signed", True)
    _tick(runtime, key, "Docs draft", True)  # the gate still waits: announced once
    dispatch_once(runtime, run_now=True)
    dispatch_once(runtime, run_now=True)

    [event] = _events(runtime, "launch.gate_waiting")
    assert (event["launch"], event["gate"], event["stage"]) == (key, "GA review", "Beta")
    assert (event["approvers"], event["area"]) == ([approver.email], "billing")
    assert _firings(runtime, rule_id) == 1
    assert _statuses(runtime, rule_id) == ["succeeded", "succeeded"]
    assert _bell(runtime, approver) == ["GA review waits for you"]
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        ga = launch.stages[1]
        added = [i for i in ga.items if i.title.startswith("Chase")]
        assert [(i.title, i.owner_id, i.required) for i in added] == [
            (f"Chase {approver.email} for GA review", editor.id, False)
        ]
        assert added[0].due_date == ga.due_date
    [audit] = _events(runtime, "launch.item_added")
    assert f"items.{added[0].id}.title" in audit


def test_a_gate_that_stops_waiting_and_waits_again_is_announced_again(runtime: Runtime) -> None:
    """Once per transition to waiting: re-opening a required item ends the wait, ticking
    it off again starts a new one; dispatching again, or edits that change nothing about
    the wait, announce nothing more."""
    accounts = Accounts(runtime)
    approver = accounts.person(Role.viewer)
    key = _launch(runtime, accounts.person(Role.editor), approver)
    rule_id = _rule(
        runtime,
        name="Gates waiting",
        trigger="launch.gate_waiting",
        conditions=[{"field": "gate", "op": "eq", "value": "GA review"}],
        actions=[{"kind": "notify", "users": [approver.email], "title": "{{ launch }} {{ gate }}"}],
    )
    _tick(runtime, key, "Beta customers signed", True)
    dispatch_once(runtime, run_now=True)
    _tick(runtime, key, "Beta customers signed", False)  # the stage is not ready any more
    _tick(runtime, key, "Docs draft", True)  # still not ready: nothing to announce
    dispatch_once(runtime, run_now=True)
    assert _bell(runtime, approver) == [f"{key} GA review"]

    _tick(runtime, key, "Beta customers signed", True)  # ready again: a second wait
    _tick(runtime, key, "Docs draft", False)  # an optional item: the gate still waits
    for _ in range(3):
        dispatch_once(runtime, run_now=True)
    with runtime.database.session() as session:  # noting again finds nothing new
        assert note_waiting_gates(session, CLI, find_launch(session, key)) == 0

    assert _bell(runtime, approver) == [f"{key} GA review"] * 2
    assert _firings(runtime, rule_id) == 2
    assert len(_events(runtime, "launch.gate_waiting")) == 2
    [ended] = _events(runtime, "launch.gate_waiting_ended")
    assert (ended["gate"], ended["stage"]) == ("GA review", "Beta")
    assert ended["open_items"] == ["Beta customers signed"]


def test_a_required_item_added_or_a_cancelled_launch_ends_the_wait(runtime: Runtime) -> None:
    accounts = Accounts(runtime)
    key = _launch(runtime, accounts.person(Role.editor), accounts.person(Role.viewer))
    _tick(runtime, key, "Beta customers signed", True)
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        checklists.add_item(session, CLI, launch, {"title": "Security review"})
    assert len(_events(runtime, "launch.gate_waiting_ended")) == 1
    _tick(runtime, key, "Security review", True)
    with runtime.database.session() as session:
        launching.update_launch(session, CLI, find_launch(session, key), {"status": "cancelled"})
    with runtime.database.session() as session:
        launching.update_launch(session, CLI, find_launch(session, key), {"status": "planned"})
    assert [e["status"] for e in _events(runtime, "launch.gate_waiting_ended")] == [
        "planned",
        "cancelled",
    ]
    assert len(_events(runtime, "launch.gate_waiting")) == 3  # ready, ready again, re-opened


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_last_two_items_ticked_at_once_announce_the_gate_once(runtime: Runtime) -> None:
    """Two people tick off the last two required items in transactions open at the same
    time: neither sees the other's item done until it commits, so without the launch's
    row lock both would find the stage not ready and the wait would never be announced.
    The second waits for the first's lock and announces it once. (PostgreSQL: SQLite
    runs one writer at a time.)"""
    accounts = Accounts(runtime)
    key = _launch(runtime, accounts.person(Role.editor), accounts.person(Role.viewer))
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        docs = next(i for i in launch.stages[0].items if i.title == "Docs draft")
        checklists.update_item(session, CLI, launch, docs, {"required": True})
    errors: list[BaseException] = []

    def tick_docs() -> None:
        try:
            _tick(runtime, key, "Docs draft", True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    second = threading.Thread(target=tick_docs)
    with runtime.database.session() as first:
        launch = find_launch(first, key)
        signed = next(i for i in launch.stages[0].items if i.title == "Beta customers signed")
        checklists.set_done(first, CLI, launch, signed, True)  # holds the launch's lock
        second.start()
        assert _waits_for_a_lock(runtime, second), "the second tick did not wait"
    second.join(timeout=30)

    assert errors == [] and not second.is_alive()
    assert [e["gate"] for e in _events(runtime, "launch.gate_waiting")] == ["GA review"]


def _waits_for_a_lock(runtime: Runtime, thread: threading.Thread) -> bool:
    """Whether ``thread`` comes to wait for a row lock (polled, up to 30 s)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query ILIKE '%FOR UPDATE%'"
    )
    deadline = time.monotonic() + 30
    while thread.is_alive() and time.monotonic() < deadline:
        with runtime.database.session() as session:
            if session.scalar(query):
                return True
        time.sleep(0.05)
    return False


def test_a_gate_with_nothing_left_to_do_waits_as_soon_as_the_launch_enters_its_stage(
    runtime: Runtime,
) -> None:
    accounts = Accounts(runtime)
    key = _launch(runtime, accounts.person(Role.editor), accounts.person(Role.viewer))
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        item = launch.stages[0].items[0]
        checklists.update_item(session, CLI, launch, item, {"required": False})
    assert [e["gate"] for e in _events(runtime, "launch.gate_waiting")] == ["GA review"]


def test_the_checklist_action_is_checked_when_the_rule_is_saved(runtime: Runtime) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _rule(
            runtime,
            name="Items for experiments",
            trigger="experiment.srm_detected",
            actions=[{"kind": "add_checklist_item", "text": " ", "required": "yes"}],
        )
    fields = {e.field for e in refused.value.errors}
    assert fields == {"actions[0].text", "actions[0].launch", "actions[0].required"}


# -- experiment.result_significant and experiment.srm_detected ---------------------------

EXPOSURE = {
    "kind": "event",
    "event": "Experiment Viewed",
    "experiment_property": "experiment",
    "variation_property": "variation",
    "tracking_key": syn.EXPERIMENT,
}


def _experiment(runtime: Runtime) -> str:
    """An experiment designed 50/50 whose data is split 75/25 (an SRM), ``orders`` primary."""
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(syn.CATALOG_YAML)
    data = syn.generate(units=1500, weights=(0.7, 0.3))
    events, identifies = syn.tracked(data)
    runtime.event_store.write(
        events=events, identifies=identifies, received_at=dt.datetime.now(dt.UTC)
    )
    design = registry.ExperimentDesign(
        name="Checkout test",
        hypothesis="A shorter checkout sells more.",
        product_area="shop",
        variations=[
            registry.VariationSpec("control", "Control", 0.5),
            registry.VariationSpec("treatment", "Treatment", 0.5),
        ],
        exposure=EXPOSURE,
        metrics=[registry.MetricChoice("orders", MetricRole.primary, None, None)],
        analysis={"start": syn.START.isoformat(), "end": syn.END.isoformat()},
    )
    with runtime.database.session() as session:
        create_area(session, CLI, name="Shop", slug="shop")
        return registry.create_experiment(session, CLI, design).key


def _analyse(runtime: Runtime, key: str) -> dict[str, Any]:
    with runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        snapshot = analysis.analyze_experiment(session, runtime, CLI, experiment)
        assert snapshot.succeeded, snapshot.error
        return dict(snapshot.results)


def test_significant_results_and_srm_fire_their_rules_once(runtime: Runtime) -> None:
    viewer = Accounts(runtime).person(Role.viewer)
    key = _experiment(runtime)
    significant = _rule(
        runtime,
        name="Orders moved",
        trigger="experiment.result_significant",
        conditions=[
            {"field": "metric", "op": "eq", "value": "orders"},
            {"field": "direction", "op": "eq", "value": "better"},
            {"field": "area", "op": "eq", "value": "shop"},
        ],
        actions=[{"kind": "notify", "users": [viewer.email], "title": "{{ experiment }} wins"}],
    )
    srm = _rule(
        runtime,
        name="Broken splits",
        trigger="experiment.srm_detected",
        conditions=[{"field": "p_value", "op": "lt", "value": 0.001}],
        actions=[{"kind": "notify", "users": [viewer.email], "title": "SRM in {{ name }}"}],
    )

    first = _analyse(runtime, key)
    assert first["srm"]["warning"] is True
    assert [v["status"] for v in first["metrics"][0]["variations"][1:]] == ["better"]
    _analyse(runtime, key)  # the same findings again: nothing new to announce
    dispatch_once(runtime, run_now=True)
    dispatch_once(runtime, run_now=True)

    [found] = _events(runtime, "experiment.result_significant")
    assert (found["experiment"], found["metric"], found["direction"]) == (key, "orders", "better")
    assert found["variations"] == ["treatment"] and found["p_value"] < 0.05
    [mismatch] = _events(runtime, "experiment.srm_detected")
    assert mismatch["units"]["control"] > 2 * mismatch["units"]["treatment"]
    assert mismatch["expected_weights"] == {"control": 0.5, "treatment": 0.5}
    assert (_firings(runtime, significant), _firings(runtime, srm)) == (1, 1)
    assert sorted(_bell(runtime, viewer)) == [f"{key} wins", "SRM in Checkout test"]


def _results(srm: bool, status: str = "inconclusive", role: str = "primary") -> dict[str, Any]:
    return {
        "srm": {"p_value": 1e-9 if srm else 0.4, "warning": srm},
        "variations": [{"key": "a", "users": 10, "weight": 0.5}],
        "metrics": [
            {
                "metric": "m",
                "role": role,
                "variations": [{"key": "a"}, {"key": "b", "status": status, "p_value": 0.01}],
            }
        ],
    }


def test_an_srm_is_announced_again_only_after_it_cleared() -> None:
    assert srm_finding(_results(True), None) is not None
    assert srm_finding(_results(True), _results(True)) is None
    assert srm_finding(_results(False), _results(True)) is None
    assert srm_finding(_results(True), _results(False)) is not None


def test_only_significant_primary_metrics_count() -> None:
    assert significant_results(_results(False)) == []
    assert significant_results(_results(False, "better", role="secondary")) == []
    [worse] = significant_results(_results(False, "worse"))
    assert (worse["metric"], worse["direction"], worse["variations"]) == ("m", "worse", ["b"])


# -- the checklist action through the API, YAML files and test fire ---------------------

CHASE = {
    "kind": "add_checklist_item",
    "text": "Chase {{ approvers }}",
    "stage": "GA",
    "owner": "pm@example.com",
    "required": False,
}


def test_the_checklist_action_through_the_api_and_its_test_fire(
    client: TestClient, runtime: Runtime
) -> None:
    accounts = Accounts(runtime)
    editor = accounts.bearer(accounts.person(Role.editor))
    body = {"name": "Chase", "trigger": "launch.gate_waiting", "actions": [CHASE]}
    created = client.post("/api/v1/automations/rules", json=body, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["actions"] == [CHASE]
    elsewhere = {**body, "name": "Chase 2", "trigger": "experiment.srm_detected"}
    refused = client.post("/api/v1/automations/rules", json=elsewhere, headers=editor)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["actions[0].launch"]
    fired = client.post(f"/api/v1/automations/rules/{created.json()['id']}/test", headers=editor)
    assert fired.status_code == 200, fired.text
    [planned] = fired.json()["actions"]
    assert planned["description"].startswith("add checklist item “Chase ")
    assert planned["description"].endswith("to Sample launch (GA)")  # described, not done
    assert _events(runtime, "launch.item_added") == []


def test_the_checklist_action_in_a_yaml_file(runtime: Runtime) -> None:
    text = (
        "rules:\n"
        "  - name: Chase approvers\n"
        "    trigger: launch.gate_waiting\n"
        "    conditions:\n"
        "      - {field: area, op: eq, value: billing}\n"
        "    actions:\n"
        "      - kind: add_checklist_item\n"
        "        text: 'Chase {{ approvers }}'\n"
        "        required: maybe\n"
    )
    with runtime.database.session() as session, pytest.raises(ValidationFailed) as refused:
        yaml_files.apply_text(session, CLI, text, "rules.yaml", dry_run=True)
    assert [e.field for e in refused.value.errors] == ["rules.yaml:9: rules[0].actions[0].required"]
    fixed = text.replace("maybe", "false")
    with runtime.database.session() as session:
        dry = yaml_files.apply_text(session, CLI, fixed, "rules.yaml", dry_run=True)
        assert dry.created == ["Chase approvers"] and rules.list_rules(session) == []
    with runtime.database.session() as session:
        yaml_files.apply_text(session, CLI, fixed, "rules.yaml")
    with runtime.database.session() as session:
        [rule] = rules.list_rules(session)
        assert rule.actions == [
            {"kind": "add_checklist_item", "text": "Chase {{ approvers }}", "required": False}
        ]
