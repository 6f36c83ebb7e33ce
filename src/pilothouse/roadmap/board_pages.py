"""The board and timeline pages, and the board's no-JavaScript move form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.core.models import Role
from pilothouse.roadmap import board, items, listing
from pilothouse.roadmap.models import Horizon, ItemKind, RoadmapItem, ViewKind
from pilothouse.roadmap.page_state import filter_choices, page_state
from pilothouse.roadmap.tables import Names
from pilothouse.web.deps import EditorWrite, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = [
    "Timeline",
    "TimelineRow",
    "board_page",
    "build_timeline",
    "move_from_form",
    "quarter_of",
    "quarter_span",
    "router",
    "timeline_page",
]

router = APIRouter(prefix="/roadmap", include_in_schema=False)
MAX_QUARTERS = 12


@router.get("/board")
def board_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    state = page_state(session, principal.actor, request, ViewKind.board)
    columns = board.board_columns(listing.filtered_items(session, state.where))
    return render(
        request,
        "roadmap/board.html",
        {
            "state": state,
            "choices": filter_choices(session),
            "page_path": "/roadmap/board",
            "columns": columns,
            "horizons": list(Horizon),
            "names": Names(session),
            "can_edit": principal.actor.role.allows(Role.editor),
        },
    )


@router.post("/board/move")
def move_from_form(
    principal: EditorWrite,
    session: SessionDep,
    key: Annotated[str, Form(max_length=64)],
    horizon: Annotated[str, Form(max_length=16)],
    query: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """The keyboard and no-JavaScript way to move a card: to the end of another column."""
    item = items.find_item(session, key)
    board.move_item(session, principal.actor, item, horizon)
    back = "/roadmap/board" + (f"?{query}" if query else "")
    return flash_redirect(back, f"Moved {item.key} to {horizon.capitalize()}.")


# --- timeline ------------------------------------------------------------------------------


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _quarter(item: RoadmapItem) -> str:
    if item.target_quarter:
        return item.target_quarter
    day = item.target_date or item.start_date
    return quarter_of(day) if day else ""


def _next_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year + 1}-Q1" if q == 4 else f"{year}-Q{q + 1}"


def quarter_span(found: set[str]) -> list[str]:
    """Every quarter from the first to the last found (gaps shown), at most MAX_QUARTERS."""
    if not found:
        return []
    quarters: list[str] = []
    current, last = min(found), max(found)
    while current <= last and len(quarters) < MAX_QUARTERS:
        quarters.append(current)
        current = _next_quarter(current)
    return quarters if last in quarters else sorted(found)


@dataclass
class TimelineRow:
    initiative: RoadmapItem | None
    cells: dict[str, list[RoadmapItem]] = field(default_factory=dict)


@dataclass
class Timeline:
    quarters: list[str]
    rows: list[TimelineRow]
    unscheduled: bool


def _initiative_of(session: Session, item: RoadmapItem) -> RoadmapItem | None:
    """The nearest initiative at or above ``item``."""
    current: RoadmapItem | None = item
    for _ in range(items.MAX_DEPTH + 1):
        if current is None or current.kind is ItemKind.initiative:
            return current
        current = session.get(RoadmapItem, current.parent_id) if current.parent_id else None
    return None


def build_timeline(session: Session, found: list[RoadmapItem]) -> Timeline:
    """Items in a grid: one row per initiative, one column per quarter."""
    rows: dict[int | None, TimelineRow] = {}
    for item in found:
        initiative = _initiative_of(session, item)
        key = initiative.id if initiative else None
        row = rows.setdefault(key, TimelineRow(initiative))
        row.cells.setdefault(_quarter(item), []).append(item)
    quarters = quarter_span({q for row in rows.values() for q in row.cells if q})
    ordered = sorted(
        rows.values(), key=lambda r: (r.initiative is None, r.initiative and r.initiative.id)
    )
    unscheduled = any("" in row.cells for row in ordered)
    return Timeline(quarters, ordered, unscheduled)


def _show_all(_key: str) -> bool:
    return True


@router.get("/timeline")
def timeline_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    state = page_state(session, principal.actor, request, ViewKind.timeline)
    found = listing.filtered_items(session, state.where)
    return render(
        request,
        "roadmap/timeline.html",
        {
            "state": state,
            "choices": filter_choices(session),
            "page_path": "/roadmap/timeline",
            "timeline": build_timeline(session, found),
            "show": _show_all,
            "link_items": True,
        },
    )
