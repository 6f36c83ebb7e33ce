"""Dashboard pages: the list, one dashboard (tiles load one by one with htmx, so a slow
tile never holds up the others), its tile fragments, and the edit forms.

Forms post, then redirect (POST/redirect/GET); a refusal re-renders the form page with
the typed values and the message beside the field (``web/forms.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.errors import Forbidden, NotFound
from pilothouse.core.models import ProductArea, Role
from pilothouse.ops.dashboards import service
from pilothouse.ops.dashboards.tiles import FILTERS, KINDS, DashboardFilter, render_tile
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = [
    "add_from_explorer",
    "add_tile_form",
    "create_form",
    "dashboard_page",
    "delete_form",
    "edit_form",
    "edit_page",
    "explorer_form",
    "list_page",
    "move_tile_form",
    "remove_tile_form",
    "router",
    "tile_fragment",
]

router = APIRouter(prefix="/dashboards", include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
Number = Annotated[str, Form(max_length=8)]
FromDay = Annotated[dt.date | None, Query(alias="from")]
ToDay = Annotated[dt.date | None, Query(alias="to")]
#: The form fields each kind of tile reads into its config.
CONFIG_FIELDS = {
    "metric_chart": ("metric", "grain", "by"),
    "experiment_scorecard": ("experiment",),
    "roadmap_view": ("view",),
    "theme_ranking": ("top",),
    "health_figure": ("figure",),
}


def _areas(session: Session) -> list[tuple[str, str]]:
    """(slug, name) of every product area, by name, for the area filter."""
    rows = session.execute(select(ProductArea.slug, ProductArea.name).order_by(ProductArea.name))
    return [(slug, name) for slug, name in rows]


@router.get("")
def list_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    boards = service.list_dashboards(session, principal.actor)
    return render(
        request,
        "dashboards/list.html",
        {"dashboards": boards, "can_create": principal.actor.role.allows(Role.editor)},
    )


@router.post("")
def create_form(
    principal: EditorWrite,
    session: SessionDep,
    name: Short,
    visibility: Annotated[str, Form(max_length=16)] = "workspace",
) -> Response:
    board = service.create_dashboard(
        session, principal.actor, {"name": name, "visibility": visibility}
    )
    return flash_redirect(f"/dashboards/{board.slug}/edit", f"Created “{board.name}”: add tiles.")


def _query(where: DashboardFilter) -> str:
    return urlencode({"from": where.start, "to": where.end, "area": where.area_slug or ""})


@router.get("/explorer-form/{metric}")
def explorer_form(
    request: Request,
    metric: str,
    principal: Viewer,
    session: SessionDep,
    grain: str = "",
    by: str = "",
) -> Response:
    """The "Add to dashboard" form the metric explorer loads (htmx): dashboards the
    person may edit; the explorer itself stays free of the ops domain."""
    boards = service.list_dashboards(session, principal.actor)
    editable = [b for b in boards if service.can_edit(principal.actor, b)]
    context = {"metric": metric, "grain": grain, "by": by, "dashboards": editable}
    return render(request, "dashboards/_explorer_form.html", context)


@router.get("/{slug}")
def dashboard_page(
    request: Request,
    slug: str,
    principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    start: FromDay = None,
    end: ToDay = None,
    area: str | None = None,
) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    today = dt.datetime.now(dt.UTC).date()
    where = service.filter_for(session, board, start, end, area, today)
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "board": board,
            "where": where,
            "query": _query(where),
            "areas": _areas(session),
            "kinds": KINDS,
            "filters": FILTERS,
            "can_edit": service.can_edit(principal.actor, board),
            "timezone_name": runtime.settings.timezone,
        },
    )


@router.get("/{slug}/tiles/{tile_id}")
def tile_fragment(
    request: Request,
    slug: str,
    tile_id: int,
    principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    start: FromDay = None,
    end: ToDay = None,
    area: str | None = None,
) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    where = service.filter_for(session, board, start, end, area, dt.datetime.now(dt.UTC).date())
    tile = next((t for t in board.tiles if t.id == tile_id), None)
    if tile is None:
        raise NotFound(f"no tile {tile_id} on dashboard {board.slug!r}")
    view = render_tile(session, runtime, principal.actor, tile, where)
    return render(
        request,
        "dashboards/_tile.html",
        {"tile": tile, "view": view, "applies": FILTERS.get(tile.kind, ()), "where": where},
    )


@router.get("/{slug}/edit")
def edit_page(request: Request, slug: str, principal: Viewer, session: SessionDep) -> Response:
    from pilothouse.roadmap.views import list_views

    board = service.get_dashboard(session, principal.actor, slug)
    if not service.can_edit(principal.actor, board):
        raise Forbidden("editing this dashboard needs the editor role (or being its owner)")
    return render(
        request,
        "dashboards/edit.html",
        {
            "board": board,
            "areas": _areas(session),
            "days": service.DAYS,
            "kinds": KINDS,
            "views": list_views(session, principal.actor),
        },
    )


@router.post("/{slug}/edit")
def edit_form(
    slug: str,
    principal: EditorWrite,
    session: SessionDep,
    name: Short,
    slug_field: Annotated[str, Form(alias="slug", max_length=80)] = "",
    description: Annotated[str, Form(max_length=1000)] = "",
    visibility: Annotated[str, Form(max_length=16)] = "workspace",
    default_days: Number = "90",
    default_area: Short = "",
) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    values = {
        "name": name,
        "slug": slug_field or board.slug,
        "description": description,
        "visibility": visibility,
        "default_days": default_days,
        "default_area": default_area,
    }
    service.update_dashboard(session, principal.actor, board, values)
    return flash_redirect(f"/dashboards/{board.slug}/edit", f"Saved “{board.name}”.")


def _tile_values(kind: str, form: dict[str, Any]) -> dict[str, Any]:
    fields = CONFIG_FIELDS.get(kind, ())
    config = {k: form[k] for k in fields if form.get(k) not in (None, "")}
    place = {k: form[k] for k in ("row", "col", "width", "height") if form.get(k)}
    return {"kind": kind, "title": form.get("title", ""), "config": config} | place


@router.post("/{slug}/tiles")
async def add_tile_form(
    request: Request, slug: str, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    board = service.get_dashboard(session, principal.actor, slug)
    values = _tile_values(form.get("kind", ""), form)
    service.add_tile(session, principal.actor, board, values, runtime)
    return flash_redirect(f"/dashboards/{board.slug}/edit", "Tile added.")


@router.post("/{slug}/tiles/{tile_id}")
def move_tile_form(
    slug: str,
    tile_id: int,
    principal: EditorWrite,
    session: SessionDep,
    row: Number = "",
    col: Number = "",
    width: Number = "",
    height: Number = "",
    title: Short = "",
) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    values = {"row": row, "col": col, "width": width, "height": height, "title": title}
    service.update_tile(session, principal.actor, board, tile_id, values)
    return flash_redirect(f"/dashboards/{board.slug}/edit", "Tile moved.")


@router.post("/{slug}/tiles/{tile_id}/delete")
def remove_tile_form(
    slug: str, tile_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    service.remove_tile(session, principal.actor, board, tile_id)
    return flash_redirect(f"/dashboards/{board.slug}/edit", "Tile removed.")


@router.post("/{slug}/delete")
def delete_form(slug: str, principal: EditorWrite, session: SessionDep) -> Response:
    board = service.get_dashboard(session, principal.actor, slug)
    service.delete_dashboard(session, principal.actor, board)
    return flash_redirect("/dashboards", f"Deleted “{board.name}”.")


@router.post("/from-explorer/{metric}")
def add_from_explorer(
    metric: str,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    dashboard: Short,
    grain: Annotated[str, Form(max_length=16)] = "",
    by: Short = "",
) -> Response:
    """ "Add to dashboard" on the metric explorer: the chart as shown, on a new row."""
    board = service.get_dashboard(session, principal.actor, dashboard)
    config = {"metric": metric} | ({"grain": grain} if grain else {}) | ({"by": by} if by else {})
    service.add_tile(
        session, principal.actor, board, {"kind": "metric_chart", "config": config}, runtime
    )
    return flash_redirect(f"/dashboards/{board.slug}", f"Added the chart to “{board.name}”.")
