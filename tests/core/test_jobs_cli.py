"""``pilothouse jobs ...``: in-process through Typer's runner, and a real worker process."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core import jobs
from pilothouse.core.actor import Actor
from pilothouse.core.job_models import JobStatus
from pilothouse.core.runtime import Runtime

TIMEOUT = 30.0


def _env(runtime: Runtime, **extra: str) -> dict[str, str]:
    settings = runtime.settings
    assert settings.secret_key is not None
    return {
        "PILOTHOUSE_HOME": str(settings.home),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "PILOTHOUSE_SECRET_KEY": settings.secret_key.get_secret_value(),
        **extra,
    }


@pytest.fixture
def run(runtime: Runtime, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    for key, value in _env(runtime).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(cli_app, ["jobs", *args])
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def test_submit_list_show_cancel_retry(run, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    queued = run("submit", "core.noop", "--payload", '{"echo": 5}', "--queue")
    queued_id = int(queued.stdout.split()[0])
    assert jobs.get_job(runtime, queued_id).status is JobStatus.queued
    done = run("submit", "core.noop", "--payload", '{"echo": 6}', "--title", "Ping")
    done_id = int(done.stdout.split()[0])
    assert jobs.get_job(runtime, done_id).result == {"echo": 6}
    failed = run("submit", "nobody.knows", code=1)  # commands run jobs themselves by default
    failed_id = int(failed.stdout.split()[0])
    run("submit", "core.noop", "--payload", "[1", code=1)

    listed = json.loads(run("list", "--format", "json").stdout)
    assert [j["id"] for j in listed] == [failed_id, done_id, queued_id]
    assert listed[1]["title"] == "Ping" and listed[1]["progress"] == "1/1"
    assert listed[0]["status"] == "failed" and "no handler" in listed[0]["error"]
    rows = list(
        csv.DictReader(io.StringIO(run("list", "--status", "queued", "--format", "csv").stdout))
    )
    assert [int(r["id"]) for r in rows] == [queued_id] and rows[0]["requested_by"].startswith(
        "cli:"
    )

    shown = json.loads(run("show", str(done_id)).stdout)
    assert shown["payload"] == {"echo": 6} and shown["result"] == {"echo": 6}
    run("show", "999999", code=1)

    run("cancel", str(queued_id))
    assert jobs.get_job(runtime, queued_id).status is JobStatus.cancelled
    run("cancel", str(queued_id), code=1)  # already cancelled
    run("retry", str(queued_id))
    assert jobs.get_job(runtime, queued_id).status is JobStatus.succeeded
    run("retry", str(failed_id), "--queue", code=0)
    assert jobs.get_job(runtime, failed_id).status is JobStatus.queued
    run("retry", str(done_id), code=1)  # succeeded jobs are not retried


def test_worker_process_runs_queued_jobs_and_stops_on_sigterm(runtime: Runtime) -> None:
    worker_mode = Runtime(
        settings=runtime.settings.model_copy(update={"jobs_mode": "worker"}),
        database=runtime.database,
    )
    job = jobs.submit_job(
        worker_mode, Actor.command_line(), "core.sleep", payload={"seconds": 0, "steps": 2}
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env.update(_env(runtime, PILOTHOUSE_JOBS_MODE="worker"))
    process = subprocess.Popen(
        [sys.executable, "-m", "pilothouse", "jobs", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        done = jobs.wait_for_job(runtime, job.id, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=TIMEOUT)
    assert done.status is JobStatus.succeeded, (done.error, output)
    assert done.worker is not None and done.worker.endswith(f":{process.pid}")
    assert process.returncode == 0, output
    assert "Traceback" not in output
