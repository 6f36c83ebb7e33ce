"""API shapes of customer accounts and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccountCreate",
    "AccountList",
    "AccountRead",
    "AccountUpdate",
    "ContactList",
    "ContactRead",
]


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str
    name: str
    domain: str | None
    plan: str | None
    segment: str | None
    arr_cents: int | None = Field(description="Annual recurring revenue in integer cents.")
    traits: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=200)
    name: str = Field(default="", max_length=300)
    domain: str | None = Field(default=None, max_length=255)
    plan: str | None = Field(default=None, max_length=100)
    segment: str | None = Field(default=None, max_length=100)
    arr_cents: int | None = Field(default=None, ge=0)
    traits: dict[str, Any] = Field(default_factory=dict)


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=300)
    domain: str | None = Field(default=None, max_length=255)
    plan: str | None = Field(default=None, max_length=100)
    segment: str | None = Field(default=None, max_length=100)
    arr_cents: int | None = Field(default=None, ge=0)
    traits: dict[str, Any] | None = None


class AccountList(BaseModel):
    items: list[AccountRead]
    next_cursor: str | None = None


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    email: str | None
    name: str
    account_id: int | None
    traits: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ContactList(BaseModel):
    items: list[ContactRead]
    next_cursor: str | None = None
