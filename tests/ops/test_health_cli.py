"""``pilothouse ops health`` against the hand-worked fixture on SQLite and PostgreSQL:
JSON with the same figures as the API, a table for people, one figure's items, and
refusals that name the option."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.runtime import Runtime
from tests.ops.health_fixture import EXPECTED, build
from tests.reports.test_review_mail_cli import env  # noqa: F401  (fixture)


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


@pytest.mark.usefixtures("env")
def test_ops_health_prints_json_table_and_items(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        build(session)
    body = json.loads(_run("ops", "health", "--format", "json"))
    got = {f["key"]: f for f in body["figures"]}
    assert set(got) == set(EXPECTED)
    assert got["stop_to_decision"]["value"] == 2 and got["stop_to_decision"]["p85"] == 10
    assert got["share_decided"]["value"] == pytest.approx(2 / 3)
    table = _run("ops", "health", "--quarter", "2026-Q1")
    assert "Idea to launch (cycle time)" in table and "19.0 days" in table
    items = _run("ops", "health", "--figure", "cycle_time", "--area", "growth")
    assert "Backwards" in items and "Straight" in items and "Reopened" not in items
    one = json.loads(_run("ops", "health", "--figure", "gate_wait", "--format", "json"))
    assert [i["value"] for i in one["items"]] == [4.0, 1.0]
    assert "quarter" in _run("ops", "health", "--quarter", "Q1", code=1)
    assert "nonsense" in _run("ops", "health", "--figure", "nonsense", code=1)
