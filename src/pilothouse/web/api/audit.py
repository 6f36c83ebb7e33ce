"""The audit log, read-only: admins browse and filter it; no route can change it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from pilothouse.core import audit_log
from pilothouse.core.errors import NotFound
from pilothouse.core.models import Event
from pilothouse.core.schemas import EventList, EventRead
from pilothouse.web.deps import AdminRead, PageParams, SessionDep

router = APIRouter(prefix="/audit", tags=["audit log"])


@router.get("", response_model=EventList, summary="Browse the audit log, newest first")
def list_events(
    principal: AdminRead,
    session: SessionDep,
    page: PageParams,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> EventList:
    where = audit_log.AuditFilter(actor, object_type, object_id, action, name, since, until)
    result = audit_log.list_events(session, principal.actor, page, where)
    return EventList(
        items=[EventRead.model_validate(e) for e in result.items], next_cursor=result.next_cursor
    )


@router.get("/{event_id}", response_model=EventRead, summary="One audit entry")
def get_event(event_id: int, _principal: AdminRead, session: SessionDep) -> EventRead:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(f"no audit entry with id {event_id}")
    return EventRead.model_validate(event)
