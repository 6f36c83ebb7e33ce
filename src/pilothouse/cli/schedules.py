"""``pilothouse schedules ...``: periodic jobs: list them, run one now, change when."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, open_runtime
from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime

__all__ = ["app"]

app = typer.Typer(
    help="Schedules: periodic jobs such as digests and reports (cron, workspace time zone).",
    no_args_is_help=True,
)

COLUMNS = ["name", "title", "cron", "time_zone", "enabled", "last_slot_at", "next_slot_at"]


def _row(view: Any) -> dict[str, Any]:
    return {
        "name": view.name,
        "title": view.title,
        "cron": view.cron,
        "time_zone": view.time_zone,
        "enabled": view.enabled,
        "job_kind": view.job_kind,
        "last_slot_at": view.last_slot_at.isoformat() if view.last_slot_at else "",
        "next_slot_at": view.next_slot_at.isoformat() if view.next_slot_at else "",
        "last_job_id": view.last_job_id,
    }


@app.command("list")
@cli_errors
def list_command(
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Every schedule with its cron expression, time zone and next run."""
    from pilothouse.core.schedules import list_schedules

    with open_runtime() as runtime, runtime.database.session() as session:
        rows = [_row(view) for view in list_schedules(runtime, session)]
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    emit_rows(rows, COLUMNS, fmt, title="Schedules")


#: How long ``schedules run`` waits for a job it handed to the server's job threads.
SERVER_WAIT_SECONDS = 600.0


def _server_runtime(runtime: Runtime) -> Runtime | None:
    """A runtime that queues jobs for the running server, when one holds the event store.

    DuckDB lets one process open the embedded event store, and a running server keeps it
    open: a job run here could not read a single metric (the weekly review would list
    every metric as failed and still be published). Its job threads (or the job workers)
    run it instead, from the shared queue. None when the store opens here, or when the
    installation runs jobs at submit (``PILOTHOUSE_JOBS_MODE=immediate``: no consumer)."""
    from pilothouse.core.config import Settings
    from pilothouse.core.errors import Conflict

    configured = Settings().jobs_mode
    try:
        runtime.event_store  # noqa: B018 - opening it is the test
    except Conflict:
        if configured == "immediate":
            return None
        settings = runtime.settings.model_copy(update={"jobs_mode": configured})
        return Runtime(settings=settings, database=runtime.database)
    return None


@app.command("run")
@cli_errors
def run_command(
    name: Annotated[str, typer.Argument(help="Schedule name (see 'pilothouse schedules list').")],
    now: Annotated[
        bool, typer.Option("--now", help="Run it now, outside its schedule (required).")
    ] = False,
) -> None:
    """Run a schedule's job now and print its outcome: in this process, or by the running
    server's job threads when a server holds the event store."""
    from pilothouse.cli.common import fail
    from pilothouse.core.jobs import get_job, wait_for_job
    from pilothouse.core.schedules import run_schedule_now

    if not now:
        raise fail("say --now to run a schedule outside its slots")
    with open_runtime() as runtime:
        server = _server_runtime(runtime)
        job_id = run_schedule_now(server or runtime, Actor.command_line(), name)
        if server is None:
            job, where = get_job(runtime, job_id), ""
        else:
            typer.echo(f"job {job_id} queued for the running server's job threads", err=True)
            try:
                job = wait_for_job(server, job_id, timeout=SERVER_WAIT_SECONDS)
            except TimeoutError as exc:
                raise fail(f"{exc}; follow it with: pilothouse jobs show {job_id}") from None
            where = " (run by the server)"
    typer.echo(f"job {job.id} {job.status.value}: {job.title}{where}")
    if job.error:
        raise fail(job.error)


@app.command("set")
@cli_errors
def set_command(
    name: Annotated[str, typer.Argument(help="Schedule name.")],
    cron: Annotated[
        str | None, typer.Option("--cron", help="Cron expression, e.g. '0 9 * * 1'.")
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option("--time-zone", help="IANA time zone; empty for the workspace's."),
    ] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enabled/--disabled", help="Turn the schedule on or off.")
    ] = None,
) -> None:
    """Change when a schedule runs, or turn it off (audited)."""
    from pilothouse.core.schedules import update_schedule

    with open_runtime() as runtime, runtime.database.session() as session:
        schedule = update_schedule(
            session, Actor.command_line(), name, cron=cron, time_zone=time_zone, enabled=enabled
        )
        typer.echo(f"{schedule.name}: {schedule.cron} ({'on' if schedule.enabled else 'off'})")
