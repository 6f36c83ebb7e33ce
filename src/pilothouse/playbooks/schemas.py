"""The playbook and onboarding API's inputs and outputs (snake_case, extra fields refused)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AssignmentCreate",
    "AssignmentList",
    "AssignmentRead",
    "LinkCreate",
    "LinkedRead",
    "MarkdownApply",
    "OnboardingStepEdit",
    "OnboardingStepIn",
    "OnboardingStepRead",
    "OnboardingTemplateCreate",
    "OnboardingTemplateList",
    "OnboardingTemplateRead",
    "OnboardingTemplateUpdate",
    "PersonBrief",
    "PlaybookCreate",
    "PlaybookDiff",
    "PlaybookList",
    "PlaybookRead",
    "PlaybookUpdate",
    "ReviewRequest",
    "RevisionList",
    "RevisionRead",
    "SearchHitRead",
    "SearchResult",
    "StepDone",
    "StrictInput",
]


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200_000)


class PersonBrief(BaseModel):
    id: int
    email: str
    name: str


class LinkedRead(BaseModel):
    link_id: int
    type: str
    id: str
    label: str
    url: str | None
    deleted: bool


class PlaybookCreate(StrictInput):
    title: str = Field(max_length=200)
    slug: str | None = Field(default=None, max_length=80)
    body: str = ""
    owner: str | None = Field(default=None, max_length=320, description="User id or e-mail.")
    reviewed_on: date | None = None
    links: list[str] = Field(default=[], max_length=50, description="TYPE:ID of templates.")


class PlaybookUpdate(StrictInput):
    title: str | None = Field(default=None, max_length=200)
    body: str | None = None
    owner: str | None = Field(default=None, max_length=320)
    reviewed_on: date | None = None
    version: int | None = Field(default=None, description="The version you edited.")


class ReviewRequest(StrictInput):
    reviewed_on: date | None = None


class LinkCreate(StrictInput):
    target: str = Field(max_length=140, description="TYPE:ID, e.g. launch_template:1")


class MarkdownApply(StrictInput):
    text: str
    path: str = Field(default="playbook.md", max_length=500)


class PlaybookRead(BaseModel):
    id: int
    slug: str
    title: str
    body: str
    owner: PersonBrief | None
    reviewed_on: date | None
    stale: bool
    version: int
    links: list[LinkedRead]
    created_at: datetime
    updated_at: datetime
    url: str


class PlaybookList(BaseModel):
    items: list[PlaybookRead]
    count: int


class SearchHitRead(BaseModel):
    slug: str
    title: str
    score: float
    url: str


class SearchResult(BaseModel):
    q: str
    items: list[SearchHitRead]


class RevisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    action: str
    title: str
    body: str
    owner_email: str
    reviewed_on: date | None
    actor_label: str
    created_at: datetime


class RevisionList(BaseModel):
    slug: str
    items: list[RevisionRead]


class PlaybookDiff(BaseModel):
    slug: str
    old: int
    new: int
    lines: list[str]


class OnboardingStepIn(StrictInput):
    title: str = Field(max_length=300)
    detail: str = Field(default="", max_length=5_000)
    link: str | None = Field(default=None, max_length=140, description="TYPE:ID")


class OnboardingTemplateCreate(StrictInput):
    role: str = Field(max_length=80)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5_000)
    steps: list[OnboardingStepIn] = Field(max_length=100)


class OnboardingStepEdit(OnboardingStepIn):
    id: int | None = Field(
        default=None, description="A stored step to edit (its ticks stay); none adds a step."
    )


class OnboardingTemplateUpdate(StrictInput):
    """Only the fields sent change; ``steps`` replaces the list (stored steps by ``id``)."""

    role: str | None = Field(default=None, max_length=80)
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5_000)
    steps: list[OnboardingStepEdit] | None = Field(default=None, max_length=100)


class OnboardingStepRead(BaseModel):
    id: int
    position: int
    title: str
    detail: str
    link: LinkedRead | None


class OnboardingTemplateRead(BaseModel):
    id: int
    role: str
    title: str
    description: str
    steps: list[OnboardingStepRead]


class OnboardingTemplateList(BaseModel):
    items: list[OnboardingTemplateRead]


class AssignmentCreate(StrictInput):
    role: str = Field(max_length=80)
    person: str = Field(max_length=320, description="User id or e-mail.")
    manager: str | None = Field(default=None, max_length=320)
    started_on: date | None = None


class AssignmentRead(BaseModel):
    id: int
    role: str
    title: str
    person: PersonBrief
    manager: PersonBrief | None
    started_on: date
    done: int
    total: int
    percent: int
    done_step_ids: list[int]


class AssignmentList(BaseModel):
    items: list[AssignmentRead]


class StepDone(StrictInput):
    done: bool = True
