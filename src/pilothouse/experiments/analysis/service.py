"""Analysing experiments for the API, the CLI and the demo: runs, snapshots, SQL, power.

Every run adds an :class:`ExperimentSnapshot` row and never changes an existing
one: a failed run (warehouse error, unexpected variations, no exposures) is stored
with ``succeeded = false`` and its error, and :func:`latest_results` keeps
returning the last good snapshot. Snapshots are kept, so results can be charted
over ``computed_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import FieldError, NotFound, PilothouseError, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.core.runtime import Runtime
from pilothouse.experiments.analysis.findings import record_findings
from pilothouse.experiments.analysis.plan import EMBEDDED, AnalysisPlan, MetricPlan, build_plan
from pilothouse.experiments.analysis.power import historical_moments, power_report
from pilothouse.experiments.analysis.runner import (
    AnalysisFailed,
    AnalysisOutcome,
    Target,
    run_analysis,
)
from pilothouse.experiments.analysis.sql import compile_exposures, compile_statistics
from pilothouse.experiments.models import Experiment, ExperimentSnapshot
from pilothouse.metrics.compiler.dialects import rules_for
from pilothouse.metrics.compiler.schema import WarehouseSchema
from pilothouse.metrics.service import EMBEDDED_SOURCE, _adapter

__all__ = [
    "analysis_sql",
    "analyze_experiment",
    "find_snapshot",
    "latest_results",
    "list_snapshots",
    "plan_for",
    "power_for",
    "summary",
    "target_for",
]


def plan_for(
    runtime: Runtime, experiment: Experiment, now: dt.datetime | None = None
) -> AnalysisPlan:
    """The analysis plan of ``experiment`` against the current metric catalog."""
    return build_plan(
        experiment, runtime.metrics.catalog(), now=now, time_zone=runtime.settings.timezone
    )


def _schema(runtime: Runtime, source: str) -> WarehouseSchema:
    if source == EMBEDDED:
        return WarehouseSchema()
    schema: WarehouseSchema = runtime.connections.schema(source)
    return schema


def target_for(runtime: Runtime, plan: AnalysisPlan) -> Target:
    """The warehouse the plan's SQL runs on: the embedded store or a named connection."""
    source = EMBEDDED_SOURCE if plan.source == EMBEDDED else plan.source
    return Target(
        _adapter(runtime, source),
        _schema(runtime, plan.source),
        runtime.settings.query_timeout_seconds,
    )


def _outcome(runtime: Runtime, plan: AnalysisPlan) -> AnalysisOutcome:
    try:
        target = target_for(runtime, plan)
    except PilothouseError as exc:  # an unknown or unusable connection
        header = {"experiment": plan.experiment, "source": plan.source, "sql": {}}
        return AnalysisOutcome(False, header, f"the warehouse is not available: {exc.detail}")
    return run_analysis(plan, target)


def analyze_experiment(
    session: Session, runtime: Runtime, actor: Actor, experiment: Experiment
) -> ExperimentSnapshot:
    """Run the analysis now and store a new snapshot (failed runs too).

    A successful run also records what it found that people follow (a significant
    primary result, a new sample-ratio mismatch) as audit events in the same
    transaction (:mod:`~pilothouse.experiments.analysis.findings`).

    Raises:
        Forbidden: The actor may not run analyses (editors and admins may).
        ValidationFailed: The experiment cannot be analysed as designed (no exposure
            source, invalid ``analysis`` settings or dimensions); nothing is stored.
    """
    actor.require(Role.editor, write=True)
    computed_at = utcnow()
    plan = plan_for(runtime, experiment, now=computed_at)
    outcome = _outcome(runtime, plan)
    snapshot = ExperimentSnapshot(
        experiment_id=experiment.id,
        computed_at=computed_at,
        succeeded=outcome.succeeded,
        results=outcome.results,
        error=outcome.error,
        requested_by_label=actor.label,
    )
    session.add(snapshot)
    session.flush()
    record_change(
        session,
        actor,
        object_type="experiment",
        object_id=experiment.key,
        action=Action.updated,
        name="experiment.analyzed",
        label=experiment.name,
        after={"snapshot": snapshot.id, "succeeded": snapshot.succeeded, "error": snapshot.error},
    )
    record_findings(session, actor, experiment, snapshot)
    return snapshot


def list_snapshots(
    session: Session, experiment: Experiment, page: PageRequest
) -> Page[ExperimentSnapshot]:
    """Snapshots of ``experiment``, newest first (failed runs included)."""
    query = select(ExperimentSnapshot).where(ExperimentSnapshot.experiment_id == experiment.id)
    return paginate(
        session, query, ExperimentSnapshot.id, PageRequest(page.limit, page.cursor, True)
    )


def find_snapshot(session: Session, experiment: Experiment, snapshot_id: int) -> ExperimentSnapshot:
    snapshot = session.get(ExperimentSnapshot, snapshot_id)
    if snapshot is None or snapshot.experiment_id != experiment.id:
        raise NotFound(f"{experiment.key} has no snapshot {snapshot_id}")
    return snapshot


def latest_results(session: Session, experiment: Experiment) -> ExperimentSnapshot:
    """The newest successful snapshot.

    Raises:
        NotFound: The experiment has never been analysed successfully.
    """
    snapshot = session.scalar(
        select(ExperimentSnapshot)
        .where(
            ExperimentSnapshot.experiment_id == experiment.id,
            ExperimentSnapshot.succeeded.is_(True),
        )
        .order_by(ExperimentSnapshot.id.desc())
        .limit(1)
    )
    if snapshot is None:
        raise NotFound(f"{experiment.key} has no successful analysis yet; run one first")
    return snapshot


_SUMMARY_FIELDS = (
    "key",
    "users",
    "mean",
    "effect",
    "ci",
    "p_value",
    "chance_to_win",
    "status",
    "error",
)


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The slim form of a results document for lists and charts over time."""
    return {
        "srm": results.get("srm"),
        "exposures": results.get("exposures"),
        "metrics": [
            {
                "metric": m.get("metric"),
                "role": m.get("role"),
                "error": m.get("error"),
                "guardrail_breached": m.get("guardrail_breached"),
                "variations": [
                    {k: v.get(k) for k in _SUMMARY_FIELDS if k in v}
                    for v in m.get("variations", [])
                ],
            }
            for m in results.get("metrics", [])
        ],
    }


def analysis_sql(
    runtime: Runtime, experiment: Experiment, dialect: str | None = None
) -> dict[str, Any]:
    """The analysis SQL for ``dialect`` (default: the source's), without running it."""
    plan = plan_for(runtime, experiment)
    if dialect is None:
        dialect = "duckdb" if plan.source == EMBEDDED else runtime.connections.dialect(plan.source)
    name = rules_for(dialect).name
    schema = _schema(runtime, plan.source)
    statistics = compile_statistics(plan, schema, name)
    return {
        "experiment": experiment.key,
        "source": plan.source,
        "dialect": name,
        "exposures": compile_exposures(plan, schema, name),
        "statistics": statistics.sql,
        "metrics": list(statistics.metrics),
        "skipped": [
            {"metric": m.name, "error": m.error, "message": m.message}
            for m in plan.metrics
            if not m.runnable
        ],
    }


def _power_metric(plan: AnalysisPlan, name: str | None) -> MetricPlan:
    runnable = [m for m in plan.metrics if m.runnable]
    if name is not None:
        chosen = [m for m in plan.metrics if m.name == name]
        if not chosen:
            raise NotFound(f"{plan.experiment} has no metric {name!r}")
        if not chosen[0].runnable:
            raise ValidationFailed(
                chosen[0].message or f"metric {name!r} cannot be analysed",
                errors=[FieldError("metric", chosen[0].error or "not analysable")],
            )
        return chosen[0]
    primaries = [m for m in runnable if m.role == "primary"]
    if not (primaries or runnable):
        raise ValidationFailed(
            f"{plan.experiment} has no metric to plan with", errors=[FieldError("metric", "none")]
        )
    return (primaries or runnable)[0]


def _current(session: Session, experiment: Experiment, metric: str) -> dict[str, Any] | None:
    try:
        results = latest_results(session, experiment).results
    except NotFound:
        return None
    for entry in results.get("metrics", []):
        variations = entry.get("variations") or []
        if entry.get("metric") == metric and len(variations) > 1:
            first = variations[1]
            units = (variations[0].get("users") or 0) + (first.get("users") or 0)
            return {"standard_error": first.get("standard_error"), "units": units}
    return None


def power_for(
    session: Session,
    runtime: Runtime,
    experiment: Experiment,
    *,
    metric: str | None = None,
    lookback_days: int = 14,
    effect: float = 0.05,
    target_power: float = 0.8,
    planned_units: float | None = None,
) -> dict[str, Any]:
    """MDE, duration and mid-experiment power for one metric (default: the first primary).

    The history is the ``lookback_days`` before the experiment's start (or before
    now for a draft).

    Raises:
        NotFound: Unknown metric name.
        ValidationFailed: The metric cannot be analysed, or the history query failed
            or found no active units.
    """
    plan = plan_for(runtime, experiment)
    chosen = _power_metric(plan, metric)
    end = plan.start or utcnow()
    start = end - dt.timedelta(days=lookback_days)
    target = target_for(runtime, replace(plan, start=start, end=end))
    try:
        history = historical_moments(plan, chosen, target, start, end)
    except AnalysisFailed as exc:
        raise ValidationFailed(str(exc), errors=[FieldError("history", str(exc))]) from None
    report = power_report(
        history,
        plan,
        effect=effect,
        target_power=target_power,
        current=_current(session, experiment, chosen.name),
        planned_units=planned_units,
    )
    return {"experiment": experiment.key, **report}
