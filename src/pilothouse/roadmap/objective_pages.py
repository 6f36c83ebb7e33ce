"""Objectives and key results in the pages: the list with current values, and their forms.

Key results show the value of the catalog metric they name (resolved by catalog name,
leniently for names saved before names were checked), rounded as the catalog formats
it (percent metrics as ``63.2%``), with the metric's label linking to its explorer.
Creating and editing go through the objectives service with the metric catalog, so a
name that is not in the catalog is refused beside the field with the closest name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from pilothouse.core import areas
from pilothouse.core.models import Role, User
from pilothouse.core.pagination import PageRequest
from pilothouse.roadmap import objectives
from pilothouse.roadmap.form_pages import posted_form, require_editor
from pilothouse.roadmap.kr_metrics import MetricCatalog, format_value, metric_catalog
from pilothouse.roadmap.models import KeyResult, Objective, ObjectiveStatus
from pilothouse.roadmap.presenters import objective_read
from pilothouse.roadmap.tables import Names, number
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = [
    "create_key_result_from_form",
    "create_objective_from_form",
    "delete_key_result_from_form",
    "delete_objective_from_form",
    "edit_key_result_page",
    "edit_objective_page",
    "new_key_result_page",
    "new_objective_page",
    "objectives_page",
    "router",
    "update_key_result_from_form",
    "update_objective_from_form",
]

router = APIRouter(prefix="/roadmap", include_in_schema=False)
_OBJECTIVE_FIELDS = ("title", "description", "status", "period", "owner_id", "product_area_id")
_KR_FIELDS = ("title", "metric_slug", "baseline_value", "target_value", "current_value", "unit")


def _catalog(runtime: Any) -> MetricCatalog:
    return metric_catalog(runtime) or MetricCatalog({})


@router.get("/objectives")
def objectives_page(
    request: Request, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    found = objectives.list_objectives(session, PageRequest(limit=200)).items
    slugs = sorted({kr.metric_slug for o in found for kr in o.key_results if kr.metric_slug})
    values = objectives.metric_values(runtime, slugs)
    catalog = _catalog(runtime)
    context = {
        "objectives": [objective_read(o, values) for o in found],
        "catalog": catalog,
        "names": Names(session),
        "show": lambda kr, value: format_value(
            value, kr.unit, catalog.formats.get(catalog.resolve(kr.metric_slug or "") or "")
        ),
        "can_edit": principal.actor.role.allows(Role.editor),
    }
    return render(request, "roadmap/objectives.html", context)


def _people_and_areas(session: Session) -> dict[str, Any]:
    people = session.scalars(select(User).where(User.is_active).order_by(User.name))
    return {
        "people": list(people),
        "areas": areas.list_areas(session, PageRequest(limit=500)).items,
        "statuses": list(ObjectiveStatus),
    }


def _objective_form(request: Request, session: Session, objective: Objective | None) -> Response:
    values: dict[str, Any] = {"status": "active"}
    if objective is not None:
        values = {n: getattr(objective, n) for n in _OBJECTIVE_FIELDS}
        values["status"] = objective.status.value
    context = {"objective": objective, "values": values} | _people_and_areas(session)
    return render(request, "roadmap/objective_form.html", context)


def _posted(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {n: str(form[n]).strip() for n in names if n in form}


@router.get("/objectives/new")
def new_objective_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    require_editor(principal)
    return _objective_form(request, session, None)


@router.post("/objectives")
def create_objective_from_form(
    principal: EditorWrite,
    session: SessionDep,
    form: Annotated[FormData, Depends(posted_form)],
) -> Response:
    created = objectives.create_objective(
        session, principal.actor, _posted(form, _OBJECTIVE_FIELDS)
    )
    return flash_redirect(f"/roadmap/objectives#{created.key}", f"Created {created.title}.")


@router.get("/objectives/{key}/edit")
def edit_objective_page(
    request: Request, key: str, principal: Viewer, session: SessionDep
) -> Response:
    require_editor(principal)
    return _objective_form(request, session, objectives.get_objective(session, key))


@router.post("/objectives/{key}/edit")
def update_objective_from_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    form: Annotated[FormData, Depends(posted_form)],
) -> Response:
    objective = objectives.get_objective(session, key)
    objectives.update_objective(
        session, principal.actor, objective, _posted(form, _OBJECTIVE_FIELDS)
    )
    return flash_redirect(f"/roadmap/objectives#{objective.key}", f"Saved {objective.title}.")


@router.post("/objectives/{key}/delete")
def delete_objective_from_form(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    objective = objectives.get_objective(session, key)
    title = objective.title
    objectives.delete_objective(session, principal.actor, objective)
    return flash_redirect("/roadmap/objectives", f"Deleted {title}.")


def _kr_form(
    request: Request, runtime: Any, objective: Objective, kr: KeyResult | None
) -> Response:
    values: dict[str, Any] = {}
    if kr is not None:
        values = {n: getattr(kr, n) for n in _KR_FIELDS}
        values |= {n: number(values[n]) for n in _KR_FIELDS if n.endswith("_value")}
    catalog = _catalog(runtime)
    context = {
        "objective": objective,
        "kr": kr,
        "values": values,
        "metrics": sorted(catalog.formats),
        "catalog": catalog,
    }
    return render(request, "roadmap/key_result_form.html", context)


@router.get("/objectives/{key}/key-results/new")
def new_key_result_page(
    request: Request, key: str, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    require_editor(principal)
    return _kr_form(request, runtime, objectives.get_objective(session, key), None)


@router.post("/objectives/{key}/key-results")
def create_key_result_from_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    form: Annotated[FormData, Depends(posted_form)],
) -> Response:
    objective = objectives.get_objective(session, key)
    values = _posted(form, _KR_FIELDS)
    catalog = metric_catalog(runtime)
    objectives.add_key_result(session, principal.actor, objective, values, catalog=catalog)
    return flash_redirect(f"/roadmap/objectives#{objective.key}", "Added the key result.")


@router.get("/key-results/{kr_id}/edit")
def edit_key_result_page(
    request: Request, kr_id: int, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    require_editor(principal)
    kr = objectives.get_key_result(session, kr_id)
    return _kr_form(request, runtime, kr.objective, kr)


@router.post("/key-results/{kr_id}/edit")
def update_key_result_from_form(
    kr_id: int,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    form: Annotated[FormData, Depends(posted_form)],
) -> Response:
    kr = objectives.get_key_result(session, kr_id)
    values = _posted(form, _KR_FIELDS)
    catalog = metric_catalog(runtime)
    objectives.update_key_result(session, principal.actor, kr, values, catalog=catalog)
    return flash_redirect(f"/roadmap/objectives#{kr.objective.key}", f"Saved {kr.title}.")


@router.post("/key-results/{kr_id}/delete")
def delete_key_result_from_form(
    kr_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    kr = objectives.get_key_result(session, kr_id)
    key, title = kr.objective.key, kr.title
    objectives.delete_key_result(session, principal.actor, kr)
    return flash_redirect(f"/roadmap/objectives#{key}", f"Deleted {title}.")
