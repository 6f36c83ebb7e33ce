"""Gate decisions, refused gates and an experiment's stop and decision fire rules from
real changes, with conditions on the events' own fields.

The change is made through the owning domain's service (an approver approves or
rejects a gate, an editor tries to pass a gate that is not ready, an experiment is
stopped and decided), the dispatcher runs (twice: the second round finds nothing), and
each rule fires exactly once per matching event: a viewer's bell shows the expected
titles, made from the event's fields, and a webhook receiver gets one signed body
naming the launch, the gate and the approver. A launch and an experiment in another
area make the same changes and fire nothing. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from pilothouse.automations import rules
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.models import AutomationFiring
from pilothouse.core.actor import Actor
from pilothouse.core.areas import create_area
from pilothouse.core.models import Role
from pilothouse.core.notifications.models import Notification
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.models import DecisionOutcome
from pilothouse.launches import blueprints, gates, launching
from pilothouse.launches.common import GateRefused, find_launch
from pilothouse.launches.models import ApprovalDecision
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver, verify
from tests.experiments.analysis import synthetic as syn
from tests.support.accounts import Accounts, Person
from tests.support.experiment_designs import two_arm_design

CLI = Actor.command_line()
AREAS = ("billing", "growth")


def _rule(runtime: Runtime, trigger: str, action: dict[str, Any], *conditions: Any) -> int:
    with runtime.database.session() as session:
        rule = rules.create_rule(
            session,
            CLI,
            {
                "name": f"{trigger} rule",
                "trigger": trigger,
                "conditions": [
                    dict(zip(("field", "op", "value"), c, strict=True)) for c in conditions
                ],
                "actions": [action],
            },
        )
        return rule.id


def _notify(person: Person, title: str) -> dict[str, Any]:
    return {"kind": "notify", "users": [person.email], "title": title}


def _bell(runtime: Runtime, person: Person) -> list[str]:
    with runtime.database.session() as session:
        query = select(Notification.title).where(Notification.recipient_id == person.id)
        return sorted(session.scalars(query))


def _firings(runtime: Runtime, rule_id: int) -> int:
    with runtime.database.session() as session:
        query = select(func.count()).where(AutomationFiring.rule_id == rule_id)
        return int(session.scalar(query) or 0)


def _areas(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        for slug in AREAS:
            create_area(session, CLI, name=slug.title(), slug=slug)


# -- launch.gate_approved, launch.gate_rejected, launch.gate_refused ----------------------


def _launches(runtime: Runtime, first: Person, second: Person) -> list[str]:
    """One launch per area, each in Beta with a required item open and a gate
    ``GA review`` that ``first`` and ``second`` approve."""
    stages = [
        {
            "name": "Beta",
            "offset_days": -14,
            "items": [{"title": "Beta customers signed", "offset_days": -20}],
            "gates": [{"name": "GA review", "approvers": [first.email, second.email]}],
        },
        {"name": "GA", "offset_days": 0, "items": [{"title": "Announce"}]},
    ]
    with runtime.database.session() as session:
        blueprints.create_template(session, CLI, {"name": "Standard", "stages": stages})
        return [
            launching.create_launch(
                session,
                CLI,
                {
                    "template": "Standard",
                    "name": f"Invoices {area}",
                    "target_date": "2027-03-01",
                    "product_area": area,
                },
            ).key
            for area in AREAS
        ]


def _decide(runtime: Runtime, key: str, who: Person, decision: str, comment: str) -> None:
    with runtime.database.session() as session:
        launch = find_launch(session, key)
        gate = launch.stages[0].gates[0]
        actor = Actor(who.id, who.email, who.role)
        gates.decide(session, actor, launch, gate, ApprovalDecision(decision), comment)


def _try_to_pass(runtime: Runtime, key: str) -> None:
    with pytest.raises(GateRefused), runtime.database.session() as session:
        gates.advance(session, CLI, find_launch(session, key))


def test_gate_decisions_and_a_refused_gate_fire_their_rules(
    runtime: Runtime, receiver: Receiver
) -> None:
    accounts = Accounts(runtime)
    viewer, first, second = (accounts.person(Role.viewer) for _ in range(3))
    _areas(runtime)
    allow_private(runtime)
    approved = _rule(
        runtime,
        "launch.gate_approved",
        _notify(viewer, "{{ launch }} {{ gate }} approved by {{ approver }}: {{ comment }}"),
        ("gate", "eq", "GA review"),
        ("area", "eq", "billing"),
    )
    rejected = _rule(
        runtime,
        "launch.gate_rejected",
        {"kind": "webhook", "url": receiver.url},
        ("comment", "contains", "privacy"),
        ("area", "eq", "billing"),
    )
    refused = _rule(
        runtime,
        "launch.gate_refused",
        _notify(viewer, "{{ launch }} stuck in {{ stage }} before {{ refused }}: {{ reasons }}"),
        ("refused", "eq", "GA"),
        ("area", "eq", "billing"),
    )
    billing, growth = _launches(runtime, first, second)
    for key in (billing, growth):
        _try_to_pass(runtime, key)
        _decide(runtime, key, first, "approved", "Fine by me")
        _decide(runtime, key, first, "approved", "Fine by me")  # the same again: no event
        _decide(runtime, key, second, "rejected", "Privacy review missing")

    dispatch_once(runtime, run_now=True)
    dispatch_once(runtime, run_now=True)

    reasons = ", ".join(
        [
            "required item not done: Beta customers signed",
            f"GA review: approval pending from {first.email}",
            f"GA review: approval pending from {second.email}",
        ]
    )
    assert _bell(runtime, viewer) == sorted(
        [
            f"{billing} GA review approved by {first.email}: Fine by me",
            f"{billing} stuck in Beta before GA: {reasons}",
        ]
    )
    assert [_firings(runtime, r) for r in (approved, rejected, refused)] == [1, 1, 1]
    [got] = receiver.received
    with runtime.database.session() as session:
        [secret] = rules.find_rule(session, rejected).secrets
    assert verify(secret, got.headers, got.body)
    body = got.json
    assert body["type"] == "launch.gate_rejected"
    fields = body["data"]["fields"]
    assert (fields["launch"], fields["gate"], fields["stage"]) == (billing, "GA review", "Beta")
    assert (fields["approver"], fields["decision"]) == (second.email, "rejected")
    assert (fields["before.decision"], fields["comment"]) == ("pending", "Privacy review missing")


# -- experiment.stopped and experiment.decided -------------------------------------------


def test_an_experiment_stopped_and_decided_fires_their_rules(runtime: Runtime) -> None:
    viewer = Accounts(runtime).person(Role.viewer)
    _areas(runtime)
    stopped = _rule(
        runtime,
        "experiment.stopped",
        _notify(viewer, "{{ experiment }} {{ name }} stopped in {{ area }}"),
        ("before.status", "eq", "running"),
        ("area", "eq", "billing"),
    )
    decided = _rule(
        runtime,
        "experiment.decided",
        _notify(viewer, "{{ experiment }} {{ name }}: {{ before.status }} to {{ status }}"),
        ("status", "eq", "decided"),
        ("area", "in", ["billing"]),
    )
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(syn.CATALOG_YAML)
    keys = []
    for area in AREAS:
        with runtime.database.session() as session:
            experiment = registry.create_experiment(
                session, CLI, two_arm_design(f"Trial {area}", area)
            )
            registry.start(session, CLI, experiment)
            keys.append(experiment.key)
        with runtime.database.session() as session:
            registry.stop(session, CLI, registry.find_experiment(session, keys[-1]))
        with runtime.database.session() as session:
            found = registry.find_experiment(session, keys[-1])
            registry.decide(session, CLI, found, DecisionOutcome.ship, "Orders went up.")

    dispatch_once(runtime, run_now=True)
    dispatch_once(runtime, run_now=True)

    key = keys[0]
    assert _bell(runtime, viewer) == sorted(
        [f"{key} Trial billing stopped in billing", f"{key} Trial billing: stopped to decided"]
    )
    assert [_firings(runtime, r) for r in (stopped, decided)] == [1, 1]
