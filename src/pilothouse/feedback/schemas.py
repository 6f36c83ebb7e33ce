"""API shapes of feedback items, batches, links and imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pilothouse.feedback.importers import ImportFormat
from pilothouse.feedback.models import FeedbackStatus, Sentiment, SourceKind

__all__ = [
    "FeedbackBatchRead",
    "FeedbackCreate",
    "FeedbackList",
    "FeedbackRead",
    "FeedbackUpdate",
    "ImportProblemRead",
    "ImportReportRead",
    "ImportRequest",
    "LinkCreate",
    "LinkList",
    "LinkRead",
]

MAX_BATCH = 1000


class FeedbackBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)

    title: str | None = Field(default=None, max_length=300)
    source_name: str | None = Field(
        default=None, max_length=100, description="The tool or channel; default: the source kind."
    )
    external_id: str | None = Field(
        default=None, max_length=200, description="Id in the source; unique per source name."
    )
    url: str | None = Field(default=None, max_length=2000, description="Link to the original.")
    author_email: str | None = Field(default=None, max_length=320)
    author_name: str | None = Field(default=None, max_length=300)
    account: str | None = Field(
        default=None, max_length=200, description="Customer account id or external id."
    )
    created_at: datetime | None = Field(default=None, description="When the customer said it.")
    rating: int | None = Field(default=None, description="Stars or CSAT, 1 to 5.")
    nps_score: int | None = Field(default=None, description="Net Promoter answer, 0 to 10.")
    language: str | None = Field(default=None, max_length=16)
    product_area: str | None = Field(default=None, description="Product area id, slug or name.")
    tags: list[str] | None = None


class FeedbackCreate(FeedbackBase):
    text: str = Field(description="What the customer said (at most 20,000 characters).")
    source_kind: SourceKind = SourceKind.internal


class FeedbackUpdate(FeedbackBase):
    text: str | None = None
    source_kind: SourceKind | None = None
    status: FeedbackStatus | None = Field(
        default=None, description="new → triaged → linked → closed"
    )
    sentiment: Sentiment | None = None
    duplicate_of: int | None = Field(default=None, description="Id of the first item of a repeat.")


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    text: str
    source_kind: SourceKind
    source_name: str
    external_id: str | None
    url: str | None
    contact_id: int | None
    author_email: str | None
    account_id: int | None
    account_external_id: str | None
    created_at: datetime
    rating: int | None
    nps_score: int | None
    language: str | None
    product_area_id: int | None
    tags: list[str]
    status: FeedbackStatus
    sentiment: Sentiment | None
    duplicate_of_id: int | None
    recorded_at: datetime
    updated_at: datetime


class FeedbackList(BaseModel):
    items: list[FeedbackRead]
    next_cursor: str | None = None


class FeedbackBatchRead(BaseModel):
    items: list[FeedbackRead]
    created: int
    updated: int
    unchanged: int


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roadmap_item: str = Field(min_length=1, max_length=64, description="Item key or id.")


class LinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    from_type: str
    from_id: str
    to_type: str
    to_id: str
    kind: str
    created_at: datetime


class LinkList(BaseModel):
    items: list[LinkRead]


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000_000)

    format: ImportFormat = ImportFormat.csv
    content: str = Field(description="The file's text.")
    mapping: dict[str, str] = Field(
        default_factory=dict, description="CSV/JSONL only: field → column, e.g. text → Comment."
    )
    text_column: str | None = None
    source: str | None = Field(default=None, max_length=100)
    dry_run: bool = True


class ImportProblemRead(BaseModel):
    line: int
    column: str | None
    message: str
    unit: str = "line"  # "record": ``line`` is the position in a JSON list


class ImportReportRead(BaseModel):
    format: str
    source_name: str
    dry_run: bool
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    columns: list[str]
    mapping: dict[str, str]
    sample: list[dict[str, Any]]
    problems: list[ImportProblemRead]
    warnings: list[ImportProblemRead]
    waiting: int = Field(
        0, description="New items a synthesis job places in themes (imports over 500 items)."
    )
    job_id: int | None = Field(None, description="That job: GET /api/v1/jobs/{job_id}.")
