"""Admin pages: people and roles, sign-in locks, and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.core import audit_log, signin, users
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.core.references import registered_types, resolve
from pilothouse.web.deps import AdminRead, AdminWrite, RuntimeDep, SessionDep
from pilothouse.web.templating import flash_redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/users")
def users_page(
    request: Request, _principal: AdminRead, session: SessionDep, cursor: str | None = None
) -> Response:
    page = users.list_users(session, PageRequest(limit=200, cursor=cursor))
    return render(
        request,
        "admin/users.html",
        {
            "people": page.items,
            "next_cursor": page.next_cursor,
            "roles": list(Role),
            "locked": signin.list_locked(session),
            "failures": signin.recent_failures(session, limit=20),
        },
    )


@router.post("/users")
def create_user_form(
    principal: AdminWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=320)],
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    user = users.create_user(
        session,
        principal.actor,
        runtime.passwords,
        email=email,
        name=name,
        role=role,
        password=password,
    )
    return flash_redirect("/admin/users", f"Added {user.email} as {user.role.value}.")


@router.post("/users/{user_id}")
def update_user_form(
    user_id: int,
    principal: AdminWrite,
    session: SessionDep,
    role: Annotated[Role, Form()],
    is_active: Annotated[bool, Form()] = False,
) -> Response:
    user = users.get_user(session, user_id)
    users.update_user(session, principal.actor, user, role=role, is_active=is_active)
    return flash_redirect("/admin/users", f"Saved {user.email}.")


@router.post("/users/{user_id}/unlock")
def unlock_user_form(user_id: int, principal: AdminWrite, session: SessionDep) -> Response:
    user = users.get_user(session, user_id)
    signin.unlock_account(session, principal.actor, user)
    return flash_redirect("/admin/users", f"Unlocked {user.email}.")


def _event_urls(session: Session, runtime: Any, events: Sequence[Any]) -> dict[str, str]:
    """``{"type:id": page}`` of the audited objects that still exist (one query per type)."""
    known = registered_types()
    refs = {ObjectRef(e.object_type, e.object_id) for e in events if e.object_type in known}
    found = resolve(session, refs, runtime)
    return {str(r): ref.url for r, ref in found.items() if ref.url and not ref.deleted}


@router.get("/audit")
def audit_page(
    request: Request,
    principal: AdminRead,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: str | None = None,
    object_type: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
) -> Response:
    where = audit_log.AuditFilter(
        actor=actor or None, object_type=object_type or None, action=action or None, since=since
    )
    page = audit_log.list_events(session, principal.actor, PageRequest(50, cursor), where)
    filters = {"actor": actor or "", "object_type": object_type or "", "action": action or ""}
    return render(
        request,
        "admin/audit.html",
        {
            "events": page.items,
            "next_cursor": page.next_cursor,
            "filters": filters,
            "object_types": audit_log.object_types(session),
            "urls": _event_urls(session, runtime, page.items),
        },
    )
