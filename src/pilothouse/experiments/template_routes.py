"""JSON API of experiment templates: ``/api/v1/experiment-templates``.

Everyone signed in reads them (to create an experiment from one); editors create,
change and delete them. ``POST /api/v1/experiments`` with ``"template"`` uses one.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from pilothouse.core.runtime import Runtime
from pilothouse.experiments import template_service
from pilothouse.experiments.schemas import (
    TemplateCreate,
    TemplateList,
    TemplateRead,
    TemplateUpdate,
)
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/experiment-templates", tags=["experiments"])


def _known_metrics(runtime: Runtime) -> set[str]:
    return {m.name for m in runtime.metrics.catalog()}


@router.get("", response_model=TemplateList, summary="List experiment templates by name")
def list_experiment_templates(_principal: Viewer, session: SessionDep) -> TemplateList:
    found = template_service.list_templates(session)
    return TemplateList(items=[TemplateRead.model_validate(t) for t in found], count=len(found))


@router.get("/{ref}", response_model=TemplateRead, summary="One template, by id or name")
def get_experiment_template(ref: str, _principal: Viewer, session: SessionDep) -> TemplateRead:
    return TemplateRead.model_validate(template_service.find_template(session, ref))


@router.post("", response_model=TemplateRead, status_code=201, summary="Create a template")
def create_experiment_template(
    body: TemplateCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> TemplateRead:
    template = template_service.create_template(
        session,
        principal.actor,
        name=body.name,
        description=body.description,
        defaults=body.defaults,
        known_metrics=_known_metrics(runtime),
    )
    return TemplateRead.model_validate(template)


@router.patch("/{ref}", response_model=TemplateRead, summary="Change a template")
def update_experiment_template(
    ref: str,
    body: TemplateUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TemplateRead:
    template = template_service.find_template(session, ref)
    template_service.update_template(
        session,
        principal.actor,
        template,
        name=body.name,
        description=body.description,
        defaults=body.defaults,
        known_metrics=_known_metrics(runtime),
    )
    return TemplateRead.model_validate(template)


@router.delete("/{ref}", status_code=204, summary="Delete a template")
def delete_experiment_template(ref: str, principal: EditorWrite, session: SessionDep) -> Response:
    template = template_service.find_template(session, ref)
    template_service.delete_template(session, principal.actor, template)
    return Response(status_code=204)
