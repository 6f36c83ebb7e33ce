"""Share links as pages: the list of my links with revoke buttons, the create form, and
the public read-only page at ``/share/roadmap/<token>``, which needs no session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pilothouse.core.models import Role
from pilothouse.roadmap import board, listing, scoring, sharing, views
from pilothouse.roadmap.board_pages import build_timeline
from pilothouse.roadmap.models import Horizon, ShareLink
from pilothouse.roadmap.tables import table_rows
from pilothouse.web.deps import EditorWrite, Public, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = [
    "create_share_from_form",
    "public_router",
    "revoke_share_from_form",
    "router",
    "shared_view_page",
    "shares_page",
]

router = APIRouter(prefix="/roadmap/shares", include_in_schema=False)
public_router = APIRouter(prefix="/share/roadmap", include_in_schema=False)
#: Share pages must not leak their token to other sites, nor be cached by proxies.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _shares_page(
    request: Request,
    principal: object,
    session: SessionDep,
    *,
    created: ShareLink | None = None,
    created_url: str = "",
) -> Response:
    actor = principal.actor  # type: ignore[attr-defined]
    response = render(
        request,
        "roadmap/shares.html",
        {
            "links": sharing.list_share_links(session, actor),
            "views": views.list_views(session, actor),
            "share_fields": sharing.shareable_fields(session),
            "default_fields": sharing.DEFAULT_FIELDS,
            "default_days": sharing.DEFAULT_DAYS,
            "max_days": sharing.MAX_DAYS,
            "live": sharing.is_live,
            "can_edit": actor.role.allows(Role.editor),
            "created": created,
            "created_url": created_url,
        },
    )
    if created is not None:
        response.headers.update(PRIVATE_HEADERS)
    return response


@router.get("")
def shares_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    return _shares_page(request, principal, session)


@router.post("")
def create_share_from_form(
    request: Request,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    view_id: Annotated[int, Form()],
    expires_in_days: Annotated[int, Form()] = sharing.DEFAULT_DAYS,
    label: Annotated[str, Form(max_length=100)] = "",
    fields: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create the link and show it once on the page (never in a redirect or a cookie)."""
    view = views.get_view(session, principal.actor, view_id)
    link, token = sharing.create_share_link(
        session,
        principal.actor,
        runtime.secrets,
        view,
        fields=fields or [],
        label=label,
        expires_in_days=expires_in_days,
    )
    url = str(request.base_url).rstrip("/") + f"/share/roadmap/{token}"
    return _shares_page(request, principal, session, created=link, created_url=url)


@router.post("/{link_id}/revoke")
def revoke_share_from_form(link_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    link = sharing.get_share_link(session, principal.actor, link_id)
    sharing.revoke_share_link(session, principal.actor, link)
    return flash_redirect("/roadmap/shares", "Revoked: the link no longer opens.")


@public_router.get("/{token}", dependencies=[Public])
def shared_view_page(
    request: Request, token: str, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The view, read-only, with only the fields the link's creator chose."""
    link = sharing.open_share_link(session, runtime.secrets, token)
    view = link.view
    shown = list(link.fields)
    definition = scoring.get_formula(session, view.formula)
    found = listing.filtered_items(session, views.to_item_filter(view.filters))
    rows = table_rows(session, found, definition, shown)
    labels = {f.key: f.label for f in sharing.shareable_fields(session)}
    context: dict[str, object] = {
        "link": link,
        "view": view,
        "shown": shown,
        "labels": labels,
        "rows": rows,
        "horizons": list(Horizon),
        "show": shown.__contains__,
    }
    if view.kind.value == "board":
        by_item = {row.item.id: row for row in rows}
        columns = board.board_columns(found)
        context["columns"] = {h: [by_item[i.id] for i in cards] for h, cards in columns.items()}
    elif view.kind.value == "timeline":
        context["timeline"] = build_timeline(session, found)
    response = render(request, "roadmap/share.html", context)
    response.headers.update(PRIVATE_HEADERS)
    return response
