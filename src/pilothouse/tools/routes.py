"""HTTP for the tool inventory under ``/api/v1/tools``: everyone reads; editors create,
change, import and update seats; admins delete (see docs/tools.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pilothouse.tools import imports, insights, service
from pilothouse.tools.presenters import tool_read
from pilothouse.tools.schemas import (
    CATEGORIES,
    ImportPreview,
    SeatPreview,
    ToolCreate,
    ToolList,
    ToolRead,
    ToolSummary,
    ToolUpdate,
)
from pilothouse.web.deps import AdminWrite, EditorWrite, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/tools", tags=["tools"])


class CsvBody(BaseModel):
    """A CSV file's text."""

    model_config = ConfigDict(extra="forbid")
    content: str = Field(max_length=5_000_000, description="The CSV file's text, header first.")


@router.get("", response_model=ToolList, summary="Every tool in the inventory")
def list_tools(
    _principal: Viewer,
    session: SessionDep,
    category: Annotated[str | None, Query(max_length=32, description="Only this category.")] = None,
) -> ToolList:
    items = [tool_read(t) for t in service.list_tools(session, category=category)]
    return ToolList(items=items, count=len(items))


@router.get("/summary", response_model=ToolSummary, summary="Overlap, unused seats, renewals")
def get_summary(_principal: Viewer, session: SessionDep) -> ToolSummary:
    """Totals are annual (monthly × 12) per currency; currencies are never converted."""
    return insights.summary(service.list_tools(session), datetime.now(UTC).date())


@router.get("/categories", response_model=list[str], summary="The fixed list of categories")
def list_categories(_principal: Viewer) -> list[str]:
    return list(CATEGORIES)


@router.post("", response_model=ToolRead, status_code=201, summary="Add a tool")
def create_tool(body: ToolCreate, principal: EditorWrite, session: SessionDep) -> ToolRead:
    values = body.model_dump(exclude_unset=True)
    return tool_read(service.create_tool(session, principal.actor, values))


@router.post("/imports", response_model=ImportPreview, summary="Preview or import a tool list")
def create_import(
    body: CsvBody,
    principal: EditorWrite,
    session: SessionDep,
    dry_run: Annotated[bool, Query(description="Only preview (the default).")] = True,
) -> ImportPreview:
    """All or nothing: with ``dry_run=false`` a file with any problem is refused (422,
    each error naming ``row N.column``) and nothing is stored."""
    return imports.import_tools(session, principal.actor, body.content, dry_run=dry_run)


@router.post("/seat-usage", response_model=SeatPreview, summary="Preview or apply seat usage")
def create_seat_usage(
    body: CsvBody,
    principal: EditorWrite,
    session: SessionDep,
    dry_run: Annotated[bool, Query(description="Only preview (the default).")] = True,
    active_days: Annotated[int, Query(ge=1, le=3650, description="Active within N days.")] = (
        imports.DEFAULT_ACTIVE_DAYS
    ),
) -> SeatPreview:
    """A CSV of ``email,tool,last_active``: a seat is used when active within N days."""
    return imports.import_seats(
        session, principal.actor, body.content, dry_run=dry_run, active_days=active_days
    )


@router.get("/{slug}", response_model=ToolRead, summary="One tool, by slug")
def get_tool(slug: str, _principal: Viewer, session: SessionDep) -> ToolRead:
    return tool_read(service.find_tool(session, slug))


@router.patch("/{slug}", response_model=ToolRead, summary="Change a tool")
def update_tool(
    slug: str, body: ToolUpdate, principal: EditorWrite, session: SessionDep
) -> ToolRead:
    tool = service.find_tool(session, slug)
    values = body.model_dump(exclude_unset=True)
    return tool_read(service.update_tool(session, principal.actor, tool, values))


@router.delete("/{slug}", status_code=204, summary="Delete a tool (admins)")
def delete_tool(slug: str, principal: AdminWrite, session: SessionDep) -> Response:
    service.delete_tool(session, principal.actor, service.find_tool(session, slug))
    return Response(status_code=204)
