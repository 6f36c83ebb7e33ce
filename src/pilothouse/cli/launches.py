"""``pilothouse launches ...``: list launches and show one with its checklist and gates."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime

app = typer.Typer(help="Launches: list and show.", no_args_is_help=True)

LIST_COLUMNS = [
    "key",
    "name",
    "status",
    "stage",
    "product_area",
    "target_date",
    "readiness",
    "overdue",
    "owner",
]


@app.command("list")
@cli_errors
def list_launches(
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status", help="Only this status (planned, in_progress, launched, cancelled)."
        ),
    ] = None,
    area: Annotated[str, typer.Option("--area", help="Only this product area.")] = "",
) -> None:
    """List launches with stage, GA date, readiness and overdue items."""
    from pilothouse.core.pagination import PageRequest
    from pilothouse.launches.common import workspace_today
    from pilothouse.launches.launching import list_launches as find
    from pilothouse.launches.models import LaunchStatus
    from pilothouse.launches.presenters import launch_brief

    wanted = []
    for value in status or []:
        if value not in LaunchStatus.__members__:
            raise fail(f"--status {value!r}: use planned, in_progress, launched or cancelled")
        wanted.append(LaunchStatus(value))
    with open_runtime() as runtime, runtime.database.session() as session:
        today = workspace_today(runtime.settings.timezone)
        page = find(session, PageRequest(limit=10_000), status=wanted, product_area=area or None)
        rows = []
        for launch in page.items:
            brief = launch_brief(launch, today).model_dump(mode="json")
            brief["owner"] = brief["owner"]["email"] if brief["owner"] else None
            rows.append(brief)
    emit_rows(rows, LIST_COLUMNS, output, title="Launches")


@app.command("show")
@cli_errors
def show_launch(
    key: Annotated[str, typer.Argument(help="The launch key, e.g. LAUNCH-3.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full launch as JSON.")] = False,
) -> None:
    """Show one launch: its stages, checklist items, gates and what blocks the next stage."""
    from pilothouse.launches.common import find_launch, workspace_today
    from pilothouse.launches.presenters import launch_read

    with open_runtime() as runtime, runtime.database.session() as session:
        view = launch_read(
            session, find_launch(session, key), workspace_today(runtime.settings.timezone)
        )
    if as_json:
        typer.echo(json.dumps(view.model_dump(mode="json"), indent=2))
        return
    typer.echo(f"{view.key}  {view.name}  [{view.status.value}]  GA {view.target_date}")
    typer.echo(f"stage: {view.stage}  readiness: {view.readiness.score}/100")
    for stage in view.stages:
        typer.echo(f"\n{stage.position + 1}. {stage.name} ({stage.state}, due {stage.due_date})")
        for item in stage.items:
            mark = "x" if item.done else ("!" if item.overdue else " ")
            owner = item.owner.email if item.owner else "-"
            optional = "" if item.required else " (optional)"
            typer.echo(f"   [{mark}] {item.title}{optional} — {owner}, due {item.due_date}")
        for gate in stage.gates:
            decisions = ", ".join(f"{a.approver.email}: {a.decision.value}" for a in gate.approvals)
            typer.echo(f"   gate {gate.name}: {decisions}")
    for blocker in view.blockers:
        typer.echo(f"blocked: {blocker}")
