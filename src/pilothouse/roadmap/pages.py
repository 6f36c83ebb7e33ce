"""Roadmap pages: the landing page, an item's page, objectives, and saving views.

The board and timeline (``board_pages``), the ranked table (``table_pages``) and
share links (``share_pages``) live in their own modules; :data:`router` gathers
them, so the app includes one router.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from pilothouse.core.links import ObjectRef, links_of_any
from pilothouse.core.references import group_links
from pilothouse.roadmap import (
    board,
    board_pages,
    form_pages,
    items,
    objective_pages,
    scoring,
    share_pages,
    table_pages,
    views,
)
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap.evidence import evidence_for
from pilothouse.roadmap.impact import pages as impact_pages
from pilothouse.roadmap.impact.chain import item_chain, item_refs
from pilothouse.roadmap.models import Horizon, RoadmapItem, ViewKind
from pilothouse.roadmap.tables import Names, number
from pilothouse.web.deps import OwnWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = [
    "Ancestor",
    "delete_view_from_form",
    "item_page",
    "landing_page",
    "router",
    "save_view_from_form",
]

router = APIRouter(include_in_schema=False)
pages = APIRouter(prefix="/roadmap", include_in_schema=False)


@pages.get("")
def landing_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    # Counts only: each item's status, horizon and dates, in one statement (with their
    # tags, fields, objectives and references, every item cost five more).
    found = list(session.scalars(select(RoadmapItem).options(*items.BRIEF_ITEM_LOADING)))
    columns = board.board_columns(found)
    counts: dict[str, int] = {h.value: len(columns[h]) for h in Horizon}
    counts["scheduled"] = sum(1 for i in found if i.target_quarter or i.target_date or i.start_date)
    return render(
        request,
        "roadmap/landing.html",
        {"counts": counts, "views": views.list_views(session, principal.actor)},
    )


@dataclass(frozen=True)
class Ancestor:
    """What the breadcrumb shows of a parent item."""

    key: str
    title: str


def _ancestors(session: Any, item: RoadmapItem) -> list[Ancestor]:
    """The item's parents, outermost first: a key and title per level.

    Columns only: loading each parent as an item would also load its tags, fields,
    objectives and references (five statements a level on the page's hot path).
    """
    chain: list[Ancestor] = []
    parent_id = item.parent_id
    while parent_id is not None and len(chain) <= items.MAX_DEPTH:
        row = session.execute(
            select(RoadmapItem.key, RoadmapItem.title, RoadmapItem.parent_id).where(
                RoadmapItem.id == parent_id
            )
        ).one_or_none()
        if row is None:
            break
        chain.insert(0, Ancestor(row.key, row.title))
        parent_id = row.parent_id
    return chain


@pages.get("/items/{key}")
def item_page(
    request: Request, key: str, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    item = items.find_item(session, key)
    aliases = item_refs(session, item)  # read once: the chain below asks too
    links = {link.id: link for link in links_of_any(session, [ObjectRef(*a) for a in aliases])}
    evidence = evidence_for(session, [item])  # shown, and read by the scores: once
    return render(
        request,
        "roadmap/item.html",
        {
            "item": item,
            "ancestors": _ancestors(session, item),
            "horizon": board.effective_horizon(item),
            "names": Names(session),
            "fields": custom_fields.values_of(item),
            "field_names": {f.key: f.name for f in custom_fields.list_fields(session)},
            "scores": scoring.scores_by_formula(session, item, evidence=evidence),
            "evidence": evidence[item.id],
            "children": items.children_of(session, item),
            "link_groups": group_links(
                session, sorted(links.values(), key=lambda x: x.id), aliases, runtime
            ),
            "number": number,
            **impact_pages.impact_context(
                runtime,
                principal,
                item_chain(session, runtime, item),
                f"/roadmap/items/{item.key}/metrics",
            ),
        },
    )


@pages.post("/views")
def save_view_from_form(
    principal: OwnWrite,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100)],
    kind: Annotated[str, Form(max_length=16)],
    query: Annotated[str, Form(max_length=4000)] = "",
    shared: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Save the page's current filters (and table columns) as a view, then open it."""
    params = parse_qs(query)
    filters = {
        k: (v if k in views.LIST_FILTERS else v[0])
        for k, v in params.items()
        if k in views.FILTER_KEYS
    }
    values: dict[str, Any] = {"name": name, "kind": kind, "filters": filters}
    values["shared"] = bool(shared)
    if "columns" in params:
        values["columns"] = params["columns"]
    if "formula" in params:
        values["formula"] = params["formula"][0]
    view = views.create_view(session, principal.actor, values)
    return flash_redirect(f"/roadmap/{view.kind.value}?view={view.id}", f"Saved “{view.name}”.")


@pages.post("/views/{view_id}/delete")
def delete_view_from_form(view_id: int, principal: OwnWrite, session: SessionDep) -> Response:
    view = views.get_view(session, principal.actor, view_id)
    kind = view.kind
    views.delete_view(session, principal.actor, view)
    target = kind.value if kind in ViewKind else "table"
    return flash_redirect(f"/roadmap/{target}", f"Deleted “{view.name}”.")


router.include_router(form_pages.router)  # before `pages`: /items/new is not an item key
router.include_router(objective_pages.router)
router.include_router(impact_pages.router)
router.include_router(pages)
router.include_router(board_pages.router)
router.include_router(table_pages.router)
router.include_router(share_pages.router)
router.include_router(share_pages.public_router)
