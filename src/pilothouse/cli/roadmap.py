"""``pilothouse roadmap ...``: import, export and list roadmap items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core.actor import Actor

app = typer.Typer(help="Roadmap items: import, export, list.", no_args_is_help=True)

IMPORT_FORMATS = ("csv", "jira-csv", "jira-json", "github-json")
MAX_SHOWN = 50


def _guess_format(file: Path, text: str) -> str:
    """csv or jira-csv for CSV files (Jira's have an 'Issue key' column); for JSON, Jira's
    search export has ``issues``, GitHub's is a list."""
    if file.suffix.lower() == ".json":
        return "jira-json" if text.lstrip().startswith("{") else "github-json"
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    return "jira-csv" if "Issue key" in first_line and "Summary" in first_line else "csv"


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise fail(f"--map {pair!r}: use FIELD=COLUMN, e.g. --map title=Name")
        mapping[name.strip()] = column.strip()
    return mapping


@app.command("import")
@cli_errors
def import_items(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON export."),
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="csv, jira-csv, jira-json or github-json (default: from the file)."
        ),
    ] = "",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="FIELD=COLUMN for plain CSV, e.g. --map title=Name --map owner=PM."
        ),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="initiative, feature or idea for new items.")
    ] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and show the plan; store nothing.")
    ] = False,
) -> None:
    """Import ideas and features. Every row is checked first; any problem stores nothing.
    Items imported before (same Jira/GitHub key, or a 'key' column) are updated."""
    from pilothouse.roadmap.importers import ImportFormat
    from pilothouse.roadmap.imports import run_import
    from pilothouse.roadmap.models import ItemKind

    text = file.read_text(encoding="utf-8-sig")
    chosen = fmt or _guess_format(file, text)
    if chosen not in IMPORT_FORMATS:
        raise fail(f"--format {chosen!r}: use one of {', '.join(IMPORT_FORMATS)}")
    if kind and kind not in ("initiative", "feature", "idea"):
        raise fail(f"--kind {kind!r}: use initiative, feature or idea")
    with open_runtime() as runtime, runtime.database.session() as session:
        report = run_import(
            session,
            Actor.command_line(),
            text,
            ImportFormat(chosen),
            mapping=_mapping(mapping or []),
            default_kind=ItemKind(kind) if kind else None,
            dry_run=dry_run,
            source=file.name,
        )
    for warning in report.warnings[:MAX_SHOWN]:
        typer.echo(f"{file}: warning: {warning}", err=True)
    if report.problems:
        for problem in report.problems[:MAX_SHOWN]:
            typer.echo(f"{file}: {problem}", err=True)
        if len(report.problems) > MAX_SHOWN:
            typer.echo(f"... and {len(report.problems) - MAX_SHOWN} more", err=True)
        raise fail(f"{file}: {len(report.problems)} problems; nothing was imported")
    for planned in report.planned:
        typer.echo(f"{planned.action:9} {planned.key:10} {planned.title}", err=True)
    what = "would create" if dry_run else "created"
    typer.echo(
        f"{file}: {what} {report.created}, updated {report.updated}, unchanged "
        f"{report.unchanged} ({chosen}{'; dry run: nothing stored' if dry_run else ''}).",
        err=True,
    )


@app.command("export")
@cli_errors
def export_items(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    kind: Annotated[str, typer.Option("--kind", help="Only this kind.")] = "",
) -> None:
    """Print every item as CSV (re-importable) or JSON (with scores) on stdout."""
    from pilothouse.roadmap import exports
    from pilothouse.roadmap.listing import ItemFilter, filtered_items
    from pilothouse.roadmap.models import ItemKind

    if fmt not in ("csv", "json"):
        raise fail(f"--format {fmt!r}: use csv or json")
    with open_runtime() as runtime, runtime.database.session() as session:
        found = filtered_items(session, ItemFilter(kind=ItemKind(kind) if kind else None))
        if fmt == "json":
            typer.echo(json.dumps(exports.export_json(session, found), indent=2, default=str))
        else:
            typer.echo(exports.export_csv(session, found), nl=False)


@app.command("list")
@cli_errors
def list_items(
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
    formula: Annotated[
        str, typer.Option("--formula", help="Rank by this formula (rice, ice, wsjf, ...).")
    ] = "rice",
    kind: Annotated[str, typer.Option("--kind", help="Only this kind.")] = "",
) -> None:
    """List items ranked by a score formula, with their score."""
    from pilothouse.roadmap import scoring
    from pilothouse.roadmap.listing import ItemFilter, filtered_items
    from pilothouse.roadmap.models import ItemKind

    with open_runtime() as runtime, runtime.database.session() as session:
        found = filtered_items(session, ItemFilter(kind=ItemKind(kind) if kind else None))
        ranked = scoring.rank_items(session, found, scoring.get_formula(session, formula))
        rows = [
            {
                "rank": r.rank,
                "key": r.item.key,
                "kind": r.item.kind.value,
                "title": r.item.title,
                "status": r.item.status.name,
                "score": r.score,
                "note": str(r.error) if r.error else "",
            }
            for r in ranked
        ]
    columns = ["rank", "key", "kind", "title", "status", "score", "note"]
    emit_rows(rows, columns, output, title=f"Roadmap by {formula}")
