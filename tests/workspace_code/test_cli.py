"""``pilothouse workspace export`` / ``apply`` through Typer's runner, SQLite and PostgreSQL:
the dry run prints field-level changes and writes nothing; a bad file exits 1 naming
file:line and field; apply then writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import scoring

CLI = Actor.command_line()


@pytest.fixture
def run(runtime: Runtime, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    settings = runtime.settings
    assert settings.secret_key is not None
    monkeypatch.setenv("PILOTHOUSE_HOME", str(settings.home))
    monkeypatch.setenv("PILOTHOUSE_DATABASE_URL", runtime.database.url)
    monkeypatch.setenv("PILOTHOUSE_SECRET_KEY", settings.secret_key.get_secret_value())
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(cli_app, list(args))
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def test_export_dry_run_and_apply(run, runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with runtime.database.session() as s:
        scoring.create_formula(s, CLI, key="money", name="Money", expression="reach / effort")
    directory = tmp_path / "ops"
    assert "files written" in run("workspace", "export", str(directory)).output
    money = directory / "formulas" / "money.yaml"
    money.write_text(money.read_text().replace("name: Money", "name: Cash"))
    out = run("workspace", "apply", str(directory), "--dry-run").output
    assert "~ formulas/money changed" in out and 'name: "Money" -> "Cash"' in out
    assert "would apply: 1 changed" in out
    with runtime.database.session(reading=True) as s:
        assert scoring.get_formula(s, "money").name == "Money"
    (directory / "formulas" / "bad.yaml").write_text("name: Bad\nexpression: reach +\n")
    failed = run("workspace", "apply", str(directory), code=1)
    assert "formulas/bad.yaml:2: expression" in failed.output
    (directory / "formulas" / "bad.yaml").unlink()
    data = json.loads(run("workspace", "apply", str(directory), "--format", "json").output)
    assert data["changes"][0]["fields"] == {"name": {"before": "Money", "after": "Cash"}}
    with runtime.database.session(reading=True) as s:
        assert scoring.get_formula(s, "money").name == "Cash"
