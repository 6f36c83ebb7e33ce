"""``pilothouse tools list|import|seats`` in-process, and the demo tool stack."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.tools import insights, service
from pilothouse.tools.demo import TOOLS, load_demo_tools
from tests.support.accounts import Accounts
from tests.tools.helpers import TODAY, count_events, count_tools, tool_csv

CLI = Actor.command_line()


@pytest.fixture
def cli(runtime: Runtime, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {
        "PILOTHOUSE_HOME": str(tmp_path / "cli-home"),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "COLUMNS": "200",
    }

    def run(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(cli_app, ["tools", *args], env=env)
        assert result.exit_code == code, (result.output, result.stderr)
        return result

    return run


def test_import_seats_and_list(cli, runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    owner = Accounts(runtime).person(Role.editor)
    export = tmp_path / "tools.csv"
    export.write_text(tool_csv(owner.email))
    preview = json.loads(cli("import", str(export), "--dry-run", "--format", "json").stdout)
    assert [r["action"] for r in preview] == ["create"] * 3 and count_tools(runtime) == 0
    cli("import", str(export))
    assert count_tools(runtime) == 3
    seats = tmp_path / "seats.csv"
    seats.write_text(f"email,tool,last_active\nA@x.com,amplitude,{TODAY - timedelta(days=40)}\n")
    narrow = json.loads(cli("seats", str(seats), "--active-days", "30", "--format", "json").stdout)
    assert narrow == [
        {"tool": "amplitude", "seats_used_before": 20, "seats_used": 0, "seats_bought": 50}
    ]
    rows = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").stdout)))
    assert [(r["slug"], r["annual_cents"], r["seats_used"]) for r in rows] == [
        ("amplitude", "1200000", "0"),
        ("fullstory", "600000", "10"),
        ("miro", "120050", ""),
    ]
    design = json.loads(cli("list", "--category", "design", "--format", "json").stdout)
    assert [t["slug"] for t in design] == ["miro"]


def test_a_bad_file_exits_1_naming_row_and_field(cli, runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,category,cost,currency\nA,analytics,10,USD\nB,crm,-1,USD\n")
    result = cli("import", str(bad), code=1)
    assert "row 3, category: unknown value 'crm'" in result.stderr
    assert "row 3, cost: must not be negative" in result.stderr
    missing = tmp_path / "missing.csv"
    missing.write_text("name,cost\nA,1\n")
    assert (
        "lacks the required column(s) category, currency"
        in cli("import", str(missing), code=1).stderr
    )
    assert count_tools(runtime) == 0 and count_events(runtime, "tool.created") == 0


def test_the_demo_stack_has_every_finding(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        load_people_and_areas(session, CLI, runtime)
    with runtime.database.session() as session:
        assert load_demo_tools(session, CLI, runtime).added == {"tools": len(TOOLS)}
    with runtime.database.session() as session:
        assert load_demo_tools(session, CLI, runtime).added == {"tools": 0}  # idempotent
        tools = service.list_tools(session)
        summary = insights.summary(tools, TODAY)
        assert all(t.owner is not None for t in tools)
    assert 14 <= len(TOOLS) <= 20
    assert {r.tool for r in summary.renewals} == {"amplitude", "zoom"}
    assert ("capability", "session-replay") in {(o.kind, o.value) for o in summary.overlaps}
    assert {"zoom", "productboard"} <= {u.tool for u in summary.unused}
    assert {c.currency for c in summary.by_category} == {"USD", "EUR", "GBP"}
    assert len({y.year for y in summary.by_year}) >= 4
