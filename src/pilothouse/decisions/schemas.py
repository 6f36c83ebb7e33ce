"""API shapes of the decision log: ``*Create``/``*Update`` in, ``*Read`` out.

Input models forbid unknown fields, so a misspelt field is an error rather than
silently ignored. People may be given by id or e-mail, product areas by id, slug
or name, decisions by key.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from pilothouse.decisions.models import DecisionStatus

__all__ = [
    "AreaBrief",
    "DecisionCreate",
    "DecisionDecide",
    "DecisionFields",
    "DecisionList",
    "DecisionRead",
    "DecisionUpdate",
    "LinkCreate",
    "LinkedRead",
    "OptionIn",
    "OptionRead",
    "PersonBrief",
    "RevisionList",
    "RevisionRead",
    "StrictInput",
    "SupersedeRequest",
]

#: An object by id or by key. The id is a strict integer: ``true`` is not id 1.
Ref = Annotated[int, Strict()] | str


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class OptionIn(StrictInput):
    name: str = Field(max_length=300)
    pros: str = ""
    cons: str = ""


class OptionRead(BaseModel):
    name: str
    pros: str
    cons: str


class PersonBrief(BaseModel):
    id: int
    email: str
    name: str


class AreaBrief(BaseModel):
    id: int
    slug: str
    name: str


class LinkedRead(BaseModel):
    """A linked object; ``href`` is its page when Pilothouse has one."""

    link_id: int
    kind: str
    type: str
    id: str
    label: str
    href: str | None


class DecisionFields(StrictInput):
    context: str | None = Field(default=None, description="Markdown.")
    options: list[OptionIn] | None = Field(default=None, description="In the order considered.")
    chosen_option: str | None = Field(default=None, max_length=300)
    rationale: str | None = None
    decided_by: Ref | None = Field(default=None, description="User id or e-mail.")
    consulted: list[Ref] | None = Field(default=None, description="User ids or e-mails.")
    decided_on: date | None = None
    product_area: Ref | None = Field(default=None, description="Area id, slug or name.")
    tags: list[str] | None = None


class DecisionCreate(DecisionFields):
    title: str = Field(max_length=300)
    status: Literal["proposed", "decided"] = "proposed"
    links: list[str] = Field(
        default_factory=list, description="TYPE:ID references, e.g. roadmap_item:FEAT-3."
    )


class DecisionUpdate(DecisionFields):
    title: str | None = Field(default=None, max_length=300)
    version: int | None = Field(
        default=None, description="The version you edited; a newer one refuses the change (409)."
    )


class DecisionDecide(StrictInput):
    chosen_option: str | None = Field(default=None, max_length=300)
    rationale: str | None = None
    decided_by: Ref | None = None
    decided_on: date | None = None
    version: int | None = None


class SupersedeRequest(StrictInput):
    by: str = Field(max_length=32, description="Key of the decision that replaces this one.")


class LinkCreate(StrictInput):
    to_type: str = Field(max_length=64)
    to_id: str = Field(max_length=64, description="Id, or key where the type has keys.")
    kind: str = Field(default="related", max_length=64)


class DecisionRead(BaseModel):
    id: int
    key: str
    title: str
    context: str
    options: list[OptionRead]
    chosen_option: str
    rationale: str
    status: DecisionStatus
    decided_by: PersonBrief | None
    consulted: list[PersonBrief]
    decided_on: date | None
    superseded_by: str | None
    supersedes: list[str]
    product_area: AreaBrief | None
    tags: list[str]
    links: list[LinkedRead]
    version: int
    created_at: datetime
    updated_at: datetime
    url: str


class DecisionList(BaseModel):
    items: list[DecisionRead]
    next_cursor: str | None = None


class RevisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    action: str
    actor_id: int | None
    actor_label: str
    created_at: datetime
    changes: dict[str, Any]
    snapshot: dict[str, Any]


class RevisionList(BaseModel):
    key: str
    items: list[RevisionRead]
