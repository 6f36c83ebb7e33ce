"""``pilothouse sources ...`` and ``pilothouse events ...``: event sources and bulk imports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core.actor import Actor
from pilothouse.metrics import sources
from pilothouse.metrics.importer import MAX_REPORTED_PROBLEMS, ColumnMapping, plan_import

sources_app = typer.Typer(help="Event sources and their write keys.", no_args_is_help=True)
events_app = typer.Typer(help="Product events in the embedded store.", no_args_is_help=True)


@sources_app.command("create")
@cli_errors
def create_source(name: Annotated[str, typer.Argument(help="A name, e.g. 'web app'.")]) -> None:
    """Create a source and print only its new write key on stdout."""
    with open_runtime() as runtime, runtime.database.session() as session:
        _source, key = sources.create_source(session, Actor.command_line(), runtime.secrets, name)
    typer.echo(key)


@sources_app.command("list")
@cli_errors
def list_sources(
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List sources (never their keys)."""
    with open_runtime() as runtime, runtime.database.session() as session:
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "key_prefix": s.key_prefix,
                "last_used_at": s.last_used_at,
                "revoked": s.revoked_at is not None,
            }
            for s in sources.list_sources(session).items
        ]
    emit_rows(rows, ["id", "name", "key_prefix", "last_used_at", "revoked"], fmt, title="Sources")


@sources_app.command("revoke")
@cli_errors
def revoke_source(source: Annotated[str, typer.Argument(help="Name or id.")]) -> None:
    """Revoke a source's write key; events it sent stay."""
    with open_runtime() as runtime, runtime.database.session() as session:
        found = sources.find_source(session, source)
        sources.revoke_source(session, Actor.command_line(), found)
        typer.echo(f"Revoked the write key of {found.name}.", err=True)


@events_app.command("import")
@cli_errors
def import_events(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="CSV, JSON Lines or Parquet file."
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="csv, jsonl or parquet (default: from the file name).")
    ] = "",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="FIELD=COLUMN, e.g. --map event=action --map user_id=uid. Fields: event, "
            "user_id, anonymous_id, account_id, timestamp, message_id.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row, store nothing.")
    ] = False,
) -> None:
    """Import events from a file: every row is checked first, then all are stored at once."""
    kind = fmt or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}.get(
        file.suffix.lower(), ""
    )
    if kind not in ("csv", "jsonl", "parquet"):
        raise fail(f"{file}: say --format csv, jsonl or parquet")
    try:
        columns = ColumnMapping.from_pairs(mapping or [])
    except ValueError as exc:
        raise fail(str(exc)) from None
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Checking {file.name}", total=None)
        plan = plan_import(
            file,
            kind,
            columns,  # type: ignore[arg-type]
            on_row=lambda n: progress.update(task, completed=n) if n % 5000 == 0 else None,
        )
    if plan.problems:
        for problem in plan.problems[:MAX_REPORTED_PROBLEMS]:
            console.print(f"{file}: {problem}", highlight=False, soft_wrap=True)
        more = len(plan.problems) - MAX_REPORTED_PROBLEMS
        if more > 0:
            console.print(f"... and {more} more", highlight=False)
        raise fail(f"{file}: {len(plan.problems)} bad rows; nothing was imported")
    if dry_run:
        typer.echo(f"{file}: {plan.rows} rows are valid (dry run: nothing stored).", err=True)
        return
    with open_runtime() as runtime:
        with console.status(f"Storing {len(plan.events):,} events"):
            written = runtime.event_store.write(events=plan.events, received_at=plan.received_at)
    typer.echo(
        f"{file}: imported {written.stored:,} new events "
        f"({len(plan.events) - written.stored:,} were already stored).",
        err=True,
    )
