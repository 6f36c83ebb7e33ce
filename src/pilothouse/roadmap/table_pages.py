"""The ranked table: chosen columns, the score breakdown, and inputs edited in place.

Editing an input posts it with htmx; the server saves it through the item service
(audited as any change), recomputes the ranking with the scoring service and sends
the whole table back, so the order on screen is always the server's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.core.errors import PilothouseError
from pilothouse.core.models import Role
from pilothouse.roadmap import items, listing, scoring, views
from pilothouse.roadmap.models import NUMERIC_INPUTS, ViewKind
from pilothouse.roadmap.page_state import PageState, filter_choices, page_state
from pilothouse.roadmap.tables import table_rows
from pilothouse.web.deps import EditorWrite, SessionDep, Viewer
from pilothouse.web.templating import render

__all__ = [
    "CellProblem",
    "posted_inputs",
    "router",
    "table_page",
    "update_inputs",
]

router = APIRouter(prefix="/roadmap", include_in_schema=False)
NUMERIC_COLUMNS = frozenset(
    {*NUMERIC_INPUTS, "rank", "score", "feedback_count", "customer_count", "customer_arr_cents"}
)


@dataclass(frozen=True)
class CellProblem:
    """A refused input: which row and cell, what was typed, and why it was not saved."""

    key: str
    field: str
    typed: str
    message: str


def _table_context(
    session: Session, state: PageState, *, can_edit: bool, problem: CellProblem | None = None
) -> dict[str, object]:
    definition = scoring.get_formula(session, state.formula)
    found = listing.filtered_items(session, state.where)
    return {
        "state": state,
        "definition": definition,
        "rows": table_rows(session, found, definition, state.columns),
        "labels": {c.key: c.label for c in views.column_choices(session)},
        "numeric": NUMERIC_COLUMNS,
        "editable": {c for c in state.columns if c in NUMERIC_INPUTS} if can_edit else set(),
        "problem": problem,
    }


@router.get("/table")
def table_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    state = page_state(session, principal.actor, request, ViewKind.table)
    can_edit = principal.actor.role.allows(Role.editor)
    context = _table_context(session, state, can_edit=can_edit)
    if request.headers.get("hx-request"):
        return render(request, "roadmap/_table.html", context)
    context |= {
        "choices": filter_choices(session),
        "page_path": "/roadmap/table",
        "column_choices": views.column_choices(session),
    }
    return render(request, "roadmap/table.html", context)


async def posted_inputs(request: Request) -> dict[str, str]:
    """The scoring inputs in a posted form, as text (the item service parses them)."""
    form = await request.form()
    return {n: str(form[n]).strip() for n in NUMERIC_INPUTS if n in form}


def _cell_problem(key: str, values: dict[str, str], exc: PilothouseError) -> CellProblem:
    """Place the refusal on the cell it is about (the first field named, else the first posted)."""
    named = [e for e in exc.errors if e.field in values]
    field = named[0].field if named else next(iter(values), "")
    message = named[0].message if named else exc.detail
    return CellProblem(key, field, values.get(field, ""), message)


@router.post("/table/items/{key}")
def update_inputs(
    request: Request,
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    values: Annotated[dict[str, str], Depends(posted_inputs)],
) -> Response:
    """Save the scoring inputs posted (``reach=1200``); answer with the re-ranked table.

    A bad value (``confidence=150``, ``effort=0``, ``abc``) saves nothing: the table comes
    back with status 422, the typed value still in its box and the reason right under it,
    and the saved value named, so the person sees why on the row they edited.
    """
    state = page_state(session, principal.actor, request, ViewKind.table)
    item = items.find_item(session, key)
    problem = None
    try:
        with session.begin_nested():
            items.update_item(session, principal.actor, item, values)
    except PilothouseError as exc:
        problem = _cell_problem(item.key, values, exc)
        session.expire_all()
    context = _table_context(session, state, can_edit=True, problem=problem)
    return render(request, "roadmap/_table.html", context, status=422 if problem else 200)
