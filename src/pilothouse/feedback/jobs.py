"""The ``feedback.synthesize`` job: synthesis as a durable, visible, retryable job.

Safe to retry: vectors already stored are not computed again, items already
in a theme are not moved, and a run that files proposals supersedes the open
ones of the run before.
"""

from __future__ import annotations

from typing import Any

from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.feedback.synthesis_service import synthesize_feedback

__all__ = ["SYNTHESIZE", "synthesize"]

SYNTHESIZE = "feedback.synthesize"


@job_handler(SYNTHESIZE)
def synthesize(ctx: JobContext) -> dict[str, Any]:
    """Synthesize feedback themes"""
    report = synthesize_feedback(
        ctx.runtime, ctx.actor, progress=ctx.progress, full=bool(ctx.payload.get("full"))
    )
    ctx.progress(1, 1, report.message[:300])
    return report.as_dict()
