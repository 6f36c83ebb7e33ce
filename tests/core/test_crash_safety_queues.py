"""Crash safety of the other ways jobs run: the web server's own threads, a PostgreSQL queue.

``tests/core/test_crash_safety_jobs.py`` kills a ``pilothouse jobs worker`` on the default
SQLite queue file and ``tests/core/test_jobs_redis.py`` one on Redis. Here:

* ``pilothouse serve`` running jobs in its own threads (``jobs_mode`` ``inprocess``, the
  laptop default) is killed with SIGKILL mid-synthesis: after a restart the job shows
  ``failed``, its synthesis run record ``interrupted`` (not ``running`` for ever), and a
  retry, run by the restarted server, succeeds with one new ``done`` run.
* A worker consuming a PostgreSQL queue (huey's ``huey_*`` tables) is killed mid-job: a
  restarted worker marks the job failed, the retry runs it once, and the queue is empty.
* Recovery closes a synthesis run that a dead worker left ``running``, but not one that a
  live synthesis job is running.

Nothing is timed: the kill point is the job's own progress record.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from pilothouse.core import jobs
from pilothouse.core.config import Settings
from pilothouse.core.db import utcnow
from pilothouse.core.job_models import Job, JobStatus
from pilothouse.core.job_queue import build_huey
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.feedback.jobs import INTERRUPTED, SYNTHESIZE
from pilothouse.feedback.models import FeedbackItem, FeedbackSynthesisRun, FeedbackThemeMember
from tests.conftest import DatabaseFactory
from tests.core.test_crash_safety import server
from tests.core.test_crash_safety_jobs import ITEMS, Processes, wait_until, write_feedback

#: The ``core.sleep`` job killed on the PostgreSQL queue. It reports progress after its
#: first 0.05 s step, when the test kills it: the rest of the two seconds is the margin
#: for that kill to land before the job ends. The retry sleeps the whole two seconds.
SLEEP_SECONDS, SLEEP_STEPS = 2, 40


def run_statuses(runtime: Runtime) -> dict[str, int]:
    with runtime.database.session() as session:
        query = select(FeedbackSynthesisRun.status, func.count()).group_by(
            FeedbackSynthesisRun.status
        )
        return {str(status): int(count) for status, count in session.execute(query).all()}


def mid_run(runtime: Runtime, job_id: int, processes: Processes) -> bool:
    job = jobs.get_job(runtime, job_id)
    assert job.status in (JobStatus.queued, JobStatus.running), (job, processes.output())
    return job.status is JobStatus.running and bool(job.message)


def finished(runtime: Runtime, job_id: int) -> bool:
    return jobs.get_job(runtime, job_id).status not in (JobStatus.queued, JobStatus.running)


def test_the_server_killed_mid_job_fails_it_visibly_and_runs_the_retry(
    runtime: Runtime, tmp_path: Path
) -> None:
    processes = Processes(runtime, tmp_path)  # no workers: the server runs the jobs
    export = tmp_path / "feedback.csv"
    write_feedback(export)
    processes.cli("feedback", "import", str(export))
    log = tmp_path / "server.log"
    try:
        with server(runtime, log) as (_url, crashing):
            job_id = processes.submit(SYNTHESIZE)
            wait_until(lambda: mid_run(runtime, job_id, processes), "synthesis progress", processes)
            crashing.send_signal(signal.SIGKILL)
            crashing.wait(timeout=60)
        assert jobs.get_job(runtime, job_id).status is JobStatus.running  # nobody knows yet
        assert run_statuses(runtime) == {"running": 1}

        with server(runtime, log):  # recovery runs before the server answers
            job = jobs.get_job(runtime, job_id)
            assert job.status is JobStatus.failed, job
            assert "stopped before it finished" in (job.error or "")
            assert run_statuses(runtime) == {INTERRUPTED: 1}
            processes.retry(job_id)
            wait_until(lambda: finished(runtime, job_id), "the retry", processes)
    finally:
        processes.stop()
    done = jobs.get_job(runtime, job_id)
    assert done.status is JobStatus.succeeded, (done.error, log.read_text()[-3000:])
    assert done.attempts == 2
    assert run_statuses(runtime) == {INTERRUPTED: 1, "done": 1}
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackItem)) == ITEMS
        most = session.scalar(
            select(func.count())
            .select_from(FeedbackThemeMember)
            .group_by(FeedbackThemeMember.item_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    assert most == 1, "an item is in two themes"


def test_a_worker_killed_on_a_postgresql_queue_fails_the_job_and_the_retry_runs_once(
    runtime: Runtime, tmp_path: Path, database_factory: DatabaseFactory
) -> None:
    broker = database_factory.new_url("postgresql")
    processes = Processes(runtime, tmp_path)
    processes.env["PILOTHOUSE_JOBS_BROKER_URL"] = broker
    try:
        crashing = processes.worker()
        job_id = processes.submit("core.sleep", {"seconds": SLEEP_SECONDS, "steps": SLEEP_STEPS})
        wait_until(lambda: mid_run(runtime, job_id, processes), "the job to start", processes)
        crashing.send_signal(signal.SIGKILL)
        crashing.wait(timeout=60)

        processes.worker()
        wait_until(
            lambda: jobs.get_job(runtime, job_id).status is JobStatus.failed, "recovery", processes
        )
        processes.retry(job_id)
        wait_until(lambda: finished(runtime, job_id), "the retry", processes)
    finally:
        processes.stop()
    done = jobs.get_job(runtime, job_id)
    assert done.status is JobStatus.succeeded, (done.error, processes.output())
    assert done.attempts == 2
    assert done.result == {"slept_seconds": SLEEP_SECONDS, "steps": SLEEP_STEPS}
    with runtime.database.session() as session:
        outcomes = session.scalars(
            select(Event.name).where(Event.object_type == "job", Event.object_id == str(job_id))
        ).all()
    assert outcomes.count("job.succeeded") == 1 and outcomes.count("job.failed") == 1
    queue = build_huey(Settings(home=tmp_path / "queue-check", jobs_broker_url=broker))
    try:
        assert queue.pending_count() == 0  # nothing left that could run the job a third time
    finally:
        queue.storage.close()


def _dead_worker() -> str:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return f"{socket.gethostname()}:{dead.pid}"


def _running_job(runtime: Runtime, worker: str) -> int:
    with runtime.database.session() as session:
        job = Job(
            kind=SYNTHESIZE,
            title="Synthesize feedback themes",
            status=JobStatus.running,
            payload={},
            requested_by="cli:test",
            worker=worker,
            started_at=utcnow(),
            heartbeat_at=utcnow(),
        )
        session.add(job)
        session.flush()
        return job.id


def _running_run(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        run = FeedbackSynthesisRun(actor_label="test")
        session.add(run)
        session.flush()
        return run.id


def test_recovery_interrupts_the_run_of_a_dead_worker_only(runtime: Runtime) -> None:
    """The dead worker's run is closed; a run a live synthesis job started later is not."""
    dead_job = _running_job(runtime, _dead_worker())
    dead_run = _running_run(runtime)
    live_job = _running_job(runtime, f"{socket.gethostname()}:{os.getpid()}")
    live_run = _running_run(runtime)
    assert jobs.recover_stale_jobs(runtime) == [dead_job]
    with runtime.database.session() as session:
        closed = session.get(FeedbackSynthesisRun, dead_run)
        alive = session.get(FeedbackSynthesisRun, live_run)
        assert closed is not None and alive is not None
        assert closed.status == INTERRUPTED and closed.finished_at is not None
        assert f"job {dead_job}" in closed.message
        assert alive.status == "running" and alive.finished_at is None
    assert jobs.get_job(runtime, live_job).status is JobStatus.running
