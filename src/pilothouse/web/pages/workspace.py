"""The admin page of workspace settings (``/admin/settings``): one form, audited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pilothouse.core import workspace
from pilothouse.web.deps import AdminRead, AdminWrite, SessionDep
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/settings")
def settings_page(request: Request, _principal: AdminRead, session: SessionDep) -> Response:
    return render(request, "admin/settings.html", {"settings": workspace.list_settings(session)})


@router.post("/settings")
async def update_settings_form(
    request: Request, principal: AdminWrite, session: SessionDep
) -> Response:
    """A checkbox is sent only when ticked, so every boolean setting missing from the
    form is ``false``; other kinds are read from their text field."""
    form = await request.form()
    changes: dict[str, object] = {}
    for spec in workspace.WORKSPACE_SETTINGS.values():
        if spec.kind is bool:
            changes[spec.key] = spec.key in form
        elif spec.key in form:
            raw = str(form[spec.key])
            changes[spec.key] = spec.kind(raw) if spec.kind is not str else raw
    workspace.update_settings(session, principal.actor, changes)
    return flash_redirect("/admin/settings", "Workspace settings saved.")
