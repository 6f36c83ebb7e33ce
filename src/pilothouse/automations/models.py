"""Tables of the automations domain: rules, the dispatch cursor, firings and deliveries.

The ``events`` table of core is the outbox; these tables record how far it has been
read (``automation_cursors``), which rule fired for which event chain
(``automation_firings``, unique per rule and chain: the loop guard) and each action to
carry out (``automation_deliveries``, unique per event, rule and action: the
idempotency key) with one row per attempt (``automation_delivery_attempts``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = [
    "AutomationCursor",
    "AutomationFiring",
    "AutomationRule",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
]


class DeliveryStatus(enum.StrEnum):
    """pending → queued → running → succeeded | retrying (→ queued ...) | failed."""

    pending = "pending"
    queued = "queued"
    running = "running"
    retrying = "retrying"
    succeeded = "succeeded"
    failed = "failed"


class AutomationRule(Base):
    """A rule: when an event of ``trigger`` matches ``conditions``, carry out ``actions``."""

    __tablename__ = "automation_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(String(100), index=True)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Signing secrets of its webhooks, newest first (two during a rotation).
    secrets: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Events up to this id happened before the rule existed and never fire it.
    since_event_id: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutomationCursor(Base):
    """How far a dispatcher has read the events table (one row per dispatcher name)."""

    __tablename__ = "automation_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutomationFiring(Base):
    """A rule fired for an event; unique per rule and event chain, so no loop can form."""

    __tablename__ = "automation_firings"
    __table_args__ = (UniqueConstraint("rule_id", "chain_root_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("automation_rules.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(Integer)
    chain_root_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One action of one rule for one event, carried out by ``automations.deliver`` jobs."""

    __tablename__ = "automation_deliveries"
    __table_args__ = (
        Index("ix_automation_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_automation_deliveries_rule_id_id", "rule_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``<event id>.<rule id>.<action index>`` (``test.<n>...`` for test fires).
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_rules.id", ondelete="SET NULL"), default=None
    )
    rule_name: Mapped[str] = mapped_column(String(200), default="")
    event_id: Mapped[int | None] = mapped_column(Integer, default=None)
    event_type: Mapped[str] = mapped_column(String(100))
    chain_root_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action_index: Mapped[int] = mapped_column(Integer, default=0)
    action_kind: Mapped[str] = mapped_column(String(32))
    action: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    target: Mapped[str] = mapped_column(String(500), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[DeliveryStatus] = mapped_column(
        SAEnum(
            DeliveryStatus,
            name="delivery_status",
            native_enum=False,
            validate_strings=True,
            length=16,
        ),
        default=DeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    response_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DeliveryAttempt(Base):
    """One try at a delivery: when, how long, what came back."""

    __tablename__ = "automation_delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("automation_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    response_excerpt: Mapped[str] = mapped_column(String(500), default="")
