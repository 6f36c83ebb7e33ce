"""``pilothouse tools ...``: list the tool inventory, import a tool list, update seat usage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime

app = typer.Typer(help="The tool-stack inventory: list, import, seats.", no_args_is_help=True)
COLUMNS = [
    "slug",
    "name",
    "category",
    "owner",
    "cost_cents",
    "currency",
    "billing",
    "annual_cents",
    "seats_bought",
    "seats_used",
    "renewal_date",
    "notice_days",
    "sso",
    "status",
]
FileArg = Annotated[Path, typer.Argument(help="A CSV file (UTF-8, header first).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only preview; store nothing.")]
Format = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


def _row(tool: Any) -> dict[str, Any]:
    return {
        "slug": tool.slug,
        "name": tool.name,
        "category": tool.category,
        "owner": tool.owner.email if tool.owner else "",
        "cost_cents": tool.cost_cents,
        "currency": tool.currency,
        "billing": tool.billing,
        "annual_cents": tool.annual_cents,
        "seats_bought": tool.seats_bought,
        "seats_used": tool.seats_used,
        "renewal_date": tool.renewal_date.isoformat() if tool.renewal_date else "",
        "notice_days": tool.notice_days,
        "sso": "yes" if tool.sso else "no",
        "status": tool.status,
    }


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{path}: not UTF-8 text") from None


@app.command("list")
@cli_errors
def list_tools(
    category: Annotated[str | None, typer.Option("--category", help="Only this category.")] = None,
    fmt: Format = OutputFormat.table,
) -> None:
    """List every tool with its annual cost (monthly × 12), seats and renewal."""
    from pilothouse.tools import service

    with open_runtime() as runtime, runtime.database.session(reading=True) as session:
        rows = [_row(t) for t in service.list_tools(session, category=category)]
    emit_rows(rows, COLUMNS, fmt, title="Tools")


@app.command("import")
@cli_errors
def import_tools(file: FileArg, dry_run: DryRun = False, fmt: Format = OutputFormat.table) -> None:
    """Import a tool list (all or nothing); each problem names its row and column."""
    from pilothouse.core.actor import Actor
    from pilothouse.tools import imports

    text = _read(file)
    with open_runtime() as runtime, runtime.database.session() as session:
        preview = imports.import_tools(session, Actor.command_line(), text, dry_run=True)
        if preview.errors:
            raise fail(f"{file}: nothing was imported:\n" + "\n".join(preview.errors))
        if not dry_run:
            preview = imports.import_tools(session, Actor.command_line(), text, dry_run=False)
    rows = [{"row": r.row, "name": r.name, "action": r.action} for r in preview.rows]
    emit_rows(rows, ["row", "name", "action"], fmt, title="Preview" if dry_run else "Imported")


@app.command("seats")
@cli_errors
def seats(
    file: FileArg,
    dry_run: DryRun = False,
    active_days: Annotated[
        int, typer.Option("--active-days", help="A seat is used when active within N days.")
    ] = 90,
    fmt: Format = OutputFormat.table,
) -> None:
    """Set seats used from a CSV of email,tool,last_active (all or nothing)."""
    from pilothouse.core.actor import Actor
    from pilothouse.tools import imports

    text = _read(file)
    actor = Actor.command_line()
    with open_runtime() as runtime, runtime.database.session() as session:
        preview = imports.import_seats(session, actor, text, active_days=active_days)
        if preview.errors:
            raise fail(f"{file}: nothing was changed:\n" + "\n".join(preview.errors))
        if not dry_run:
            preview = imports.import_seats(
                session, actor, text, dry_run=False, active_days=active_days
            )
    rows = [r.model_dump() for r in preview.tools]
    emit_rows(rows, ["tool", "seats_used_before", "seats_used", "seats_bought"], fmt)
