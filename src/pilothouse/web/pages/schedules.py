"""The Schedules page (Workspace menu): every periodic job, when it runs next and how
its last run went; admins run one now, turn it on and off, or change when it runs (cron
and time zone; a refused value comes back in the form beside its error). All audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pilothouse.core import schedules
from pilothouse.core.models import Role
from pilothouse.web.deps import AdminWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/schedules", include_in_schema=False)


@router.get("")
def schedules_page(
    request: Request, principal: Viewer, runtime: RuntimeDep, session: SessionDep
) -> Response:
    context = {
        "schedules": schedules.list_schedules(runtime, session),
        "can_change": principal.identity.role is Role.admin,
    }
    return render(request, "schedules.html", context)


@router.post("/{name}/run")
def run_schedule_form(
    name: str, principal: AdminWrite, runtime: RuntimeDep, session: SessionDep
) -> Response:
    job_id = schedules.run_schedule_now(runtime, principal.actor, name, session=session)
    return flash_redirect("/schedules", f"Started {name} now: job #{job_id}.")


@router.post("/{name}/enabled")
def set_enabled_form(
    name: str,
    principal: AdminWrite,
    session: SessionDep,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    schedule = schedules.update_schedule(session, principal.actor, name, enabled=enabled)
    state = "on" if schedule.enabled else "off"
    return flash_redirect("/schedules", f"Turned “{schedule.title}” {state}.")


@router.post("/{name}/when")
def set_when_form(
    name: str,
    principal: AdminWrite,
    session: SessionDep,
    cron: Annotated[str, Form(max_length=200)],
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    schedule = schedules.update_schedule(
        session, principal.actor, name, cron=cron, time_zone=time_zone
    )
    zone = schedule.time_zone or "the workspace time zone"
    return flash_redirect(
        "/schedules",
        f"“{schedule.title}” now runs {schedules.cron_in_words(schedule.cron)} ({zone}).",
    )
