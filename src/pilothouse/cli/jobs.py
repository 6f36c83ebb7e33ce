"""``pilothouse jobs ...``: look at background jobs, retry or cancel them, run a worker."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core import jobs
from pilothouse.core.actor import Actor
from pilothouse.core.job_models import JobStatus
from pilothouse.core.pagination import PageRequest

__all__ = ["app"]

app = typer.Typer(
    help="Background jobs: list, inspect, retry, cancel, run a worker.", no_args_is_help=True
)

COLUMNS = ["id", "kind", "title", "status", "progress", "requested_by", "created_at", "error"]


def _row(job: jobs.JobView) -> dict[str, Any]:
    total = f"/{job.progress_total}" if job.progress_total is not None else ""
    return {
        "id": job.id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status.value,
        "progress": f"{job.progress_done}{total}",
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "message": job.message,
        "attempts": job.attempts,
        "requested_by": job.requested_by,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
        "result": job.result,
    }


@app.command("list")
@cli_errors
def list_(
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs with this status.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest N jobs.")] = 50,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List jobs, newest first."""
    with open_runtime() as runtime:
        page = jobs.list_jobs(runtime, PageRequest(limit=limit), status=status, kind=kind)
    emit_rows([_row(j) for j in page.items], COLUMNS, fmt, title="Jobs")


@app.command("show")
@cli_errors
def show(job_id: Annotated[int, typer.Argument(help="Id from 'pilothouse jobs list'.")]) -> None:
    """Print one job, with its payload, progress, result and error, as JSON."""
    with open_runtime() as runtime:
        job = jobs.get_job(runtime, job_id)
    typer.echo(json.dumps(_row(job) | {"payload": job.payload}, indent=2, default=str))


@app.command("retry")
@cli_errors
def retry(
    job_id: Annotated[int, typer.Argument(help="Id of a failed or cancelled job.")],
    queue: Annotated[
        bool,
        typer.Option(
            "--queue", help="Queue it for the server or a worker instead of running it here."
        ),
    ] = False,
) -> None:
    """Run a failed or cancelled job again, as a new attempt."""
    with open_runtime() as runtime:
        job = jobs.retry_job(
            runtime, Actor.command_line(), job_id, run_now=False if queue else None
        )
    _report(job)


@app.command("cancel")
@cli_errors
def cancel(job_id: Annotated[int, typer.Argument(help="Id of a queued or running job.")]) -> None:
    """Cancel a queued job, or ask a running one to stop."""
    with open_runtime() as runtime:
        job = jobs.cancel_job(runtime, Actor.command_line(), job_id)
    _report(job)


@app.command("submit")
@cli_errors
def submit(
    kind: Annotated[str, typer.Argument(help="Job kind, such as core.sleep.")],
    payload: Annotated[str, typer.Option(help="JSON object handed to the handler.")] = "{}",
    title: Annotated[str | None, typer.Option(help="Title shown in lists.")] = None,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue", help="Queue it for the server or a worker instead of running it here."
        ),
    ] = False,
) -> None:
    """Start a job (for example core.sleep, to check that workers pick jobs up)."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise fail(f"--payload is not JSON: {exc}") from None
    with open_runtime() as runtime:
        job = jobs.submit_job(
            runtime, Actor.command_line(), kind, data, title=title, run_now=False if queue else None
        )
    _report(job)


def _report(job: jobs.JobView) -> None:
    typer.echo(job.id)
    detail = f": {job.error}" if job.error else ""
    typer.echo(f"job {job.id} ({job.kind}) is {job.status.value}{detail}", err=True)
    if job.status is JobStatus.failed:
        raise typer.Exit(1)


@app.command("worker")
@cli_errors
def worker(
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Threads (default: PILOTHOUSE_JOBS_WORKERS).")
    ] = None,
) -> None:
    """Run jobs from the queue until stopped with Ctrl+C or SIGTERM."""
    from pilothouse.core.job_queue import JobConsumer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    import threading

    from pilothouse.core.registry import import_all_models
    from pilothouse.core.schedules import run_scheduler

    # Every table's mapper is configured before the scheduler thread starts: two
    # threads importing model modules at once can fail to resolve each other's names.
    import_all_models()
    with open_runtime() as runtime:
        consumer = JobConsumer(runtime, workers=workers)
        typer.echo(f"Job worker with {consumer.workers} thread(s); Ctrl+C to stop.", err=True)
        # Workers also start due schedules: every worker may tick, each slot runs once.
        stop = threading.Event()
        threading.Thread(
            target=run_scheduler, args=(runtime, stop), name="scheduler", daemon=True
        ).start()
        try:
            consumer.run_forever()
        finally:
            stop.set()
