"""API shapes of experiments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pilothouse.experiments.models import DecisionOutcome, ExperimentStatus, MetricRole

__all__ = [
    "DecisionCreate",
    "ExperimentCreate",
    "ExperimentList",
    "ExperimentRead",
    "ExperimentUpdate",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariationIn(Strict):
    key: str = Field(min_length=1, max_length=100)
    name: str = Field(default="", max_length=200)
    weight: float = Field(gt=0, le=1)


class MetricIn(Strict):
    metric: str = Field(min_length=1, max_length=200)
    role: MetricRole = MetricRole.secondary
    bad_direction: str | None = Field(default=None, pattern="^(increase|decrease)$")
    margin: float | None = Field(default=None, ge=0, lt=1)


class ExperimentCreate(Strict):
    name: str = Field(min_length=1, max_length=300)
    hypothesis: str = Field(default="", max_length=10_000)
    owner_id: int | None = None
    product_area: str | None = None
    analysis_unit: str = Field(default="user", pattern="^(user|account)$")
    variations: list[VariationIn] = Field(
        default_factory=lambda: [
            VariationIn(key="control", name="Control", weight=0.5),
            VariationIn(key="treatment", name="Treatment", weight=0.5),
        ]
    )
    exposure: dict[str, Any] = Field(default_factory=dict)
    metrics: list[MetricIn] = Field(default_factory=list)
    analysis: dict[str, Any] = Field(default_factory=dict)


class ExperimentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    hypothesis: str | None = Field(default=None, max_length=10_000)
    owner_id: int | None = None
    product_area: str | None = None
    analysis_unit: str | None = Field(default=None, pattern="^(user|account)$")
    variations: list[VariationIn] | None = None
    exposure: dict[str, Any] | None = None
    metrics: list[MetricIn] | None = None
    analysis: dict[str, Any] | None = None


class VariationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    name: str
    weight: float


class MetricOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    metric: str
    role: MetricRole
    bad_direction: str | None
    margin: float | None


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    outcome: DecisionOutcome
    rationale: str
    decided_by_label: str
    decided_at: datetime


class ExperimentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    hypothesis: str
    owner_id: int | None
    product_area_id: int | None
    status: ExperimentStatus
    analysis_unit: str
    exposure: dict[str, Any]
    analysis: dict[str, Any]
    variations: list[VariationOut]
    metrics: list[MetricOut]
    decision: DecisionOut | None
    started_at: datetime | None
    ended_at: datetime | None
    created_at: datetime


class ExperimentList(BaseModel):
    items: list[ExperimentRead]
    next_cursor: str | None = None


class DecisionCreate(Strict):
    outcome: DecisionOutcome
    rationale: str = Field(min_length=1, max_length=10_000)
