"""Tool inventory pages: the inventory with its findings and spend chart, one tool,
the add/edit form, and the two CSV uploads (upload → preview → confirm).

Forms post here and redirect (POST/redirect/GET); a refused post re-renders its form
with the input kept (``web.forms``). An upload's preview carries the file's text in a
hidden field, so *Confirm* applies exactly the file that was previewed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from pilothouse.core import users
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.pagination import PageRequest
from pilothouse.tools import imports, insights, service
from pilothouse.tools.chart import money, spend_svg
from pilothouse.tools.models import Tool
from pilothouse.tools.schemas import BILLINGS, CATEGORIES, STATUSES
from pilothouse.web.deps import AdminWrite, EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/tools", include_in_schema=False)
Short = Annotated[str, Form(max_length=300)]
Text = Annotated[str, Form(max_length=5_000)]
#: The file's text carried from the preview to the confirmation.
Carried = Annotated[str, Form(max_length=5_000_000)]
_FORM_FIELDS = (
    "name",
    "category",
    "description",
    "owner",
    "admins",
    "cost",
    "currency",
    "billing",
    "seats_bought",
    "seats_used",
    "contract_start",
    "renewal_date",
    "ended_on",
    "notice_days",
    "data_held",
    "status",
    "capabilities",
)


def _today() -> Any:
    return datetime.now(UTC).date()


def _choices(session: Session) -> dict[str, Any]:
    people = users.list_users(session, PageRequest(limit=500), active=True).items
    return {
        "people": sorted(people, key=lambda u: u.name.lower()),
        "categories": CATEGORIES,
        "statuses": STATUSES,
        "billings": BILLINGS,
        "money": money,
    }


def _charts(summary: Any) -> list[dict[str, Any]]:
    """One chart per currency: categories, then years, each on its own scale."""
    charts = []
    for currency in sorted({row.currency for row in summary.by_category}):
        cats = [(r.category, r.annual_cents) for r in summary.by_category if r.currency == currency]
        years = [(str(r.year), r.annual_cents) for r in summary.by_year if r.currency == currency]
        charts.append(
            {
                "currency": currency,
                "by_category": spend_svg(cats, currency, f"Annual spend per category, {currency}"),
                "by_year": spend_svg(years, currency, f"Annual spend per year, {currency}"),
            }
        )
    return charts


def _concerns(tool: Tool, person: str) -> bool:
    wanted = person.lower()
    owner = tool.owner.email.lower() if tool.owner else ""
    return owner == wanted or any(u.email.lower() == wanted for u in tool.admins)


@router.get("")
def list_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    category: str = "",
    person: str = "",
) -> Response:
    every = service.list_tools(session)
    summary = insights.summary(every, _today())
    shown = [t for t in every if (not category or t.category == category)]
    if person:
        shown = [t for t in shown if _concerns(t, person)]
    context = {
        "tools": shown,
        "by_slug": {t.slug: t for t in every},
        "summary": summary,
        "charts": _charts(summary),
        "category": category,
        "person": person,
        **_choices(session),
    }
    return render(request, "tools/list.html", context)


@router.get("/new")
def new_page(request: Request, _principal: EditorWrite, session: SessionDep) -> Response:
    return render(request, "tools/form.html", {"t": None, **_choices(session)})


class ToolForm(BaseModel):
    """The add/edit form as posted: text, checked by the service like any other input."""

    model_config = ConfigDict(extra="ignore", str_max_length=5_000)
    name: str = ""
    category: str = ""
    description: str = ""
    owner: str = ""
    admins: str = ""
    cost: str = ""
    currency: str = ""
    billing: str = "annual"
    seats_bought: str = ""
    seats_used: str = ""
    contract_start: str = ""
    renewal_date: str = ""
    ended_on: str = ""
    notice_days: str = ""
    data_held: str = ""
    status: str = "active"
    capabilities: str = ""
    sso: str = ""


FormDep = Annotated[ToolForm, Form()]


def _form_values(form: ToolForm) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(form, name) for name in _FORM_FIELDS}
    values["sso"] = form.sso == "yes"
    return values


@router.post("")
def create_from_form(principal: EditorWrite, session: SessionDep, form: FormDep) -> Response:
    tool = service.create_tool(session, principal.actor, _form_values(form))
    return flash_redirect(f"/tools/{tool.slug}", f"Added {tool.name}.")


def _upload_text(file: UploadFile | None, content: str, limit: int) -> str:
    """The uploaded CSV (or the one carried from the preview) as text."""
    if file is not None and file.filename:
        data = file.file.read(limit + 1)
        if len(data) > limit:
            raise ValidationFailed(
                "file: too large (PILOTHOUSE_UPLOAD_MAX_BYTES); use the command line",
                errors=[FieldError("file", "too large")],
            )
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                "file: not UTF-8 text", errors=[FieldError("file", "not UTF-8 text")]
            ) from None
    if content:
        return content
    raise ValidationFailed("file: choose a CSV file", errors=[FieldError("file", "required")])


@router.get("/import")
def import_page(request: Request, _principal: EditorWrite) -> Response:
    return render(request, "tools/import.html", {"kind": "tools", "preview": None})


@router.get("/seats")
def seats_page(request: Request, _principal: EditorWrite) -> Response:
    return render(
        request,
        "tools/import.html",
        {"kind": "seats", "preview": None, "active_days": imports.DEFAULT_ACTIVE_DAYS},
    )


@router.post("/import")
def import_form(
    request: Request,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile | None, File()] = None,
    content: Carried = "",
    action: Annotated[str, Form(pattern="^(preview|import)$")] = "preview",
) -> Response:
    """Preview the file (every row, every problem), or apply the previewed one."""
    text = _upload_text(file, content, runtime.settings.upload_max_bytes)
    preview = imports.import_tools(session, principal.actor, text, dry_run=action != "import")
    if preview.applied:
        done = f"Imported {preview.created} new and {preview.updated} updated tools."
        return flash_redirect("/tools", done)
    context = {"kind": "tools", "preview": preview, "content": text}
    return render(request, "tools/import.html", context)


@router.post("/seats")
def seats_form(
    request: Request,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile | None, File()] = None,
    content: Carried = "",
    active_days: Annotated[int, Form(ge=1, le=3650)] = imports.DEFAULT_ACTIVE_DAYS,
    action: Annotated[str, Form(pattern="^(preview|import)$")] = "preview",
) -> Response:
    text = _upload_text(file, content, runtime.settings.upload_max_bytes)
    preview = imports.import_seats(
        session, principal.actor, text, dry_run=action != "import", active_days=active_days
    )
    if preview.applied:
        return flash_redirect("/tools", f"Updated seat usage of {len(preview.tools)} tools.")
    context = {"kind": "seats", "preview": preview, "content": text, "active_days": active_days}
    return render(request, "tools/import.html", context)


@router.get("/{slug}")
def tool_page(request: Request, slug: str, _principal: Viewer, session: SessionDep) -> Response:
    tool = service.find_tool(session, slug)
    today = _today()
    every = service.list_tools(session)
    overlaps = [o for o in insights.overlaps(every) if tool.slug in o.tools]
    context = {
        "t": tool,
        "overlaps": overlaps,
        "by_slug": {t.slug: t for t in every},
        "due": insights.renewal_due(tool, today),
        "days_left": (tool.renewal_date - today).days if tool.renewal_date else None,
        "money": money,
    }
    return render(request, "tools/tool.html", context)


@router.get("/{slug}/edit")
def edit_page(
    request: Request, slug: str, _principal: EditorWrite, session: SessionDep
) -> Response:
    tool = service.find_tool(session, slug)
    return render(request, "tools/form.html", {"t": tool, **_choices(session)})


@router.post("/{slug}/edit")
def edit_form(slug: str, principal: EditorWrite, session: SessionDep, form: FormDep) -> Response:
    tool = service.find_tool(session, slug)
    tool = service.update_tool(session, principal.actor, tool, _form_values(form))
    return flash_redirect(f"/tools/{tool.slug}", f"Saved {tool.name}.")


@router.post("/{slug}/delete")
def delete_form(slug: str, principal: AdminWrite, session: SessionDep) -> Response:
    tool = service.find_tool(session, slug)
    name = tool.name
    service.delete_tool(session, principal.actor, tool)
    return flash_redirect("/tools", f"Deleted {name}.")
