"""API shapes of automations: rules in and out, deliveries, test fires, the catalogue.

Input models forbid unknown fields. Conditions and actions are plain objects here
because their allowed keys depend on the trigger and the action kind; the rules
service checks them and names the exact field of any problem.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AttemptRead",
    "DeliveryList",
    "DeliveryRead",
    "EventTypeRead",
    "FirePlanRead",
    "PlannedActionRead",
    "RuleBase",
    "RuleCreate",
    "RuleList",
    "RuleRead",
    "RuleUpdate",
    "SecretRead",
    "StrictInput",
]


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class RuleBase(StrictInput):
    description: str = ""
    conditions: list[dict[str, Any]] = Field(
        default_factory=list,
        description='All must hold: [{"field": "area", "op": "eq", "value": "billing"}].',
    )
    enabled: bool = True


class RuleCreate(RuleBase):
    name: str = Field(max_length=200)
    trigger: str = Field(max_length=100, description="An event type of the catalogue.")
    actions: list[dict[str, Any]] = Field(
        description='[{"kind": "webhook", "url": "https://...", "format": "standard"}]'
    )


class RuleUpdate(StrictInput):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = None
    trigger: str | None = Field(default=None, max_length=100)
    conditions: list[dict[str, Any]] | None = None
    actions: list[dict[str, Any]] | None = None
    enabled: bool | None = None


class RuleRead(BaseModel):
    id: int
    name: str
    description: str
    trigger: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    enabled: bool
    rotating_secret: bool
    #: Webhook signing secrets, newest first; shown to editors and admins only.
    signing_secrets: list[str] | None = None
    created_at: datetime
    updated_at: datetime


class RuleList(BaseModel):
    items: list[RuleRead]
    count: int


class SecretRead(BaseModel):
    secret: str
    signing_secrets: list[str]


class AttemptRead(BaseModel):
    number: int
    started_at: datetime
    response_code: int | None
    latency_ms: int | None
    error: str | None
    response_excerpt: str


class DeliveryRead(BaseModel):
    id: int
    idempotency_key: str
    rule_id: int | None
    rule_name: str
    event_id: int | None
    event_type: str
    action_kind: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    response_code: int | None
    latency_ms: int | None
    error: str | None
    is_test: bool
    created_at: datetime
    updated_at: datetime
    attempt_log: list[AttemptRead] | None = None


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


class PlannedActionRead(BaseModel):
    index: int
    kind: str
    description: str
    delivery: DeliveryRead | None = None


class FirePlanRead(BaseModel):
    rule_id: int
    sample: bool = Field(description="True when no real event matched and a sample was used.")
    event: dict[str, Any]
    actions: list[PlannedActionRead]


class EventTypeRead(BaseModel):
    name: str
    object_type: str
    description: str
    fields: list[str]
