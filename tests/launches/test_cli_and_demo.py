"""``pilothouse launches list|show`` in-process, and the demo launches (idempotent)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.links import links_of
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.launches import launching
from pilothouse.launches.common import find_launch, launch_ref, workspace_today
from pilothouse.launches.cross_links import linked_experiments
from pilothouse.launches.demo import load_demo_launches
from pilothouse.launches.models import Launch, LaunchStatus, LaunchTemplate
from pilothouse.launches.readiness import readiness_of
from pilothouse.roadmap.demo import load_demo_roadmap

CLI = Actor.command_line()


def _load(runtime: Runtime) -> dict[str, int]:
    with runtime.database.session() as session:
        return load_demo_launches(session, CLI, runtime).added


def _experiment(session: Any, name: str) -> int:
    """A bare experiment named as the experiments demo names it (that step is B-side data)."""
    from pilothouse.experiments import registry

    design = registry.ExperimentDesign(
        name=name,
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
    )
    return registry.create_experiment(session, CLI, design).id


def test_demo_launches_cli_and_idempotency(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.database.session() as session:
        load_people_and_areas(session, CLI, runtime)
        load_demo_roadmap(session, CLI, runtime)
    with runtime.database.session() as session:
        first = load_demo_launches(session, CLI, runtime)
    assert first.added == {"launch templates": 2, "launches": 6, "metric links": 6}
    assert sum("no experiment" in n for n in first.notices) == 3  # tolerated, said
    assert _load(runtime) == {}
    today = workspace_today(runtime.settings.timezone)
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(LaunchTemplate)) == 2
        launches = {launch.name: launch for launch in session.scalars(select(Launch))}
        stages = {n: (x.stage.name, x.status) for n, x in launches.items()}  # type: ignore[union-attr]
        assert stages == {
            "Card delivery tracking": ("GA", LaunchStatus.launched),
            "One-step identity verification": ("GA", LaunchStatus.launched),
            "Instant top-ups": ("Beta", LaunchStatus.in_progress),
            "Spending limits per card": ("Beta", LaunchStatus.in_progress),
            "Receipt capture in the mobile app": ("Recruit", LaunchStatus.planned),
            "Biometric sign-in": ("GA", LaunchStatus.launched),
        }
        # The story's days: today is day 120.
        days = {n: (x.target_date - today).days + 120 for n, x in launches.items()}
        assert days["Card delivery tracking"] == 85 and days["Instant top-ups"] == 141
        assert days["One-step identity verification"] == 45
        assert days["Spending limits per card"] == 115  # overdue: not launched, date passed
        late = launches["Biometric sign-in"]  # planned for day 30, GA four days later
        assert days["Biometric sign-in"] == 30 and late.launched_at is not None
        assert late.launched_at.date() == late.target_date + timedelta(days=4)
        launched = launches["Card delivery tracking"]
        assert launched.notes_published_at is not None
        # The walk through the gates is put on the story's days: GA on the target date.
        assert launched.launched_at is not None
        assert launched.launched_at.date() == launched.target_date
        entered = [s.entered_at for s in launched.stages]
        assert all(entered) and entered == sorted(entered)  # type: ignore[type-var]
        # Skipped optional items of passed stages are not overdue; GA's required are done.
        assert readiness_of(launched, today).overdue_optional == 0
        assert readiness_of(launched, today).overdue_required == 0
        shipped = launching.features_of(session, launched)
        assert [(f.title, f.status.key) for f in shipped] == [
            ("Card delivery tracking", "launched")
        ]
        gate = launches["Spending limits per card"].stage.gates[0]  # type: ignore[union-attr]
        waiting = [a.approver.email for a in gate.approvals if a.decision.value == "pending"]
        assert waiting == ["admin@pilothouse.example"] and len(gate.approvals) == 3
        measures = links_of(session, launch_ref(launched), kind="measures")
        assert {link.to_id for link in measures} == {
            "card_delivery_contacts",
            "card_activation_rate",
        }
        assert (
            session.scalar(
                select(func.count()).select_from(Event).where(Event.name == "launch.stage_changed")
            )
            == 3 + 3 + 2 + 2 + 3
        )
        reports = launches["Instant top-ups"]
        key = reports.key
        assert find_launch(session, key.lower()).id == reports.id
        # The experiments demo's experiment, once there, is linked on the next load.
        experiment_id = _experiment(session, "Delivery timeline in the app")
    assert _load(runtime) == {"experiment links": 2}  # the launch and the item it ships
    with runtime.database.session() as session:
        linked = linked_experiments(session, find_launch(session, launched.key))
        assert [e.id for e in linked] == [experiment_id]
    assert _load(runtime) == {}

    env = {
        "PILOTHOUSE_HOME": str(tmp_path / "cli-home"),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "COLUMNS": "200",
    }
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["launches", "list", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {r["name"] for r in rows} == set(launches)
    assert all(0 <= r["readiness"] <= 100 for r in rows)
    only = runner.invoke(
        cli_app, ["launches", "list", "--format", "csv", "--status", "planned"], env=env
    )
    planned = [r["name"] for r in csv.DictReader(io.StringIO(only.stdout))]
    assert planned == ["Receipt capture in the mobile app"]
    bad = runner.invoke(cli_app, ["launches", "list", "--status", "done"], env=env)
    assert bad.exit_code == 1 and "--status 'done'" in bad.stderr
    shown = runner.invoke(cli_app, ["launches", "show", key], env=env)
    assert shown.exit_code == 0, shown.output
    assert "Beta (current" in shown.stdout and "gate GA go/no-go" in shown.stdout
    assert "blocked:" in shown.stdout
    missing = runner.invoke(cli_app, ["launches", "show", "LAUNCH-999"], env=env)
    assert missing.exit_code == 1 and "no launch 'LAUNCH-999'" in missing.stderr
