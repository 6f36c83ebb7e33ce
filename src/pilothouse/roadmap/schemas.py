"""API shapes of the roadmap: ``*Create`` in, ``*Update`` (all optional) in, ``*Read`` out.

Input models forbid unknown fields, so a misspelt field is an error rather than
silently ignored. People may be given by id or e-mail, product areas by id, slug
or name, statuses by key or name, items and objectives by key.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict

from pilothouse.roadmap.importers import ImportFormat
from pilothouse.roadmap.models import FieldType, Horizon, ItemKind, ObjectiveStatus, StatusCategory

__all__ = [
    "ExternalRefCreate",
    "ExternalRefRead",
    "FieldCreate",
    "FieldList",
    "FieldRead",
    "FieldUpdate",
    "FormulaCheck",
    "FormulaCheckResult",
    "FormulaCreate",
    "FormulaList",
    "FormulaProblem",
    "FormulaRead",
    "FormulaUpdate",
    "ImportProblemRead",
    "ImportReportRead",
    "ImportRequest",
    "ItemCreate",
    "ItemInputs",
    "ItemList",
    "ItemRead",
    "ItemScore",
    "ItemScores",
    "ItemUpdate",
    "KeyResultCreate",
    "KeyResultRead",
    "KeyResultUpdate",
    "LinkCreate",
    "LinkList",
    "LinkRead",
    "ObjectiveCreate",
    "ObjectiveList",
    "ObjectiveRead",
    "ObjectiveUpdate",
    "PlannedRowRead",
    "RankedItem",
    "Ranking",
    "StatusBrief",
    "StatusCreate",
    "StatusList",
    "StatusRead",
    "StatusUpdate",
    "StrictInput",
]

#: An object by id or by key. The id is a strict integer: ``true`` is not id 1.
Ref = Annotated[int, Strict()] | str


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


# --- statuses ------------------------------------------------------------------------------


class StatusRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    category: StatusCategory
    position: int
    color: str
    is_default: bool


class StatusBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    category: StatusCategory


class StatusCreate(StrictInput):
    name: str = Field(min_length=1, max_length=100)
    category: StatusCategory
    key: str | None = Field(default=None, max_length=64)
    position: int | None = Field(default=None, ge=0)
    color: str = Field(default="", max_length=16)
    is_default: bool = False


class StatusUpdate(StrictInput):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    category: StatusCategory | None = None
    position: int | None = Field(default=None, ge=0)
    color: str | None = Field(default=None, max_length=16)
    is_default: bool | None = None


class StatusList(BaseModel):
    items: list[StatusRead]


# --- custom fields -------------------------------------------------------------------------


class FieldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    type: FieldType
    options: list[str]
    description: str
    position: int


class FieldCreate(StrictInput):
    name: str = Field(min_length=1, max_length=100)
    type: FieldType
    key: str | None = Field(default=None, max_length=64)
    options: list[str] = Field(default_factory=list)
    description: str = Field(default="", max_length=2000)


class FieldUpdate(StrictInput):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    options: list[str] | None = None
    description: str | None = Field(default=None, max_length=2000)
    position: int | None = Field(default=None, ge=0)


class FieldList(BaseModel):
    items: list[FieldRead]


# --- objectives ----------------------------------------------------------------------------


class KeyResultRead(BaseModel):
    id: int
    title: str
    metric_slug: str | None
    baseline_value: float | None
    target_value: float
    current_value: float | None = Field(description="From the bound metric, else kept by hand.")
    manual_value: float | None = Field(description="The value kept by hand, if any.")
    current_source: str | None = Field(description="`metric`, `manual` or null.")
    progress: float | None = Field(description="0..1 from baseline towards target.")
    unit: str
    position: int


class KeyResultCreate(StrictInput):
    title: str = Field(min_length=1, max_length=300)
    metric_slug: str | None = Field(
        default=None,
        max_length=100,
        description="A metric catalog name (activation_rate); checked when saved, 422 with "
        "the closest name when unknown.",
    )
    baseline_value: float | None = None
    target_value: float
    current_value: float | None = None
    unit: str = Field(default="", max_length=32)
    position: int | None = Field(default=None, ge=0)


class KeyResultUpdate(StrictInput):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    metric_slug: str | None = Field(
        default=None,
        max_length=100,
        description="A metric catalog name (activation_rate); checked when saved, 422 with "
        "the closest name when unknown.",
    )
    baseline_value: float | None = None
    target_value: float | None = None
    current_value: float | None = None
    unit: str | None = Field(default=None, max_length=32)
    position: int | None = Field(default=None, ge=0)


class ObjectiveRead(BaseModel):
    id: int
    key: str
    title: str
    description: str
    status: ObjectiveStatus
    period: str
    owner_id: int | None
    product_area_id: int | None
    progress: float | None = Field(description="Mean progress of the key results with one.")
    key_results: list[KeyResultRead]
    created_at: datetime
    updated_at: datetime


class ObjectiveCreate(StrictInput):
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    status: ObjectiveStatus = ObjectiveStatus.active
    period: str = Field(default="", max_length=16)
    owner_id: Ref | None = None
    product_area_id: Ref | None = None
    key_results: list[KeyResultCreate] = Field(default_factory=list)


class ObjectiveUpdate(StrictInput):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = None
    status: ObjectiveStatus | None = None
    period: str | None = Field(default=None, max_length=16)
    owner_id: Ref | None = None
    product_area_id: Ref | None = None


class ObjectiveList(BaseModel):
    items: list[ObjectiveRead]
    next_cursor: str | None = None


# --- items ---------------------------------------------------------------------------------


class ExternalRefRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    system: str
    external_key: str
    url: str | None


class ExternalRefCreate(StrictInput):
    url: str | None = Field(default=None, max_length=2000)
    system: str | None = Field(default=None, max_length=32)
    external_key: str | None = Field(default=None, max_length=300)


class ItemInputs(BaseModel):
    reach: float | None = None
    impact: float | None = None
    confidence: float | None = Field(default=None, description="Percent, 0 to 100.")
    effort: float | None = Field(default=None, description="Person-months.")
    ease: float | None = None
    value: float | None = None
    business_value: float | None = None
    time_criticality: float | None = None
    risk_reduction: float | None = None
    job_size: float | None = None


class ItemRead(ItemInputs):
    id: int
    key: str
    kind: ItemKind
    title: str
    description: str
    status: StatusBrief
    parent: str | None
    owner_id: int | None
    product_area_id: int | None
    tags: list[str]
    objectives: list[str]
    target_quarter: str | None
    start_date: date | None
    target_date: date | None
    fields: dict[str, Any]
    external_refs: list[ExternalRefRead]
    horizon: Horizon | None = Field(
        default=None,
        description="Board column: placed, or implied by the status; null when closed.",
    )
    board_rank: float | None = Field(default=None, description="Order within the board column.")
    created_at: datetime
    updated_at: datetime


class ItemCreate(ItemInputs, StrictInput):
    kind: ItemKind = ItemKind.idea
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    status: str | None = None
    parent: Ref | None = None
    owner_id: Ref | None = None
    product_area_id: Ref | None = None
    tags: list[str] = Field(default_factory=list)
    objectives: list[Ref] = Field(default_factory=list)
    target_quarter: str | None = Field(default=None, max_length=16)
    start_date: date | None = None
    target_date: date | None = None
    fields: dict[str, Any] = Field(default_factory=dict)


class ItemUpdate(ItemInputs, StrictInput):
    kind: ItemKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = None
    status: str | None = None
    parent: Ref | None = None
    owner_id: Ref | None = None
    product_area_id: Ref | None = None
    tags: list[str] | None = None
    objectives: list[Ref] | None = None
    target_quarter: str | None = Field(default=None, max_length=16)
    start_date: date | None = None
    target_date: date | None = None
    fields: dict[str, Any] | None = None


class ItemList(BaseModel):
    items: list[ItemRead]
    next_cursor: str | None = None


class LinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    from_type: str
    from_id: str
    to_type: str
    to_id: str
    kind: str
    created_at: datetime


class LinkCreate(StrictInput):
    to_type: str = Field(min_length=1, max_length=64, examples=["experiment", "feedback_item"])
    to_id: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="related", min_length=1, max_length=64)


class LinkList(BaseModel):
    items: list[LinkRead]


# --- scoring -------------------------------------------------------------------------------


class FormulaProblem(BaseModel):
    message: str
    field: str | None = None
    position: int | None = None


class FormulaRead(BaseModel):
    key: str
    name: str
    expression: str
    description: str
    builtin: bool


class FormulaCreate(StrictInput):
    key: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    expression: str = Field(min_length=1, max_length=1000)
    description: str = Field(default="", max_length=2000)


class FormulaUpdate(StrictInput):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    expression: str | None = Field(default=None, min_length=1, max_length=1000)
    description: str | None = Field(default=None, max_length=2000)


class FormulaList(BaseModel):
    items: list[FormulaRead]
    names: list[str] = Field(description="Every name a formula may read.")


class FormulaCheck(StrictInput):
    expression: str = Field(max_length=2000)


class FormulaCheckResult(BaseModel):
    ok: bool
    names: list[str] = Field(default_factory=list, description="Fields the formula reads.")
    error: FormulaProblem | None = None


class RankedItem(BaseModel):
    rank: int | None
    key: str
    title: str
    kind: ItemKind
    status: str
    score: float | None
    inputs: dict[str, Any] = Field(description="The value of every name the formula reads.")
    evidence: dict[str, int]
    error: FormulaProblem | None = None


class Ranking(BaseModel):
    formula: FormulaRead
    scored: int
    unscored: int
    items: list[RankedItem]


class ItemScore(BaseModel):
    formula: str
    score: float | None
    inputs: dict[str, Any]
    error: FormulaProblem | None = None


class ItemScores(BaseModel):
    key: str
    scores: list[ItemScore]


# --- imports -------------------------------------------------------------------------------


class ImportRequest(StrictInput):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000_000)

    format: ImportFormat = ImportFormat.csv
    content: str = Field(description="The file's text: CSV or JSON.")
    mapping: dict[str, str] = Field(
        default_factory=dict, description="Plain CSV only: field → column, e.g. title → Name."
    )
    kind: ItemKind | None = Field(
        default=None, description="Kind of new items (CSV default: idea; Jira, GitHub: by type)."
    )
    dry_run: bool = True
    source: str = Field(default="", max_length=200, description="File name, for the audit log.")


class ImportProblemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int
    column: str | None
    message: str


class PlannedRowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int
    action: str
    key: str
    title: str
    kind: str


class ImportReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    format: str
    dry_run: bool
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    columns: list[str]
    mapping: dict[str, str]
    sample: list[dict[str, Any]]
    planned: list[PlannedRowRead]
    problems: list[ImportProblemRead]
    warnings: list[ImportProblemRead]
