"""``pilothouse launches list|show`` in-process, and the demo launches (idempotent)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.launches import launching
from pilothouse.launches.common import find_launch, workspace_today
from pilothouse.launches.demo import load_demo_launches
from pilothouse.launches.models import Launch, LaunchStatus, LaunchTemplate
from pilothouse.launches.readiness import readiness_of
from pilothouse.roadmap.demo import load_demo_roadmap

CLI = Actor.command_line()


def _load(runtime: Runtime) -> dict[str, int]:
    with runtime.database.session() as session:
        return load_demo_launches(session, CLI, runtime).added


def test_demo_launches_cli_and_idempotency(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.database.session() as session:
        load_people_and_areas(session, CLI, runtime)
        load_demo_roadmap(session, CLI, runtime)
    assert _load(runtime) == {"launch templates": 2, "launches": 4}
    assert _load(runtime) == {}
    today = workspace_today(runtime.settings.timezone)
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(LaunchTemplate)) == 2
        launches = {launch.name: launch for launch in session.scalars(select(Launch))}
        assert len(launches) == 4
        stages = {n: (x.stage.name, x.status) for n, x in launches.items()}  # type: ignore[union-attr]
        assert stages == {
            "Onboarding checklist": ("GA", LaunchStatus.launched),
            "Scheduled report e-mails": ("Beta", LaunchStatus.in_progress),
            "Sample dashboards on sign-up": ("Build", LaunchStatus.in_progress),
            "Snowflake connector": ("Recruit", LaunchStatus.planned),
        }
        launched = launches["Onboarding checklist"]
        assert launched.notes_published_at is not None
        # Skipped optional items of passed stages are not overdue; GA's required are done.
        assert readiness_of(launched, today).overdue_optional == 0
        assert readiness_of(launched, today).overdue_required == 0
        assert [f.status.key for f in launching.features_of(session, launched)] == ["launched"]
        reports = launches["Scheduled report e-mails"]
        assert len(launching.features_of(session, reports)) == 2
        assert readiness_of(reports, today).overdue_required >= 1
        assert (
            session.scalar(
                select(func.count()).select_from(Event).where(Event.name == "launch.stage_changed")
            )
            == 3 + 2 + 1
        )
        key = reports.key
        assert find_launch(session, key.lower()).id == reports.id

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
    assert [r["name"] for r in csv.DictReader(io.StringIO(only.stdout))] == ["Snowflake connector"]
    bad = runner.invoke(cli_app, ["launches", "list", "--status", "done"], env=env)
    assert bad.exit_code == 1 and "--status 'done'" in bad.stderr
    shown = runner.invoke(cli_app, ["launches", "show", key], env=env)
    assert shown.exit_code == 0, shown.output
    assert "Beta (current" in shown.stdout and "gate GA go/no-go" in shown.stdout
    assert "blocked:" in shown.stdout
    missing = runner.invoke(cli_app, ["launches", "show", "LAUNCH-999"], env=env)
    assert missing.exit_code == 1 and "no launch 'LAUNCH-999'" in missing.stderr
