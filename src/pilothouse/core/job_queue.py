"""The job queue: huey carries job ids from whoever submits to whoever runs them.

The broker is chosen by ``jobs_broker_url``: by default a SQLite file in the data
folder (every process on the machine shares it, so a laptop needs nothing else);
``redis://`` for a team with Redis; ``postgresql://`` for a team that would rather
not run one more service. Who consumes is chosen by ``jobs_mode``: the web server's
own threads (``inprocess``), ``pilothouse jobs worker`` processes (``worker``), or
nobody because jobs run at submit (``immediate``).

Nothing here is global: each :class:`~pilothouse.core.runtime.Runtime` gets its own
queue object, kept on the runtime itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from huey import Huey, PostgresHuey, RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.consumer import Consumer  # type: ignore[import-untyped]
from huey.exceptions import ConfigurationError  # type: ignore[import-untyped]
from starlette.concurrency import run_in_threadpool

from pilothouse.core.config import Settings
from pilothouse.core.runtime import Runtime

__all__ = [
    "QUEUE_FILE",
    "BrokerError",
    "JobConsumer",
    "JobQueue",
    "build_huey",
    "inprocess_jobs",
    "queue_for",
    "requeue_waiting_jobs",
]

logger = logging.getLogger("pilothouse.jobs")

QUEUE_NAME = "pilothouse"
TASK_NAME = "pilothouse.run_job"
#: The SQLite queue file in the data folder (default broker).
QUEUE_FILE = "jobs-queue.db"
#: How long stopping a consumer waits for running jobs before leaving them to recovery.
SHUTDOWN_TIMEOUT_SECONDS = 10.0
#: Attempts and delay when the app database cannot be reached while a job starts.
INFRA_RETRIES = 3
INFRA_RETRY_DELAY_SECONDS = 5
_QUEUE_ATTR = "_pilothouse_job_queue"
_QUEUE_LOCK = threading.Lock()
#: The advisory lock that serialises creating the PostgreSQL queue's tables.
_SCHEMA_LOCK_KEY = 0x70696C6F  # "pilo"


class BrokerError(RuntimeError):
    """The configured broker cannot be used; the message says what to do."""


def build_huey(settings: Settings) -> Huey:
    """A huey instance for the configured broker; results live in the app database."""
    secret = settings.jobs_broker_url
    url = secret.get_secret_value() if secret is not None else ""
    common: dict[str, Any] = {"results": False, "utc": True}
    try:
        if not url:
            path = settings.ensure_home() / QUEUE_FILE
            return SqliteHuey(QUEUE_NAME, filename=str(path), **common)
        if url.startswith(("redis://", "rediss://", "unix://")):
            return RedisHuey(QUEUE_NAME, url=url, **common)
        dsn = "postgresql://" + url.split("://", 1)[1]  # libpq knows no SQLAlchemy driver part
        huey = PostgresHuey(QUEUE_NAME, dsn=dsn, create_tables=False, **common)
        create_postgres_queue_tables(huey.storage)
        return huey
    except ConfigurationError as exc:
        raise BrokerError(f"PILOTHOUSE_JOBS_BROKER_URL cannot be used: {exc}") from exc


def create_postgres_queue_tables(storage: Any) -> None:
    """Create huey's tables once, even when several processes start at the same moment.

    ``create table if not exists`` is not safe against itself in PostgreSQL: two
    sessions that both find the table missing both insert its row type, and the second
    fails on ``pg_type``'s unique index (a worker and ``jobs submit`` starting together
    did exactly that). A transaction-scoped advisory lock makes the creations queue up;
    the later ones then find the tables and do nothing.
    """
    with storage.db(commit=True, close=True) as cursor:
        cursor.execute("select pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
        for statement in storage.ddl:
            cursor.execute(statement)


class JobQueue:
    """One huey instance with the single task that runs a job by id."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.huey = build_huey(runtime.settings)
        self._close_lock = threading.Lock()
        # huey retries only when running the job could not even start or finish (the
        # database was unreachable): handler errors are caught and recorded, and a
        # repeated message for a job that is no longer queued runs nothing.
        self._task = self.huey.task(
            name=TASK_NAME, retries=INFRA_RETRIES, retry_delay=INFRA_RETRY_DELAY_SECONDS
        )(self._run)
        # Each worker thread closes its own connections (PostgreSQL keeps one LISTEN
        # connection per thread) when the consumer stops.
        self.huey.on_shutdown("close_connections")(self.close)

    def _run(self, job_id: int) -> None:
        from pilothouse.core.jobs import execute_job

        execute_job(self.runtime, job_id)

    def enqueue(self, job_id: int) -> str:
        """Put a job id on the queue; returns huey's message id."""
        task = self._task.s(job_id)
        self.huey.enqueue(task)
        return str(task.id)

    def pending(self) -> int:
        """Messages waiting in the queue (all of them, not only this runtime's)."""
        return int(self.huey.pending_count())

    def close(self) -> None:
        """Close this thread's broker connections (huey's own check is not thread-safe)."""
        with self._close_lock:
            self.huey.storage.close()


def queue_for(runtime: Runtime) -> JobQueue:
    """The runtime's queue, built on first use and kept on the runtime."""
    with _QUEUE_LOCK:
        queue: JobQueue | None = runtime.__dict__.get(_QUEUE_ATTR)
        if queue is None:
            queue = JobQueue(runtime)
            runtime.__dict__[_QUEUE_ATTR] = queue
        return queue


def requeue_waiting_jobs(runtime: Runtime) -> list[int]:
    """Queue again the jobs queued longer than ``jobs_stale_after_minutes``.

    Their message may be lost (the queue file was deleted, the broker changed, the
    process died between commit and enqueue). A second message for a job whose first
    one is still waiting is harmless: only one worker can claim the job.
    """
    from pilothouse.core.jobs import waiting_jobs

    ids = waiting_jobs(runtime, runtime.settings.jobs_stale_after_minutes)
    queue = queue_for(runtime)
    for job_id in ids:
        queue.enqueue(job_id)
    if ids:
        logger.warning("queued %d long-waiting job(s) again: %s", len(ids), ids)
    return ids


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer without signal handlers: inside a web server, the server owns them."""

    def _set_signal_handlers(self) -> None:
        return None


class JobConsumer:
    """Threads that take job ids off the queue and run them.

    ``start`` first marks failed the jobs a crashed worker left ``running``.
    """

    def __init__(self, runtime: Runtime, *, workers: int | None = None) -> None:
        self.runtime = runtime
        self.workers = workers or runtime.settings.jobs_workers
        self._consumer: Consumer | None = None

    def _build(self, cls: type[Consumer]) -> Consumer:
        from pilothouse.core.jobs import load_handlers

        load_handlers()
        return cls(
            queue_for(self.runtime).huey,
            workers=self.workers,
            periodic=False,
            worker_type="thread",
            initial_delay=0.05,
            backoff=1.5,
            max_delay=1.0,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )

    def recover(self) -> list[int]:
        """Fail jobs a crashed worker left running; queue again long-queued ones."""
        from pilothouse.core.jobs import recover_stale_jobs
        from pilothouse.core.registry import import_all_models

        try:
            # Every model module whole before the first write configures the mappers: a
            # worker's scheduler thread may be importing one at this moment, and a mapper
            # configured from a half-imported module fails ("failed to locate a name").
            import_all_models()
            failed = recover_stale_jobs(self.runtime)
            requeue_waiting_jobs(self.runtime)
        except Exception:  # never keep the server from starting over it
            logger.exception("could not check for abandoned jobs")
            return []
        return failed

    def start(self) -> None:
        """Start the worker threads in the background (for the web server)."""
        self.recover()
        self._consumer = self._build(_EmbeddedConsumer)
        self._consumer.start()
        logger.info("job consumer started with %d thread(s)", self.workers)

    def stop(self) -> None:
        """Stop taking jobs; wait a little for running ones (recovery handles the rest)."""
        if self._consumer is None:
            return
        self._consumer.stop(graceful=True)
        self._consumer = None
        queue_for(self.runtime).close()

    def run_forever(self) -> None:
        """Run in the foreground until SIGINT/SIGTERM (``pilothouse jobs worker``)."""
        self.recover()
        consumer = self._build(Consumer)
        consumer.run()


@asynccontextmanager
async def inprocess_jobs(runtime: Runtime) -> AsyncIterator[JobConsumer | None]:
    """For the web app's lifespan: consume jobs in threads when ``jobs_mode`` is inprocess."""
    if runtime.settings.jobs_mode != "inprocess":
        yield None
        return
    consumer = JobConsumer(runtime)
    await run_in_threadpool(consumer.start)
    try:
        yield consumer
    finally:
        await run_in_threadpool(consumer.stop)
