"""Rows to API shapes (shared by the JSON API and the CLI's JSON output)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.automations.models import AutomationRule, Delivery
from pilothouse.automations.schemas import (
    AttemptRead,
    DeliveryRead,
    FirePlanRead,
    PlannedActionRead,
    RuleRead,
)
from pilothouse.automations.service import FirePlan, attempts_of, get_delivery

__all__ = ["delivery_read", "fire_plan_read", "rule_read"]


def rule_read(rule: AutomationRule, *, show_secrets: bool = False) -> RuleRead:
    return RuleRead(
        id=rule.id,
        name=rule.name,
        description=rule.description,
        trigger=rule.trigger,
        conditions=list(rule.conditions or []),
        actions=list(rule.actions or []),
        enabled=rule.enabled,
        rotating_secret=len(rule.secrets or []) > 1,
        signing_secrets=list(rule.secrets) if show_secrets else None,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def delivery_read(
    delivery: Delivery, session: Session | None = None, *, with_attempts: bool = False
) -> DeliveryRead:
    log = None
    if with_attempts and session is not None:
        log = [
            AttemptRead.model_validate(a, from_attributes=True)
            for a in attempts_of(session, delivery.id)
        ]
    read = DeliveryRead.model_validate(delivery, from_attributes=True)
    read.status = delivery.status.value if hasattr(delivery.status, "value") else delivery.status
    read.attempt_log = log
    return read


def fire_plan_read(session: Session, plan: FirePlan) -> FirePlanRead:
    actions = []
    for planned in plan.actions:
        delivery = None
        if planned.delivery_id is not None:
            found = get_delivery(session, planned.delivery_id)
            delivery = delivery_read(found, session, with_attempts=True)
        actions.append(
            PlannedActionRead(
                index=planned.index,
                kind=planned.kind,
                description=planned.description,
                delivery=delivery,
            )
        )
    return FirePlanRead(rule_id=plan.rule_id, sample=plan.sample, event=plan.event, actions=actions)
