"""Pydantic shapes of ``/api/v1/dashboards``: dashboards with their tiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DashboardBase",
    "DashboardCreate",
    "DashboardList",
    "DashboardRead",
    "DashboardUpdate",
    "TileCreate",
    "TileRead",
    "TileUpdate",
]

Kind = Literal[
    "metric_chart", "experiment_scorecard", "roadmap_view", "theme_ranking", "health_figure"
]
Visibility = Literal["workspace", "private"]
Row = Field(default=None, ge=1, le=50)
Column = Field(default=None, ge=1, le=12)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DashboardBase(_Strict):
    description: str | None = Field(default=None, max_length=1000)
    visibility: Visibility | None = None
    default_days: Literal[7, 14, 30, 60, 90, 120, 180, 365] | None = None
    default_area: str | None = Field(default=None, max_length=80, description="An area's slug.")


class DashboardCreate(DashboardBase):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=80, description="Default: from the name.")


class DashboardUpdate(DashboardBase):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=80)


class TileCreate(_Strict):
    kind: Kind
    title: str | None = Field(default=None, max_length=200)
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="metric_chart: metric, grain, by; experiment_scorecard: experiment; "
        "roadmap_view: view (id); theme_ranking: top; health_figure: figure.",
    )
    row: int | None = Row
    col: int | None = Column
    width: int | None = Column
    height: int | None = Field(default=None, ge=1, le=4)


class TileUpdate(_Strict):
    title: str | None = Field(default=None, max_length=200)
    config: dict[str, Any] | None = None
    row: int | None = Row
    col: int | None = Column
    width: int | None = Column
    height: int | None = Field(default=None, ge=1, le=4)


class TileRead(BaseModel):
    id: int
    kind: str
    title: str
    config: dict[str, Any]
    row: int
    col: int
    width: int
    height: int
    filters: list[str] = Field(description="Which dashboard filters apply to this tile.")


class DashboardRead(BaseModel):
    slug: str
    name: str
    description: str
    url: str
    owner: str | None
    visibility: str
    default_days: int
    default_area: str | None
    can_edit: bool
    tiles: list[TileRead]
    created_at: datetime
    updated_at: datetime


class DashboardList(BaseModel):
    items: list[DashboardRead]
    count: int
