"""API shapes of launches: ``*Create`` in, ``*Update`` (all optional) in, ``*Read`` out.

Input models forbid unknown fields, so a misspelt field is an error rather than
silently ignored. People are given by id or e-mail, product areas by id, slug or
name, templates by id or name, features by roadmap key (``FEAT-12``) or id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from pilothouse.launches.models import ApprovalDecision, LaunchStatus

__all__ = [
    "ApprovalRead",
    "ApproversUpdate",
    "CalendarEntryRead",
    "CalendarRead",
    "ChangelogEntry",
    "ChangelogRead",
    "DecisionBriefRead",
    "DecisionInput",
    "ExperimentLinkInput",
    "FeatureInput",
    "FeatureRead",
    "GateRead",
    "ItemCreate",
    "ItemRead",
    "ItemUpdate",
    "LaunchBrief",
    "LaunchCreate",
    "LaunchList",
    "LaunchRead",
    "LaunchUpdate",
    "LinkedExperimentRead",
    "PersonRef",
    "ReadinessRead",
    "ReleaseNotesRead",
    "ReleaseNotesUpdate",
    "StageRead",
    "StrictInput",
    "TemplateCreate",
    "TemplateGateInput",
    "TemplateGateRead",
    "TemplateItemInput",
    "TemplateItemRead",
    "TemplateList",
    "TemplateRead",
    "TemplateStageInput",
    "TemplateStageRead",
    "TemplateUpdate",
    "VariationResultRead",
]

#: An object by id or by key. The id is a strict integer: ``true`` is not id 1.
Ref = Annotated[int, Strict()] | str


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


# --- templates -----------------------------------------------------------------------------


class TemplateItemInput(StrictInput):
    title: str = Field(max_length=300)
    owner_role: str = Field("", max_length=64, description="Who does it, e.g. PM, Marketing.")
    offset_days: int = Field(
        0, description="Due date, in days relative to GA (-14 = 2 weeks before)."
    )
    required: bool = True


class TemplateGateInput(StrictInput):
    name: str = Field(max_length=200)
    approvers: list[Ref] = Field(description="Named approvers, by user id or e-mail.")


class TemplateStageInput(StrictInput):
    name: str = Field(max_length=100)
    offset_days: int = Field(0, description="When the stage should end, relative to GA.")
    items: list[TemplateItemInput] = []
    gates: list[TemplateGateInput] = []


class TemplateCreate(StrictInput):
    name: str = Field(max_length=200)
    description: str = ""
    stages: list[TemplateStageInput] = Field(min_length=2)


class TemplateUpdate(StrictInput):
    name: str | None = Field(None, max_length=200)
    description: str | None = None
    stages: list[TemplateStageInput] | None = Field(
        None, description="Replaces the whole structure; running launches keep their copy."
    )


class PersonRef(BaseModel):
    id: int
    email: str
    name: str


class TemplateItemRead(BaseModel):
    title: str
    owner_role: str
    offset_days: int
    required: bool


class TemplateGateRead(BaseModel):
    name: str
    approvers: list[PersonRef]


class TemplateStageRead(BaseModel):
    name: str
    offset_days: int
    items: list[TemplateItemRead]
    gates: list[TemplateGateRead]


class TemplateRead(BaseModel):
    id: int
    name: str
    description: str
    stages: list[TemplateStageRead]
    created_at: datetime
    updated_at: datetime


class TemplateList(BaseModel):
    items: list[TemplateRead]
    count: int


# --- launches ------------------------------------------------------------------------------


class LaunchCreate(StrictInput):
    template: Ref = Field(description="Template id or name.")
    name: str = Field(max_length=300)
    description: str = ""
    target_date: date = Field(description="The GA date; due dates are relative to it.")
    product_area: Ref | None = None
    owner: Ref | None = Field(None, description="Defaults to the person creating it.")
    features: list[Ref] = Field([], description="Roadmap items by key (FEAT-12) or id.")
    owners: dict[str, Ref] = Field({}, description="Owner role → person, e.g. {'PM': 'a@x.io'}.")
    approvers: dict[str, list[Ref]] = Field(
        {}, description="Gate name → named approvers, replacing the template's."
    )


class LaunchUpdate(StrictInput):
    name: str | None = Field(None, max_length=300)
    description: str | None = None
    target_date: date | None = Field(None, description="Moves every due date with it.")
    product_area: Ref | None = None
    owner: Ref | None = None
    status: LaunchStatus | None = Field(
        None, description="cancelled, or planned to re-open; the rest follow from gates."
    )


class ItemRead(BaseModel):
    id: int
    title: str
    owner_role: str
    owner: PersonRef | None
    due_date: date
    required: bool
    done: bool
    done_at: datetime | None
    done_by: PersonRef | None
    overdue: bool


class ItemCreate(StrictInput):
    """A checklist item added to a running launch (``checklists.add_item``)."""

    title: str = Field(max_length=300)
    stage: Ref | None = Field(None, description="Stage name or position; default the current.")
    owner: Ref | None = None
    due_date: date | None = Field(None, description="Default: the stage's due date.")
    required: bool = True


class ItemUpdate(StrictInput):
    title: str | None = Field(None, max_length=300)
    owner: Ref | None = None
    due_date: date | None = None
    required: bool | None = None
    done: bool | None = None


class ApprovalRead(BaseModel):
    approver: PersonRef
    decision: ApprovalDecision
    comment: str
    decided_at: datetime | None


class GateRead(BaseModel):
    id: int
    name: str
    approved: bool
    approvals: list[ApprovalRead]


class StageRead(BaseModel):
    position: int
    name: str
    due_date: date
    state: str = Field(description="passed, current or upcoming")
    entered_at: datetime | None
    passed_at: datetime | None
    items: list[ItemRead]
    gates: list[GateRead]


class ReadinessRead(BaseModel):
    score: int = Field(description="0–100; the formula is in docs/launches.md.")
    base: float
    penalty: int
    overdue_required: int
    overdue_optional: int


class FeatureRead(BaseModel):
    id: int
    key: str
    title: str
    status: str
    product_area_id: int | None


class LaunchBrief(BaseModel):
    key: str
    name: str
    status: LaunchStatus
    stage: str | None
    product_area: str | None
    owner: PersonRef | None
    target_date: date
    readiness: int
    overdue: int


class LaunchList(BaseModel):
    items: list[LaunchBrief]
    count: int
    next_cursor: str | None


class VariationResultRead(BaseModel):
    """The primary metric's latest result for one treatment against the baseline."""

    variation: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    status: str | None = Field(description="better, worse or inconclusive.")
    error: str | None


class LinkedExperimentRead(BaseModel):
    """An experiment linked to the launch (made from either side)."""

    id: int
    key: str
    name: str
    status: str = Field(description="draft, running, stopped or decided.")
    url: str
    primary_metric: str | None
    relative: bool = Field(description="Effects are relative changes (0.03 = +3 %).")
    results: list[VariationResultRead] = Field(
        description="From the newest successful analysis; empty when never analysed."
    )
    result_summary: str | None
    analysed_at: datetime | None


class DecisionBriefRead(BaseModel):
    """A decision-log entry linked to the launch."""

    key: str
    title: str
    status: str
    decided_on: date | None
    url: str


class LaunchRead(BaseModel):
    id: int
    key: str
    name: str
    description: str
    template_name: str
    status: LaunchStatus
    stage: str | None
    current_stage: int
    product_area: str | None
    owner: PersonRef | None
    target_date: date
    launched_at: datetime | None
    readiness: ReadinessRead
    blockers: list[str] = Field(description="What keeps the launch in its current stage.")
    features: list[FeatureRead]
    stages: list[StageRead]
    experiments: list[LinkedExperimentRead] = Field(
        default_factory=list, description="Experiments linked to the launch."
    )
    decisions: list[DecisionBriefRead] = Field(
        default_factory=list, description="Decisions about the launch, newest first."
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Not blocking: linked experiments still running while the GA gate "
        "(into the last stage) is ahead, e.g. 'EXP-3 is still running'.",
    )
    created_at: datetime
    updated_at: datetime


class FeatureInput(StrictInput):
    feature: Ref = Field(description="Roadmap item key or id.")


class ExperimentLinkInput(StrictInput):
    experiment: str = Field(min_length=1, max_length=32, description="Experiment key, e.g. EXP-3.")


class DecisionInput(StrictInput):
    comment: str = Field("", max_length=10_000)


class ApproversUpdate(StrictInput):
    approvers: list[Ref] = Field(min_length=1)


# --- release notes, changelog, calendar ----------------------------------------------------


class ReleaseNotesRead(BaseModel):
    key: str
    draft: str
    published: str
    published_at: datetime | None


class ReleaseNotesUpdate(StrictInput):
    markdown: str = Field(max_length=100_000)


class ChangelogEntry(BaseModel):
    key: str
    name: str
    product_area: str | None
    published_at: datetime
    markdown: str


class ChangelogRead(BaseModel):
    items: list[ChangelogEntry]


class CalendarEntryRead(BaseModel):
    day: date
    kind: str
    launch_key: str
    launch_name: str
    label: str
    product_area: str | None
    status: str


class CalendarRead(BaseModel):
    month: str
    previous: str
    next: str
    entries: list[CalendarEntryRead]
