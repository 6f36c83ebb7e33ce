"""HTTP for dashboards under ``/api/v1/dashboards``: everyone reads what they may see;
editors create and change (a private dashboard only its owner or an admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from pilothouse.core.actor import Actor
from pilothouse.ops.dashboards import service
from pilothouse.ops.dashboards.models import Dashboard
from pilothouse.ops.dashboards.schemas import (
    DashboardCreate,
    DashboardList,
    DashboardRead,
    DashboardUpdate,
    TileCreate,
    TileRead,
    TileUpdate,
)
from pilothouse.ops.dashboards.tiles import FILTERS
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer

__all__ = [
    "add_dashboard_tile",
    "create_dashboard",
    "dashboard_read",
    "delete_dashboard",
    "delete_dashboard_tile",
    "get_dashboard",
    "list_dashboards",
    "router",
    "update_dashboard",
    "update_dashboard_tile",
]

router = APIRouter(prefix="/dashboards", tags=["dashboards"])


def _tile(tile: Any) -> TileRead:
    return TileRead(
        id=tile.id,
        kind=tile.kind,
        title=tile.title,
        config=tile.config,
        row=tile.row,
        col=tile.col,
        width=tile.width,
        height=tile.height,
        filters=list(FILTERS.get(tile.kind, ())),
    )


def dashboard_read(board: Dashboard, actor: Actor) -> DashboardRead:
    return DashboardRead(
        slug=board.slug,
        name=board.name,
        description=board.description,
        url=f"/dashboards/{board.slug}",
        owner=board.owner.email if board.owner else None,
        visibility=board.visibility,
        default_days=board.default_days,
        default_area=board.default_area.slug if board.default_area else None,
        can_edit=service.can_edit(actor, board),
        tiles=[_tile(t) for t in board.tiles],
        created_at=board.created_at,
        updated_at=board.updated_at,
    )


@router.get("", response_model=DashboardList, summary="Dashboards you may see")
def list_dashboards(principal: Viewer, session: SessionDep) -> DashboardList:
    boards = service.list_dashboards(session, principal.actor)
    return DashboardList(
        items=[dashboard_read(b, principal.actor) for b in boards], count=len(boards)
    )


@router.post("", response_model=DashboardRead, status_code=201, summary="Create a dashboard")
def create_dashboard(
    body: DashboardCreate, principal: EditorWrite, session: SessionDep
) -> DashboardRead:
    board = service.create_dashboard(session, principal.actor, body.model_dump(exclude_unset=True))
    return dashboard_read(board, principal.actor)


@router.get("/{slug}", response_model=DashboardRead, summary="One dashboard, by slug")
def get_dashboard(slug: str, principal: Viewer, session: SessionDep) -> DashboardRead:
    return dashboard_read(service.get_dashboard(session, principal.actor, slug), principal.actor)


@router.patch("/{slug}", response_model=DashboardRead, summary="Change a dashboard")
def update_dashboard(
    slug: str, body: DashboardUpdate, principal: EditorWrite, session: SessionDep
) -> DashboardRead:
    board = service.get_dashboard(session, principal.actor, slug)
    values = body.model_dump(exclude_unset=True)
    service.update_dashboard(session, principal.actor, board, values)
    return dashboard_read(board, principal.actor)


@router.delete("/{slug}", status_code=204, summary="Delete a dashboard")
def delete_dashboard(slug: str, principal: EditorWrite, session: SessionDep) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    service.delete_dashboard(session, principal.actor, board)
    return Response(status_code=204)


@router.post("/{slug}/tiles", response_model=TileRead, status_code=201, summary="Add a tile")
def add_dashboard_tile(
    slug: str, body: TileCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> TileRead:
    board = service.get_dashboard(session, principal.actor, slug)
    values = body.model_dump(exclude_none=True)
    return _tile(service.add_tile(session, principal.actor, board, values, runtime))


@router.patch("/{slug}/tiles/{tile_id}", response_model=TileRead, summary="Move or change a tile")
def update_dashboard_tile(
    slug: str,
    tile_id: int,
    body: TileUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TileRead:
    board = service.get_dashboard(session, principal.actor, slug)
    values = body.model_dump(exclude_none=True)
    return _tile(service.update_tile(session, principal.actor, board, tile_id, values, runtime))


@router.delete("/{slug}/tiles/{tile_id}", status_code=204, summary="Remove a tile")
def delete_dashboard_tile(
    slug: str, tile_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    service.remove_tile(session, principal.actor, board, tile_id)
    return Response(status_code=204)
