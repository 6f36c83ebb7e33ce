"""What pages, the API and the CLI ask of automations: deliveries and test fires.

Rules themselves live in :mod:`pilothouse.automations.rules`; this module reads the
delivery log and runs a rule once on demand (a *test fire*), which is how someone
checks a new rule before real events reach it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.automations.actions import describe_action
from pilothouse.automations.conditions import matches
from pilothouse.automations.dispatcher import create_deliveries
from pilothouse.automations.events import DomainEvent, map_event, sample_event
from pilothouse.automations.models import AutomationRule, Delivery, DeliveryAttempt, DeliveryStatus
from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Event, Role
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.core.runtime import Runtime

__all__ = [
    "FirePlan",
    "PlannedAction",
    "attempts_of",
    "get_delivery",
    "latest_matching_event",
    "list_deliveries",
    "test_fire",
]

#: How many recent audit events a test fire looks through for a matching one.
TEST_FIRE_LOOKBACK = 500


def list_deliveries(
    session: Session,
    page: PageRequest,
    *,
    rule_id: int | None = None,
    status: str | None = None,
) -> Page[Delivery]:
    """Deliveries newest first, optionally of one rule or status."""
    query = select(Delivery)
    if rule_id is not None:
        query = query.where(Delivery.rule_id == rule_id)
    if status:
        if status not in DeliveryStatus.__members__:
            known = ", ".join(DeliveryStatus.__members__)
            raise ValidationFailed(
                f"unknown delivery status {status!r}", errors=[FieldError("status", known)]
            )
        query = query.where(Delivery.status == DeliveryStatus(status))
    newest = PageRequest(limit=page.limit, cursor=page.cursor, newest_first=True)
    return paginate(session, query, Delivery.id, newest)


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    return delivery


def attempts_of(session: Session, delivery_id: int) -> list[DeliveryAttempt]:
    query = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
    return list(session.scalars(query.order_by(DeliveryAttempt.number)))


def latest_matching_event(session: Session, rule: AutomationRule) -> DomainEvent | None:
    """The most recent audit event that fires ``rule`` (trigger and conditions)."""
    recent = session.scalars(select(Event).order_by(Event.id.desc()).limit(TEST_FIRE_LOOKBACK))
    for raw in recent:
        event = map_event(session, raw)
        if (
            event is not None
            and event.type == rule.trigger
            and matches(rule.conditions, event.fields)
        ):
            return event
    return None


@dataclass
class PlannedAction:
    """One action of a test fire: what it would do and, for a webhook, its delivery."""

    index: int
    kind: str
    description: str
    delivery_id: int | None = None


@dataclass
class FirePlan:
    """The outcome of a test fire."""

    rule_id: int
    event: dict[str, Any]
    sample: bool
    actions: list[PlannedAction] = field(default_factory=list)


def _plan(session: Session, rule: AutomationRule) -> tuple[FirePlan, list[int]]:
    event = latest_matching_event(session, rule)
    sample = event is None
    chosen = event or sample_event(rule.trigger)
    plan = FirePlan(rule.id, chosen.data(), sample)
    prefix = f"test.{uuid.uuid4().hex[:12]}."
    made = create_deliveries(session, rule, chosen, key_prefix=prefix)
    webhook_ids = []
    for index, (action, delivery) in enumerate(zip(rule.actions, made, strict=True)):
        planned = PlannedAction(index, action["kind"], describe_action(action, chosen))
        if action["kind"] == "webhook":
            planned.delivery_id = delivery.id
            webhook_ids.append(delivery.id)
        else:  # a test fire only describes in-app actions; it changes no data
            session.delete(delivery)
        plan.actions.append(planned)
    return plan, webhook_ids


def test_fire(
    runtime: Runtime, actor: Actor, rule_id: int, *, session: Session | None = None
) -> FirePlan:
    """Run ``rule`` against its most recent matching event (a sample when none).

    Webhooks are really sent, now, as test deliveries shown in the log; the other
    actions are only described, so a test fire never changes the workspace.

    Args:
        session: a request's session; it is committed before the webhooks are sent (on
            SQLite it holds the write lock, which the delivery needs).
    """
    from pilothouse.automations.delivery import run_delivery

    actor.require(Role.editor, write=True)
    with _unit(runtime, session) as unit:
        rule = unit.get(AutomationRule, rule_id)
        if rule is None:
            raise NotFound(f"no automation rule {rule_id}")
        plan, webhook_ids = _plan(unit, rule)
        for delivery_id in webhook_ids:
            delivery = unit.get(Delivery, delivery_id)
            assert delivery is not None
            delivery.status = DeliveryStatus.queued
    for delivery_id in webhook_ids:
        run_delivery(runtime, delivery_id)
    return plan


@contextmanager
def _unit(runtime: Runtime, session: Session | None) -> Iterator[Session]:
    if session is None:
        with runtime.database.session() as own:
            yield own
        return
    yield session
    session.commit()
