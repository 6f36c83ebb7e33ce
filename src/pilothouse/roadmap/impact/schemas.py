"""JSON shapes of the impact view (``GET /api/v1/roadmap/items/{key}/impact``)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

__all__ = [
    "CustomerRead",
    "EstimateRead",
    "EvidenceRead",
    "ExperimentImpactRead",
    "ImpactRead",
    "LaunchImpactRead",
    "MetricImpactRead",
    "ReferenceRead",
    "ShippedItemRead",
    "ShippedList",
    "StageImpactRead",
]


class ReferenceRead(BaseModel):
    """Another object, named and addressed (``deleted``: it is gone since it was linked)."""

    type: str
    id: str
    label: str
    url: str | None
    type_label: str
    deleted: bool = False


class CustomerRead(BaseModel):
    customer: ReferenceRead
    arr_cents: int


class EvidenceRead(BaseModel):
    themes: list[ReferenceRead]
    feedback: list[ReferenceRead] = Field(description="Feedback linked directly (first 10).")
    feedback_count: int = Field(description="Distinct feedback items, direct and in themes.")
    customers: list[CustomerRead] = Field(description="Customers with the most ARR (first 10).")
    customer_count: int
    arr_cents: int


class StageImpactRead(BaseModel):
    name: str
    state: str = Field(description="passed, current or upcoming")
    due_date: date


class LaunchImpactRead(BaseModel):
    launch: ReferenceRead
    status: str
    stage: str
    stages: list[StageImpactRead]
    ga_date: date = Field(description="Day it launched, or the planned GA day.")
    launched: bool


class ExperimentImpactRead(BaseModel):
    experiment: ReferenceRead
    status: str
    primary_metric: ReferenceRead | None
    result: str | None = Field(description="The primary metric's latest result, in words.")


class EstimateRead(BaseModel):
    """Interrupted time series: level change at GA with a 95 % interval."""

    status: str = Field(description="rose, fell, no_clear_change, too_few_before, ...")
    cannot_tell: bool
    days_before: int
    days_after: int
    mean_before: float | None
    mean_after: float | None
    level_change: float | None
    ci_low: float | None
    ci_high: float | None
    relative_change: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    pre_trend_per_day: float | None
    lags: int | None


class MetricImpactRead(BaseModel):
    metric: ReferenceRead
    ga_date: date | None
    message: str
    estimate: EstimateRead | None
    window_start: date | None
    window_end: date | None


class ImpactRead(BaseModel):
    """The whole chain: evidence → launches → experiments → measured metrics."""

    subject: ReferenceRead
    ga_date: date | None
    evidence: EvidenceRead
    launches: list[LaunchImpactRead]
    experiments: list[ExperimentImpactRead]
    metrics: list[MetricImpactRead]


class ShippedItemRead(BaseModel):
    item: ReferenceRead
    ga_date: date
    evidence: EvidenceRead
    metrics: list[MetricImpactRead]


class ShippedList(BaseModel):
    items: list[ShippedItemRead]
    count: int
