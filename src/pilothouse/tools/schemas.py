"""API shapes of the tool inventory, and the fixed lists its values come from.

Input models forbid unknown fields, so a misspelt field is an error rather than
silently ignored. People are given by e-mail (or id). Money is integer cents in the
tool's ISO 4217 currency; the service checks every value again, with the same
messages the CSV import and the pages show.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

__all__ = [
    "BILLINGS",
    "CATEGORIES",
    "MAX_CENTS",
    "MAX_SEATS",
    "STATUSES",
    "CategoryTotal",
    "ImportPreview",
    "ImportRow",
    "OverlapRead",
    "PersonBrief",
    "RenewalRead",
    "SeatPreview",
    "SeatRow",
    "ToolCreate",
    "ToolList",
    "ToolRead",
    "ToolSummary",
    "ToolUpdate",
    "UnusedRead",
    "YearTotal",
]

#: The categories a tool may have (docs/tools.md lists them); anything else is refused.
CATEGORIES: tuple[str, ...] = (
    "analytics",
    "product management",
    "design",
    "feedback",
    "experimentation",
    "communication",
    "engineering",
    "data",
    "support",
    "other",
)
#: ``evaluating`` (a trial), ``active``, ``cancelling`` (notice given), ``retired``.
STATUSES: tuple[str, ...] = ("evaluating", "active", "cancelling", "retired")
BILLINGS: tuple[str, ...] = ("monthly", "annual")
#: The largest price per period, in cents (a 32-bit column on every backend).
MAX_CENTS = 2_000_000_000
MAX_SEATS = 1_000_000

Ref = Annotated[int, Strict()] | str


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5_000)


class ToolUpdate(_Input):
    """Fields to change; those left out stay as they are."""

    name: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, description="One of the fixed categories.")
    description: str | None = None
    owner: Ref | None = Field(default=None, description="User e-mail or id.")
    admins: list[Ref] | None = Field(default=None, max_length=50)
    cost_cents: int | None = Field(default=None, description="Price per billing period.")
    currency: str | None = Field(default=None, description="ISO 4217 code, e.g. EUR.")
    billing: str | None = Field(default=None, description="monthly or annual.")
    seats_bought: int | None = None
    seats_used: int | None = None
    contract_start: date | None = None
    renewal_date: date | None = None
    ended_on: date | None = None
    notice_days: int | None = None
    data_held: str | None = None
    sso: bool | None = None
    status: str | None = Field(default=None, description="evaluating, active, cancelling, retired.")
    capabilities: list[str] | None = Field(default=None, max_length=30)


class ToolCreate(ToolUpdate):
    name: str = Field(max_length=200)  # type: ignore[assignment]
    category: str  # type: ignore[assignment]


class PersonBrief(BaseModel):
    id: int
    email: str
    name: str


class ToolRead(BaseModel):
    slug: str
    name: str
    category: str
    description: str
    owner: PersonBrief | None
    admins: list[PersonBrief]
    cost_cents: int
    currency: str
    billing: str
    annual_cents: int
    seats_bought: int | None
    seats_used: int | None
    unused_seats: int
    seats_checked_on: date | None
    contract_start: date | None
    renewal_date: date | None
    ended_on: date | None
    notice_days: int
    data_held: str
    sso: bool
    status: str
    capabilities: list[str]


class ToolList(BaseModel):
    items: list[ToolRead]
    count: int


class OverlapRead(BaseModel):
    """Tools that may do the same job: ``kind`` is ``category`` or ``capability``."""

    kind: str
    value: str
    tools: list[str]


class UnusedRead(BaseModel):
    tool: str
    unused_seats: int
    annual_cents_unused: int
    currency: str


class RenewalRead(BaseModel):
    tool: str
    renewal_date: date
    days_left: int
    notice_days: int
    annual_cents: int
    currency: str


class CategoryTotal(BaseModel):
    category: str
    currency: str
    annual_cents: int
    tools: int


class YearTotal(BaseModel):
    year: int
    currency: str
    annual_cents: int


class ToolSummary(BaseModel):
    """What the inventory page shows above the list (active tools only)."""

    today: date
    overlaps: list[OverlapRead]
    unused: list[UnusedRead]
    renewals: list[RenewalRead]
    by_category: list[CategoryTotal]
    by_year: list[YearTotal]


class ImportRow(BaseModel):
    """One CSV row as the import would apply it; ``errors`` say ``field: message``."""

    row: int
    name: str
    action: str
    errors: list[str]


class ImportPreview(BaseModel):
    dry_run: bool
    applied: bool
    created: int
    updated: int
    rows: list[ImportRow]
    errors: list[str]


class SeatRow(BaseModel):
    tool: str
    seats_used_before: int | None
    seats_used: int
    seats_bought: int | None


class SeatPreview(BaseModel):
    dry_run: bool
    applied: bool
    active_days: int
    as_of: date
    tools: list[SeatRow]
    errors: list[str]
