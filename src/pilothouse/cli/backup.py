"""``pilothouse backup FILE`` and ``pilothouse restore FILE`` (see docs/backup.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pilothouse.cli.common import cli_errors, fail, open_runtime

__all__ = ["backup", "register", "restore"]


@cli_errors
def backup(
    file: Annotated[Path, typer.Argument(help="Archive to write (.tar, or .tar.gz to compress).")],
    include_secrets: Annotated[
        bool,
        typer.Option(
            "--include-secrets",
            help="Also copy the secret key file of the data folder (keep the archive safe).",
        ),
    ] = False,
) -> None:
    """Back up the database, event store and state files into one archive, server running or not."""
    from pilothouse.core.backup import create_backup

    if file.exists():
        raise fail(f"{file} exists already; choose a new file name")
    with open_runtime() as runtime:
        summary = create_backup(runtime, file, include_secrets=include_secrets)
    rows = sum(summary.tables.values())
    events = summary.event_store or {}
    typer.echo(
        f"Backed up {len(summary.tables)} tables ({rows} rows, revision {summary.revision}), "
        f"{events.get('events', 0)} events and {summary.files} files to {file}.",
        err=True,
    )
    if not include_secrets:
        typer.echo("The secret key is not in the backup: keep it separately.", err=True)


@cli_errors
def restore(
    file: Annotated[Path, typer.Argument(help="Archive written by 'pilothouse backup'.")],
) -> None:
    """Restore a backup into an empty database and data folder (refuses anything else)."""
    from pilothouse.core.restore import restore_backup

    with open_runtime(require_schema=False) as runtime:
        summary = restore_backup(runtime, file)
    events = summary.event_store or {}
    upgraded = f", then migrated to {summary.upgraded_to}" if summary.upgraded_to else ""
    typer.echo(
        f"Restored {len(summary.tables)} tables ({sum(summary.tables.values())} rows) at "
        f"revision {summary.revision}{upgraded}, {events.get('events', 0)} events and "
        f"{summary.files} files from {file}.",
        err=True,
    )


def register(app: typer.Typer) -> None:
    """Add both commands to the top-level ``pilothouse`` command."""
    app.command("backup")(backup)
    app.command("restore")(restore)
