"""Each event type the other tests do not reach fires a rule from a real change, and the
condition fields issue 11 names (area, theme, metric, ...) hold on those events.

A rule per event type notifies a viewer with a title made from the event's fields; the
change is made through the owning domain's service (the decision log, the roadmap
board, core links, an experiment's start, a launch plan, the daily anomaly check's
recorder), the dispatcher runs, and the viewer's bell shows exactly the expected titles:
a condition that failed to match, or a field that was never filled in, shows as a
missing or wrong title. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from pilothouse.automations import rules
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.events import CATALOGUE, OBJECT_FIELDS
from pilothouse.core.actor import Actor
from pilothouse.core.areas import create_area
from pilothouse.core.audit import Action, record_change
from pilothouse.core.links import ObjectRef, add_link
from pilothouse.core.models import Role
from pilothouse.core.notifications.models import Notification
from pilothouse.core.runtime import Runtime
from pilothouse.decisions import service as decisions
from pilothouse.experiments import registry
from pilothouse.feedback import service as feedback_service
from pilothouse.launches import blueprints, launching, release_notes
from pilothouse.metrics.anomaly import DayCheck
from pilothouse.metrics.anomaly_job import _record as record_anomaly
from pilothouse.roadmap import board, items
from tests.experiments.analysis import synthetic as syn
from tests.support.accounts import Accounts, Person
from tests.support.experiment_designs import two_arm_design

CLI = Actor.command_line()


def _notify(runtime: Runtime, person: Person, trigger: str, title: str, *conditions: Any) -> None:
    with runtime.database.session() as session:
        rules.create_rule(
            session,
            CLI,
            {
                "name": f"{trigger} rule",
                "trigger": trigger,
                "conditions": [
                    dict(zip(("field", "op", "value"), c, strict=True)) for c in conditions
                ],
                "actions": [{"kind": "notify", "users": [person.email], "title": title}],
            },
        )


def _bell(runtime: Runtime, person: Person) -> list[str]:
    with runtime.database.session() as session:
        query = select(Notification.title).where(Notification.recipient_id == person.id)
        return sorted(session.scalars(query))


def _areas(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        create_area(session, CLI, name="Billing", slug="billing")
        create_area(session, CLI, name="Growth", slug="growth")


def test_decisions_fire_with_their_area_and_current_title(runtime: Runtime) -> None:
    viewer = Accounts(runtime).person(Role.viewer)
    _areas(runtime)
    _notify(
        runtime,
        viewer,
        "decision.made",
        "{{ key }} {{ title }}: {{ chosen_option }}",
        ("area", "eq", "billing"),
    )
    _notify(
        runtime,
        viewer,
        "decision.superseded",
        "{{ key }} replaced by {{ superseded_by }}",
        ("area", "eq", "billing"),
        ("status", "eq", "superseded"),
    )
    options = [{"name": "Stripe"}, {"name": "Adyen"}]
    with runtime.database.session() as session:
        old = decisions.create_decision(
            session, CLI, {"title": "Card processor", "options": options, "product_area": "billing"}
        )
        decisions.decide(session, CLI, old, {"chosen_option": "Stripe"})
        other = decisions.create_decision(
            session, CLI, {"title": "Trial length", "product_area": "growth"}
        )
        decisions.decide(session, CLI, other, {"chosen_option": "14 days"})  # other area
        new = decisions.create_decision(
            session,
            CLI,
            {
                "title": "Card processor again",
                "options": options,
                "chosen_option": "Adyen",
                "status": "decided",
                "product_area": "billing",
            },
        )
        decisions.supersede(session, CLI, old, new)
        keys = (old.key, new.key)

    dispatch_once(runtime, run_now=True)

    assert _bell(runtime, viewer) == sorted(
        [
            f"{keys[0]} Card processor: Stripe",
            f"{keys[1]} Card processor again: Adyen",
            f"{keys[0]} replaced by {keys[1]}",
        ]
    )


def test_a_board_move_and_a_feedback_link_fire_their_rules(runtime: Runtime) -> None:
    viewer = Accounts(runtime).person(Role.viewer)
    _notify(
        runtime,
        viewer,
        "roadmap_item.rank_changed",
        "{{ title }}: {{ before.horizon }} to {{ horizon }}",
        ("horizon", "eq", "now"),
    )
    _notify(
        runtime,
        viewer,
        "feedback.linked",
        "{{ from }} is evidence for {{ to }}",
        ("target_type", "eq", "roadmap_item"),
        ("kind", "eq", "evidence"),
    )
    with runtime.database.session() as session:
        item = items.create_item(session, CLI, {"kind": "feature", "title": "Exports"})
        later = items.create_item(session, CLI, {"kind": "feature", "title": "Later thing"})
        board.move_item(session, CLI, item, "now")
        board.move_item(session, CLI, later, "later")  # not the horizon of the condition
        found = feedback_service.create_feedback(
            session, CLI, {"text": "Need CSV export", "source_kind": "email"}
        )
        feedback, target = ObjectRef("feedback_item", str(found.id)), item.id
        add_link(session, CLI, feedback, ObjectRef("roadmap_item", str(target)), "evidence")
        add_link(session, CLI, feedback, ObjectRef("roadmap_item", str(later.id)), "related")

    dispatch_once(runtime, run_now=True)

    assert _bell(runtime, viewer) == sorted(
        ["Exports: later to now", f"{feedback} is evidence for roadmap_item:{target}"]
    )


def test_launch_and_experiment_events_carry_their_area(runtime: Runtime) -> None:
    """Also: release notes name what was published (``release_notes``, ``published_at``)."""
    viewer = Accounts(runtime).person(Role.viewer)
    _areas(runtime)
    _notify(
        runtime,
        viewer,
        "launch.created",
        "{{ launch }} {{ name }} in {{ area }}",
        ("area", "eq", "billing"),
    )
    _notify(
        runtime,
        viewer,
        "experiment.started",
        "{{ experiment }} {{ name }} started in {{ area }}",
        ("area", "in", ["billing"]),
    )
    _notify(
        runtime,
        viewer,
        "launch.release_notes_published",
        "Notes of {{ launch }}: {{ release_notes }}",
        ("area", "eq", "billing"),
        ("published_at", "exists", True),
    )
    stages = [
        {"name": "Beta", "offset_days": -14, "items": [{"title": "Beta signed"}]},
        {"name": "GA", "offset_days": 0, "items": [{"title": "Announce"}]},
    ]
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(syn.CATALOG_YAML)
    with runtime.database.session() as session:
        blueprints.create_template(session, CLI, {"name": "Standard", "stages": stages})
        keys = []
        for name, area in (("Invoices", "billing"), ("Referrals", "growth")):
            values = {"template": "Standard", "name": name, "target_date": "2027-03-01"}
            launch = launching.create_launch(session, CLI, {**values, "product_area": area})
            experiment = registry.create_experiment(session, CLI, two_arm_design(name, area))
            registry.start(session, CLI, experiment)
            release_notes.save_draft(session, CLI, launch, f"{name} are here.")
            release_notes.publish(session, CLI, launch)
            keys.append((launch.key, experiment.key))

    dispatch_once(runtime, run_now=True)

    (launch_key, experiment_key), _growth = keys
    assert _bell(runtime, viewer) == sorted(
        [
            f"{launch_key} Invoices in billing",
            f"{experiment_key} Invoices started in billing",
            f"Notes of {launch_key}: Invoices are here.",
        ]
    )


def test_metric_and_theme_findings_name_their_metric_and_theme(runtime: Runtime) -> None:
    viewer = Accounts(runtime).person(Role.viewer)
    _notify(
        runtime,
        viewer,
        "metric.anomaly_detected",
        "{{ metric }} {{ direction }} on {{ day }}",
        ("metric", "eq", "signups"),
    )
    _notify(
        runtime,
        viewer,
        "feedback.theme_spiking",
        "{{ theme }}: {{ count }}",
        ("theme", "contains", "delivery"),
    )
    _notify(
        runtime,
        viewer,
        "feedback.theme_created",
        "New theme {{ theme }} ({{ items }} items, {{ origin }})",
        ("size", "gte", 10),
    )
    day = dt.date(2026, 11, 2)
    for metric in ("signups", "revenue"):
        record_anomaly(runtime, metric, metric.title(), DayCheck(day, 5, 9, 1, -4, True, "down"))
    with runtime.database.session() as session:
        for theme_id, label in ((1, "Card delivery delays"), (2, "App crashes")):
            record_change(
                session,
                Actor(None, "periodic checks", Role.admin),
                object_type="feedback_theme",
                object_id=theme_id,
                action=Action.updated,
                label=label,
                name="feedback.theme_spiking",
                after={"key": "2026-W45", "label": label, "count": 40},
            )
        for theme_id, label, size in ((3, "Exchange rates", 19), (4, "Tiny", 2)):
            record_change(  # as synthesis records a theme it found
                session,
                Actor(None, "synthesis", Role.admin),
                object_type="feedback_theme",
                object_id=theme_id,
                action=Action.created,
                label=label,
                name="feedback.theme_created",
                after={"label": label, "items": size, "origin": "auto"},
            )

    dispatch_once(runtime, run_now=True)

    assert _bell(runtime, viewer) == [
        "Card delivery delays: 40",
        "New theme Exchange rates (19 items, auto)",
        "signups down on 2026-11-02",
    ]


def test_the_catalogue_offers_the_object_fields_to_conditions() -> None:
    for kind in CATALOGUE.values():
        for name in OBJECT_FIELDS.get(kind.object_type, ()):
            assert name in kind.all_fields, (kind.name, name)
    assert "area" in CATALOGUE["launch.gate_refused"].all_fields
    assert "metric" in CATALOGUE["metric.anomaly_detected"].all_fields
    assert "theme" in CATALOGUE["feedback.theme_created"].all_fields
    assert {"items", "origin"} <= set(CATALOGUE["feedback.theme_created"].all_fields)
