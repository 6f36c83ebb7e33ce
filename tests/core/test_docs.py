"""The documentation keeps up with the code: every setting and every command is in docs/.

- ``docs/configuration.md`` has a table row for every field of
  :class:`~pilothouse.core.config.Settings`, with its current default;
- no page in ``docs/`` names a ``PILOTHOUSE_*`` variable that is not a setting
  (apart from the test runner's own variables, documented in their own note);
- ``docs/cli.md`` has a section for every command of the Typer app, sub-groups
  included, that names each of the command's arguments and options.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from pilothouse.cli.main import app as cli_app
from pilothouse.core.config import OBSOLETE_SETTINGS, Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
CLI = DOCS / "cli.md"

#: Read by the test suite, not by Pilothouse; documented under "Test runner".
TEST_RUNNER_VARIABLES = {
    "PILOTHOUSE_TEST_DATABASE_URL",
    "PILOTHOUSE_TEST_CHROMIUM",
    "PILOTHOUSE_TEST_REDIS_URL",
    "PILOTHOUSE_TEST_WORKERS",
    "PILOTHOUSE_SCREENSHOTS",
    "PILOTHOUSE_TEST_STRICT_READS",
    "PILOTHOUSE_TEST_BROWSER_BACKENDS",
    "PILOTHOUSE_TEST_SHARED_ROUTES",
    "PILOTHOUSE_FUZZ_BACKENDS",
    "PILOTHOUSE_FUZZ_EXAMPLES",
    "PILOTHOUSE_FUZZ_VIEWER_EXAMPLES",
}
VARIABLE = re.compile(r"\bPILOTHOUSE_[A-Z0-9_]*[A-Z0-9]\b")


def env_name(field: str) -> str:
    return f"PILOTHOUSE_{field.upper()}"


def table_rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows keyed by the ``PILOTHOUSE_*`` variable in their first cell."""
    rows = {}
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(PILOTHOUSE_[A-Z0-9_]+)`", cells[0])
        if match:
            rows[match.group(1)] = cells[1:]
    return rows


# --- settings ------------------------------------------------------------------------------


def test_every_setting_has_a_row_in_configuration_md() -> None:
    rows = table_rows(CONFIGURATION.read_text())
    missing = [env_name(f) for f in Settings.model_fields if env_name(f) not in rows]
    assert not missing, (
        f"{CONFIGURATION.relative_to(ROOT)} has no table row "
        f"(| `PILOTHOUSE_<NAME>` | default | what it does |) for: {', '.join(missing)}"
    )


def test_documented_defaults_match_the_code() -> None:
    rows = table_rows(CONFIGURATION.read_text())
    wrong = []
    for name, field in Settings.model_fields.items():
        row = rows.get(env_name(name))
        if row is None or field.default is None:
            continue  # a missing row fails above; unset defaults are described in words
        default = str(field.default)
        if f"`{default}`" not in row[0]:
            wrong.append(f"{env_name(name)}: code default `{default}`, documented {row[0]!r}")
    assert not wrong, "defaults in docs/configuration.md differ from the code:\n" + "\n".join(wrong)


def test_every_setting_row_says_what_it_does() -> None:
    rows = table_rows(CONFIGURATION.read_text())
    thin = [
        env_name(f)
        for f in Settings.model_fields
        if env_name(f) in rows and (len(rows[env_name(f)]) < 2 or len(rows[env_name(f)][1]) < 20)
    ]
    assert not thin, f"rows without a real description: {thin}"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_name_no_variable_that_is_not_a_setting(page: Path) -> None:
    known = {env_name(f) for f in Settings.model_fields}
    allowed = known | TEST_RUNNER_VARIABLES | {env_name(f) for f in OBSOLETE_SETTINGS}
    unknown = sorted(set(VARIABLE.findall(page.read_text())) - allowed)
    assert not unknown, (
        f"{page.relative_to(ROOT)} names variables that Settings does not have: {unknown}"
    )


def test_test_runner_variables_are_documented_and_still_used() -> None:
    text = CONFIGURATION.read_text()
    assert re.search(r"^#+ Test runner", text, re.M), "configuration.md needs a 'Test runner' note"
    runner = (ROOT / "scripts" / "test.sh").read_text() + "".join(
        p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.name != "test_docs.py"
    )
    for name in sorted(TEST_RUNNER_VARIABLES):
        assert name in text, f"{name} is not documented in configuration.md"
        assert name in runner, f"{name} is no longer used by the test runner; drop it here"


def test_test_runner_variables_are_not_settings() -> None:
    """Settings ignores unknown PILOTHOUSE_* variables; a clash would change the app."""
    assert not TEST_RUNNER_VARIABLES & {env_name(f) for f in Settings.model_fields}


# --- commands ------------------------------------------------------------------------------


def _walk(cmd: Any, path: tuple[str, ...], parent: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    ctx = cmd.context_class(cmd, info_name=path[-1] if path else "pilothouse", parent=parent)
    if getattr(cmd, "commands", None) is None:
        yield path, cmd
        return
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        if not getattr(sub, "hidden", False):
            yield from _walk(sub, (*path, name), ctx)


def cli_commands() -> dict[str, Any]:
    """Every leaf command of the ``pilothouse`` app, as ``"user create"`` → command."""
    return {" ".join(p): c for p, c in _walk(typer.main.get_command(cli_app), (), None)}


COMMANDS = cli_commands()


def cli_section(text: str, command: str) -> str | None:
    """The part of cli.md under the heading for ``pilothouse <command>``, up to the next one."""
    heading = re.search(rf"^(#+) `pilothouse {re.escape(command)}`\s*$", text, re.M)
    if heading is None:
        return None
    level = len(heading.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, heading.end())
    return text[heading.end() : end.start() if end else len(text)]


def test_the_walk_finds_the_commands() -> None:
    assert {"init", "serve", "user create", "token create", "db upgrade"} <= set(COMMANDS)


def test_every_command_is_in_cli_md() -> None:
    text = CLI.read_text()
    missing = [c for c in COMMANDS if f"pilothouse {c}" not in text]
    assert not missing, f"docs/cli.md does not mention: {', '.join(missing)}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cli_md_documents_each_argument_and_option(command: str) -> None:
    section = cli_section(CLI.read_text(), command)
    assert section is not None, f"docs/cli.md needs a heading: ### `pilothouse {command}`"
    missing = []
    for param in COMMANDS[command].params:
        if getattr(param, "hidden", False):
            continue
        options = [o for o in param.opts if o.startswith("-")]
        if options:
            missing += [o for o in options if f"`{o}`" not in section]
        elif f"`{param.name.upper()}`" not in section:
            missing.append(param.name.upper())
    assert not missing, f"the section of pilothouse {command} in docs/cli.md lacks: {missing}"
