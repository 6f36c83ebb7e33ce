"""Experiment analysis as a background job (``experiments.analyze``).

The job runs exactly what ``POST /api/v1/experiments/{key}/analyze`` runs, in a job
worker, and stores the snapshot in its own transaction. A run that fails (the
warehouse refused, no exposures) still stores its failed snapshot, and then fails
the job with the same error, so the jobs page shows it; the experiment's latest
good results stay as they were.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.jobs import JobContext, JobView, job_handler, submit_job
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.analysis import service
from pilothouse.experiments.models import Experiment

__all__ = ["KIND", "AnalysisRunFailed", "analyze", "submit_analysis"]

KIND = "experiments.analyze"


class AnalysisRunFailed(Exception):
    """The run produced a failed snapshot; the message is the snapshot's error."""


@job_handler(KIND, title="Analyse an experiment")
def analyze(ctx: JobContext) -> dict[str, Any]:
    """Analyse one experiment and store a snapshot (payload: ``{"experiment": "EXP-3"}``)"""
    key = ctx.payload.get("experiment")
    if not isinstance(key, str) or not key:
        raise ValidationFailed(
            "the payload needs the experiment key", errors=[FieldError("experiment", "required")]
        )
    ctx.progress(0, 2, f"running the analysis SQL of {key}")
    with ctx.runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        snapshot = service.analyze_experiment(session, ctx.runtime, ctx.actor, experiment)
        outcome = {
            "experiment": experiment.key,
            "snapshot_id": snapshot.id,
            "succeeded": snapshot.succeeded,
            "error": snapshot.error,
            "units": (snapshot.results.get("exposures") or {}).get("units"),
        }
    if not outcome["succeeded"]:
        raise AnalysisRunFailed(f"snapshot {outcome['snapshot_id']}: {outcome['error']}")
    ctx.progress(2, 2, f"snapshot {outcome['snapshot_id']} stored")
    return outcome


def submit_analysis(
    runtime: Runtime, actor: Actor, experiment: Experiment, session: Session | None = None
) -> JobView:
    """Queue an analysis, after checking now that the design can be analysed at all
    (a missing exposure source is a 422 for the caller, not a failed job later).

    Args:
        session: The request's session (routes pass it; it is committed first).
    """
    service.plan_for(runtime, experiment)
    return submit_job(
        runtime,
        actor,
        KIND,
        payload={"experiment": experiment.key},
        title=f"Analyse {experiment.key} {experiment.name}"[:200],
        session=session,
    )
