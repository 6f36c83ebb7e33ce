"""Automation pages: the rules, one rule with its history and test fire, the forms, and
the delivery log. Forms post and redirect. The rule form edits every condition and
action row (``automations.rule_form``); a refused post shows it again as typed, with
each error beside its input (``web.form_html``), and its row buttons add or remove
rows without saving."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from pilothouse.automations import rules, service
from pilothouse.automations.actions import ACTION_KINDS
from pilothouse.automations.conditions import OPERATORS
from pilothouse.automations.events import CATALOGUE
from pilothouse.automations.models import AutomationRule, DeliveryStatus
from pilothouse.automations.presenters import fire_plan_read
from pilothouse.automations.rule_form import (
    RuleDraft,
    apply_row_op,
    draft_from_form,
    draft_from_rule,
    draft_values,
    rule_values,
)
from pilothouse.core.errors import Conflict, PilothouseError, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.web.deps import EditorWrite, Principal, RuntimeDep, SessionDep, Viewer
from pilothouse.web.form_html import FieldProblem, patch_form
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/automations", include_in_schema=False)
PAGE_SIZE = 50


def _choices() -> dict[str, Any]:
    return {
        "event_types": list(CATALOGUE.values()),
        "operators": list(OPERATORS),
        "action_kinds": list(ACTION_KINDS),
        "roles": [r.value for r in Role],
    }


async def posted_form(request: Request) -> dict[str, list[str]]:
    """The posted form as lists of values by name (read once; Starlette keeps it)."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(name, []).append(value[:5000])
    return values


PostedForm = Annotated[dict[str, list[str]], Depends(posted_form)]


def _form_page(
    request: Request,
    rule: AutomationRule | None,
    draft: RuleDraft,
    refused: PilothouseError | None = None,
) -> Response:
    """The form showing ``draft``; with ``refused``, each error beside its input (422)."""
    page = render(request, "automations/form.html", {"rule": rule, "draft": draft, **_choices()})
    if refused is None:
        return page
    problems = [FieldProblem(e.field, e.message) for e in refused.errors]
    html = bytes(page.body).decode()
    patched = patch_form(html, request.url.path, draft_values(draft), problems, refused.detail)
    return HTMLResponse(patched or html, status_code=refused.status)


def _save(
    request: Request,
    principal: Principal,
    session: Session,
    form: dict[str, list[str]],
    rule: AutomationRule | None,
) -> Response:
    """Create or update from the form; a row button only re-arranges the form."""
    draft = draft_from_form(form)
    op = (form.get("row_op") or [""])[-1]
    if op:
        return _form_page(request, rule, apply_row_op(draft, op))
    values = rule_values(draft)
    try:
        if rule is None:
            saved = rules.create_rule(session, principal.actor, values)
        else:
            saved = rules.update_rule(session, principal.actor, rule, values)
    except (ValidationFailed, Conflict) as refused:  # nothing was written: checks come first
        return _form_page(request, rule, draft, refused)
    text = f"Created rule “{saved.name}”." if rule is None else "Saved."
    return flash_redirect(f"/automations/{saved.id}", text)


@router.get("")
def list_page(request: Request, _principal: Viewer, session: SessionDep) -> Response:
    return render(request, "automations/list.html", {"rules": rules.list_rules(session)})


@router.get("/new")
def new_page(request: Request, _principal: EditorWrite) -> Response:
    return _form_page(request, None, draft_from_rule(None))


@router.post("")
def create_from_form(
    request: Request, principal: EditorWrite, session: SessionDep, form: PostedForm
) -> Response:
    return _save(request, principal, session, form, None)


def _rule_context(session: Session, rule: AutomationRule, *, editor: bool) -> dict[str, Any]:
    history = service.list_deliveries(session, PageRequest(limit=20), rule_id=rule.id)
    return {
        "rule": rule,
        "event_type": CATALOGUE.get(rule.trigger),
        "deliveries": history.items,
        "secrets": list(rule.secrets) if editor else None,
    }


@router.get("/deliveries")
def deliveries_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    status: str = "",
    cursor: str | None = None,
) -> Response:
    chosen = status if status in DeliveryStatus.__members__ else None
    page = service.list_deliveries(
        session, PageRequest(limit=PAGE_SIZE, cursor=cursor), status=chosen
    )
    return render(
        request,
        "automations/deliveries.html",
        {
            "deliveries": page.items,
            "next_cursor": page.next_cursor,
            "status": chosen or "",
            "statuses": [s.value for s in DeliveryStatus],
        },
    )


@router.get("/deliveries/{delivery_id}")
def delivery_page(
    request: Request, delivery_id: int, _principal: Viewer, session: SessionDep
) -> Response:
    delivery = service.get_delivery(session, delivery_id)
    return render(
        request,
        "automations/delivery.html",
        {"d": delivery, "attempts": service.attempts_of(session, delivery.id)},
    )


@router.get("/{rule_id}")
def rule_page(request: Request, rule_id: int, principal: Viewer, session: SessionDep) -> Response:
    rule = rules.find_rule(session, rule_id)
    editor = principal.actor.role.allows(Role.editor)
    return render(request, "automations/rule.html", _rule_context(session, rule, editor=editor))


@router.get("/{rule_id}/edit")
def edit_page(
    request: Request, rule_id: int, _principal: EditorWrite, session: SessionDep
) -> Response:
    rule = rules.find_rule(session, rule_id)
    return _form_page(request, rule, draft_from_rule(rule))


@router.post("/{rule_id}/edit")
def update_from_form(
    request: Request, rule_id: int, principal: EditorWrite, session: SessionDep, form: PostedForm
) -> Response:
    return _save(request, principal, session, form, rules.find_rule(session, rule_id))


@router.post("/{rule_id}/test")
def test_fire_page(
    request: Request,
    rule_id: int,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    rule = rules.find_rule(session, rule_id)
    plan = service.test_fire(runtime, principal.actor, rule.id, session=session)
    result = fire_plan_read(session, plan)
    context = _rule_context(session, rules.find_rule(session, rule_id), editor=True)
    return render(request, "automations/rule.html", {**context, "fired": result})


@router.post("/{rule_id}/rotate-secret")
def rotate_from_form(rule_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    rule = rules.find_rule(session, rule_id)
    rules.rotate_secret(session, principal.actor, rule)
    return flash_redirect(
        f"/automations/{rule_id}",
        "New secret added; webhooks are signed with both until you finish.",
    )


@router.post("/{rule_id}/finish-rotation")
def finish_rotation_from_form(
    rule_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    rules.finish_rotation(session, principal.actor, rules.find_rule(session, rule_id))
    return flash_redirect(f"/automations/{rule_id}", "The old secret no longer signs.")


@router.post("/{rule_id}/delete")
def delete_from_form(rule_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    rule = rules.find_rule(session, rule_id)
    name = rule.name
    rules.delete_rule(session, principal.actor, rule)
    return flash_redirect("/automations", f"Deleted rule “{name}”.")
