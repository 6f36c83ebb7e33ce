"""API shapes of experiment analyses: snapshots, the analysis SQL and the power report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["AnalysisSql", "PowerReport", "SnapshotList", "SnapshotRead", "SnapshotSummary"]


class SnapshotSummary(BaseModel):
    """One run in a list: when, whether it worked, and the effects (no SQL, no slices)."""

    id: int
    experiment: str
    computed_at: datetime
    succeeded: bool
    error: str | None
    requested_by_label: str
    summary: dict[str, Any]


class SnapshotRead(BaseModel):
    """One run with its whole results document (``results``)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    experiment: str
    computed_at: datetime
    succeeded: bool
    error: str | None
    requested_by_label: str
    results: dict[str, Any]


class SnapshotList(BaseModel):
    items: list[SnapshotSummary]
    next_cursor: str | None = None


class AnalysisSql(BaseModel):
    """The SQL an analysis would run, for one dialect."""

    experiment: str
    source: str
    dialect: str
    exposures: str
    statistics: str
    metrics: list[str]
    skipped: list[dict[str, Any]]


class PowerReport(BaseModel):
    """Minimum detectable effects, duration and mid-experiment power of one metric."""

    model_config = ConfigDict(extra="allow")

    experiment: str
    metric: str
    kind: str
    difference: str
    test: str
    alpha: float
    target_power: float
    history: dict[str, Any]
    mde: list[dict[str, Any]]
    effect: float
    duration_days: float | str | None
    mid_experiment: dict[str, Any] | None
