"""``pilothouse experiments ...``: list experiments, show one, run its analysis.

Thin wrappers over the registry and the analysis service. ``analyze`` stores a
snapshot like the API does (a failed run too, which exits with status 1) and
prints the scorecard; ``--format json`` prints the whole snapshot instead.
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core.actor import Actor
from pilothouse.core.pagination import PageRequest

__all__ = ["TextOrJson", "analyze", "app", "list_experiments", "show"]

app = typer.Typer(help="Experiments: list, show and analyse.", no_args_is_help=True)


class TextOrJson(enum.StrEnum):
    text = "text"
    json = "json"


def _row(experiment: Any) -> dict[str, Any]:
    return {
        "key": experiment.key,
        "name": experiment.name,
        "status": experiment.status.value,
        "unit": experiment.analysis_unit,
        "variations": ", ".join(v.key for v in experiment.variations),
        "metrics": ", ".join(m.metric for m in experiment.metrics),
        "started_at": experiment.started_at.isoformat() if experiment.started_at else None,
        "ended_at": experiment.ended_at.isoformat() if experiment.ended_at else None,
    }


@app.command("list")
@cli_errors
def list_experiments(
    status: Annotated[
        str | None, typer.Option("--status", help="draft, running, stopped or decided.")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List experiments, newest first."""
    from pilothouse.experiments import registry
    from pilothouse.experiments.models import ExperimentStatus

    try:
        wanted = ExperimentStatus(status) if status else None
    except ValueError:
        raise fail(
            f"--status must be one of {', '.join(s.value for s in ExperimentStatus)}"
        ) from None
    rows: list[dict[str, Any]] = []
    with open_runtime() as runtime, runtime.database.session() as session:
        cursor = None
        while True:
            page = registry.list_experiments(session, PageRequest(200, cursor), status=wanted)
            rows += [_row(e) for e in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    columns = ["key", "name", "status", "unit", "variations", "metrics", "started_at", "ended_at"]
    emit_rows(rows, columns, fmt, title="Experiments")


def _details(experiment: Any) -> dict[str, Any]:
    from pilothouse.experiments.schemas import ExperimentRead

    return ExperimentRead.model_validate(experiment).model_dump(mode="json")


@app.command("show")
@cli_errors
def show(
    key: Annotated[str, typer.Argument(help="Experiment key, e.g. EXP-3.")],
    fmt: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
) -> None:
    """Show an experiment: design, status, decision and its latest results."""
    from pilothouse.core.errors import NotFound
    from pilothouse.experiments import registry
    from pilothouse.experiments.analysis import service

    with open_runtime() as runtime, runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        details = _details(experiment)
        try:
            latest = service.latest_results(session, experiment)
            details["latest_results"] = {
                "snapshot": latest.id,
                "computed_at": latest.computed_at.isoformat(),
                **service.summary(latest.results),
            }
        except NotFound:
            details["latest_results"] = None
    if fmt is TextOrJson.json:
        typer.echo(json.dumps(details, indent=2, default=str))
        return
    for field in ("key", "name", "status", "hypothesis", "analysis_unit", "started_at", "ended_at"):
        typer.echo(f"{field + ':':<15} {details[field] if details[field] is not None else '-'}")
    variations = ", ".join(f"{v['key']} ({v['weight']:g})" for v in details["variations"])
    typer.echo(f"{'variations:':<15} {variations}")
    for metric in details["metrics"]:
        extra = f", bad direction {metric['bad_direction']}" if metric["bad_direction"] else ""
        typer.echo(f"{'metric:':<15} {metric['metric']} ({metric['role']}{extra})")
    typer.echo(f"{'exposure:':<15} {json.dumps(details['exposure'])}")
    typer.echo(f"{'analysis:':<15} {json.dumps(details['analysis'])}")
    decision = details["decision"]
    if decision:
        typer.echo(f"{'decision:':<15} {decision['outcome']}: {decision['rationale']}")
    latest = details["latest_results"]
    typer.echo(f"{'latest results:':<15} {latest['computed_at'] if latest else 'never analysed'}")
    if latest:
        _print_summary(latest)


def _number(value: Any, percent: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:+.2%}" if percent else f"{value:.4g}"


def _print_summary(results: dict[str, Any]) -> None:
    table = Table(title="Scorecard")
    for column in (
        "metric",
        "variation",
        "users",
        "mean",
        "effect",
        "interval",
        "p / win",
        "status",
    ):
        table.add_column(column)
    relative = (results.get("settings") or {}).get("difference", "relative") == "relative"
    for metric in results.get("metrics", []):
        if metric.get("error"):
            table.add_row(metric["metric"], "-", "-", "-", "-", "-", "-", metric["error"])
            continue
        for variation in metric.get("variations", []):
            ci = variation.get("ci")
            interval = (
                "-" if not ci else f"[{_number(ci[0], relative)}, {_number(ci[1], relative)}]"
            )
            p = variation.get("p_value", variation.get("chance_to_win"))
            status = variation.get("error") or variation.get("status") or ""
            if variation.get("guardrail_breached"):
                status += " (guardrail breached)"
            table.add_row(
                metric["metric"],
                str(variation.get("key")),
                _number(variation.get("users")),
                _number(variation.get("mean")),
                _number(variation.get("effect"), relative),
                interval,
                _number(p),
                status,
            )
    Console().print(table)


@app.command("analyze")
@cli_errors
def analyze(
    key: Annotated[str, typer.Argument(help="Experiment key, e.g. EXP-3.")],
    fmt: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
) -> None:
    """Run the analysis now, store a snapshot and print the scorecard."""
    from pilothouse.experiments import registry
    from pilothouse.experiments.analysis import service

    with open_runtime() as runtime, runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        snapshot = service.analyze_experiment(session, runtime, Actor.command_line(), experiment)
        data: dict[str, Any] = {
            "id": snapshot.id,
            "experiment": experiment.key,
            "computed_at": snapshot.computed_at.isoformat(),
            "succeeded": snapshot.succeeded,
            "error": snapshot.error,
            "results": snapshot.results,
        }
    if fmt is TextOrJson.json:
        typer.echo(json.dumps(data, indent=2))
    elif snapshot.succeeded:
        results = data["results"]
        srm = results["srm"]
        typer.echo(
            f"{data['experiment']}: {results['exposures']['units']:,} units "
            f"({results['exposures']['multiple_variations']:,} excluded for seeing several "
            f"variations); SRM p = {_number(srm['p_value'])}"
            + ("  WARNING: sample-ratio mismatch" if srm["warning"] else "")
        )
        _print_summary(results)
    if not data["succeeded"]:
        raise fail(f"the analysis of {data['experiment']} failed: {data['error']}")
