"""``pilothouse feedback ...``: import feedback exports and export the feedback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pilothouse.cli.common import cli_errors, fail, open_runtime
from pilothouse.core.actor import Actor
from pilothouse.feedback import exports
from pilothouse.feedback.importers import ImportFormat
from pilothouse.feedback.imports import ImportReport, run_import
from pilothouse.feedback.service import FeedbackFilter

app = typer.Typer(help="Customer feedback: imports and exports.", no_args_is_help=True)
MAX_SHOWN = 50
_BY_SUFFIX = {".csv": ImportFormat.csv, ".jsonl": ImportFormat.jsonl, ".ndjson": ImportFormat.jsonl}


def _print_report(console: Console, file: Path, report: ImportReport) -> None:
    if report.mapping:
        pairs = ", ".join(f"{k} ← {v!r}" for k, v in report.mapping.items())
        console.print(f"{file}: columns: {pairs}", highlight=False, soft_wrap=True)
    for warning in report.warnings[:MAX_SHOWN]:
        console.print(f"{file}: {warning}", highlight=False, soft_wrap=True)
    for problem in report.problems[:MAX_SHOWN]:
        console.print(f"{file}: {problem}", highlight=False, soft_wrap=True)
    if len(report.problems) > MAX_SHOWN:
        console.print(f"... and {len(report.problems) - MAX_SHOWN} more", highlight=False)


@app.command("import")
@cli_errors
def import_feedback(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The export file.")
    ],
    fmt: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="File format (default: from the file name: csv or jsonl)."),
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="The column holding the feedback text.")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Source name to keep the items under (default: the tool)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and show the mapping; store nothing.")
    ] = False,
) -> None:
    """Import feedback: every row is checked first; any bad row and nothing is stored."""
    kind = fmt or _BY_SUFFIX.get(file.suffix.lower())
    if kind is None:
        raise fail(f"{file}: say --format ({', '.join(f.value for f in ImportFormat)})")
    console = Console(stderr=True)
    data = file.read_bytes()
    with open_runtime() as runtime, runtime.database.session() as session:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"Checking {file.name}", total=None)
            report = run_import(
                session,
                Actor.command_line(),
                data,
                kind,
                text_column=text_column,
                source=source,
                dry_run=dry_run,
                on_row=lambda done, total: progress.update(task, completed=done, total=total),
            )
        _print_report(console, file, report)
    if report.problems:
        raise fail(f"{file}: {len(report.problems)} problems; nothing was imported")
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{file}: {verb} {report.rows} rows as {report.source_name}: {report.created} new, "
        f"{report.updated} updated, {report.unchanged} unchanged"
        + (" (dry run: nothing stored)." if dry_run else "."),
        err=True,
    )


@app.command("export")
@cli_errors
def export_feedback(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
) -> None:
    """Print every feedback item as CSV or JSON on stdout."""
    if fmt not in ("csv", "json"):
        raise fail("--format must be csv or json")
    with open_runtime() as runtime, runtime.database.session() as session:
        rows = exports.export_rows(session, FeedbackFilter(source=source))
        sys.stdout.write(exports.to_csv(rows) if fmt == "csv" else exports.to_json(rows) + "\n")
