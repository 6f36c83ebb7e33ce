"""Product area pages: the list with a create form, and an edit page per area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from pilothouse.core import areas
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import ProductArea, User
from pilothouse.core.pagination import PageRequest
from pilothouse.web.deps import EditorWrite, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

router = APIRouter(prefix="/areas", include_in_schema=False)


def _owner_choices(session: SessionDep) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active).order_by(User.name)))


def _owner_id(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed("pick an owner from the list")
    return int(raw)


@router.get("")
def list_areas_page(
    request: Request, _principal: Viewer, session: SessionDep, cursor: str | None = None
) -> Response:
    page = areas.list_areas(session, PageRequest(limit=100, cursor=cursor))
    return render(
        request,
        "areas.html",
        {"areas": page.items, "next_cursor": page.next_cursor, "owners": _owner_choices(session)},
    )


@router.post("")
def create_area_form(
    principal: EditorWrite,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    owner_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    area = areas.create_area(
        session, principal.actor, name=name, description=description, owner_id=_owner_id(owner_id)
    )
    return flash_redirect("/areas", f"Created product area “{area.name}”.")


@router.get("/{slug}")
def edit_area_page(
    request: Request, slug: str, _principal: Viewer, session: SessionDep
) -> Response:
    area: ProductArea = areas.get_area_by_slug(session, slug)
    return render(request, "area_edit.html", {"area": area, "owners": _owner_choices(session)})


@router.post("/{slug}")
def update_area_form(
    slug: str,
    principal: EditorWrite,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    owner_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    area = areas.get_area_by_slug(session, slug)
    areas.update_area(
        session,
        principal.actor,
        area,
        name=name,
        description=description,
        owner_id=_owner_id(owner_id),
    )
    return flash_redirect("/areas", f"Saved “{area.name}”.")


@router.post("/{slug}/delete")
def delete_area_form(slug: str, principal: EditorWrite, session: SessionDep) -> Response:
    area = areas.get_area_by_slug(session, slug)
    name = area.name
    areas.delete_area(session, principal.actor, area)
    return flash_redirect("/areas", f"Deleted “{name}”.")
