"""JSON API of experiments: ``/api/v1/experiments``."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from pilothouse.core.runtime import Runtime
from pilothouse.experiments import experiment_links, registry, template_service
from pilothouse.experiments.models import Experiment, ExperimentStatus
from pilothouse.experiments.schemas import (
    DecisionCreate,
    ExperimentCreate,
    ExperimentList,
    ExperimentRead,
    ExperimentUpdate,
    LinkCreate,
    LinkRead,
)
from pilothouse.web.deps import EditorWrite, PageParams, RuntimeDep, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/experiments", tags=["experiments"])


def _known_metrics(runtime: Runtime) -> set[str]:
    return {m.name for m in runtime.metrics.catalog()}


def _link_read(view: experiment_links.LinkView) -> LinkRead:
    return LinkRead(
        type=view.type, id=view.id, ref=view.ref, kind=view.kind, label=view.label, url=view.url
    )


def _read(session: Session, experiment: Experiment) -> ExperimentRead:
    """One experiment with its links (lists leave ``links`` null)."""
    read = ExperimentRead.model_validate(experiment)
    read.links = [_link_read(v) for v in experiment_links.experiment_links(session, experiment)]
    return read


def _design(
    body: ExperimentCreate | ExperimentUpdate, *, unset_is_none: bool
) -> registry.ExperimentDesign:
    """The design of a request; with ``unset_is_none`` fields the request leaves out are
    ``None`` (an update leaves them as they are; a template fills them)."""
    sent = body.model_fields_set
    data = body.model_dump(
        exclude_unset=unset_is_none, exclude={"variations", "metrics", "template"}
    )
    variations = (
        None
        if body.variations is None or (unset_is_none and "variations" not in sent)
        else [registry.VariationSpec(v.key, v.name or v.key, v.weight) for v in body.variations]
    )
    metrics = (
        None
        if body.metrics is None or (unset_is_none and "metrics" not in sent)
        else [
            registry.MetricChoice(m.metric, m.role, m.bad_direction, m.margin) for m in body.metrics
        ]
    )
    return registry.ExperimentDesign(**data, variations=variations, metrics=metrics)


def _create_design(session: Session, body: ExperimentCreate) -> registry.ExperimentDesign:
    """The request's design; with a template, what the request leaves out comes from the
    template, and what neither sets takes the request's defaults."""
    full = _design(body, unset_is_none=False)
    if body.template is None:
        return full
    template = template_service.find_template(session, body.template)
    design = template_service.design_from_template(template, _design(body, unset_is_none=True))
    missing = {
        f.name: getattr(full, f.name) for f in fields(design) if getattr(design, f.name) is None
    }
    return replace(design, **missing)


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
    return _read(session, registry.find_experiment(session, key))


@router.post(
    "",
    response_model=ExperimentRead,
    status_code=201,
    summary="Create a draft (optionally from a template)",
)
def create_experiment(
    body: ExperimentCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> ExperimentRead:
    experiment = registry.create_experiment(
        session,
        principal.actor,
        _create_design(session, body),
        known_metrics=_known_metrics(runtime),
    )
    return _read(session, experiment)


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
        session,
        principal.actor,
        experiment,
        _design(body, unset_is_none=True),
        known_metrics=_known_metrics(runtime),
    )
    return _read(session, experiment)


@router.post("/{key}/start", response_model=ExperimentRead, summary="Start a draft")
def start_experiment(key: str, principal: EditorWrite, session: SessionDep) -> ExperimentRead:
    experiment = registry.find_experiment(session, key)
    return _read(session, registry.start(session, principal.actor, experiment))


@router.post("/{key}/stop", response_model=ExperimentRead, summary="Stop a running experiment")
def stop_experiment(key: str, principal: EditorWrite, session: SessionDep) -> ExperimentRead:
    experiment = registry.find_experiment(session, key)
    return _read(session, registry.stop(session, principal.actor, experiment))


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
    return _read(session, experiment)


@router.post(
    "/{key}/links",
    response_model=LinkRead,
    status_code=201,
    summary="Link a roadmap item or a launch (by id or key)",
)
def create_experiment_link(
    key: str, body: LinkCreate, principal: EditorWrite, session: SessionDep
) -> LinkRead:
    experiment = registry.find_experiment(session, key)
    view = experiment_links.add_experiment_link(
        session, principal.actor, experiment, body.type, body.id, body.kind
    )
    return _link_read(view)


@router.delete("/{key}/links", status_code=204, summary="Remove the link to an item or launch")
def delete_experiment_link(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    type: Annotated[str, Query(pattern="^(roadmap_item|launch)$")],
    id: Annotated[str, Query(min_length=1, max_length=64, description="Id or key.")],
) -> Response:
    experiment = registry.find_experiment(session, key)
    experiment_links.remove_experiment_link(session, principal.actor, experiment, type, id)
    return Response(status_code=204)
