"""The ``feedback.synthesize`` job: synthesis as a durable, visible, retryable job.

Safe to retry: vectors already stored are not computed again, items already
in a theme are not moved, and a run that files proposals supersedes the open
ones of the run before. When the worker running the job is killed, crash
recovery marks the job failed and, through :func:`close_interrupted_runs`, the
synthesis run record it left ``running`` as ``interrupted``, so the run history
never shows a run in progress that nothing runs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.db import utcnow
from pilothouse.core.job_models import Job, JobStatus
from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.feedback.models import FeedbackSynthesisRun
from pilothouse.feedback.synthesis_service import synthesize_feedback

__all__ = ["INTERRUPTED", "SYNTHESIZE", "close_interrupted_runs", "synthesize"]

SYNTHESIZE = "feedback.synthesize"
#: Status of a synthesis run whose worker died mid-run.
INTERRUPTED = "interrupted"


def close_interrupted_runs(session: Session, job: Job) -> None:
    """Mark ``interrupted`` the synthesis runs an abandoned ``job`` left ``running``.

    The runs are those started since the job started and before any synthesis job
    that is still running started (that one's run is alive). Retrying the job then
    starts a new run; the interrupted one stays in the history with its reason.
    """
    if job.started_at is None:
        return
    query = select(FeedbackSynthesisRun).where(
        FeedbackSynthesisRun.status == "running",
        FeedbackSynthesisRun.started_at >= job.started_at,
    )
    live = select(Job.started_at).where(
        Job.kind == SYNTHESIZE, Job.status == JobStatus.running, Job.id != job.id
    )
    later = [s for s in session.scalars(live) if s is not None and s > job.started_at]
    if later:
        query = query.where(FeedbackSynthesisRun.started_at < min(later))
    for run in session.scalars(query):
        run.status, run.finished_at = INTERRUPTED, utcnow()
        run.message = (
            f"interrupted: the worker running job {job.id} stopped before the run finished; "
            "retry the job to synthesise again (vectors already stored are reused)"
        )


@job_handler(SYNTHESIZE, on_abandoned=close_interrupted_runs)
def synthesize(ctx: JobContext) -> dict[str, Any]:
    """Synthesize feedback themes"""
    report = synthesize_feedback(
        ctx.runtime, ctx.actor, progress=ctx.progress, full=bool(ctx.payload.get("full"))
    )
    ctx.progress(1, 1, report.message[:300])
    return report.as_dict()
