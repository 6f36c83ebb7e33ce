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
    "LinkCreate",
    "LinkRead",
    "TemplateCreate",
    "TemplateList",
    "TemplateRead",
    "TemplateUpdate",
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
    template: int | str | None = Field(
        default=None,
        description="An experiment template (id or name): the variations, metrics, unit, "
        "exposure and analysis settings this request leaves out are taken from it.",
    )


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


class LinkRead(BaseModel):
    """A link from the experiment to a roadmap item or a launch (``ref`` = ``type:id``)."""

    type: str
    id: str
    ref: str
    kind: str
    label: str | None = None
    url: str | None = None


class LinkCreate(Strict):
    type: str = Field(pattern="^(roadmap_item|launch)$")
    id: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="related", min_length=1, max_length=32)


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
    links: list[LinkRead] | None = Field(
        default=None,
        description="Linked roadmap items and launches (in single-experiment responses; "
        "null in lists).",
    )


class ExperimentList(BaseModel):
    items: list[ExperimentRead]
    next_cursor: str | None = None


class DecisionCreate(Strict):
    outcome: DecisionOutcome
    rationale: str = Field(min_length=1, max_length=10_000)


class TemplateBase(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="Any of analysis_unit, variations, exposure, metrics, analysis, "
        "hypothesis_prompt (see docs/experiments.md#templates).",
    )


class TemplateCreate(TemplateBase):
    pass


class TemplateUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    defaults: dict[str, Any] | None = None


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    defaults: dict[str, Any]
    created_at: datetime


class TemplateList(BaseModel):
    items: list[TemplateRead]
    count: int
