"""Jobs: long work (imports, synthesis, analysis, reports) with a durable record.

A domain registers a handler for a *kind* of job and submits jobs of that kind::

    @job_handler("feedback.synthesize")
    def run(ctx: JobContext) -> dict:
        for done, batch in enumerate(batches, 1):
            ...
            ctx.progress(done, len(batches), "clustering")
        return {"themes": 12}

    job = submit_job(runtime, actor, "feedback.synthesize", payload={...}, title="Synthesise")

The record lives in the app database (:class:`~pilothouse.core.job_models.Job`), so every
web and job worker sees the same state; the queue (huey, see ``core.job_queue``) only
carries job ids. A job is claimed with a guarded ``UPDATE ... WHERE status = 'queued'``,
so a message delivered twice, or one for a cancelled job, runs nothing. Handlers are
found by importing the modules in ``core.registry.JOB_MODULES``.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from pilothouse.core.job_models import FINISHED, Job, JobStatus
from pilothouse.core.models import Role, User
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.core.runtime import Runtime

__all__ = [
    "AbandonedHook",
    "HandlerSpec",
    "JobCancelled",
    "JobContext",
    "JobStatus",
    "JobView",
    "cancel_job",
    "execute_job",
    "get_job",
    "handler_for",
    "job_handler",
    "list_jobs",
    "load_handlers",
    "recover_stale_jobs",
    "retry_job",
    "submit_job",
    "wait_for_job",
    "waiting_jobs",
    "worker_id",
]

logger = logging.getLogger("pilothouse.jobs")

#: Progress is written at most this often (the last step of a known total always is).
PROGRESS_INTERVAL_SECONDS = 0.5
#: A running job refreshes ``heartbeat_at`` this often even when it reports no progress.
HEARTBEAT_SECONDS = 30.0
#: Errors longer than this are cut; the full traceback is in the log.
MAX_ERROR_CHARS = 4000
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
#: Who the system acts as when it changes a job nobody asked it to (crash recovery).
SYSTEM_ACTOR = Actor(None, "system:jobs", Role.admin)


# --- handlers ------------------------------------------------------------------------------


class JobCancelled(Exception):  # noqa: N818  (a signal, not an error)
    """Raised inside a handler by :meth:`JobContext.progress` when someone cancelled the job."""


@dataclass
class JobContext:
    """What a handler gets: the runtime, who asked, the payload, and a progress reporter."""

    runtime: Runtime
    actor: Actor
    payload: dict[str, Any]
    job_id: int
    _last_write: float = field(default=float("-inf"), repr=False)

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress (throttled); raises :class:`JobCancelled` if the job was cancelled.

        Handlers should call this between units of work: it is also how a running job
        learns that someone cancelled it.
        """
        now = time.monotonic()
        last_step = total is not None and done >= total
        if not last_step and now - self._last_write < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_write = now
        with self.runtime.database.session() as session:
            job = session.get(Job, self.job_id)
            if job is None:
                raise JobCancelled("the job record was deleted")
            job.progress_done = max(int(done), 0)
            job.progress_total = None if total is None else max(int(total), 0)
            job.message = message[:300]
            job.heartbeat_at = utcnow()
            cancelled = job.cancel_requested
        if cancelled:
            raise JobCancelled("cancelled on request")

    @property
    def cancel_requested(self) -> bool:
        """True once someone asked to cancel this job (for handlers that check explicitly)."""
        with self.runtime.database.session() as session:
            return bool(session.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)))


Handler = Callable[[JobContext], dict[str, Any] | None]
H = TypeVar("H", bound=Handler)


#: Called, in recovery's transaction, for a job of its kind that a crashed worker left
#: running: the place to mark the domain's own records of that attempt as interrupted.
AbandonedHook = Callable[[Session, Job], None]


@dataclass(frozen=True)
class HandlerSpec:
    kind: str
    func: Handler
    title: str
    on_abandoned: AbandonedHook | None = None


_HANDLERS: dict[str, HandlerSpec] = {}
_LOAD_LOCK = threading.Lock()


def job_handler(
    kind: str, *, title: str | None = None, on_abandoned: AbandonedHook | None = None
) -> Callable[[H], H]:
    """Register the decorated function as the handler of ``kind`` (``domain.verb``).

    Args:
        kind: dotted lower-case name, such as ``feedback.synthesize``.
        title: default title of jobs of this kind; the docstring's first line otherwise.
        on_abandoned: called with the session and the job when crash recovery marks a job
            of this kind failed, so records the killed attempt left half-open (a synthesis
            run still ``running``) are closed in the same transaction.
    """
    if not KIND_PATTERN.match(kind) or len(kind) > 100:
        raise ValueError(f"job kind {kind!r} must look like 'domain.verb' (lower case)")

    def register(func: H) -> H:
        known = _HANDLERS.get(kind)
        if known is not None and _qualname(known.func) != _qualname(func):
            raise ValueError(f"job kind {kind!r} already has a handler: {_qualname(known.func)}")
        doc = (func.__doc__ or "").strip().splitlines()
        _HANDLERS[kind] = HandlerSpec(kind, func, title or (doc[0] if doc else kind), on_abandoned)
        return func

    return register


def _qualname(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def load_handlers() -> None:
    """Import every module of ``JOB_MODULES`` so their handlers are registered."""
    from pilothouse.core.registry import JOB_MODULES

    with _LOAD_LOCK:
        for module in JOB_MODULES:
            importlib.import_module(module)


def handler_for(kind: str) -> HandlerSpec | None:
    load_handlers()
    return _HANDLERS.get(kind)


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """A job as callers see it: plain values, safe to use after the session closed."""

    id: int
    kind: str
    title: str
    status: JobStatus
    progress_done: int
    progress_total: int | None
    message: str
    error: str | None
    result: dict[str, Any] | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int = 1
    cancel_requested: bool = False
    requested_by_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    worker: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        """Progress in percent when the total is known."""
        if not self.progress_total:
            return 100 if self.status is JobStatus.succeeded else None
        return min(100, round(100 * self.progress_done / self.progress_total))

    @classmethod
    def of(cls, job: Job) -> JobView:
        return cls(
            id=job.id,
            kind=job.kind,
            title=job.title,
            status=JobStatus(job.status),
            progress_done=job.progress_done,
            progress_total=job.progress_total,
            message=job.message,
            error=job.error,
            result=job.result,
            requested_by=job.requested_by,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            attempts=job.attempts,
            cancel_requested=job.cancel_requested,
            requested_by_id=job.requested_by_id,
            payload=dict(job.payload or {}),
            worker=job.worker,
        )


@contextmanager
def _session(source: Runtime | Session) -> Iterator[Session]:
    if isinstance(source, Session):
        yield source
        return
    with source.database.session() as session:
        yield session


@contextmanager
def _unit(runtime: Runtime, session: Session | None) -> Iterator[Session]:
    """A committed unit of work: the caller's session (committed here) or a new one.

    Jobs are queued only after their row is committed, or a fast worker could look for
    a row it cannot see yet. A request passes its own session: on SQLite that session
    holds the write lock, so a second one opened here would wait for it forever.
    """
    if session is None:
        with runtime.database.session() as own:
            yield own
        return
    yield session
    session.commit()


def _record(
    session: Session,
    actor: Actor,
    job: Job,
    name: str,
    *,
    after: dict[str, Any],
    before: dict[str, Any] | None = None,
    action: Action = Action.updated,
) -> None:
    """The audit entry of one step in a job's life (``job.submitted``, ``job.failed``, ...)."""
    record_change(
        session,
        actor,
        object_type="job",
        object_id=job.id,
        action=action,
        label=job.title,
        before=before,
        after=after,
        name=name,
    )


def _load(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id}")
    return job


def get_job(source: Runtime | Session, job_id: int) -> JobView:
    """One job; any signed-in person may look at jobs."""
    with _session(source) as session:
        return JobView.of(_load(session, job_id))


def list_jobs(
    source: Runtime | Session,
    page: PageRequest | None = None,
    *,
    status: JobStatus | str | None = None,
    kind: str | None = None,
    requested_by_id: int | None = None,
) -> Page[JobView]:
    """Jobs newest first, optionally of one status, kind or requester."""
    page = page or PageRequest(limit=50)
    page = PageRequest(limit=page.limit, cursor=page.cursor, newest_first=True)
    query = select(Job)
    if status is not None:
        try:
            query = query.where(Job.status == JobStatus(status))
        except ValueError:
            choices = ", ".join(s.value for s in JobStatus)
            raise ValidationFailed(
                f"unknown job status {status!r}", errors=[FieldError("status", choices)]
            ) from None
    if kind:
        query = query.where(Job.kind == kind)
    if requested_by_id is not None:
        query = query.where(Job.requested_by_id == requested_by_id)
    with _session(source) as session:
        result = paginate(session, query, Job.id, page)
        return Page(items=[JobView.of(j) for j in result.items], next_cursor=result.next_cursor)


def wait_for_job(runtime: Runtime, job_id: int, *, timeout: float = 30.0) -> JobView:
    """Poll until the job finished; raises ``TimeoutError`` with its last state otherwise."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        view = get_job(runtime, job_id)
        if view.finished:
            return view
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {view.status.value} after {timeout}s")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


# --- submitting, retrying, cancelling ------------------------------------------------------


def _json_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ValidationFailed(
            "a job payload must be an object", errors=[FieldError("payload", "")]
        )
    try:
        plain: dict[str, Any] = json.loads(json.dumps(payload))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            "the job payload must be JSON", errors=[FieldError("payload", str(exc))]
        ) from None
    return plain


def submit_job(
    runtime: Runtime,
    actor: Actor,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    title: str | None = None,
    role: Role = Role.editor,
    run_now: bool | None = None,
    session: Session | None = None,
) -> JobView:
    """Record a queued job in its own committed transaction, then hand it to the queue.

    Args:
        role: the role the actor needs to start this kind of work (editor by default).
        run_now: run synchronously in this thread; by default only when
            ``jobs_mode`` is ``immediate``. Command-line tools pass ``True``.
        session: a request's session to write with; it is committed before the job
            is queued (pass it from routes: see :func:`_unit`).

    Returns:
        The job as it stands after submitting (finished already when run now).
    """
    actor.require(role, write=True)
    if not kind or len(kind) > 100:
        raise ValidationFailed("a job needs a kind", errors=[FieldError("kind", "1–100 chars")])
    plain = _json_payload(payload)
    spec = handler_for(kind)
    with _unit(runtime, session) as unit:
        job = Job(
            kind=kind,
            title=(title or (spec.title if spec else kind))[:200],
            status=JobStatus.queued,
            payload=plain,
            requested_by_id=actor.user_id,
            requested_by=actor.label[:320],
        )
        unit.add(job)
        unit.flush()
        _record(
            unit,
            actor,
            job,
            "job.submitted",
            after={"kind": kind, "title": job.title, "status": job.status.value},
            action=Action.created,
        )
        job_id = job.id
    _dispatch(runtime, job_id, run_now)
    return get_job(session or runtime, job_id)


def _dispatch(runtime: Runtime, job_id: int, run_now: bool | None) -> None:
    if run_now is None:
        run_now = runtime.settings.jobs_mode == "immediate"
    if run_now:
        execute_job(runtime, job_id)
        return
    from pilothouse.core.job_queue import queue_for

    try:
        queue_for(runtime).enqueue(job_id)
    except Exception as exc:  # the broker is down or misconfigured: say so on the record
        logger.exception("could not queue job %s", job_id)
        _finish(runtime, job_id, None, JobStatus.failed, error=f"could not queue the job: {exc}")


def _may_change(actor: Actor, job: Job) -> None:
    """Editors retry and cancel their own jobs; admins anyone's."""
    actor.require(Role.editor, write=True)
    if actor.role is not Role.admin and job.requested_by_id != actor.user_id:
        raise Forbidden("only the person who started a job, or an admin, may change it")


def retry_job(
    runtime: Runtime,
    actor: Actor,
    job_id: int,
    *,
    run_now: bool | None = None,
    session: Session | None = None,
) -> JobView:
    """Queue a failed or cancelled job again as a new attempt (same record, same payload)."""
    with _unit(runtime, session) as unit:
        job = _load(unit, job_id)
        _may_change(actor, job)
        if job.status not in (JobStatus.failed, JobStatus.cancelled):
            raise Conflict(
                f"job {job_id} is {job.status.value}; only failed or cancelled jobs can be retried"
            )
        before = {"status": job.status.value, "attempts": job.attempts}
        job.status = JobStatus.queued
        job.attempts += 1
        job.error = job.result = job.started_at = job.finished_at = job.heartbeat_at = None
        job.worker = None
        job.progress_done, job.progress_total, job.message = 0, None, ""
        job.cancel_requested = False
        _record(
            unit,
            actor,
            job,
            "job.retried",
            after={"status": job.status.value, "attempts": job.attempts},
            before=before,
        )
    _dispatch(runtime, job_id, run_now)
    return get_job(session or runtime, job_id)


def cancel_job(
    runtime: Runtime, actor: Actor, job_id: int, *, session: Session | None = None
) -> JobView:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    with _unit(runtime, session) as unit:
        job = _load(unit, job_id)
        _may_change(actor, job)
        if job.status in FINISHED:
            raise Conflict(f"job {job_id} already {job.status.value}; nothing to cancel")
        before = {"status": job.status.value, "cancel_requested": job.cancel_requested}
        job.cancel_requested = True
        if job.status is JobStatus.queued:
            job.status = JobStatus.cancelled
            job.finished_at = utcnow()
            job.message = f"cancelled by {actor.label}"[:300]
        else:
            job.message = f"cancelling (asked by {actor.label})"[:300]
        _record(
            unit,
            actor,
            job,
            "job.cancelled" if job.status is JobStatus.cancelled else "job.cancel_requested",
            after={"status": job.status.value, "cancel_requested": True},
            before=before,
        )
    return get_job(session or runtime, job_id)


# --- running -------------------------------------------------------------------------------


def worker_id() -> str:
    """``host:pid`` of this process, stored on the jobs it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(runtime: Runtime, job_id: int) -> int | None:
    """Move a queued job to running; returns its attempt number, or None if not queued."""
    now = utcnow()
    with runtime.database.session() as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.queued)
            .values(
                status=JobStatus.running,
                started_at=now,
                heartbeat_at=now,
                worker=worker_id(),
                message="",
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return session.scalar(select(Job.attempts).where(Job.id == job_id))


def _actor_of(session: Session, job: Job) -> Actor:
    if job.requested_by_id is None:
        return Actor(None, job.requested_by, Role.admin)  # the command line
    user = session.get(User, job.requested_by_id)
    if user is None or not user.is_active:
        raise Forbidden(f"{job.requested_by} can no longer sign in, so their job cannot run")
    return Actor.for_user(user)


def execute_job(runtime: Runtime, job_id: int) -> JobView | None:
    """Run one queued job to its end in this thread; the queue's task calls this.

    Returns the finished job, or None when the job was not queued (cancelled, already
    run by another worker, or deleted): a duplicate delivery runs nothing.
    """
    attempt = _claim(runtime, job_id)
    if attempt is None:
        logger.info("job %s is not queued any more; skipped", job_id)
        return None
    with _heartbeat(runtime, job_id):
        status, result, error = _run_handler(runtime, job_id)
    _finish(runtime, job_id, attempt, status, result=result, error=error)
    return get_job(runtime, job_id)


def _run_handler(
    runtime: Runtime, job_id: int
) -> tuple[JobStatus, dict[str, Any] | None, str | None]:
    try:
        with runtime.database.session() as session:
            job = _load(session, job_id)
            kind, payload, actor = job.kind, dict(job.payload or {}), _actor_of(session, job)
        spec = handler_for(kind)
        if spec is None:
            return (
                JobStatus.failed,
                None,
                (f"no handler for job kind {kind!r}; is its module listed in JOB_MODULES?"),
            )
        raw = spec.func(JobContext(runtime, actor, payload, job_id))
        result = json.loads(json.dumps(raw, default=str)) if raw is not None else None
        if result is not None and not isinstance(result, dict):
            result = {"value": result}
        return JobStatus.succeeded, result, None
    except JobCancelled:
        return JobStatus.cancelled, None, None
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
        return JobStatus.failed, None, f"{type(exc).__name__}: {detail}"[:MAX_ERROR_CHARS]


def _finish(
    runtime: Runtime,
    job_id: int,
    attempt: int | None,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Write the outcome, unless the record moved on meanwhile (recovered, retried)."""
    with runtime.database.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return
        if attempt is not None and job.attempts != attempt:
            return
        before = {"status": job.status.value}
        job.status = status
        job.result, job.error = result, error
        job.finished_at = job.heartbeat_at = utcnow()
        if status is JobStatus.succeeded and job.progress_total:
            job.progress_done = job.progress_total
        if status is JobStatus.cancelled:
            job.message = "cancelled"
        _record(
            session,
            SYSTEM_ACTOR,
            job,
            f"job.{status.value}",
            after={"status": status.value, "error": error},
            before=before,
        )


@contextmanager
def _heartbeat(runtime: Runtime, job_id: int) -> Iterator[None]:
    """Refresh ``heartbeat_at`` in the background so a quiet job does not look crashed."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                with runtime.database.session() as session:
                    session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == JobStatus.running)
                        .values(heartbeat_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
            except Exception:  # a missed beat is harmless; the next one may work
                logger.warning("heartbeat of job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


# --- crash recovery ------------------------------------------------------------------------


def waiting_jobs(runtime: Runtime, older_than_minutes: int) -> list[int]:
    """Ids of jobs still queued after this many minutes (their message may be lost)."""
    before = utcnow() - timedelta(minutes=older_than_minutes)
    with runtime.database.session() as session:
        query = select(Job.id).where(Job.status == JobStatus.queued, Job.created_at < before)
        return list(session.scalars(query.order_by(Job.id)))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(job: Job, host: str, stale_before: datetime) -> bool:
    """True when the process that ran ``job`` is gone, or has been silent too long."""
    worker_host, _, pid = (job.worker or "").rpartition(":")
    if worker_host == host and pid.isdigit() and not _process_alive(int(pid)):
        return True
    last_sign = job.heartbeat_at or job.started_at
    return last_sign is None or last_sign < stale_before


def recover_stale_jobs(runtime: Runtime) -> list[int]:
    """Mark failed the running jobs whose worker crashed; consumers call this at start.

    A job counts as abandoned when its worker was a process on this host that no longer
    exists, or when it has shown no sign of life for ``jobs_stale_after_minutes``.
    Returns the ids of the jobs marked failed.
    """
    host = socket.gethostname()
    stale_before = utcnow() - timedelta(minutes=runtime.settings.jobs_stale_after_minutes)
    recovered: list[int] = []
    load_handlers()  # their on_abandoned hooks
    with runtime.database.session() as session:
        running = list(session.scalars(select(Job).where(Job.status == JobStatus.running)))
        for job in running:
            if not _abandoned(job, host, stale_before):
                continue
            job.status = JobStatus.failed
            job.finished_at = utcnow()
            job.error = (
                f"the worker running this job ({job.worker or 'unknown'}) stopped before it "
                "finished; retry the job"
            )
            _record(
                session,
                SYSTEM_ACTOR,
                job,
                "job.failed",
                after={"status": "failed", "error": job.error},
                before={"status": "running"},
            )
            _close_abandoned(session, job)
            recovered.append(job.id)
    if recovered:
        logger.warning("marked %d abandoned job(s) failed: %s", len(recovered), recovered)
    return recovered


def _close_abandoned(session: Session, job: Job) -> None:
    """Run the kind's ``on_abandoned`` hook; a failing hook never blocks recovery."""
    spec = _HANDLERS.get(job.kind)
    if spec is None or spec.on_abandoned is None:
        return
    try:
        with session.begin_nested():
            spec.on_abandoned(session, job)
    except Exception:
        logger.exception("could not close what job %s left behind", job.id)
