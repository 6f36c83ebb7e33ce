"""Jobs: durable records, huey queues, the in-process consumer, failures, retry, cancel, recovery.

Everything runs for real: the app database on SQLite and PostgreSQL, huey's SQLite
queue file in the data folder, huey's PostgreSQL queue, and consumer threads.
Handlers that need coordination wait on ``threading.Event`` objects instead of sleeping.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import select

from pilothouse.core import jobs
from pilothouse.core.actor import Actor
from pilothouse.core.config import Settings
from pilothouse.core.db import utcnow
from pilothouse.core.errors import Conflict, Forbidden, NotFound
from pilothouse.core.job_models import Job, JobStatus
from pilothouse.core.job_queue import BrokerError, JobConsumer, build_huey, queue_for
from pilothouse.core.models import Event, Role, User
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from tests.conftest import DatabaseFactory
from tests.support.accounts import Accounts

TIMEOUT = 20.0

# --- handlers used only by these tests --------------------------------------------------------

#: Per-test coordination: handlers look their events up by the payload's "key".
GATES: dict[str, threading.Event] = {}
SEEN: dict[str, Any] = {}


@jobs.job_handler("tests.fail")
def _fail(ctx: jobs.JobContext) -> dict[str, Any]:
    """Always fails"""
    ctx.progress(1, 3, "about to fail")
    raise RuntimeError(f"boom {ctx.payload.get('n')}")


@jobs.job_handler("tests.flaky")
def _flaky(ctx: jobs.JobContext) -> dict[str, Any]:
    """Fails on the first attempt only"""
    key = ctx.payload["key"]
    SEEN[key] = SEEN.get(key, 0) + 1
    if SEEN[key] == 1:
        raise ValueError("the first attempt fails")
    return {"attempt": SEEN[key]}


@jobs.job_handler("tests.gate")
def _gate(ctx: jobs.JobContext) -> dict[str, Any]:
    """Reports half progress, then waits for the test to open the gate"""
    ctx.progress(1, 2, "halfway")
    assert GATES[ctx.payload["key"]].wait(TIMEOUT)
    return {"thread": threading.current_thread().name, "actor": ctx.actor.label}


@jobs.job_handler("tests.until_cancelled")
def _until_cancelled(ctx: jobs.JobContext) -> dict[str, Any]:
    """Reports progress until someone cancels it"""
    GATES[ctx.payload["key"]].set()  # tell the test it is running
    for step in range(1, 10_000):
        ctx.progress(step, None, f"step {step}")
        threading.Event().wait(0.05)
    return {"never": True}


# --- fixtures ----------------------------------------------------------------------------------


def with_settings(runtime: Runtime, **changes: Any) -> Runtime:
    """The same database and data folder, other settings."""
    return Runtime(settings=runtime.settings.model_copy(update=changes), database=runtime.database)


@pytest.fixture
def immediate(runtime: Runtime) -> Runtime:
    return with_settings(runtime, jobs_mode="immediate")


@pytest.fixture
def consumer(runtime: Runtime) -> Iterator[JobConsumer]:
    """huey's consumer on the SQLite queue file, in threads of this process."""
    started = JobConsumer(runtime, workers=2)
    started.start()
    yield started
    started.stop()


@pytest.fixture
def editor(accounts: Accounts, runtime: Runtime) -> Actor:
    return actor_of(runtime, accounts.person(Role.editor).id)


def actor_of(runtime: Runtime, user_id: int) -> Actor:
    with runtime.database.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return Actor.for_user(user)


def events_of(runtime: Runtime, job_id: int) -> list[str]:
    with runtime.database.session() as session:
        rows = session.scalars(
            select(Event.name)
            .where(Event.object_type == "job", Event.object_id == str(job_id))
            .order_by(Event.id)
        )
        return list(rows)


def wait_until(predicate: Any, what: str) -> None:
    deadline = threading.Event()
    timer = threading.Timer(TIMEOUT, deadline.set)
    timer.start()
    try:
        while not predicate():
            assert not deadline.wait(0.02), f"timed out waiting for {what}"
    finally:
        timer.cancel()


# --- submitting and running --------------------------------------------------------------------


def test_immediate_mode_runs_at_submit_and_keeps_the_record(
    immediate: Runtime, editor: Actor
) -> None:
    job = jobs.submit_job(immediate, editor, "core.noop", payload={"echo": "hi"}, title="Ping")
    assert job.status is JobStatus.succeeded
    assert (job.title, job.kind, job.result) == ("Ping", "core.noop", {"echo": "hi"})
    assert (job.progress_done, job.progress_total, job.percent) == (1, 1, 100)
    assert job.requested_by == editor.label and job.requested_by_id == editor.user_id
    assert job.created_at <= job.started_at <= job.finished_at  # type: ignore[operator]
    assert job.attempts == 1 and job.worker == jobs.worker_id()
    assert events_of(immediate, job.id) == ["job.submitted", "job.succeeded"]
    assert jobs.get_job(immediate, job.id) == job


def test_default_title_comes_from_the_handler(immediate: Runtime, editor: Actor) -> None:
    job = jobs.submit_job(immediate, editor, "core.sleep", payload={"seconds": 0, "steps": 2})
    assert job.title.startswith("Sleep in steps")
    assert job.result == {"slept_seconds": 0, "steps": 2}


def test_only_editors_with_write_access_may_submit(
    immediate: Runtime, accounts: Accounts, editor: Actor
) -> None:
    viewer = actor_of(immediate, accounts.person(Role.viewer).id)
    with pytest.raises(Forbidden, match="editor role"):
        jobs.submit_job(immediate, viewer, "core.noop")
    with pytest.raises(Forbidden, match="read scope"):
        jobs.submit_job(immediate, replace(editor, can_write=False), "core.noop")
    with pytest.raises(Forbidden, match="admin role"):
        jobs.submit_job(immediate, editor, "core.noop", role=Role.admin)
    assert jobs.list_jobs(immediate).items == []


def test_payload_must_be_json(immediate: Runtime, editor: Actor) -> None:
    with pytest.raises(Exception, match="payload must be JSON"):
        jobs.submit_job(immediate, editor, "core.noop", payload={"when": object()})
    assert jobs.list_jobs(immediate).items == []


def test_a_failing_handler_marks_the_job_failed_with_its_message(
    immediate: Runtime, editor: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="pilothouse.jobs"):
        job = jobs.submit_job(immediate, editor, "tests.fail", payload={"n": 7})
    assert job.status is JobStatus.failed
    assert job.error == "RuntimeError: boom 7"
    assert job.result is None and job.finished_at is not None
    assert (job.progress_done, job.progress_total) == (1, 3)  # what it got to stays visible
    traceback = [r for r in caplog.records if r.exc_info]
    assert traceback and "boom 7" in str(traceback[0].exc_info[1])  # type: ignore[index]
    assert events_of(immediate, job.id) == ["job.submitted", "job.failed"]


def test_an_unknown_kind_fails_the_job_clearly(immediate: Runtime, editor: Actor) -> None:
    job = jobs.submit_job(immediate, editor, "nobody.handles_this")
    assert job.status is JobStatus.failed
    assert job.error is not None and "no handler for job kind 'nobody.handles_this'" in job.error
    assert "JOB_MODULES" in job.error


def test_handler_kinds_are_checked_at_registration() -> None:
    with pytest.raises(ValueError, match="domain.verb"):
        jobs.job_handler("NoDots")
    with pytest.raises(ValueError, match="already has a handler"):
        jobs.job_handler("core.noop")(lambda ctx: None)


# --- the in-process consumer -------------------------------------------------------------------


@pytest.mark.usefixtures("consumer")
def test_the_consumer_runs_queued_jobs_in_its_threads_with_visible_progress(
    runtime: Runtime, editor: Actor
) -> None:
    GATES["progress"] = gate = threading.Event()
    job = jobs.submit_job(runtime, editor, "tests.gate", payload={"key": "progress"})
    assert job.status in (JobStatus.queued, JobStatus.running)

    def halfway() -> bool:
        return jobs.get_job(runtime, job.id).progress_done == 1

    wait_until(halfway, "the job to report progress")
    running = jobs.get_job(runtime, job.id)
    assert running.status is JobStatus.running and running.percent == 50
    assert running.message == "halfway" and running.finished_at is None
    gate.set()
    done = jobs.wait_for_job(runtime, job.id, timeout=TIMEOUT)
    assert done.status is JobStatus.succeeded, done.error
    assert done.result is not None and done.result["thread"].startswith("Worker-")
    assert done.result["actor"] == editor.label
    assert done.percent == 100


@pytest.mark.usefixtures("consumer")
def test_a_failure_never_loses_other_jobs(runtime: Runtime, editor: Actor) -> None:
    submitted = [
        jobs.submit_job(runtime, editor, "tests.fail" if n % 2 else "core.noop", payload={"n": n})
        for n in range(4)
    ]
    finished = [jobs.wait_for_job(runtime, j.id, timeout=TIMEOUT) for j in submitted]
    assert [j.status for j in finished] == [JobStatus.succeeded, JobStatus.failed] * 2
    assert finished[3].error == "RuntimeError: boom 3"


@pytest.mark.usefixtures("consumer")
def test_retry_runs_a_failed_job_again_as_a_new_attempt(runtime: Runtime, editor: Actor) -> None:
    job = jobs.submit_job(runtime, editor, "tests.flaky", payload={"key": uuid.uuid4().hex})
    failed = jobs.wait_for_job(runtime, job.id, timeout=TIMEOUT)
    assert failed.status is JobStatus.failed and "first attempt" in (failed.error or "")
    queued = jobs.retry_job(runtime, editor, job.id)
    assert queued.attempts == 2 and queued.error is None
    done = jobs.wait_for_job(runtime, job.id, timeout=TIMEOUT)
    assert done.status is JobStatus.succeeded and done.result == {"attempt": 2}
    assert (done.id, done.attempts) == (job.id, 2)
    with pytest.raises(Conflict, match="only failed or cancelled"):
        jobs.retry_job(runtime, editor, job.id)
    assert events_of(runtime, job.id) == [
        "job.submitted",
        "job.failed",
        "job.retried",
        "job.succeeded",
    ]


@pytest.mark.usefixtures("consumer")
def test_cancelling_a_running_job_stops_it_at_its_next_progress_report(
    runtime: Runtime, editor: Actor
) -> None:
    GATES["cancel"] = started = threading.Event()
    job = jobs.submit_job(runtime, editor, "tests.until_cancelled", payload={"key": "cancel"})
    assert started.wait(TIMEOUT)
    asked = jobs.cancel_job(runtime, editor, job.id)
    assert asked.cancel_requested  # status: running, or cancelled already if it was quick
    done = jobs.wait_for_job(runtime, job.id, timeout=TIMEOUT)
    assert done.status is JobStatus.cancelled and done.result is None
    assert events_of(runtime, job.id)[-2:] == ["job.cancel_requested", "job.cancelled"]


# --- queueing without a consumer ---------------------------------------------------------------


def test_cancel_of_a_queued_job_means_it_never_runs(runtime: Runtime, editor: Actor) -> None:
    worker_mode = with_settings(runtime, jobs_mode="worker")
    job = jobs.submit_job(worker_mode, editor, "tests.fail", payload={"n": 1})
    assert job.status is JobStatus.queued
    assert queue_for(worker_mode).pending() == 1  # the id waits in the SQLite queue file
    cancelled = jobs.cancel_job(worker_mode, editor, job.id)
    assert cancelled.status is JobStatus.cancelled and cancelled.finished_at is not None
    assert jobs.execute_job(worker_mode, job.id) is None  # the late message runs nothing
    assert jobs.get_job(worker_mode, job.id).status is JobStatus.cancelled
    with pytest.raises(Conflict, match="already cancelled"):
        jobs.cancel_job(worker_mode, editor, job.id)
    retried = jobs.retry_job(worker_mode, editor, job.id, run_now=True)
    assert retried.status is JobStatus.failed and retried.attempts == 2


def test_a_message_delivered_twice_runs_the_job_once(immediate: Runtime, editor: Actor) -> None:
    key = uuid.uuid4().hex
    job = jobs.submit_job(immediate, editor, "tests.flaky", payload={"key": key})
    assert jobs.execute_job(immediate, job.id) is None
    assert SEEN[key] == 1


def test_only_the_requester_or_an_admin_may_retry_or_cancel(
    runtime: Runtime, accounts: Accounts, editor: Actor
) -> None:
    worker_mode = with_settings(runtime, jobs_mode="worker")
    job = jobs.submit_job(worker_mode, editor, "core.noop")
    other = actor_of(runtime, accounts.person(Role.editor).id)
    admin = actor_of(runtime, accounts.person(Role.admin).id)
    with pytest.raises(Forbidden, match="person who started"):
        jobs.cancel_job(worker_mode, other, job.id)
    assert jobs.cancel_job(worker_mode, admin, job.id).status is JobStatus.cancelled
    with pytest.raises(NotFound):
        jobs.retry_job(worker_mode, admin, 999_999)


def test_list_filters_and_pages_newest_first(immediate: Runtime, editor: Actor) -> None:
    ids = [jobs.submit_job(immediate, editor, "core.noop").id for _ in range(3)]
    failed = jobs.submit_job(immediate, editor, "tests.fail").id
    first = jobs.list_jobs(immediate, PageRequest(limit=2))
    assert [j.id for j in first.items] == [failed, ids[2]]
    second = jobs.list_jobs(immediate, PageRequest(limit=2, cursor=first.next_cursor))
    assert [j.id for j in second.items] == [ids[1], ids[0]] and second.next_cursor is None
    assert [j.id for j in jobs.list_jobs(immediate, status="failed").items] == [failed]
    assert len(jobs.list_jobs(immediate, kind="core.noop").items) == 3
    with pytest.raises(Exception, match="unknown job status"):
        jobs.list_jobs(immediate, status="exploded")


# --- crash recovery ----------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running_job(runtime: Runtime, worker: str, silent_for: timedelta) -> int:
    with runtime.database.session() as session:
        job = Job(
            kind="core.noop",
            title=f"left by {worker}",
            status=JobStatus.running,
            payload={},
            requested_by="cli:test",
            worker=worker,
            started_at=utcnow() - silent_for,
            heartbeat_at=utcnow() - silent_for,
        )
        session.add(job)
        session.flush()
        return job.id


def test_consumer_start_fails_jobs_whose_worker_crashed(runtime: Runtime) -> None:
    host = socket.gethostname()
    quick = timedelta(seconds=5)
    crashed_here = _running_job(runtime, f"{host}:{_dead_pid()}", quick)
    alive_here = _running_job(runtime, jobs.worker_id(), quick)
    silent_elsewhere = _running_job(runtime, "other-host:1", timedelta(hours=1))
    busy_elsewhere = _running_job(runtime, "other-host:2", quick)
    consumer = JobConsumer(runtime)
    consumer.start()
    consumer.stop()
    status = {i: jobs.get_job(runtime, i) for i in (crashed_here, alive_here)}
    status |= {i: jobs.get_job(runtime, i) for i in (silent_elsewhere, busy_elsewhere)}
    assert status[crashed_here].status is JobStatus.failed
    assert "stopped before it finished" in (status[crashed_here].error or "")
    assert status[silent_elsewhere].status is JobStatus.failed
    assert status[alive_here].status is JobStatus.running
    assert status[busy_elsewhere].status is JobStatus.running
    assert events_of(runtime, crashed_here) == ["job.failed"]
    retried = jobs.retry_job(runtime, Actor.command_line(), crashed_here, run_now=True)
    assert retried.status is JobStatus.succeeded and retried.attempts == 2


def test_consumer_start_queues_long_waiting_jobs_again(runtime: Runtime) -> None:
    """A queued job whose message was lost (say, the queue file was deleted) still runs."""
    with runtime.database.session() as session:
        lost = Job(
            kind="core.noop",
            title="lost message",
            payload={"echo": "found"},
            requested_by="cli:test",
            created_at=utcnow() - timedelta(hours=1),
        )
        session.add(lost)
        session.flush()
        lost_id = lost.id
    consumer = JobConsumer(runtime, workers=1)
    consumer.start()
    try:
        done = jobs.wait_for_job(runtime, lost_id, timeout=TIMEOUT)
    finally:
        consumer.stop()
    assert done.status is JobStatus.succeeded and done.result == {"echo": "found"}


# --- brokers -----------------------------------------------------------------------------------


def test_postgresql_can_be_the_queue(
    runtime: Runtime, editor: Actor, database_factory: DatabaseFactory
) -> None:
    """A team without Redis points the queue at PostgreSQL; a worker consumes it."""
    broker = database_factory.new_url("postgresql")
    team = with_settings(runtime, jobs_broker_url=SecretStr(broker), jobs_mode="worker")
    assert type(build_huey(team.settings)).__name__ == "PostgresHuey"
    job = jobs.submit_job(team, editor, "core.sleep", payload={"seconds": 0.05, "steps": 2})
    assert job.status is JobStatus.queued
    assert queue_for(team).pending() == 1
    worker = JobConsumer(team, workers=1)
    worker.start()
    try:
        done = jobs.wait_for_job(team, job.id, timeout=TIMEOUT)
    finally:
        worker.stop()
    assert done.status is JobStatus.succeeded and done.result == {"slept_seconds": 0.05, "steps": 2}
    assert queue_for(team).pending() == 0
    queue_for(team).close()


def test_redis_broker_is_configured_by_url(tmp_path: Any) -> None:
    settings = Settings(home=tmp_path, jobs_broker_url="redis://127.0.0.1:6379/3")
    try:
        import redis  # noqa: F401
    except ImportError:
        with pytest.raises(BrokerError, match="redis"):
            build_huey(settings)
    else:  # pragma: no cover - redis is not installed in CI
        assert type(build_huey(settings)).__name__ == "RedisHuey"
    assert "6379" not in str(settings.jobs_broker_url)  # masked like a secret


def test_broker_urls_are_checked(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="must start with one of"):
        Settings(home=tmp_path, jobs_broker_url="ftp://example.com/queue")
    with pytest.raises(ValidationError):
        Settings(home=tmp_path, jobs_mode="sometimes")


def _build_hueys_at_once(settings: Settings, builders: int) -> list[BaseException]:
    """Start ``builders`` threads that each build the queue at the same moment."""
    start = threading.Barrier(builders)
    errors: list[BaseException] = []

    def build() -> None:
        start.wait()
        try:
            build_huey(settings).storage.close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(builders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_postgresql_queue_tables_survive_processes_starting_together(
    database_factory: DatabaseFactory, tmp_path: Any
) -> None:
    """A worker and ``jobs submit`` that start at once both create the queue's tables.

    Unserialised, ``create table if not exists`` in two sessions collides on PostgreSQL's
    type catalogue (``pg_type_typname_nsp_index``); each of several rounds starts eight
    builders on a fresh database at the same moment.
    """
    for _ in range(3):
        broker = database_factory.new_url("postgresql")
        settings = Settings(home=tmp_path, jobs_broker_url=broker)
        assert _build_hueys_at_once(settings, builders=8) == []
