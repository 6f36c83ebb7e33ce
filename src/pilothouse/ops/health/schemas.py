"""The JSON shapes of ``GET /api/v1/ops/health`` and ``/api/v1/ops/health/{figure}``."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = [
    "FigureDetailOut",
    "FigureOut",
    "FilterOut",
    "HealthOut",
    "SampleOut",
    "TrendPointOut",
]


class FilterOut(BaseModel):
    quarter: str | None
    area: str | None


class TrendPointOut(BaseModel):
    """The figure in one quarter (``2026-Q1``) or month (``2026-01``)."""

    period: str
    value: float | None
    n: int


class FigureOut(BaseModel):
    """One figure under the filter. ``value`` is the p50 for durations (days), a share
    from 0 to 1 for rates, a count, or a mean; ``p85`` only for durations."""

    key: str
    title: str
    group: str
    kind: str
    unit: str
    value: float | None
    p85: float | None
    n: int
    trend: list[TrendPointOut]
    url: str


class SampleOut(BaseModel):
    """One object behind a figure: its name and page, its value in the figure's unit."""

    type: str
    id: str
    name: str
    url: str | None
    deleted: bool
    value: float
    period: str
    note: str


class HealthOut(BaseModel):
    filter: FilterOut
    timezone: str
    quarters: list[str]
    figures: list[FigureOut]


class FigureDetailOut(FigureOut):
    filter: FilterOut
    items: list[SampleOut]
