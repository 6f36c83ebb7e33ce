"""``pilothouse metrics ...``: the catalog, validation, SQL and queries from the shell."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime, stderr

app = typer.Typer(help="Metrics as code: list, validate, compile and query.", no_args_is_help=True)

DIALECTS = "duckdb, postgres, clickhouse, spark, trino, bigquery, snowflake"


@app.command("list")
@cli_errors
def list_metrics(
    search: Annotated[str | None, typer.Option("--search", "-s", help="Text to look for.")] = None,
    area: Annotated[str | None, typer.Option("--area", help="Only this product area.")] = None,
    certified: Annotated[bool, typer.Option("--certified", help="Only certified metrics.")] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List the metrics in the catalog."""
    from pilothouse.metrics.presenting import metric_summary

    with open_runtime(require_schema=False) as runtime:
        found = runtime.metrics.catalog().search(
            search, product_area=area, certified=True if certified else None
        )
        rows = [metric_summary(m) for m in found]
        for problem in runtime.metrics.problems:
            stderr.print(f"[yellow]warning:[/] {problem}", highlight=False, soft_wrap=True)
    for row in rows:
        row["tags"] = ",".join(row["tags"])
    emit_rows(
        rows,
        ["name", "label", "type", "owner", "product_area", "certified", "tags"],
        fmt,
        title="Metrics",
    )


@app.command("show")
@cli_errors
def show_metric(name: Annotated[str, typer.Argument(help="Metric name.")]) -> None:
    """Show a metric: who owns it, what it depends on, and its definition as written."""
    from pilothouse.metrics.presenting import definition_source, metric_summary

    with open_runtime(require_schema=False) as runtime:
        metric = runtime.metrics.metric(name)
        catalog = runtime.metrics.catalog()
        summary = metric_summary(metric)
        for key in (
            "label",
            "description",
            "type",
            "owner",
            "product_area",
            "certified",
            "unit",
            "defined_at",
        ):
            typer.echo(f"{key + ':':<14} {summary[key]}")
        typer.echo(f"{'depends on:':<14} {', '.join(catalog.dependencies(name)) or '-'}")
        dims = ", ".join(d.name for d in catalog.dimensions_for(metric))
        typer.echo(f"{'dimensions:':<14} {dims or '-'}")
        typer.echo("\n" + definition_source(runtime.metrics, metric))


@app.command("validate")
@cli_errors
def validate(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Folder to check (default: the configured metrics folder)."),
    ] = None,
) -> None:
    """Check every metric file; print each problem as FILE:LINE: FIELD: MESSAGE."""
    from pilothouse.core.config import Settings
    from pilothouse.metrics.definitions import validate_folder

    target = folder or Settings().effective_metrics_path
    report = validate_folder(target)
    for problem in report.problems:
        typer.echo(str(problem))
    if report.problems:
        raise fail(f"{len(report.problems)} problem(s) in {target}")
    count = len(report.catalog) if report.catalog else 0
    typer.echo(f"{target}: {count} metrics, no problems.", err=True)


def _request(
    runtime,
    name: str,
    start: dt.datetime | None,
    end: dt.datetime | None,  # type: ignore[no-untyped-def]
    grain: str | None,
    by: list[str],
    where: list[str],
    source: str,
):
    from pilothouse.metrics import presenting, service
    from pilothouse.metrics.query_text import parse_by, parse_where

    metric = runtime.metrics.metric(name)
    first, stop = presenting.date_range(
        start.date() if start else None, end.date() if end else None, dt.date.today()
    )
    filters = tuple(parse_where(text, "--where") for text in where)
    dims = tuple(parse_by(b, "--by") for b in by)
    return service.SeriesRequest(
        name, first, stop, presenting.parse_grain(grain, metric), dims, filters, source
    )


FromOpt = Annotated[
    dt.datetime | None,
    typer.Option("--from", formats=["%Y-%m-%d"], help="First day (default: 30 days ago)."),
]
ToOpt = Annotated[
    dt.datetime | None,
    typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, inclusive (default: today)."),
]
GrainOpt = Annotated[str | None, typer.Option("--grain", help="day, week, month or total.")]
ByOpt = Annotated[list[str] | None, typer.Option("--by", help="Dimension to break down by.")]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="Filter like 'account.plan in growth,enterprise' (SOURCE: property, user, account).",
    ),
]


@app.command("compile")
@cli_errors
def compile_metric(
    name: Annotated[str, typer.Argument(help="Metric name.")],
    dialect: Annotated[str, typer.Option("--dialect", help=f"One of: {DIALECTS}.")] = "duckdb",
    start: FromOpt = None,
    end: ToOpt = None,
    grain: GrainOpt = None,
    by: ByOpt = None,
    where: WhereOpt = None,
) -> None:
    """Print the SQL a metric query compiles to, for any dialect."""
    from pilothouse.metrics import service

    with open_runtime(require_schema=False) as runtime:
        request = _request(
            runtime, name, start, end, grain, by or [], where or [], service.EMBEDDED_SOURCE
        )
        typer.echo(service.compile_metric(runtime, request, dialect).sql)


@app.command("query")
@cli_errors
def query_metric(
    name: Annotated[str, typer.Argument(help="Metric name.")],
    start: FromOpt = None,
    end: ToOpt = None,
    grain: GrainOpt = None,
    by: ByOpt = None,
    where: WhereOpt = None,
    source: Annotated[
        str,
        typer.Option("--source", help="Warehouse connection name (default: the embedded store)."),
    ] = "embedded",
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Compute a metric where its data lives and print the series."""
    from pilothouse.metrics import service

    with open_runtime(require_schema=False) as runtime:
        request = _request(runtime, name, start, end, grain, by or [], where or [], source)
        with stderr.status(f"Querying {name} on {source}"):
            result = service.run_series(runtime, request)
    rows = result.as_dicts()
    if fmt is OutputFormat.json:
        typer.echo(
            json.dumps({"metric": name, "source": source, "rows": rows}, default=str, indent=2)
        )
        return
    emit_rows(rows, list(result.columns), fmt, title=name)


@app.command("anomalies")
@cli_errors
def metric_anomalies(
    name: Annotated[str, typer.Argument(help="Metric name.")],
    days: Annotated[
        int, typer.Option("--days", min=50, help="Days of history to read (50 or more).")
    ] = 120,
    sensitivity: Annotated[
        str, typer.Option("--sensitivity", help="low, medium or high (more alarms).")
    ] = "medium",
    show_all: Annotated[
        bool, typer.Option("--all", help="Every judged day, not only the anomalous ones.")
    ] = False,
    source: Annotated[
        str,
        typer.Option("--source", help="Warehouse connection name (default: the embedded store)."),
    ] = "embedded",
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Days on which a metric left its normal variation (weekly pattern and trend allowed)."""
    from pilothouse.metrics.anomaly import AnomalyConfig
    from pilothouse.metrics.anomaly_service import check_metric

    try:
        config = AnomalyConfig(sensitivity=sensitivity)  # type: ignore[arg-type]
    except ValueError as exc:
        raise fail(f"--sensitivity: {exc}") from exc
    with open_runtime() as runtime:
        with stderr.status(f"Checking {name} on {source}"):
            checks = check_metric(runtime, name, days=days, config=config, source=source)
    rows = [
        {
            "day": check.day.isoformat(),
            "value": round(check.value, 4),
            "expected": round(check.expected, 4),
            "score": round(check.score, 2),
            "anomalous": check.anomalous,
            "direction": check.direction or "",
        }
        for check in checks
        if show_all or check.anomalous
    ]
    columns = ["day", "value", "expected", "score", "anomalous", "direction"]
    if fmt is OutputFormat.json:
        typer.echo(json.dumps({"metric": name, "sensitivity": sensitivity, "days": rows}, indent=2))
        return
    emit_rows(rows, columns, fmt, title=f"{name}: anomalies ({sensitivity})")
