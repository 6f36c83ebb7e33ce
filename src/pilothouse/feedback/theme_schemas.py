"""API shapes of themes, theme changes, proposals and synthesis runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pilothouse.feedback.schemas import FeedbackRead

__all__ = [
    "ItemsMove",
    "ProposalList",
    "ProposalRead",
    "SynthesisRead",
    "ThemeCreate",
    "ThemeCreated",
    "ThemeDetailRead",
    "ThemeList",
    "ThemeMerge",
    "ThemeRead",
    "ThemeSplit",
    "ThemeSteer",
    "ThemeUpdate",
]

MAX_IDS = 10_000


class ThemeRead(BaseModel):
    """A theme and the weight behind it: items, distinct customers, their ARR in cents."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    description: str
    keywords: list[str]
    summary: str
    hidden: bool
    steered: bool
    item_count: int
    customer_count: int
    arr_cents: int
    negative_share: float
    created_at: datetime
    updated_at: datetime


class ThemeDetailRead(ThemeRead):
    quotes: list[FeedbackRead]
    example_item_ids: list[int]
    origin: str
    label_is_custom: bool
    item_ids: list[int]


class ThemeList(BaseModel):
    items: list[ThemeRead]
    count: int


class ThemeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    example_item_ids: list[int] = Field(default_factory=list, max_length=100)


class ThemeCreated(BaseModel):
    id: int


class ThemeUpdate(BaseModel):
    """Rename, describe, hide or show; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    hidden: bool | None = None


class ThemeMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_ids: list[int] = Field(min_length=1, max_length=100)


class ThemeSplit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_ids: list[int] = Field(min_length=1, max_length=MAX_IDS)
    label: str = Field(min_length=1, max_length=200)


class ThemeSteer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=5000)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    example_item_ids: list[int] = Field(default_factory=list, max_length=100)


class ItemsMove(BaseModel):
    """Put items in a theme; ``theme_id`` null takes them out of every theme."""

    model_config = ConfigDict(extra="forbid")

    item_ids: list[int] = Field(min_length=1, max_length=MAX_IDS)
    theme_id: int | None


class ProposalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    payload: dict[str, Any]
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class ProposalList(BaseModel):
    items: list[ProposalRead]


class SynthesisRead(BaseModel):
    """``report`` when the run happened in the request (``wait=true``); else the queued ``job``."""

    report: dict[str, Any] | None = None
    job: dict[str, Any] | None = None
