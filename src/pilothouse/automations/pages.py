"""Automation pages: the rules, one rule with its history and test fire, the forms, and
the delivery log. Forms post and redirect; a refused post shows the form again with
the reason (``web.forms``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.automations import rules, service
from pilothouse.automations.actions import ACTION_KINDS
from pilothouse.automations.conditions import OPERATORS
from pilothouse.automations.events import CATALOGUE
from pilothouse.automations.models import AutomationRule, DeliveryStatus
from pilothouse.automations.presenters import fire_plan_read
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/automations", include_in_schema=False)
PAGE_SIZE = 50
CONDITION_ROWS = 3
Short = Annotated[str, Form(max_length=500)]
Many = Annotated[list[str], Form()]


def _value(text: str) -> Any:
    """A condition or field value typed in a form: JSON when it parses (numbers, lists,
    true/false), the text itself otherwise."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _form_rule(
    name: str,
    description: str,
    trigger: str,
    enabled: str,
    fields: list[str],
    ops: list[str],
    values: list[str],
    action: dict[str, str],
) -> dict[str, Any]:
    conditions = [
        {"field": f.strip(), "op": op or "eq", "value": _value(v)}
        for f, op, v in zip(fields, ops, values, strict=False)
        if f.strip()
    ]
    kind = action.get("kind", "")
    keys = ACTION_KINDS.get(kind, (frozenset(), frozenset()))
    wanted = keys[0] | keys[1]
    built: dict[str, Any] = {"kind": kind}
    for key in sorted(wanted):
        raw = action.get(key, "").strip()
        if not raw:
            continue
        if key == "users":
            built[key] = [u.strip() for u in raw.split(",") if u.strip()]
        elif key == "value":
            built[key] = _value(raw)
        else:
            built[key] = raw
    return {
        "name": name,
        "description": description,
        "trigger": trigger,
        "enabled": enabled == "on",
        "conditions": conditions,
        "actions": [built],
    }


def _choices() -> dict[str, Any]:
    return {
        "event_types": list(CATALOGUE.values()),
        "operators": list(OPERATORS),
        "action_kinds": list(ACTION_KINDS),
        "condition_rows": CONDITION_ROWS,
        "roles": [r.value for r in Role],
    }


def rule_form(
    name: Annotated[str, Form(max_length=200)],
    trigger: Annotated[str, Form(max_length=100)],
    description: Annotated[str, Form(max_length=5000)] = "",
    enabled: Short = "",
    condition_field: Many = [],  # noqa: B006 - FastAPI copies defaults per request
    condition_op: Many = [],  # noqa: B006
    condition_value: Many = [],  # noqa: B006
    action_kind: Short = "webhook",
    url: Short = "",
    format: Short = "standard",  # noqa: A002 - the form field's name
    users: Short = "",
    role: Short = "",
    title: Short = "",
    field: Short = "",
    value: Short = "",
    to: Short = "",
) -> dict[str, Any]:
    """The rule a form describes: conditions from its rows, one action from its fields."""
    action = {"kind": action_kind, "url": url, "format": format, "users": users, "role": role}
    action |= {"title": title, "field": field, "value": value, "to": to}
    values = _form_rule(
        name, description, trigger, enabled, condition_field, condition_op, condition_value, action
    )
    return values


RuleForm = Annotated[dict[str, Any], Depends(rule_form)]


@router.get("")
def list_page(request: Request, _principal: Viewer, session: SessionDep) -> Response:
    return render(request, "automations/list.html", {"rules": rules.list_rules(session)})


@router.get("/new")
def new_page(request: Request, _principal: EditorWrite) -> Response:
    return render(request, "automations/form.html", {"rule": None, **_choices()})


@router.post("")
def create_from_form(principal: EditorWrite, session: SessionDep, values: RuleForm) -> Response:
    rule = rules.create_rule(session, principal.actor, values)
    return flash_redirect(f"/automations/{rule.id}", f"Created rule “{rule.name}”.")


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
    return render(request, "automations/form.html", {"rule": rule, **_choices()})


@router.post("/{rule_id}/edit")
def update_from_form(
    rule_id: int, principal: EditorWrite, session: SessionDep, values: RuleForm
) -> Response:
    rule = rules.find_rule(session, rule_id)
    values["actions"] = values["actions"] + list(rule.actions[1:])  # more actions: API, YAML
    rules.update_rule(session, principal.actor, rule, values)
    return flash_redirect(f"/automations/{rule.id}", "Saved.")


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
