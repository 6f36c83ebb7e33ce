"""Onboarding checklist pages for Product Ops: the templates per role (list, new, one,
edit) and the form that assigns a checklist to a person and their manager.

Steps are rows of inputs named ``steps.<row>.<field>`` (``title``, ``detail``, ``link``,
``position``, ``id``, ``remove``), so a refused post re-renders with every row as typed
and the error beside the right input (``web.forms``). Empty rows are skipped; the
service's ``steps.<n>`` in an error is turned back into the row it came from. *Add a
step* appends a row through htmx and puts the row count in the address (``?rows=``),
so the page rendered again after a refusal has as many rows as the person had.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.core import users
from pilothouse.core.errors import FieldError, NotFound, PilothouseError
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.core.references import Reference, resolve
from pilothouse.playbooks import onboarding, service
from pilothouse.playbooks.common import invalid, parse_date
from pilothouse.playbooks.models import OnboardingTemplate
from pilothouse.web.deps import EditorWrite, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["assign_context", "assignment_router", "people_choices", "router"]

router = APIRouter(prefix="/templates", include_in_schema=False)
assignment_router = APIRouter(prefix="/assignments", include_in_schema=False)
Short = Annotated[str, Form(max_length=320)]
STEP_FIELDS = ("title", "detail", "link", "position", "id", "remove")
#: Empty rows a new form starts with, and how many more an edit form shows.
NEW_ROWS, SPARE_ROWS = 3, 1


def people_choices(session: Session) -> list[Any]:
    """Active people by name, for the person and manager selects."""
    people = users.list_users(session, PageRequest(limit=500), active=True).items
    return sorted(people, key=lambda u: (u.name or u.email).lower())


def assign_context(session: Session, template: OnboardingTemplate | None = None) -> dict[str, Any]:
    """What ``_assign_form.html`` needs: the people, and the templates unless one is fixed."""
    return {
        "people": people_choices(session),
        "assign_templates": [] if template else onboarding.list_templates(session),
        "assign_template": template,
    }


def _rows(wanted: int | None, least: int) -> int:
    return max(least, min(wanted or 0, onboarding.MAX_STEPS))


def _link_choices(session: Session, template: OnboardingTemplate | None) -> list[Reference]:
    """Every playbook, plus whatever else the template's steps point at, by name."""
    refs = [ObjectRef("playbook", str(p.id)) for p in service.list_playbooks(session)]
    if template is not None:
        refs += [ObjectRef(s.link_type, s.link_id) for s in template.steps if s.link_type]
    named = resolve(session, list(dict.fromkeys(refs)))
    return [named[ref] for ref in dict.fromkeys(refs)]


def _form_context(
    session: Session, template: OnboardingTemplate | None, rows: int | None
) -> dict[str, Any]:
    steps = list(template.steps) if template else []
    least = len(steps) + SPARE_ROWS if template else NEW_ROWS
    return {
        "t": template,
        "steps": steps,
        "rows": _rows(rows, least),
        "links": _link_choices(session, template),
    }


async def posted_form(request: Request) -> dict[str, str]:
    """The posted fields (the step rows have names no signature can list)."""
    form = await request.form()
    return {key: str(value) for key, value in form.items()}


PostedForm = Annotated[dict[str, str], Depends(posted_form)]


def _row(form: Mapping[str, str], index: int) -> dict[str, str]:
    return {f: form.get(f"steps.{index}.{f}", "").strip() for f in STEP_FIELDS}


def _position(row: Mapping[str, str], index: int) -> int:
    text = row["position"]
    if not text:
        return index + 1
    if not text.isdigit() or not 1 <= int(text) <= onboarding.MAX_STEPS:
        raise invalid(f"steps.{index}.position", f"a number from 1 to {onboarding.MAX_STEPS}")
    return int(text)


def _steps_from(form: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled rows in their order (by position, then row) and the row of each."""
    found = []
    for index in range(onboarding.MAX_STEPS):
        row = _row(form, index)
        filled = row["title"] or row["detail"] or row["link"]
        if filled and not row["remove"]:
            found.append((_position(row, index), index, row))
    found.sort(key=lambda entry: entry[:2])
    steps = [
        {"title": r["title"], "detail": r["detail"], "link": r["link"] or None, "id": r["id"]}
        for _, _, r in found
    ]
    return steps, [index for _, index, _ in found]


#: What the form calls the service's step fields, for the one-line reason at the top.
_WORDS = {"position": "order", "link": "playbook"}
_STEP_PATH = re.compile(r"steps\.(\d+)\.(\w+)")


def _renumbered(error: PilothouseError, rows: list[int]) -> PilothouseError:
    """``error`` with the service's ``steps.<n>`` turned into the form's row numbers,
    and its reason in the form's words (``Step 3 title: must not be empty``)."""

    def fix(text: str) -> str:
        for n, row in enumerate(rows):
            if text.startswith(f"steps.{n}."):
                return f"steps.{row}.{text.removeprefix(f'steps.{n}.')}"
        return text

    def words(match: re.Match[str]) -> str:
        return f"Step {int(match[1]) + 1} {_WORDS.get(match[2], match[2])}"

    if not any(e.field.startswith("steps.") for e in error.errors):
        return error
    detail = _STEP_PATH.sub(words, fix(error.detail))
    fields = [FieldError(fix(e.field), e.message) for e in error.errors]
    return type(error)(detail, errors=fields)


def _values(form: Mapping[str, str]) -> tuple[dict[str, Any], list[int]]:
    steps, rows = _steps_from(form)
    values = {
        "role": form.get("role", ""),
        "title": form.get("name", ""),
        "description": form.get("description", ""),
        "steps": steps,
    }
    return values, rows


@router.get("")
def templates_page(
    request: Request, principal: Viewer, session: SessionDep, rows: int | None = None
) -> Response:
    templates = onboarding.list_templates(session)
    counts = {t.id: len(onboarding.assignments_for_template(session, t)) for t in templates}
    context = {"templates": templates, "counts": counts, "action": "/onboarding/templates"}
    if principal.user.role.allows(Role.editor):
        context |= _form_context(session, None, rows)
    return render(request, "playbooks/templates.html", context)


@router.post("")
def create_template_form(principal: EditorWrite, session: SessionDep, form: PostedForm) -> Response:
    values, rows = _values(form)
    try:
        template = onboarding.create_template(
            session,
            principal.actor,
            values["role"],
            values["title"],
            values["steps"],
            values["description"],
        )
    except PilothouseError as error:
        raise _renumbered(error, rows) from None
    return flash_redirect(f"/onboarding/templates/{template.role}", f"Created {template.title}.")


@router.get("/_step_row")
def step_row(
    request: Request, _principal: EditorWrite, session: SessionDep, index: int = 0, page: str = ""
) -> Response:
    """One more empty row (htmx), and the *Add a step* link moved on by one."""
    index = min(max(index, 0), onboarding.MAX_STEPS - 1)
    path = page if page.startswith("/onboarding/templates") else "/onboarding/templates"
    context = {
        "i": index,
        "s": None,
        "links": _link_choices(session, None),
        "page": path,
        "oob": True,
    }
    return render(request, "playbooks/_step_row.html", context | {"rows": index + 1})


@router.get("/{role}")
def template_page(request: Request, role: str, _principal: Viewer, session: SessionDep) -> Response:
    template = onboarding.find_template(session, role)
    refs = [ObjectRef(s.link_type, s.link_id) for s in template.steps if s.link_type]
    named = resolve(session, refs)
    people = onboarding.assignments_for_template(session, template)
    steps = [(s, named.get(ObjectRef(s.link_type, s.link_id)) if s.link_type else None)
             for s in template.steps]  # fmt: skip
    context = {
        "t": template,
        "steps": steps,
        "assigned": [(a, onboarding.progress(a)) for a in people],
    }
    return render(request, "playbooks/template.html", context | assign_context(session, template))


@router.get("/{role}/edit")
def edit_page(
    request: Request,
    role: str,
    _principal: EditorWrite,
    session: SessionDep,
    rows: int | None = None,
) -> Response:
    template = onboarding.find_template(session, role)
    context = _form_context(session, template, rows)
    context["action"] = f"/onboarding/templates/{template.role}/edit"
    return render(request, "playbooks/template_form.html", context)


@router.post("/{role}/edit")
def edit_template_form(
    role: str, principal: EditorWrite, session: SessionDep, form: PostedForm
) -> Response:
    template = onboarding.find_template(session, role)
    values, rows = _values(form)
    try:
        onboarding.update_template(session, principal.actor, template, values)
    except PilothouseError as error:
        raise _renumbered(error, rows) from None
    return flash_redirect(f"/onboarding/templates/{template.role}", f"Saved {template.title}.")


@assignment_router.post("")
def assign_form(
    principal: EditorWrite,
    session: SessionDep,
    role: Annotated[str, Form(max_length=80)],
    person: Short = "",
    manager: Short = "",
    started_on: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Give a person a checklist; back to the checklist itself, which they now see."""
    try:
        template = onboarding.find_template(session, role)
    except NotFound:
        raise invalid("role", "choose a checklist") from None
    start = parse_date(started_on, "started_on")
    assignment = onboarding.assign(session, principal.actor, template, person, manager, start)
    return flash_redirect(
        f"/onboarding/{assignment.id}",
        f"Assigned {template.title} to {assignment.person.name or assignment.person.email}.",
    )
