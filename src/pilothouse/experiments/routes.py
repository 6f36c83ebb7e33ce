"""JSON API of experiments: ``/api/v1/experiments``."""

from __future__ import annotations

from fastapi import APIRouter

from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.models import ExperimentStatus
from pilothouse.experiments.schemas import (
    DecisionCreate,
    ExperimentCreate,
    ExperimentList,
    ExperimentRead,
    ExperimentUpdate,
)
from pilothouse.web.deps import EditorWrite, PageParams, RuntimeDep, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/experiments", tags=["experiments"])


def _known_metrics(runtime: Runtime) -> set[str]:
    return {m.name for m in runtime.metrics.catalog()}


def _design(body: ExperimentCreate | ExperimentUpdate) -> registry.ExperimentDesign:
    data = body.model_dump(
        exclude_unset=isinstance(body, ExperimentUpdate), exclude={"variations", "metrics"}
    )
    variations = (
        None
        if body.variations is None
        else [registry.VariationSpec(v.key, v.name or v.key, v.weight) for v in body.variations]
    )
    metrics = (
        None
        if body.metrics is None
        else [
            registry.MetricChoice(m.metric, m.role, m.bad_direction, m.margin) for m in body.metrics
        ]
    )
    return registry.ExperimentDesign(**data, variations=variations, metrics=metrics)


@router.get("", response_model=ExperimentList, summary="List experiments, newest first")
def list_experiments(
    _principal: Viewer,
    session: SessionDep,
    page: PageParams,
    status: ExperimentStatus | None = None,
) -> ExperimentList:
    result = registry.list_experiments(session, page, status=status)
    return ExperimentList(
        items=[ExperimentRead.model_validate(e) for e in result.items],
        next_cursor=result.next_cursor,
    )


@router.get("/{key}", response_model=ExperimentRead, summary="One experiment by key (EXP-12)")
def get_experiment(key: str, _principal: Viewer, session: SessionDep) -> ExperimentRead:
    return ExperimentRead.model_validate(registry.find_experiment(session, key))


@router.post("", response_model=ExperimentRead, status_code=201, summary="Create a draft")
def create_experiment(
    body: ExperimentCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> ExperimentRead:
    experiment = registry.create_experiment(
        session, principal.actor, _design(body), known_metrics=_known_metrics(runtime)
    )
    return ExperimentRead.model_validate(experiment)


@router.patch("/{key}", response_model=ExperimentRead, summary="Change an experiment")
def update_experiment(
    key: str,
    body: ExperimentUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ExperimentRead:
    experiment = registry.find_experiment(session, key)
    registry.update_design(
        session, principal.actor, experiment, _design(body), known_metrics=_known_metrics(runtime)
    )
    return ExperimentRead.model_validate(experiment)


@router.post("/{key}/start", response_model=ExperimentRead, summary="Start a draft")
def start_experiment(key: str, principal: EditorWrite, session: SessionDep) -> ExperimentRead:
    experiment = registry.find_experiment(session, key)
    return ExperimentRead.model_validate(registry.start(session, principal.actor, experiment))


@router.post("/{key}/stop", response_model=ExperimentRead, summary="Stop a running experiment")
def stop_experiment(key: str, principal: EditorWrite, session: SessionDep) -> ExperimentRead:
    experiment = registry.find_experiment(session, key)
    return ExperimentRead.model_validate(registry.stop(session, principal.actor, experiment))


@router.post(
    "/{key}/decision",
    response_model=ExperimentRead,
    summary="Record the decision (ship, roll back, iterate)",
)
def decide_experiment(
    key: str, body: DecisionCreate, principal: EditorWrite, session: SessionDep
) -> ExperimentRead:
    experiment = registry.find_experiment(session, key)
    registry.decide(session, principal.actor, experiment, body.outcome, body.rationale)
    return ExperimentRead.model_validate(experiment)
