"""``pilothouse backup FILE`` and ``pilothouse restore FILE`` (see docs/backup.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pilothouse.cli.common import cli_errors, fail, open_runtime
from pilothouse.core.actor import Actor

__all__ = ["backup", "restore"]


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
    server: Annotated[
        str | None,
        typer.Option(
            help="Ask the running server at this address to make the backup (it holds the "
            "event store); needs --token-file.",
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help="File holding an admin API token with write scope, for --server."),
    ] = None,
) -> None:
    """Back up the database, event store and state files into one archive, server running or not."""
    if file.exists():
        raise fail(f"{file} exists already; choose a new file name")
    if server is not None:
        if token_file is None or include_secrets:
            raise fail("--server needs --token-file, and the server never sends the secret key")
        _from_server(server, token_file.read_text().strip(), file)
    else:
        _local(file, include_secrets)


def _local(file: Path, include_secrets: bool) -> None:
    """Back up this installation from here (the event store must not be held elsewhere)."""
    from pilothouse.core.backup import create_backup
    from pilothouse.core.backup_stream import record_backup

    with open_runtime() as runtime:
        summary = create_backup(runtime, file, include_secrets=include_secrets)
        with runtime.database.session() as session:
            size = file.stat().st_size
            record_backup(
                session,
                Actor.command_line(),
                summary,
                size,
                via="cli",
                secrets_included=include_secrets,
            )
    rows = sum(summary.tables.values())
    events = summary.event_store or {}
    typer.echo(
        f"Backed up {len(summary.tables)} tables ({rows} rows, revision {summary.revision}), "
        f"{events.get('events', 0)} events and {summary.files} files to {file}.",
        err=True,
    )
    if not include_secrets:
        typer.echo("The secret key is not in the backup: keep it separately.", err=True)


def _from_server(server: str, token: str, file: Path) -> None:
    """Download the server's backup next to ``file``, check it whole, then rename it."""
    import tempfile

    import httpx

    from pilothouse.core.restore import read_archive

    partial = file.with_name(file.name + ".partial")
    url = server.rstrip("/") + "/api/v1/backup"
    try:
        with httpx.stream(
            "POST", url, headers={"Authorization": f"Bearer {token}"}, timeout=600
        ) as response:
            if response.status_code != 200:
                response.read()
                raise fail(f"the server refused the backup: {response.status_code} {response.text}")
            with partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        with tempfile.TemporaryDirectory() as scratch:
            manifest = read_archive(partial, Path(scratch))
        partial.chmod(0o600)
        partial.replace(file)
    except httpx.HTTPError as exc:
        raise fail(f"cannot reach {url}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    events = (manifest.get("event_store") or {}).get("events", 0)
    typer.echo(
        f"Backed up {len(manifest['tables'])} tables (revision {manifest['revision']}) and "
        f"{events} events through {server} to {file}.",
        err=True,
    )


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
