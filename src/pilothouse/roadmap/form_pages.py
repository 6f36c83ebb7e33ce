"""Roadmap item forms: create, edit and delete an item from the pages.

Everything goes through the item service (``items.create_item``/``update_item``/
``delete_item``), so the rules, the key changes and the audit log are the API's. A
refused form comes back with the typed values and each error beside its field through
the app-wide mechanism of :mod:`pilothouse.web.forms`; the form's field names are the
service's (``owner_id``, ``fields.team``) so every error finds its field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from pilothouse.core import areas
from pilothouse.core.errors import Forbidden
from pilothouse.core.models import Role, User
from pilothouse.core.pagination import PageRequest
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import items, objectives, statuses
from pilothouse.roadmap.models import NUMERIC_INPUTS, FieldType, ItemKind, RoadmapItem
from pilothouse.roadmap.tables import number
from pilothouse.web.deps import EditorWrite, Principal, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = [
    "create_item_from_form",
    "delete_item_from_form",
    "edit_item_page",
    "new_item_page",
    "posted_form",
    "require_editor",
    "router",
    "update_item_from_form",
]

router = APIRouter(prefix="/roadmap", include_in_schema=False)
_TEXT_FIELDS = (
    "kind",
    "title",
    "description",
    "status",
    "parent",
    "owner_id",
    "product_area_id",
    "target_quarter",
    "start_date",
    "target_date",
)


async def posted_form(request: Request) -> FormData:
    """The posted form, read once (the handlers are synchronous)."""
    return await request.form()


def require_editor(principal: Principal) -> None:
    """Form pages are for people who may save them; viewers get a clear refusal."""
    if not principal.actor.role.allows(Role.editor):
        raise Forbidden("only editors and admins can change the roadmap")


def _choices(session: Session, item: RoadmapItem | None) -> dict[str, Any]:
    parents = session.scalars(
        select(RoadmapItem)
        .where(RoadmapItem.kind.in_([ItemKind.initiative, ItemKind.feature]))
        .order_by(RoadmapItem.kind, RoadmapItem.title)
    )
    people = session.scalars(select(User).where(User.is_active).order_by(User.name))
    return {
        "kinds": list(ItemKind),
        "statuses": statuses.list_statuses(session),
        "parents": [p for p in parents if item is None or p.id != item.id],
        "people": list(people),
        "areas": areas.list_areas(session, PageRequest(limit=500)).items,
        "objectives": objectives.list_objectives(session, PageRequest(limit=500)).items,
        "custom_fields": custom_fields.list_fields(session),
        "inputs": NUMERIC_INPUTS,
        "field_types": FieldType,
    }


def _current(item: RoadmapItem | None, request: Request) -> dict[str, Any]:
    """The values the form starts with: the item's, or a new item's (``?kind=&parent=``)."""
    if item is None:
        return {
            "kind": request.query_params.get("kind", "feature"),
            "parent": request.query_params.get("parent", ""),
            "objectives": [],
            "fields": {},
            "tags": "",
        }
    values: dict[str, Any] = {name: getattr(item, name, None) for name in _TEXT_FIELDS}
    values |= {
        "kind": item.kind.value,
        "status": item.status.key if item.status else "",
        "parent": item.parent.key if item.parent else "",
        "tags": ", ".join(item.tags),
        "objectives": [row.objective.key for row in item.objective_rows],
        "fields": custom_fields.values_of(item),
    }
    values |= {name: number(getattr(item, name)) for name in NUMERIC_INPUTS}
    return values


def _form_page(request: Request, session: Session, item: RoadmapItem | None) -> Response:
    context = {"item": item, "values": _current(item, request)} | _choices(session, item)
    return render(request, "roadmap/item_form.html", context)


def _values(session: Session, form: FormData, *, creating: bool) -> dict[str, Any]:
    """The service's input from the posted form (empty boxes clear their value)."""
    values: dict[str, Any] = {n: str(form[n]).strip() for n in _TEXT_FIELDS if n in form}
    values |= {n: str(form[n]).strip() for n in NUMERIC_INPUTS if n in form}
    if creating:
        values = {k: v for k, v in values.items() if v != "" or k == "title"}
    values["tags"] = str(form.get("tags", ""))
    values["objectives"] = [str(v) for v in form.getlist("objectives") if str(v).strip()]
    posted_fields: dict[str, Any] = {}
    for field in custom_fields.list_fields(session):
        name = f"fields.{field.key}"
        if field.type is FieldType.multi_select:
            posted_fields[field.key] = [str(v) for v in form.getlist(name)]
        elif name in form:
            posted_fields[field.key] = str(form[name]).strip()
    values["fields"] = posted_fields
    return values


@router.get("/items/new")
def new_item_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    require_editor(principal)
    return _form_page(request, session, None)


@router.post("/items")
def create_item_from_form(
    principal: EditorWrite,
    session: SessionDep,
    form: Annotated[FormData, Depends(posted_form)],
) -> Response:
    item = items.create_item(session, principal.actor, _values(session, form, creating=True))
    return flash_redirect(f"/roadmap/items/{item.key}", f"Created {item.key} {item.title}.")


@router.get("/items/{key}/edit")
def edit_item_page(request: Request, key: str, principal: Viewer, session: SessionDep) -> Response:
    require_editor(principal)
    return _form_page(request, session, items.find_item(session, key))


@router.post("/items/{key}/edit")
def update_item_from_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    form: Annotated[FormData, Depends(posted_form)],
) -> Response:
    item = items.find_item(session, key)
    items.update_item(session, principal.actor, item, _values(session, form, creating=False))
    return flash_redirect(f"/roadmap/items/{item.key}", f"Saved {item.key} {item.title}.")


@router.post("/items/{key}/delete")
def delete_item_from_form(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    item = items.find_item(session, key)
    label = f"{item.key} {item.title}"
    items.delete_item(session, principal.actor, item)
    return flash_redirect("/roadmap/table", f"Deleted {label}.")
