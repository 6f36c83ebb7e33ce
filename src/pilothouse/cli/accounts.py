"""``pilothouse accounts ...``: customer accounts from CRM exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pilothouse.accounts.importers import AccountFormat, import_accounts
from pilothouse.cli.common import cli_errors, fail, open_runtime
from pilothouse.core.actor import Actor

app = typer.Typer(help="Customer accounts.", no_args_is_help=True)


@app.command("import")
@cli_errors
def import_accounts_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CRM CSV export.")
    ],
    fmt: Annotated[
        AccountFormat, typer.Option("--format", help="salesforce, hubspot or csv.")
    ] = AccountFormat.csv,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row, store nothing.")
    ] = False,
) -> None:
    """Create or update accounts from a CRM export (found again by their CRM id)."""
    text = file.read_bytes().decode("utf-8-sig", errors="strict")
    console = Console(stderr=True)
    with open_runtime() as runtime, runtime.database.session() as session:
        report = import_accounts(session, Actor.command_line(), text, fmt, dry_run=dry_run)
    for problem in report.problems[:50]:
        console.print(f"{file}: {problem}", highlight=False, soft_wrap=True)
    if report.problems:
        raise fail(f"{file}: {len(report.problems)} problems; nothing was imported")
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{file}: {verb} {report.rows} accounts: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged" + (" (dry run: nothing stored)." if dry_run else "."),
        err=True,
    )
