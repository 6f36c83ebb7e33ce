"""``pilothouse decisions list|show`` in-process, and the demo decision log."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef
from pilothouse.core.runtime import Runtime
from pilothouse.decisions import service
from pilothouse.decisions.demo import DECISIONS, SUPERSEDED, load_demo_decisions
from pilothouse.decisions.linking import decisions_about
from pilothouse.decisions.models import Decision, DecisionRevision, DecisionStatus
from pilothouse.demo.core_data import load_people_and_areas

CLI = Actor.command_line()


@pytest.fixture
def cli(runtime: Runtime, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {
        "PILOTHOUSE_HOME": str(tmp_path / "cli-home"),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "COLUMNS": "200",
    }

    def run(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(cli_app, ["decisions", *args], env=env)
        assert result.exit_code == code, (result.output, result.stderr)
        return result

    return run


def _make(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        first = service.create_decision(
            session,
            CLI,
            {
                "title": "Price per seat",
                "options": [{"name": "Per seat"}, {"name": "Flat fee", "cons": "Leaves money"}],
                "chosen_option": "Per seat",
                "status": "decided",
                "decided_on": "2026-06-01",
                "tags": ["pricing"],
            },
        )
        second = service.create_decision(session, CLI, {"title": "Price per usage"})
        service.supersede(session, CLI, first, second)


def test_list_and_show(cli, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    _make(runtime)
    listed = json.loads(cli("list", "--format", "json").stdout)
    assert [(d["key"], d["status"]) for d in listed] == [
        ("DEC-2", "proposed"),
        ("DEC-1", "superseded"),
    ]
    assert listed[1]["tags"] == "pricing" and listed[1]["decided_on"] == "2026-06-01"
    rows = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv", "--q", "seat").stdout)))
    assert [r["key"] for r in rows] == ["DEC-1"] and rows[0]["chosen_option"] == "Per seat"
    assert "DEC-2" in cli("list", "--status", "proposed").stdout
    bad = cli("list", "--status", "maybe", code=1)
    assert "--status must be one of proposed, decided, superseded" in bad.stderr

    shown = cli("show", "dec-1").stdout
    assert "DEC-1  Price per seat  [superseded]" in shown
    assert "superseded by DEC-2" in shown and "* Per seat" in shown
    assert "v2 superseded by cli:" in shown and "v1 created" in shown
    as_json = json.loads(cli("show", "DEC-2", "--format", "json").stdout)
    assert as_json["supersedes"] == ["DEC-1"]
    assert [r["action"] for r in as_json["history"]] == ["supersedes", "created"]
    missing = cli("show", "DEC-9", code=1)
    assert "no decision 'DEC-9'" in missing.stderr


def _count(runtime: Runtime, model: type) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_decisions_link_to_roadmap_and_experiments_and_are_idempotent(
    runtime: Runtime,
) -> None:
    from pilothouse.experiments import registry
    from pilothouse.experiments.experiment_links import experiment_links
    from pilothouse.experiments.models import Experiment
    from pilothouse.launches.demo import load_demo_launches
    from pilothouse.roadmap.demo import load_demo_roadmap
    from pilothouse.roadmap.listing import ItemFilter, filtered_items

    with runtime.database.session() as session:
        load_people_and_areas(session, CLI, runtime)
        load_demo_roadmap(session, CLI, runtime)
        load_demo_launches(session, CLI, runtime)
    with runtime.database.session() as session:
        result = load_demo_decisions(session, CLI, runtime)
    assert result.added["decisions"] == len(DECISIONS) == 10  # two about flat experiments
    assert result.added["decision links"] >= 12
    with runtime.database.session() as session:
        keys = {i.title: i.key for i in filtered_items(session, ItemFilter())}
        tracking = decisions_about(
            session, ObjectRef("roadmap_item", keys["Card delivery tracking"])
        )
        assert [d.title for d in tracking] == ["Ship card delivery tracking to every account"]
        shipped = tracking[0]
        assert shipped.status is DecisionStatus.decided
        assert (date.today() - shipped.decided_on).days in (36, 37, 38)  # story day 83
        launch = decisions_about(session, ObjectRef("launch", "1"))
        assert [d.title for d in launch] == ["Ship card delivery tracking to every account"]
        transfer_key = keys["Transfer status and arrival time"]
        sequencing = decisions_about(session, ObjectRef("roadmap_item", transfer_key))
        assert [d.title for d in sequencing] == [  # newest first
            "Iterate on the transfer arrival estimate: show the status after sending",
            "Build transfer tracking before multi-currency accounts",
        ]
        old, new = (session.scalar(select(Decision).where(Decision.title == t)) for t in SUPERSEDED)
        assert old is not None and new is not None
        assert old.status is DecisionStatus.superseded and old.superseded_by_id == new.id
        # The experiments demo's experiment, loaded after the decisions, is linked on reload.
        experiment = registry.create_experiment(
            session,
            CLI,
            registry.ExperimentDesign(
                name="Delivery timeline in the app",
                variations=[
                    registry.VariationSpec("control", "Today", 0.5),
                    registry.VariationSpec("treatment", "Timeline", 0.5),
                ],
                exposure={
                    "kind": "event",
                    "event": "Experiment Viewed",
                    "experiment_property": "experiment",
                    "variation_property": "variation",
                },
            ),
        )
        experiment_id = experiment.id
    with runtime.database.session() as session:
        # ... and linked to the item its decision is about, so the item page lists it.
        reloaded = load_demo_decisions(session, CLI, runtime).added
        assert reloaded == {"decision links": 1, "experiment links": 1}
        about = decisions_about(session, ObjectRef("experiment", str(experiment_id)))
        assert [d.title for d in about] == ["Ship card delivery tracking to every account"]
        tested = experiment_links(session, session.get(Experiment, experiment_id))
        items = {i.title: str(i.id) for i in filtered_items(session, ItemFilter())}
        assert ("roadmap_item", items["Card delivery tracking"]) in {(v.type, v.id) for v in tested}
    revisions = _count(runtime, DecisionRevision)
    with runtime.database.session() as session:
        again = load_demo_decisions(session, CLI, runtime)
    assert again.added == {} and _count(runtime, Decision) == 10
    assert _count(runtime, DecisionRevision) == revisions
