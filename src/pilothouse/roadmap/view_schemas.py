"""API shapes of the board, saved views and share links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pilothouse.roadmap.models import Horizon, ViewKind
from pilothouse.roadmap.schemas import ItemRead, StrictInput

__all__ = [
    "BoardRead",
    "ColumnChoice",
    "ItemMove",
    "ShareLinkCreate",
    "ShareLinkCreated",
    "ShareLinkList",
    "ShareLinkRead",
    "ViewBase",
    "ViewCreate",
    "ViewList",
    "ViewRead",
    "ViewUpdate",
]


class ItemMove(StrictInput):
    horizon: Horizon
    before: str | None = Field(default=None, description="Key of the card to land before.")
    after: str | None = Field(default=None, description="Key of the card to land after.")


class BoardRead(BaseModel):
    now: list[ItemRead]
    next: list[ItemRead]
    later: list[ItemRead]


class ColumnChoice(BaseModel):
    key: str
    label: str
    group: str


class ViewBase(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: ViewKind = ViewKind.table
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="Item filters as on /items: kind, status, category, product_area, "
        "objective, owner, tag, quarter, q, field.",
    )
    columns: list[str] | None = Field(default=None, description="Table columns, in order.")
    formula: str = "rice"
    shared: bool = Field(default=False, description="Visible to the whole workspace (editors).")


class ViewCreate(ViewBase, StrictInput):
    pass


class ViewUpdate(StrictInput):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: ViewKind | None = None
    filters: dict[str, Any] | None = None
    columns: list[str] | None = None
    formula: str | None = None
    shared: bool | None = None


class ViewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: ViewKind
    owner_id: int
    filters: dict[str, Any]
    columns: list[str]
    formula: str
    shared: bool
    created_at: datetime
    updated_at: datetime


class ViewList(BaseModel):
    items: list[ViewRead]
    columns: list[ColumnChoice] = Field(description="Every column a table view may show.")


class ShareLinkCreate(StrictInput):
    view_id: int
    fields: list[str] | None = Field(
        default=None,
        description="What the page shows besides the title; default key, status, quarter.",
    )
    label: str = Field(default="", max_length=100)
    expires_at: datetime | None = None
    expires_in_days: int | None = Field(default=None, description="1–365; default 30.")


class ShareLinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    view_id: int
    prefix: str
    label: str
    fields: list[str]
    expires_at: datetime
    revoked_at: datetime | None
    created_by_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    live: bool


class ShareLinkCreated(ShareLinkRead):
    token: str = Field(description="Shown once; only a hash is stored.")
    url: str = Field(description="The read-only page, /share/roadmap/<token>.")


class ShareLinkList(BaseModel):
    items: list[ShareLinkRead]
