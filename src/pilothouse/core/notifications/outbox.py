"""E-mail jobs queued inside the caller's transaction and handed to the queue after it commits.

:func:`~pilothouse.core.notifications.service.notify` runs inside someone else's
transaction (a request, the automation dispatcher). Submitting a job the usual way
would commit that transaction half-way. Instead the job's row is added to the same
session, so it exists exactly when the notification does (a transactional outbox),
and its id is given to the queue once the session commits. If the process dies
between the commit and the hand-over, the row stays ``queued`` and consumers queue
it again when they start (``core.job_queue.requeue_waiting_jobs``).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.job_models import Job, JobStatus
from pilothouse.core.models import Role

__all__ = ["SYSTEM_ACTOR", "queue_job", "runtime_of"]

logger = logging.getLogger("pilothouse.notifications")

#: Who notifications act as when they queue work nobody asked for directly.
SYSTEM_ACTOR = Actor(None, "system:notifications", Role.admin)
_PENDING = "pilothouse.notifications.pending_jobs"


def runtime_of(session: Session) -> Any:
    """The runtime whose database opened ``session`` (``None`` for a bare session)."""
    return session.info.get("runtime")


def queue_job(session: Session, kind: str, payload: dict[str, Any], title: str) -> int:
    """Add a queued job to ``session``; it is handed to the queue after the commit."""
    job = Job(
        kind=kind,
        title=title[:200],
        status=JobStatus.queued,
        payload=payload,
        requested_by_id=None,
        requested_by=SYSTEM_ACTOR.label,
    )
    session.add(job)
    session.flush()
    record_change(
        session,
        SYSTEM_ACTOR,
        object_type="job",
        object_id=job.id,
        action=Action.created,
        label=job.title,
        after={"kind": kind, "title": job.title, "status": job.status.value},
        name="job.submitted",
    )
    pending: list[int] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _hand_over, once=True)
        event.listen(session, "after_rollback", _forget, once=True)
    pending.append(job.id)
    return job.id


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _hand_over(session: Session) -> None:
    """Run (``immediate`` mode) or enqueue the jobs this session committed."""
    job_ids: list[int] = session.info.pop(_PENDING, [])
    runtime = runtime_of(session)
    if runtime is None or not job_ids:
        return
    from pilothouse.core.jobs import execute_job

    for job_id in job_ids:
        try:
            if runtime.settings.jobs_mode == "immediate":
                execute_job(runtime, job_id)
            else:
                from pilothouse.core.job_queue import queue_for

                queue_for(runtime).enqueue(job_id)
        except Exception:  # the row stays queued; consumers queue it again when they start
            logger.exception("could not hand e-mail job %s to the queue", job_id)
