"""JSON API of experiment analyses: run one, list snapshots, latest results, SQL, power.

Under ``/api/v1/experiments/{key}``; reads need a viewer, running an analysis an
editor. The service does the work (:mod:`pilothouse.experiments.analysis.service`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from pilothouse.experiments import jobs as analysis_jobs
from pilothouse.experiments import registry
from pilothouse.experiments.analysis import service
from pilothouse.experiments.analysis.schemas import (
    AnalysisSql,
    PowerReport,
    SnapshotList,
    SnapshotRead,
    SnapshotSummary,
)
from pilothouse.experiments.models import Experiment, ExperimentSnapshot
from pilothouse.web.api.jobs import JobRead
from pilothouse.web.deps import EditorWrite, PageParams, RuntimeDep, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/experiments", tags=["experiments"])


def _read(experiment: Experiment, snapshot: ExperimentSnapshot) -> SnapshotRead:
    return SnapshotRead(
        id=snapshot.id,
        experiment=experiment.key,
        computed_at=snapshot.computed_at,
        succeeded=snapshot.succeeded,
        error=snapshot.error,
        requested_by_label=snapshot.requested_by_label,
        results=snapshot.results,
    )


@router.post(
    "/{key}/analyze",
    response_model=SnapshotRead,
    status_code=201,
    summary="Run the analysis now and store a snapshot (failed runs too), or queue it as a job",
    responses={202: {"model": JobRead, "description": "With background=true: the queued job."}},
)
def create_analysis(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    background: Annotated[
        bool, Query(description="Run as an experiments.analyze job; 202 with the job.")
    ] = False,
) -> SnapshotRead | JSONResponse:
    experiment = registry.find_experiment(session, key)
    if background:
        view = analysis_jobs.submit_analysis(runtime, principal.actor, experiment, session)
        return JSONResponse(JobRead.of(view).model_dump(mode="json"), status_code=202)
    snapshot = service.analyze_experiment(session, runtime, principal.actor, experiment)
    return _read(experiment, snapshot)


@router.get("/{key}/snapshots", response_model=SnapshotList, summary="Analysis runs, newest first")
def list_snapshots(
    key: str, _principal: Viewer, session: SessionDep, page: PageParams
) -> SnapshotList:
    experiment = registry.find_experiment(session, key)
    result = service.list_snapshots(session, experiment, page)
    return SnapshotList(
        items=[
            SnapshotSummary(
                id=s.id,
                experiment=experiment.key,
                computed_at=s.computed_at,
                succeeded=s.succeeded,
                error=s.error,
                requested_by_label=s.requested_by_label,
                summary=service.summary(s.results) if s.succeeded else {},
            )
            for s in result.items
        ],
        next_cursor=result.next_cursor,
    )


@router.get(
    "/{key}/snapshots/{snapshot_id}", response_model=SnapshotRead, summary="One analysis run"
)
def get_snapshot(
    key: str, snapshot_id: int, _principal: Viewer, session: SessionDep
) -> SnapshotRead:
    experiment = registry.find_experiment(session, key)
    return _read(experiment, service.find_snapshot(session, experiment, snapshot_id))


@router.get("/{key}/results", response_model=SnapshotRead, summary="The latest successful analysis")
def get_results(key: str, _principal: Viewer, session: SessionDep) -> SnapshotRead:
    experiment = registry.find_experiment(session, key)
    return _read(experiment, service.latest_results(session, experiment))


@router.get("/{key}/sql", response_model=AnalysisSql, summary="The analysis SQL for a dialect")
def get_analysis_sql(
    key: str,
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    dialect: Annotated[
        str | None,
        Query(
            description="duckdb, postgres, clickhouse, spark, trino, bigquery or snowflake; "
            "default: the source's."
        ),
    ] = None,
) -> AnalysisSql:
    experiment = registry.find_experiment(session, key)
    return AnalysisSql(**service.analysis_sql(runtime, experiment, dialect))


@router.get(
    "/{key}/power",
    response_model=PowerReport,
    summary="Minimum detectable effect, duration and mid-experiment power of a metric",
)
def get_power(
    key: str,
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    metric: Annotated[str | None, Query(description="Default: the first primary metric.")] = None,
    lookback_days: Annotated[int, Query(ge=1, le=365, description="History window.")] = 14,
    effect: Annotated[
        float, Query(gt=0, description="Effect to detect (relative by default).")
    ] = 0.05,
    target_power: Annotated[float, Query(gt=0, lt=1)] = 0.8,
    planned_units: Annotated[
        float | None, Query(gt=0, description="Units planned at the end (mid-experiment power).")
    ] = None,
) -> PowerReport:
    experiment = registry.find_experiment(session, key)
    report = service.power_for(
        session,
        runtime,
        experiment,
        metric=metric,
        lookback_days=lookback_days,
        effect=effect,
        target_power=target_power,
        planned_units=planned_units,
    )
    return PowerReport(**report)
