"""``pilothouse ops ...``: how the product process runs (process health)."""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any

import typer

from pilothouse.cli.common import cli_errors, open_runtime

__all__ = ["app"]

app = typer.Typer(help="Operations: process health.", no_args_is_help=True)


class HealthFormat(enum.StrEnum):
    table = "table"
    json = "json"


@app.command("health")
@cli_errors
def health_command(
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="A quarter such as 2026-Q1 (default: all).")
    ] = None,
    area: Annotated[str | None, typer.Option("--area", help="A product area's slug.")] = None,
    figure: Annotated[
        str | None,
        typer.Option("--figure", help="One figure's key (e.g. cycle_time): list its items."),
    ] = None,
    fmt: Annotated[HealthFormat, typer.Option("--format", help="table or json.")] = (
        HealthFormat.table
    ),
) -> None:
    """Print process-health figures (definitions: docs/ops-health.md), or one figure with
    the items behind it."""
    from pilothouse.ops.health.presenters import figure_dict, report_dict, sample_rows
    from pilothouse.ops.health.service import health_report, parse_filter

    with open_runtime() as runtime, runtime.database.session(reading=True) as session:
        where = parse_filter(session, quarter, area)
        report = health_report(session, runtime.settings.timezone, where)
        if figure is None:
            body: dict[str, Any] = report_dict(report)
        else:
            found = report.find(figure)
            rows = sample_rows(session, found, report.timezone, runtime)
            body = {**figure_dict(found, where), "items": [row for _, row in rows]}
    if fmt is HealthFormat.json:
        typer.echo(json.dumps(body, indent=2))
    elif figure is None:
        _print_figures(report)
    else:
        _print_items(body)


def _print_figures(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from pilothouse.ops.health.presenters import format_value

    title = "Process health" + "".join(
        f" · {v}" for v in (report.filter.quarter, report.filter.area_slug) if v
    )
    table = Table(title=title)
    for column in ("Area", "Figure", "Key", "Value", "p85", "Items"):
        table.add_column(column)
    for r in report.figures:
        p85 = format_value(r, r.summary.p85) if r.summary.p85 is not None else ""
        table.add_row(r.group, r.figure.title, r.figure.key, format_value(r), p85, str(r.summary.n))
    console = Console()
    Console(width=max(console.width, 120) if console.is_terminal else 200).print(table)


def _print_items(body: dict[str, Any]) -> None:
    typer.echo(f"{body['title']}: {body['value']} ({body['n']} items)")
    for item in body["items"]:
        name = item["name"] + (" (deleted)" if item["deleted"] else "")
        typer.echo(f"  {item['value']:>8.1f}  {item['period']}  {name}  {item['note']}")
