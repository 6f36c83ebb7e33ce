"""``pilothouse playbooks list|show|search`` in-process, and the demo playbooks and checklist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.launches import blueprints
from pilothouse.launches.demo import STANDARD
from pilothouse.playbooks import onboarding, service
from pilothouse.playbooks.demo import load_demo_playbooks

CLI = Actor.command_line()


@pytest.fixture
def demo(runtime: Runtime) -> Runtime:
    with runtime.database.session() as session:
        load_people_and_areas(session, CLI, runtime)
    with runtime.database.session() as session:
        blueprints.create_template(session, CLI, STANDARD)
    with runtime.database.session() as session:
        result = load_demo_playbooks(session, CLI, runtime)
        assert result.added == {
            "experiment templates": 1,
            "roadmap fields": 1,
            "playbooks": 3,
            "onboarding checklists": 1,
        }
    return runtime


def test_demo_playbooks_and_checklist(demo: Runtime) -> None:
    days = demo.settings.playbooks_stale_after_days
    with demo.database.session() as session:
        playbooks = {p.slug: p for p in service.list_playbooks(session)}
        assert set(playbooks) == {"launch-playbook", "experiment-playbook", "feedback-triage"}
        assert [p.slug for p in service.stale_playbooks(session, days)] == ["experiment-playbook"]
        launch = playbooks["launch-playbook"]
        assert launch.version == 2 and "## 4. Beta" in launch.body
        assert [str(r.type) for _, r in service.linked_refs(session, launch)] == [
            "launch_template",
            "roadmap_field",
        ]
        assert all(p.owner is not None and len(p.body) > 800 for p in playbooks.values())
        template = onboarding.find_template(session, "pm")
        (assignment,) = onboarding.reports_of(session, template and _id(session, "priya"))
        assert assignment.person.email.startswith("mateo.alvarez")
        assert (onboarding.progress(assignment).done, len(template.steps)) == (5, 9)
        events = session.scalar(select(func.count()).select_from(Event))
    with demo.database.session() as session:
        assert load_demo_playbooks(session, CLI, demo).added == {}
    with demo.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events


def _id(session, prefix: str) -> int:  # type: ignore[no-untyped-def]
    from pilothouse.core.models import User

    return session.scalar(select(User.id).where(User.email.startswith(prefix)))


def test_cli_list_show_search(demo: Runtime, tmp_path: Path) -> None:
    env = {
        "PILOTHOUSE_HOME": str(tmp_path / "cli-home"),
        "PILOTHOUSE_DATABASE_URL": demo.database.url,
        "COLUMNS": "200",
    }

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli_app, ["playbooks", *args], env=env)
        assert result.exit_code == code, (result.output, result.stderr)
        return result.output + (result.stderr if code else "")

    listed = json.loads(run("list", "--format", "json"))
    assert [(r["slug"], r["stale"]) for r in listed] == [
        ("experiment-playbook", "stale"),
        ("feedback-triage", ""),
        ("launch-playbook", ""),
    ]
    assert [r["slug"] for r in json.loads(run("list", "--stale", "--format", "json"))] == [
        "experiment-playbook"
    ]
    text = run("show", "launch-playbook")
    assert text.startswith("---\ntitle: Launch playbook\nslug: launch-playbook\n")
    assert service.from_markdown(text, "x.md").slug == "launch-playbook"
    assert "v2  updated" in run("show", "launch-playbook", "--format", "history")
    hits = json.loads(run("search", "guardrail metric", "--format", "json"))
    assert hits[0]["slug"] == "experiment-playbook"
    assert "no playbook 'nope'" in run("show", "nope", code=1)
