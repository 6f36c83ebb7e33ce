"""HTTP for the board, saved views and share links, under ``/api/v1/roadmap``.

Moving a card needs ``editor``. Anyone saves private views (their own, hence
``OwnWrite``); sharing one with the workspace needs ``editor`` (checked in the
service). Share links are made and revoked by editors.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from pilothouse.roadmap import board, items, listing, sharing, views
from pilothouse.roadmap.models import ShareLink, ViewKind
from pilothouse.roadmap.presenters import item_read
from pilothouse.roadmap.routes import Filters
from pilothouse.roadmap.schemas import ItemRead
from pilothouse.roadmap.view_schemas import (
    BoardRead,
    ColumnChoice,
    ItemMove,
    ShareLinkCreate,
    ShareLinkCreated,
    ShareLinkList,
    ShareLinkRead,
    ViewCreate,
    ViewList,
    ViewRead,
    ViewUpdate,
)
from pilothouse.web.deps import EditorWrite, OwnWrite, RuntimeDep, SessionDep, Viewer

__all__ = [
    "create_share_link",
    "create_view",
    "delete_view",
    "get_board",
    "get_view",
    "list_share_links",
    "list_views",
    "move_item",
    "revoke_share_link",
    "router",
    "share_read",
    "update_view",
]

router = APIRouter(prefix="/roadmap", tags=["roadmap views"])


@router.get("/board", response_model=BoardRead, summary="Open items in Now, Next and Later")
def get_board(_principal: Viewer, session: SessionDep, where: Filters) -> BoardRead:
    columns = board.board_columns(listing.filtered_items(session, where))
    return BoardRead(**{h.value: [item_read(i) for i in cards] for h, cards in columns.items()})


@router.post("/items/{key}/move", response_model=ItemRead, summary="Move a card on the board")
def move_item(key: str, body: ItemMove, principal: EditorWrite, session: SessionDep) -> ItemRead:
    item = items.find_item(session, key)
    board.move_item(
        session, principal.actor, item, body.horizon, before=body.before, after=body.after
    )
    return item_read(item)


# --- saved views ---------------------------------------------------------------------------


@router.get("/views", response_model=ViewList, summary="Your views and the workspace's shared ones")
def list_views(principal: Viewer, session: SessionDep, kind: ViewKind | None = None) -> ViewList:
    found = views.list_views(session, principal.actor, kind)
    return ViewList(
        items=[ViewRead.model_validate(v) for v in found],
        columns=[ColumnChoice(**c.__dict__) for c in views.column_choices(session)],
    )


@router.post("/views", response_model=ViewRead, status_code=201, summary="Save a view")
def create_view(body: ViewCreate, principal: OwnWrite, session: SessionDep) -> ViewRead:
    view = views.create_view(session, principal.actor, body.model_dump())
    return ViewRead.model_validate(view)


@router.get("/views/{view_id}", response_model=ViewRead, summary="One view")
def get_view(view_id: int, principal: Viewer, session: SessionDep) -> ViewRead:
    return ViewRead.model_validate(views.get_view(session, principal.actor, view_id))


@router.patch("/views/{view_id}", response_model=ViewRead, summary="Change a view")
def update_view(
    view_id: int, body: ViewUpdate, principal: OwnWrite, session: SessionDep
) -> ViewRead:
    view = views.get_view(session, principal.actor, view_id)
    views.update_view(session, principal.actor, view, body.model_dump(exclude_unset=True))
    return ViewRead.model_validate(view)


@router.delete("/views/{view_id}", status_code=204, summary="Delete a view and its share links")
def delete_view(view_id: int, principal: OwnWrite, session: SessionDep) -> Response:
    views.delete_view(session, principal.actor, views.get_view(session, principal.actor, view_id))
    return Response(status_code=204)


# --- share links ---------------------------------------------------------------------------


def share_read(link: ShareLink) -> ShareLinkRead:
    values = {k: getattr(link, k) for k in ShareLinkRead.model_fields if k != "live"}
    return ShareLinkRead.model_validate({**values, "live": sharing.is_live(link)})


@router.get("/share-links", response_model=ShareLinkList, summary="Your share links")
def list_share_links(
    principal: Viewer, session: SessionDep, everyone: bool = False
) -> ShareLinkList:
    found = sharing.list_share_links(session, principal.actor, everyone=everyone)
    return ShareLinkList(items=[share_read(link) for link in found])


@router.post(
    "/share-links",
    response_model=ShareLinkCreated,
    status_code=201,
    summary="Make a read-only link to a view",
)
def create_share_link(
    request: Request,
    body: ShareLinkCreate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShareLinkCreated:
    view = views.get_view(session, principal.actor, body.view_id)
    link, token = sharing.create_share_link(
        session,
        principal.actor,
        runtime.secrets,
        view,
        fields=body.fields,
        label=body.label,
        expires_at=body.expires_at,
        expires_in_days=body.expires_in_days,
    )
    url = str(request.base_url).rstrip("/") + f"/share/roadmap/{token}"
    return ShareLinkCreated(**share_read(link).model_dump(), token=token, url=url)


@router.post(
    "/share-links/{link_id}/revoke", response_model=ShareLinkRead, summary="Revoke a share link"
)
def revoke_share_link(link_id: int, principal: EditorWrite, session: SessionDep) -> ShareLinkRead:
    link = sharing.get_share_link(session, principal.actor, link_id)
    sharing.revoke_share_link(session, principal.actor, link)
    return share_read(link)
