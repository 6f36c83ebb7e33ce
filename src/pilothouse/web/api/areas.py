"""Product areas: everyone reads them; editors and admins maintain them."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from pilothouse.core import areas
from pilothouse.core.ids import parse_id
from pilothouse.core.models import ProductArea
from pilothouse.core.schemas import AreaCreate, AreaList, AreaRead, AreaUpdate
from pilothouse.web.deps import EditorWrite, PageParams, SessionDep, Viewer

router = APIRouter(prefix="/areas", tags=["product areas"])


def _find(session: Session, key: str) -> ProductArea:
    """Areas are addressed by id or by slug."""
    area_id = parse_id(key)
    return (
        areas.get_area(session, area_id)
        if area_id is not None
        else areas.get_area_by_slug(session, key)
    )


@router.get("", response_model=AreaList, summary="List product areas")
def list_areas(
    _principal: Viewer, session: SessionDep, page: PageParams, owner_id: int | None = None
) -> AreaList:
    result = areas.list_areas(session, page, owner_id=owner_id)
    return AreaList(
        items=[AreaRead.model_validate(a) for a in result.items], next_cursor=result.next_cursor
    )


@router.get("/{key}", response_model=AreaRead, summary="One product area, by id or slug")
def get_area(key: str, _principal: Viewer, session: SessionDep) -> AreaRead:
    return AreaRead.model_validate(_find(session, key))


@router.post("", response_model=AreaRead, status_code=201, summary="Create a product area")
def create_area(body: AreaCreate, principal: EditorWrite, session: SessionDep) -> AreaRead:
    area = areas.create_area(
        session,
        principal.actor,
        name=body.name,
        slug=body.slug,
        description=body.description,
        owner_id=body.owner_id,
    )
    return AreaRead.model_validate(area)


@router.patch("/{key}", response_model=AreaRead, summary="Change a product area")
def update_area(
    key: str, body: AreaUpdate, principal: EditorWrite, session: SessionDep
) -> AreaRead:
    area = _find(session, key)
    changes = body.model_dump(exclude_unset=True)
    areas.update_area(session, principal.actor, area, **changes)
    return AreaRead.model_validate(area)


@router.delete("/{key}", status_code=204, summary="Delete a product area")
def delete_area(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    areas.delete_area(session, principal.actor, _find(session, key))
    return Response(status_code=204)
