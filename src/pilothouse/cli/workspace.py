"""``pilothouse workspace export DIR`` and ``pilothouse workspace apply DIR``: the
workspace's configuration as files (see docs/workspace-as-code.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, fail, open_runtime
from pilothouse.core.actor import Actor
from pilothouse.core.errors import Conflict, ValidationFailed

__all__ = ["app"]

app = typer.Typer(
    help="Operations as code: export and apply.",
    no_args_is_help=True,
)
Format = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


@app.command("export")
@cli_errors
def export_dir(
    directory: Annotated[Path, typer.Argument(help="The directory to write (made if missing).")],
) -> None:
    """Write the workspace's configuration under DIRECTORY, one file per object."""
    from pilothouse.workspace_code import export

    with open_runtime() as runtime, runtime.database.session(reading=True) as session:
        written = export(session, directory)
    typer.echo(f"{len(written)} files written to {directory}")


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _print_plan(result: Any, dry_run: bool) -> None:
    signs = {"created": "+", "changed": "~", "removed": "-", "kept": "=", "refused": "!"}
    for change in result.changes:
        line = f"{signs[change.action]} {change.kind}/{change.key} {change.action}"
        typer.echo(f"{line}: {change.reason}" if change.reason else line)
        if change.action == "changed":
            for name, (old, new) in change.fields.items():
                typer.echo(f"    {name}: {_value(old)} -> {_value(new)}")
    counts = {a: sum(c.action == a for c in result.changes) for a in signs}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
    verb = "would apply" if dry_run else "applied"
    typer.echo(f"{verb}: {summary or 'nothing to change'}; {result.unchanged} unchanged")


def _as_json(result: Any, dry_run: bool) -> str:
    changes = [
        {
            "kind": c.kind,
            "key": c.key,
            "action": c.action,
            "fields": {k: {"before": b, "after": a} for k, (b, a) in c.fields.items()},
            "reason": c.reason,
        }
        for c in result.changes
    ]
    data = {"dry_run": dry_run, "changes": changes, "unchanged": result.unchanged}
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


@app.command("apply")
@cli_errors
def apply_dir(
    directory: Annotated[Path, typer.Argument(help="A directory written by 'workspace export'.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the differences; write nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete objects missing from DIRECTORY (never those in use)."),
    ] = False,
    fmt: Format = OutputFormat.table,
) -> None:
    """Make the workspace match DIRECTORY in one transaction (all of it or nothing)."""
    from pilothouse.workspace_code import apply

    try:
        with open_runtime() as runtime, runtime.database.session() as session:
            result = apply(session, Actor.command_line(), directory, prune=prune)
            if dry_run:
                session.rollback()
    except (ValidationFailed, Conflict) as exc:
        for error in exc.errors:
            typer.echo(f"{error.field}: {error.message}", err=True)
        raise fail(f"{directory} was not applied: {exc.detail}") from None
    if fmt is OutputFormat.json:
        typer.echo(_as_json(result, dry_run))
    else:
        _print_plan(result, dry_run)
