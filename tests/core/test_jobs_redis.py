"""The Redis job queue against a real ``redis-server`` and real ``pilothouse jobs worker``s.

``scripts/test.sh`` starts a throwaway redis-server (no persistence) and sets
``PILOTHOUSE_TEST_REDIS_URL``; without it these tests fail, they never skip. Jobs are
submitted from this process and run by worker processes; the app database is SQLite
or PostgreSQL (the ``runtime`` fixture's backend). Workers that need a handler only
tests have run the real CLI from a tiny wrapper that registers ``test.record_run``
first: it appends ``job_id pid`` to a log file, so every run of a handler is counted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from pilothouse.core import jobs
from pilothouse.core.actor import Actor
from pilothouse.core.job_models import JobStatus
from pilothouse.core.job_queue import build_huey, queue_for
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime

TIMEOUT = 60.0

#: A real ``pilothouse jobs worker`` with one more handler, registered before the CLI runs.
WORKER_WITH_TEST_HANDLER = """
import os, sys, time
from pilothouse.core.jobs import job_handler

@job_handler("test.record_run")
def record_run(ctx):
    '''Append this run to a log; hold the first run of a job when asked'''
    with open(ctx.payload["log"], "a") as log:
        log.write(f"{ctx.job_id} {os.getpid()}\\n")
    hold = ctx.payload.get("hold_first_run")
    if hold and not os.path.exists(hold):
        open(hold, "w").close()
        while True:  # until someone kills this process
            time.sleep(0.05)
            ctx.progress(0, None, "holding")
    return {"pid": os.getpid()}

from pilothouse.cli.main import app
app(["jobs", "worker", "--workers", sys.argv[1]], prog_name="pilothouse")
"""


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis, emptied before and after each test (the queue name is fixed).

    Each pytest-xdist worker uses a Redis database of its own (``/1``, ``/2``, ...):
    tests of this file can run in two workers at once (pytest 9 ignores xdist's file
    groups), and workers of one test must never take another test's messages.
    """
    base = os.environ.get("PILOTHOUSE_TEST_REDIS_URL")
    if not base:
        pytest.fail(
            "PILOTHOUSE_TEST_REDIS_URL is not set: run the suite with scripts/test.sh, "
            "which starts a throwaway redis-server",
            pytrace=False,
        )
    import redis

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    server = base.rsplit("/", 1)[0] if base.count("/") > 2 else base.rstrip("/")
    url = f"{server}/{int(worker.removeprefix('gw')) + 1}"

    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def team(runtime: Runtime, redis_url: str) -> Iterator[Runtime]:
    """This process as a web server of a team: it only queues, through Redis."""
    settings = runtime.settings.model_copy(
        update={"jobs_broker_url": SecretStr(redis_url), "jobs_mode": "worker"}
    )
    queued = Runtime(settings=settings, database=runtime.database)
    yield queued
    queue_for(queued).close()


class Workers:
    """Worker processes started by a test; whatever is left is stopped at the end."""

    def __init__(self, runtime: Runtime, redis_url: str, tmp_path: Path) -> None:
        settings = runtime.settings
        assert settings.secret_key is not None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
        self.env.update(
            PILOTHOUSE_HOME=str(settings.home),
            PILOTHOUSE_DATABASE_URL=runtime.database.url,
            PILOTHOUSE_SECRET_KEY=settings.secret_key.get_secret_value(),
            PILOTHOUSE_JOBS_BROKER_URL=redis_url,
            PILOTHOUSE_JOBS_MODE="worker",
        )
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *, threads: int = 2, test_handler: bool = False) -> subprocess.Popen[bytes]:
        if test_handler:
            args = [sys.executable, "-c", WORKER_WITH_TEST_HANDLER, str(threads)]
        else:
            args = [sys.executable, "-m", "pilothouse", "jobs", "worker", "--workers", str(threads)]
        log = open(self.tmp_path / f"worker-{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.started.append(process)
        return process

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(runtime: Runtime, redis_url: str, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(runtime, redis_url, tmp_path)
    yield started
    started.stop_all()


def wait_until(predicate: Callable[[], bool], what: str, workers: Workers) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{workers.output()}"
        time.sleep(0.05)


def runs(log: Path) -> list[tuple[int, int]]:
    """(job id, pid) of every handler run the workers logged."""
    if not log.exists():
        return []
    return [(int(a), int(b)) for a, b in (line.split() for line in log.read_text().splitlines())]


def succeeded_events(runtime: Runtime) -> Counter[str]:
    with runtime.database.session() as session:
        rows = session.execute(
            select(Event.object_id, func.count())
            .where(Event.object_type == "job", Event.name == "job.succeeded")
            .group_by(Event.object_id)
        )
        return Counter({str(object_id): int(count) for object_id, count in rows})


def test_a_job_queued_here_is_run_by_a_worker_process(team: Runtime, workers: Workers) -> None:
    assert type(build_huey(team.settings)).__name__ == "RedisHuey"
    job = jobs.submit_job(
        team, Actor.command_line(), "core.sleep", payload={"seconds": 0.1, "steps": 2}
    )
    assert job.status is JobStatus.queued
    assert queue_for(team).pending() == 1  # the message is in Redis, nobody consumes yet
    process = workers.start(threads=1)
    done = jobs.wait_for_job(team, job.id, timeout=TIMEOUT)
    assert done.status is JobStatus.succeeded, (done.error, workers.output())
    assert done.result == {"slept_seconds": 0.1, "steps": 2}
    assert done.worker is not None and done.worker.endswith(f":{process.pid}")
    assert queue_for(team).pending() == 0
    workers.stop_all()
    assert process.returncode == 0, workers.output()
    assert "Traceback" not in workers.output()


def test_two_workers_never_run_one_job_twice(
    team: Runtime, workers: Workers, tmp_path: Path
) -> None:
    """Every message is delivered twice on purpose; each job still runs exactly once."""
    first = workers.start(threads=2, test_handler=True)
    second = workers.start(threads=2, test_handler=True)
    log = tmp_path / "runs.log"
    actor = Actor.command_line()
    ids = [
        jobs.submit_job(team, actor, "test.record_run", payload={"log": str(log)}).id
        for _ in range(30)
    ]
    for job_id in ids:  # a duplicate delivery, as after a broker hiccup
        queue_for(team).enqueue(job_id)
    for job_id in ids:
        done = jobs.wait_for_job(team, job_id, timeout=TIMEOUT)
        assert done.status is JobStatus.succeeded, (done.error, workers.output())
        assert done.attempts == 1
    wait_until(lambda: queue_for(team).pending() == 0, "the queue to drain", workers)
    workers.stop_all()  # every duplicate has been taken and skipped before this returns
    logged = runs(log)
    assert sorted(job_id for job_id, _ in logged) == sorted(ids)  # once each, no more
    assert {pid for _, pid in logged} <= {first.pid, second.pid}
    assert succeeded_events(team) == Counter({str(i): 1 for i in ids})


def test_a_worker_killed_mid_job_leaves_it_failed_and_retry_runs_it(
    team: Runtime, workers: Workers, tmp_path: Path
) -> None:
    log, hold = tmp_path / "runs.log", tmp_path / "held"
    crashing = workers.start(threads=1, test_handler=True)
    payload = {"log": str(log), "hold_first_run": str(hold)}
    job = jobs.submit_job(team, Actor.command_line(), "test.record_run", payload=payload)
    wait_until(lambda: len(runs(log)) == 1, "the first run to start", workers)
    assert jobs.get_job(team, job.id).status is JobStatus.running
    crashing.send_signal(signal.SIGKILL)
    crashing.wait(timeout=TIMEOUT)

    restarted = workers.start(threads=1, test_handler=True)
    wait_until(lambda: jobs.get_job(team, job.id).status is JobStatus.failed, "recovery", workers)
    failed = jobs.get_job(team, job.id)
    assert "stopped before it finished" in (failed.error or "")
    assert runs(log) == [(job.id, crashing.pid)]  # the lost message was not run again

    jobs.retry_job(team, Actor.command_line(), job.id)  # queued, as by `pilothouse jobs retry`
    done = jobs.wait_for_job(team, job.id, timeout=TIMEOUT)
    assert done.status is JobStatus.succeeded, (done.error, workers.output())
    assert done.attempts == 2 and done.result == {"pid": restarted.pid}
    assert runs(log) == [(job.id, crashing.pid), (job.id, restarted.pid)]
