"""The ``pilothouse`` command: the top-level group and its table of sub-commands.

Each sub-command lives in its own module and is imported only when it runs (see
:mod:`pilothouse.cli.lazy`): ``pilothouse --help`` imports no domain, and
``pilothouse stats analyze`` only the stats engine. To add a command, add a
:class:`LazyCommand` row below with the first line of its help, in the order
``--help`` lists it; ``tests/cli/test_lazy.py`` checks the row.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pilothouse import __version__
from pilothouse.cli.lazy import LazyCommand, LazyGroup

__all__ = ["COMMANDS", "app"]

COMMANDS = (
    LazyCommand(
        "init",
        "pilothouse.cli.people:init",
        "Set up a new installation: migrate the database and create the first admin.",
    ),
    LazyCommand(
        "backup",
        "pilothouse.cli.backup:backup",
        "Back up the database, event store and state files into one archive, server running "
        "or not.",
    ),
    LazyCommand(
        "restore",
        "pilothouse.cli.backup:restore",
        "Restore a backup into an empty database and data folder (refuses anything else).",
    ),
    LazyCommand(
        "serve",
        "pilothouse.cli.admin:serve",
        "Run the web app and API. Applies pending migrations first.",
    ),
    LazyCommand("user", "pilothouse.cli.people:app", "Manage people and their roles."),
    LazyCommand("token", "pilothouse.cli.tokens:app", "Manage personal API tokens."),
    LazyCommand(
        "sources", "pilothouse.cli.events:sources_app", "Event sources and their write keys."
    ),
    LazyCommand(
        "events", "pilothouse.cli.events:events_app", "Product events in the embedded store."
    ),
    LazyCommand("roadmap", "pilothouse.cli.roadmap:app", "Roadmap items: import, export, list."),
    LazyCommand(
        "metrics",
        "pilothouse.cli.metrics:app",
        "Metrics as code: list, validate, compile and query.",
    ),
    LazyCommand(
        "experiments", "pilothouse.cli.experiments:app", "Experiments: list, show and analyse."
    ),
    LazyCommand(
        "feedback", "pilothouse.cli.feedback:app", "Customer feedback: imports, exports, themes."
    ),
    LazyCommand("accounts", "pilothouse.cli.accounts:app", "Customer accounts."),
    LazyCommand("launches", "pilothouse.cli.launches:app", "Launches: list and show."),
    LazyCommand("decisions", "pilothouse.cli.decisions:app", "The decision log: search, show."),
    LazyCommand("playbooks", "pilothouse.cli.playbooks:app", "Playbooks: list, show, search."),
    LazyCommand("ops", "pilothouse.cli.ops:app", "Operations: process health."),
    LazyCommand(
        "workspace", "pilothouse.cli.workspace:app", "Operations as code: export and apply."
    ),
    LazyCommand(
        "tools", "pilothouse.cli.tools:app", "The tool-stack inventory: list, import, seats."
    ),
    LazyCommand(
        "jobs",
        "pilothouse.cli.jobs:app",
        "Background jobs: list, inspect, retry, cancel, run a worker.",
    ),
    LazyCommand(
        "notifications",
        "pilothouse.cli.notifications:app",
        "Notifications: list them, send the daily digest.",
    ),
    LazyCommand(
        "schedules",
        "pilothouse.cli.schedules:app",
        "Schedules: periodic jobs such as digests and reports (cron, workspace time zone).",
    ),
    LazyCommand(
        "reports",
        "pilothouse.cli.reports:app",
        "Reports: the weekly product review and the leadership digest.",
    ),
    LazyCommand(
        "automations",
        "pilothouse.cli.automations:app",
        "Automation rules: list, show, apply YAML, test-fire, dispatch.",
    ),
    LazyCommand(
        "webhooks",
        "pilothouse.cli.automations:webhooks_app",
        "Outgoing webhooks: the delivery log.",
    ),
    LazyCommand("db", "pilothouse.cli.admin:db_app", "Database schema."),
    LazyCommand("demo", "pilothouse.cli.admin:demo_app", "Demo workspace."),
    LazyCommand("config", "pilothouse.cli.admin:config_app", "Settings."),
    LazyCommand(
        "stats",
        "pilothouse.cli.stats:app",
        "Analyse experiment results from sufficient statistics, offline.",
    ),
)


class _Pilothouse(LazyGroup):
    lazy_commands = COMMANDS


app = typer.Typer(
    name="pilothouse",
    help="Pilothouse: the self-hosted Product Operations platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=_Pilothouse,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pilothouse {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Settings come from PILOTHOUSE_* environment variables; see 'pilothouse config show'."""
