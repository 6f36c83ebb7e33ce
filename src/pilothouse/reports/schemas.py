"""The weekly review's JSON shape (``GET /api/v1/reports/weekly-review``) for OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = [
    "DecisionOut",
    "ExperimentOut",
    "LaunchOut",
    "MetricMoveOut",
    "OutsideDayOut",
    "RefOut",
    "ThemeOut",
    "WeekOut",
    "WeeklyReviewOut",
]


class RefOut(BaseModel):
    """An object named and linked: ``url`` is its page (relative to the app)."""

    type: str
    id: str
    name: str
    url: str | None


class WeekOut(BaseModel):
    key: str
    start: str
    end: str


class OutsideDayOut(BaseModel):
    day: str
    direction: str


class MetricMoveOut(BaseModel):
    """``change`` is this week over last week minus one; ``verdict`` is ``outside``,
    ``normal``, ``too_little_history`` or ``failed``; ``days``/``values`` cover 14 days."""

    metric: str
    label: str
    format: str
    this_week: float | None
    last_week: float | None
    change: float | None
    verdict: str
    verdict_text: str
    outside_days: list[OutsideDayOut]
    days: list[str]
    values: list[float | None]
    reference: RefOut | None
    settling: bool = Field(
        False,
        description="Some of the week's days are still settling (a conversion's young "
        "cohorts): this_week is not final and change is null.",
    )


class ExperimentOut(BaseModel):
    experiment: RefOut
    status: str
    started_at: str | None
    ended_at: str | None
    primary_metric: str | None
    result: str
    decision: str | None


class LaunchOut(BaseModel):
    launch: RefOut
    target_date: str
    note: str


class ThemeOut(BaseModel):
    theme: RefOut
    items: int
    customers: int
    direction: str
    spike: float | None


class DecisionOut(BaseModel):
    decision: RefOut
    decided_on: str | None
    chosen: str
    decided_by: str | None


class WeeklyReviewOut(BaseModel):
    title: str
    url: str
    week: WeekOut
    timezone: str
    generated_at: str
    metrics: list[MetricMoveOut]
    experiments_started: list[ExperimentOut]
    experiments_finished: list[ExperimentOut]
    launches_shipped: list[LaunchOut]
    launches_upcoming: list[LaunchOut]
    launches_overdue: list[LaunchOut]
    feedback_items: int
    themes_top: list[ThemeOut]
    themes_spiking: list[ThemeOut]
    decisions: list[DecisionOut]
    previous_week: str | None
    next_week: str | None
