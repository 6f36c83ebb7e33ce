"""HTTP for automations under ``/api/v1/automations``: everyone reads rules, the event
catalogue and the delivery log; editors create, change, delete and test-fire rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from pilothouse.automations import rules
from pilothouse.automations.events import CATALOGUE
from pilothouse.automations.presenters import delivery_read, fire_plan_read, rule_read
from pilothouse.automations.schemas import (
    DeliveryList,
    DeliveryRead,
    EventTypeRead,
    FirePlanRead,
    RuleCreate,
    RuleList,
    RuleRead,
    RuleUpdate,
    SecretRead,
)
from pilothouse.automations.service import get_delivery, list_deliveries, test_fire
from pilothouse.core.models import Role
from pilothouse.web.deps import EditorWrite, PageParams, RuntimeDep, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/automations", tags=["automations"])


def _may_see_secrets(principal: Viewer) -> bool:
    return principal.actor.role.allows(Role.editor)


@router.get("/events", response_model=list[EventTypeRead], summary="The event catalogue")
def list_event_types(_principal: Viewer) -> list[EventTypeRead]:
    return [
        EventTypeRead(
            name=t.name, object_type=t.object_type, description=t.text, fields=list(t.all_fields)
        )
        for t in CATALOGUE.values()
    ]


@router.get("/rules", response_model=RuleList, summary="Automation rules")
def list_rules(principal: Viewer, session: SessionDep) -> RuleList:
    found = rules.list_rules(session)
    show = _may_see_secrets(principal)
    return RuleList(items=[rule_read(r, show_secrets=show) for r in found], count=len(found))


@router.post("/rules", response_model=RuleRead, status_code=201, summary="Create a rule")
def create_rule(body: RuleCreate, principal: EditorWrite, session: SessionDep) -> RuleRead:
    rule = rules.create_rule(session, principal.actor, body.model_dump())
    return rule_read(rule, show_secrets=True)


@router.get("/rules/{ref}", response_model=RuleRead, summary="One rule, by id or name")
def get_rule(ref: str, principal: Viewer, session: SessionDep) -> RuleRead:
    return rule_read(rules.find_rule(session, ref), show_secrets=_may_see_secrets(principal))


@router.patch("/rules/{ref}", response_model=RuleRead, summary="Change a rule")
def update_rule(
    ref: str, body: RuleUpdate, principal: EditorWrite, session: SessionDep
) -> RuleRead:
    rule = rules.find_rule(session, ref)
    rule = rules.update_rule(session, principal.actor, rule, body.model_dump(exclude_unset=True))
    return rule_read(rule, show_secrets=True)


@router.delete("/rules/{ref}", status_code=204, summary="Delete a rule")
def delete_rule(ref: str, principal: EditorWrite, session: SessionDep) -> Response:
    rules.delete_rule(session, principal.actor, rules.find_rule(session, ref))
    return Response(status_code=204)


@router.post(
    "/rules/{ref}/rotate-secret", response_model=SecretRead, summary="Start a secret rotation"
)
def rotate_secret(ref: str, principal: EditorWrite, session: SessionDep) -> SecretRead:
    rule = rules.find_rule(session, ref)
    secret = rules.rotate_secret(session, principal.actor, rule)
    return SecretRead(secret=secret, signing_secrets=list(rule.secrets))


@router.post(
    "/rules/{ref}/test",
    response_model=FirePlanRead,
    summary="Test-fire a rule on its latest matching event (webhooks are really sent)",
)
def test_fire_rule(
    ref: str, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> FirePlanRead:
    rule_id = rules.find_rule(session, ref).id
    plan = test_fire(runtime, principal.actor, rule_id, session=session)
    return fire_plan_read(session, plan)


@router.get("/deliveries", response_model=DeliveryList, summary="The delivery log, newest first")
def list_delivery_log(
    _principal: Viewer,
    session: SessionDep,
    page: PageParams,
    rule: Annotated[str | None, Query(description="Rule id or name.")] = None,
    status: Annotated[str | None, Query(description="pending, retrying, succeeded, ...")] = None,
) -> DeliveryList:
    rule_id = rules.find_rule(session, rule).id if rule else None
    found = list_deliveries(session, page, rule_id=rule_id, status=status)
    return DeliveryList(
        items=[delivery_read(d) for d in found.items], next_cursor=found.next_cursor
    )


@router.get("/deliveries/{delivery_id}", response_model=DeliveryRead, summary="One delivery")
def get_delivery_detail(delivery_id: int, _principal: Viewer, session: SessionDep) -> DeliveryRead:
    return delivery_read(get_delivery(session, delivery_id), session, with_attempts=True)
