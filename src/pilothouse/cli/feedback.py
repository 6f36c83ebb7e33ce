"""``pilothouse feedback ...``: import, export, synthesize themes and list them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pilothouse.cli.common import cli_errors, fail, open_runtime, progress_bar
from pilothouse.core.actor import Actor
from pilothouse.feedback import exports
from pilothouse.feedback.importers import ImportFormat
from pilothouse.feedback.imports import ImportReport, place_in_themes, run_import
from pilothouse.feedback.service import FeedbackFilter

app = typer.Typer(help="Customer feedback: imports, exports, themes.", no_args_is_help=True)
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
    actor = Actor.command_line()
    with open_runtime() as runtime:
        with runtime.database.session() as session:
            with progress_bar(console) as progress:
                task = progress.add_task(f"Checking {file.name}", total=None)
                report = run_import(
                    session,
                    actor,
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
        if report.waiting:
            typer.echo(f"Placing {report.waiting} new items in the existing themes...", err=True)
            from pilothouse.core.jobs import get_job

            place_in_themes(runtime, actor, report)
            job = get_job(runtime, report.job_id) if report.job_id else None
            if job is not None:
                typer.echo(f"Job {job.id} {job.status}: {job.message or ''}".rstrip(), err=True)


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


@app.command("synthesize")
@cli_errors
def synthesize(
    full: Annotated[
        bool,
        typer.Option("--full", help="Re-cluster everything and file proposals for review."),
    ] = False,
) -> None:
    """Embed new feedback, find or update themes, sentiment and duplicates (offline)."""
    from pilothouse.feedback.synthesis_service import synthesize_feedback

    console = Console(stderr=True)
    with open_runtime() as runtime:
        with progress_bar(console) as progress:
            task = progress.add_task("Synthesizing", total=None)

            def tick(done: int, total: int | None, phase: str) -> None:
                progress.update(task, description=phase.capitalize(), completed=done, total=total)

            report = synthesize_feedback(runtime, Actor.command_line(), progress=tick, full=full)
    if report.status in ("empty", "too_small"):
        typer.echo(report.message, err=True)
        return
    if not report.ok:
        raise fail(report.message)
    typer.echo(f"Synthesis ({report.mode}): {report.message} in {report.durations['total']:.1f} s.")


@app.command("themes")
@cli_errors
def list_themes(
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Print the themes with their item counts, customers and ARR."""
    if fmt not in ("table", "json", "csv"):
        raise fail("--format must be table, json or csv")
    with open_runtime() as runtime, runtime.database.session() as session:
        rows = exports.theme_rows(session)
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        sys.stdout.write(exports.themes_to_csv(rows))
    elif not rows:
        typer.echo("No themes yet; run `pilothouse feedback synthesize`.", err=True)
    else:
        _theme_table(rows)


def _theme_table(rows: list[dict[str, Any]]) -> None:
    table = Table("id", "theme", "items", "customers", "ARR", "negative", box=None)
    for row in rows:
        label = row["label"] + (" (hidden)" if row["hidden"] else "")
        arr = f"{row['arr_cents'] / 100:,.0f}"
        counts = (str(row["item_count"]), str(row["customer_count"]))
        table.add_row(str(row["id"]), label, *counts, arr, f"{row['negative_share']:.0%}")
    Console(width=160).print(table)


# --- voice-of-customer report (feedback UI/insights helper) --------------------------------


@app.command("report")
@cli_errors
def voc_report(
    start: Annotated[str, typer.Option("--start", help="First day (UTC), YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last day (UTC), inclusive, YYYY-MM-DD.")],
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    top: Annotated[int, typer.Option("--top", min=1, max=50, help="Themes in detail.")] = 10,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", dir_okay=False, help="Write to this file.")
    ] = None,
) -> None:
    """Voice-of-customer report for a date range: top themes, quotes, spikes, new themes."""
    from datetime import date

    from pilothouse.feedback import reports

    if fmt not in ("md", "html", "json"):
        raise fail("--format must be md, html or json")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise fail("--start and --end are days: YYYY-MM-DD") from None
    with open_runtime() as runtime, runtime.database.session() as session:
        report = reports.build_report(session, first, last, top=top)
    if fmt == "md":
        text = reports.to_markdown(report)
    elif fmt == "html":
        text = reports.to_html(report)
    else:
        text = json.dumps(reports.to_json(report), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output} ({len(report.themes)} themes).", err=True)


# --- end of voice-of-customer report -------------------------------------------------------
