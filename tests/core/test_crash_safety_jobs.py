"""Crash safety of long jobs: a ``pilothouse jobs worker`` killed with SIGKILL mid-run.

A feedback synthesis job (real MiniLM embeddings of BANKING77 messages) is killed
while it reports progress; a restarted worker shows the job ``failed``, and a retry
runs it to ``succeeded`` with consistent themes. An experiment analysis job is killed
while PostgreSQL's lock on the snapshots table holds it before it can store its
snapshot: nothing half-done is left, and the retry stores one. The queue is the
default SQLite file in the data folder; the app database is SQLite or PostgreSQL.
Nothing is timed: the kill point is the job's own progress record. The workers are
real processes; the import, the submits and the retries run in the test's process.
"""

from __future__ import annotations

import csv
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text

from pilothouse.core import jobs
from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.job_models import Job, JobStatus
from pilothouse.core.job_queue import queue_for
from pilothouse.core.runtime import Runtime
from pilothouse.experiments.models import ExperimentSnapshot
from pilothouse.feedback.models import (
    FeedbackItem,
    FeedbackSynthesisRun,
    FeedbackTheme,
    FeedbackThemeMember,
)
from tests.core.test_crash_safety import process_env
from tests.experiments.analysis.test_analysis_service import _create, shop  # noqa: F401
from tests.support.commands import run_command

BANKING77 = Path(__file__).resolve().parents[3] / "shared" / "data" / "feedback" / "banking77"
ITEMS = 400
TIMEOUT = 180.0
COMMAND_LINE = Actor.command_line()


class Processes:
    """Worker processes, and what feeds them, on the test's database and data folder.

    Workers are real processes, killed for real. What feeds them runs in this process:
    a new ``python -m pilothouse`` cost 1-3 s of imports per command, several times a
    test, and no test here kills a command.
    """

    def __init__(self, runtime: Runtime, tmp_path: Path) -> None:
        self.env = {**process_env(runtime), "PILOTHOUSE_JOBS_MODE": "worker"}
        self.runtime = runtime
        self.tmp_path = tmp_path
        self.workers: list[subprocess.Popen[bytes]] = []
        self._queueing: Runtime | None = None

    def worker(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "pilothouse", "jobs", "worker", "--workers", "1"]
        with open(self.tmp_path / f"worker-{len(self.workers)}.log", "wb") as log:
            process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def cli(self, *args: str) -> str:
        """Run ``pilothouse <args>`` here, with the workers' settings; returns its stdout."""
        return run_command(self.env, *args).stdout

    def submit(self, kind: str, payload: dict[str, Any] | None = None) -> int:
        """Queue a job for the workers, as ``pilothouse jobs submit --queue`` does."""
        job = jobs.submit_job(self._queue_runtime(), COMMAND_LINE, kind, payload, run_now=False)
        return job.id

    def retry(self, job_id: int) -> None:
        """Queue a failed job again, as ``pilothouse jobs retry --queue`` does."""
        jobs.retry_job(self._queue_runtime(), COMMAND_LINE, job_id, run_now=False)

    def _queue_runtime(self) -> Runtime:
        """The test's database with the workers' queue: its broker connection is closed
        by :meth:`stop` (a command's would be by the end of its process)."""
        if self._queueing is None:
            broker = self.env.get("PILOTHOUSE_JOBS_BROKER_URL")
            update = {
                "jobs_mode": "worker",
                "jobs_broker_url": SecretStr(broker) if broker else None,
            }
            settings = self.runtime.settings.model_copy(update=update)
            self._queueing = Runtime(settings=settings, database=self.runtime.database)
        return self._queueing

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
        if self._queueing is not None:
            queue_for(self._queueing).close()


@pytest.fixture
def processes(runtime: Runtime, tmp_path: Path) -> Iterator[Processes]:
    started = Processes(runtime, tmp_path)
    yield started
    started.stop()


def wait_until(predicate: Callable[[], bool], what: str, processes: Processes) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{processes.output()}"
        time.sleep(0.05)


def write_feedback(path: Path) -> None:
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[::7][:ITEMS]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "text"])
        writer.writerows((f"b77-{i}", row["text"]) for i, row in enumerate(rows))


def test_a_synthesis_job_killed_mid_run_fails_visibly_and_a_retry_succeeds(
    runtime: Runtime, processes: Processes, tmp_path: Path
) -> None:
    export = tmp_path / "feedback.csv"
    write_feedback(export)
    processes.cli("feedback", "import", str(export))
    crashing = processes.worker()
    job_id = processes.submit("feedback.synthesize")

    def mid_run() -> bool:
        job = jobs.get_job(runtime, job_id)
        assert job.status in (JobStatus.queued, JobStatus.running), (job, processes.output())
        return job.status is JobStatus.running and bool(job.message)

    wait_until(mid_run, "the synthesis to report progress", processes)
    crashing.send_signal(signal.SIGKILL)
    crashing.wait(timeout=60)

    processes.worker()
    wait_until(
        lambda: jobs.get_job(runtime, job_id).status is JobStatus.failed, "recovery", processes
    )
    assert "stopped before it finished" in (jobs.get_job(runtime, job_id).error or "")

    processes.retry(job_id)
    wait_until(
        lambda: jobs.get_job(runtime, job_id).status not in (JobStatus.queued, JobStatus.running),
        "the retry",
        processes,
    )
    done = jobs.get_job(runtime, job_id)
    assert done.status is JobStatus.succeeded, (done.error, processes.output())
    assert done.attempts == 2
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackItem)) == ITEMS
        assert session.scalar(select(func.count()).select_from(FeedbackTheme)), "no themes"
        most = session.scalar(
            select(func.count())
            .select_from(FeedbackThemeMember)
            .group_by(FeedbackThemeMember.item_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        assert most == 1, "an item is in two themes"
        runs = dict(
            session.execute(
                select(FeedbackSynthesisRun.status, func.count()).group_by(
                    FeedbackSynthesisRun.status
                )
            ).all()
        )
    assert runs == {"done": 1, "interrupted": 1}, runs  # the killed attempt's run is closed


@contextmanager
def snapshots_locked(runtime: Runtime) -> Iterator[None]:
    """Hold PostgreSQL's lock on the snapshots table: an analysis runs, but cannot store."""
    with runtime.database.engine.connect() as connection:
        connection.execute(text("LOCK TABLE experiment_snapshots IN EXCLUSIVE MODE"))
        yield
        connection.rollback()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.usefixtures("shop")
def test_an_analysis_job_killed_mid_run_fails_visibly_and_a_retry_succeeds(
    runtime: Runtime, processes: Processes
) -> None:
    """PostgreSQL only: an analysis takes well under a second, and only PostgreSQL has a
    table lock that holds it mid-run (SQLite's one write lock would also stop its claim)."""
    key = _create(runtime)
    runtime.event_store.close()  # the worker process reads the store now
    del runtime.__dict__["event_store"]
    job_id = processes.submit("experiments.analyze", {"experiment": key})

    def mid_run() -> bool:
        job = jobs.get_job(runtime, job_id)
        assert job.status in (JobStatus.queued, JobStatus.running), (job, processes.output())
        return job.status is JobStatus.running and "analysis SQL" in job.message

    with snapshots_locked(runtime):  # taken before the job can run
        crashing = processes.worker()
        wait_until(mid_run, "the analysis to start", processes)
        crashing.send_signal(signal.SIGKILL)
        crashing.wait(timeout=60)

    processes.worker()
    wait_until(
        lambda: jobs.get_job(runtime, job_id).status is JobStatus.failed, "recovery", processes
    )
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ExperimentSnapshot)) == 0

    processes.retry(job_id)
    wait_until(
        lambda: jobs.get_job(runtime, job_id).status not in (JobStatus.queued, JobStatus.running),
        "the retry",
        processes,
    )
    done = jobs.get_job(runtime, job_id)
    assert done.status is JobStatus.succeeded, (done.error, processes.output())
    assert done.attempts == 2 and done.result is not None and done.result["succeeded"]
    with runtime.database.session() as session:
        snapshots = session.scalars(select(ExperimentSnapshot.succeeded)).all()
    assert snapshots == [True]


#: Recovery in a fresh process while another thread is half-way through importing a model
#: module (as a worker's scheduler thread may be): the importer stops just before
#: ``class ExperimentDecision`` until recovery is done, or for 60 s at most.
RECOVER_DURING_IMPORT = """
import importlib, sys, threading
from pilothouse.core.config import Settings
from pilothouse.core.db import Database
from pilothouse.core.job_queue import JobConsumer
from pilothouse.core.runtime import Runtime

MODULE = "pilothouse.experiments.models"
assert MODULE not in sys.modules
paused, release = threading.Event(), threading.Event()

def tracer(frame, event, arg):
    if frame.f_code.co_name != "<module>" or not frame.f_code.co_filename.endswith(
        "experiments/models.py"
    ):
        return None
    def lines(frame, event, arg):
        source = open(frame.f_code.co_filename).read().splitlines()
        if event == "line" and source[frame.f_lineno - 1].startswith("class ExperimentDecision"):
            paused.set()
            release.wait(60)
        return lines
    return lines

def half_import():
    sys.settrace(tracer)
    importlib.import_module(MODULE)
    sys.settrace(None)

threading.Thread(target=half_import, daemon=True).start()
assert paused.wait(60)
settings = Settings()
runtime = Runtime(settings=settings, database=Database(settings.effective_database_url))
done = []
worker = threading.Thread(target=lambda: done.append(JobConsumer(runtime).recover()))
worker.start()
worker.join(2)  # with the fix, recovery waits for the import (Python's module lock)
release.set()
worker.join(60)
print("RECOVERED", done)
"""


def test_recovery_works_while_another_thread_imports_a_model_module(
    runtime: Runtime, processes: Processes
) -> None:
    """Regression: recovery in a fresh worker failed when its scheduler thread was importing."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with runtime.database.session() as session:
        job = Job(
            kind="core.noop",
            title="left by a crashed worker",
            status=JobStatus.running,
            payload={},
            requested_by="cli:test",
            worker=f"{socket.gethostname()}:{dead.pid}",
            started_at=utcnow(),
            heartbeat_at=utcnow(),
        )
        session.add(job)
        session.flush()
        job_id = job.id
    command = [sys.executable, "-c", RECOVER_DURING_IMPORT]
    ran = subprocess.run(command, env=processes.env, capture_output=True, text=True, timeout=180)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"RECOVERED [[{job_id}]]" in ran.stdout, ran.stdout + ran.stderr
    assert jobs.get_job(runtime, job_id).status is JobStatus.failed
