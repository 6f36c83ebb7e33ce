"""Tables of the experiments domain: experiments, their variations and metrics,
decisions, analysis snapshots and templates."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow
from pilothouse.core.models import ProductArea, User

__all__ = [
    "DecisionOutcome",
    "Experiment",
    "ExperimentDecision",
    "ExperimentMetric",
    "ExperimentSnapshot",
    "ExperimentStatus",
    "ExperimentTemplate",
    "ExperimentVariation",
    "MetricRole",
]


class ExperimentStatus(enum.StrEnum):
    draft = "draft"
    running = "running"
    stopped = "stopped"
    decided = "decided"


class MetricRole(enum.StrEnum):
    primary = "primary"
    secondary = "secondary"
    guardrail = "guardrail"


class DecisionOutcome(enum.StrEnum):
    ship = "ship"
    roll_back = "roll_back"
    iterate = "iterate"


def _enum(cls: type[enum.Enum], name: str) -> SAEnum:
    return SAEnum(cls, name=name, native_enum=False, validate_strings=True, length=16)


class Experiment(Base):
    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    product_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_areas.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[ExperimentStatus] = mapped_column(
        _enum(ExperimentStatus, "experiment_status"), default=ExperimentStatus.draft
    )
    analysis_unit: Mapped[str] = mapped_column(String(16), default="user")
    #: Where exposures come from: an event in the embedded store or a warehouse table.
    exposure: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Stats engine settings (engine, alpha, sequential, CUPED, capping ...).
    analysis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(lazy="joined")
    product_area: Mapped[ProductArea | None] = relationship(lazy="joined")
    variations: Mapped[list[ExperimentVariation]] = relationship(
        order_by="ExperimentVariation.position", cascade="all, delete-orphan", lazy="selectin"
    )
    metrics: Mapped[list[ExperimentMetric]] = relationship(
        order_by="ExperimentMetric.position", cascade="all, delete-orphan", lazy="selectin"
    )
    decision: Mapped[ExperimentDecision | None] = relationship(
        cascade="all, delete-orphan", lazy="selectin", uselist=False
    )


class ExperimentVariation(Base):
    __tablename__ = "experiment_variations"
    __table_args__ = (UniqueConstraint("experiment_id", "key", name="uq_variation_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer)


class ExperimentMetric(Base):
    __tablename__ = "experiment_metrics"
    __table_args__ = (UniqueConstraint("experiment_id", "metric", name="uq_experiment_metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(200))
    role: Mapped[MetricRole] = mapped_column(_enum(MetricRole, "metric_role"))
    #: For guardrails, the bad direction: ``decrease`` for revenue, ``increase`` for errors.
    bad_direction: Mapped[str | None] = mapped_column(String(16), default=None)
    #: Non-inferiority margin of a guardrail, as a relative change (0.02 = 2 %).
    margin: Mapped[float | None] = mapped_column(Float, default=None)
    position: Mapped[int] = mapped_column(Integer)


class ExperimentDecision(Base):
    __tablename__ = "experiment_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[DecisionOutcome] = mapped_column(_enum(DecisionOutcome, "decision_outcome"))
    rationale: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_label: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExperimentSnapshot(Base):
    """One analysis run; failed runs are kept too and never replace a good one."""

    __tablename__ = "experiment_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(default=True)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    requested_by_label: Mapped[str] = mapped_column(String(320), default="")


class ExperimentTemplate(Base):
    """Defaults Product Ops prepares for a kind of experiment (metrics, guardrails, settings)."""

    __tablename__ = "experiment_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    defaults: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
