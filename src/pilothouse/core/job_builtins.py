"""Built-in job kinds: tiny handlers for smoke tests and for checking a deployment.

``pilothouse jobs submit core.sleep --queue`` shows whether the workers pick jobs up
and report progress, without touching any data.
"""

from __future__ import annotations

import time
from typing import Any

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.jobs import JobContext, job_handler

__all__ = ["noop", "sleep"]

#: The longest a ``core.sleep`` job may sleep, so a typo cannot tie up a worker for hours.
MAX_SLEEP_SECONDS = 600.0


@job_handler("core.noop")
def noop(ctx: JobContext) -> dict[str, Any]:
    """Do nothing (checks that jobs run)"""
    ctx.progress(1, 1, "done")
    return {"echo": ctx.payload.get("echo")}


@job_handler("core.sleep")
def sleep(ctx: JobContext) -> dict[str, Any]:
    """Sleep in steps, reporting progress (checks progress and cancelling)"""
    seconds = ctx.payload.get("seconds", 1.0)
    steps = ctx.payload.get("steps", 10)
    if not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_SLEEP_SECONDS:
        raise ValidationFailed(
            "seconds must be a number from 0 to 600", errors=[FieldError("seconds", "0–600")]
        )
    if not isinstance(steps, int) or not 1 <= steps <= 10_000:
        raise ValidationFailed("steps must be 1–10000", errors=[FieldError("steps", "1–10000")])
    for step in range(1, steps + 1):
        time.sleep(seconds / steps)
        ctx.progress(step, steps, f"step {step} of {steps}")
    return {"slept_seconds": seconds, "steps": steps}
