"""Sub-commands load lazily: ``--help`` and ``stats analyze`` import no domain.

Start-up time is not measured here (the machine is shared; see
``benchmarks/server_start.py`` and docs/benchmarks.md). What makes it fast is
checked instead: which modules a real ``pilothouse`` process has imported when it
is done, read from ``sys.modules`` by a small runner in a subprocess; that every
row of the lazy table loads; and that the listing built from the table's help
lines is exactly the one the loaded commands would print.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pilothouse.cli.main import COMMANDS
from pilothouse.cli.main import app as cli_app

#: Runs the command in this process, then writes the names of the loaded modules.
RUNNER = """
import json, sys
from pilothouse.cli.main import app
try:
    app(sys.argv[2:], prog_name="pilothouse")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""
#: Libraries a command-line start must not pay for unless the command needs them.
HEAVY = ("sqlalchemy", "fastapi", "starlette", "duckdb", "sklearn", "alembic", "pyarrow")


def run(args: list[str], tmp_path: Path, stdin: str | None = None) -> tuple[dict, str]:
    """Run ``pilothouse ARGS`` in a fresh interpreter; its exit code, modules and stdout."""
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env.update({"PILOTHOUSE_HOME": str(tmp_path / "home"), "NO_COLOR": "1", "COLUMNS": "80"})
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(report), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert report.exists(), done.stderr
    return json.loads(report.read_text()), done.stdout


def imported(modules: list[str], *roots: str) -> list[str]:
    return sorted({m.split(".")[0] for m in modules if m.split(".")[0] in roots})


def test_help_imports_no_domain_and_no_heavy_library(tmp_path: Path) -> None:
    result, out = run(["--help"], tmp_path)
    assert result["code"] == 0
    assert all(f" {entry.name} " in out for entry in COMMANDS), out
    assert imported(result["modules"], *HEAVY, "numpy", "scipy") == []
    domains = [m for m in result["modules"] if m.startswith("pilothouse.")]
    assert set(domains) <= {"pilothouse.cli", "pilothouse.cli.main", "pilothouse.cli.lazy"}


def test_stats_analyze_help_imports_only_the_command(tmp_path: Path) -> None:
    result, out = run(["stats", "analyze", "--help"], tmp_path)
    assert result["code"] == 0
    assert "FILE" in out
    assert imported(result["modules"], *HEAVY, "numpy", "scipy") == []


def test_stats_analyze_imports_only_the_stats_engine(tmp_path: Path) -> None:
    request = {
        "settings": {"engine": "frequentist"},
        "metrics": [
            {
                "name": "signup",
                "kind": "proportion",
                "variations": [
                    {"name": "control", "users": 1000, "main_sum": 100},
                    {"name": "treatment", "users": 1010, "main_sum": 125},
                ],
            }
        ],
    }
    result, out = run(["stats", "analyze", "-"], tmp_path, stdin=json.dumps(request))
    assert result["code"] == 0
    assert json.loads(out)["metrics"][0]["name"] == "signup"
    assert imported(result["modules"], *HEAVY, "pandas") == []
    assert "scipy.stats" not in result["modules"]
    domains = {m.split(".")[1] for m in result["modules"] if m.startswith("pilothouse.")}
    assert domains <= {"cli", "experiments"}
    engine = [m for m in result["modules"] if m.startswith("pilothouse.experiments.")]
    assert all(m.startswith("pilothouse.experiments.stats") for m in engine), engine


def test_every_row_loads_with_the_help_line_it_lists() -> None:
    assert len({entry.name for entry in COMMANDS}) == len(COMMANDS)
    for entry in COMMANDS:
        command = entry.load()
        assert command.name == entry.name
        first = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        assert " ".join(first.split()) == entry.help, f"help line of {entry.name!r} in cli/main.py"


def test_listing_from_the_table_equals_the_listing_of_the_loaded_commands() -> None:
    group = typer.main.get_command(cli_app)
    ctx = group.context_class(group, info_name="pilothouse")
    from_table = group.get_help(ctx)
    for name in group.list_commands(ctx):  # now import and build every sub-command
        assert group.get_command(ctx, name) is not None
    assert group.get_help(ctx) == from_table


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda e: e.name)
def test_every_command_answers_help(entry: object) -> None:
    name = entry.name  # type: ignore[attr-defined]
    result = CliRunner().invoke(cli_app, [name, "--help"], prog_name="pilothouse")
    assert result.exit_code == 0, result.output
    assert f"pilothouse {name}" in result.output


def test_the_web_app_leaves_slow_optional_imports_for_later() -> None:
    """The server's imports: no scipy.stats (the engines call scipy.special), no Alembic
    (``serve`` migrates only when the schema is behind), no scikit-learn, no CLI, and no
    httpx or Authlib (only sending a webhook and signing in through SSO need them)."""
    code = "import json, sys; import pilothouse.web.app; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    modules = json.loads(done.stdout)
    assert imported(modules, "alembic", "sklearn", "pandas", "httpx", "authlib") == []
    assert "scipy.stats" not in modules
    assert not [m for m in modules if m.startswith("pilothouse.cli")]
