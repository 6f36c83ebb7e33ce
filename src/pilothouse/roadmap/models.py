"""Tables of the roadmap domain: objectives, key results, items and their configuration.

::

    roadmap_objectives ──< roadmap_key_results        (a KR may name a metric slug)
            │
    roadmap_item_objectives (many-to-many)
            │
    roadmap_items ──< roadmap_item_tags               (parent_id: initiative → feature → idea)
        │  │  └───< roadmap_field_values >── roadmap_fields   (admin-defined custom fields)
        │  └──────< roadmap_external_refs             (Jira / GitHub keys, for re-imports)
        └── roadmap_statuses                          (the workspace's ordered workflow)
    roadmap_item_keys        every public key ever given (``FEAT-12``), so old keys resolve
    roadmap_key_counters     the last number per key prefix; numbers are never reused
    roadmap_formulas         custom score formulas (built-in RICE/ICE/WSJF live in code)
    roadmap_views ──< roadmap_share_links   saved board/timeline/table views; read-only
                                            stakeholder links to one view (token hashed)

Links to other domains (feedback, experiments, launches) use the core ``links``
table with ``from_type``/``to_type`` ``roadmap_item`` and the item's numeric id.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = [
    "KEY_PREFIXES",
    "NUMERIC_INPUTS",
    "ExternalRef",
    "FieldType",
    "FieldValue",
    "Horizon",
    "ItemKey",
    "ItemKind",
    "ItemObjective",
    "ItemTag",
    "KeyCounter",
    "KeyResult",
    "Objective",
    "ObjectiveStatus",
    "RoadmapField",
    "RoadmapItem",
    "RoadmapView",
    "ScoreFormula",
    "ShareLink",
    "StatusCategory",
    "ViewKind",
    "WorkflowStatus",
]


class ItemKind(enum.StrEnum):
    """The three levels of the hierarchy, largest first."""

    initiative = "initiative"
    feature = "feature"
    idea = "idea"

    @property
    def level(self) -> int:
        """Initiatives are 3, features 2, ideas 1: a parent's level is never below its child's."""
        return {"initiative": 3, "feature": 2, "idea": 1}[self.value]


#: Public key prefix per kind: ``INIT-2``, ``FEAT-12``, ``IDEA-3``; objectives are ``OBJ-1``.
KEY_PREFIXES = {ItemKind.initiative: "INIT", ItemKind.feature: "FEAT", ItemKind.idea: "IDEA"}


class StatusCategory(enum.StrEnum):
    """What a workflow status means, whatever a workspace calls it.

    Views build on categories: Now = ``in_progress``, Next = ``planned``, Later =
    ``backlog`` and ``discovery``; ``done`` and ``declined`` are closed.
    """

    backlog = "backlog"
    discovery = "discovery"
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    declined = "declined"


class Horizon(enum.StrEnum):
    """The Now/Next/Later board column an item was placed in."""

    now = "now"
    next = "next"
    later = "later"


class ViewKind(enum.StrEnum):
    """How a saved view shows its items."""

    board = "board"
    timeline = "timeline"
    table = "table"


class FieldType(enum.StrEnum):
    text = "text"
    number = "number"
    single_select = "single_select"
    multi_select = "multi_select"
    date = "date"
    user = "user"
    url = "url"


class ObjectiveStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    achieved = "achieved"
    missed = "missed"
    dropped = "dropped"


#: The built-in numeric scoring inputs every item has (see docs/roadmap.md).
NUMERIC_INPUTS = (
    "reach",
    "impact",
    "confidence",
    "effort",
    "ease",
    "value",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
)


def _enum(cls: type[enum.Enum], name: str) -> SAEnum:
    return SAEnum(cls, name=name, native_enum=False, validate_strings=True, length=16)


class WorkflowStatus(Base):
    """One step of the workspace's item workflow, in ``position`` order."""

    __tablename__ = "roadmap_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    category: Mapped[StatusCategory] = mapped_column(_enum(StatusCategory, "status_category"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    color: Mapped[str] = mapped_column(String(16), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Objective(Base):
    """An objective (the O of OKRs) for a period, optionally for one product area."""

    __tablename__ = "roadmap_objectives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ObjectiveStatus] = mapped_column(
        _enum(ObjectiveStatus, "objective_status"), default=ObjectiveStatus.active
    )
    period: Mapped[str] = mapped_column(String(16), default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    product_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_areas.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    key_results: Mapped[list[KeyResult]] = relationship(
        back_populates="objective",
        order_by="KeyResult.position, KeyResult.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class KeyResult(Base):
    """A measurable result. ``metric_slug`` binds it to a metric of the metrics layer, which
    then supplies the current value; otherwise ``current_value`` is kept by hand."""

    __tablename__ = "roadmap_key_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_objectives.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    metric_slug: Mapped[str | None] = mapped_column(String(100), index=True, default=None)
    baseline_value: Mapped[float | None] = mapped_column(Float, default=None)
    target_value: Mapped[float] = mapped_column(Float)
    current_value: Mapped[float | None] = mapped_column(Float, default=None)
    unit: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    objective: Mapped[Objective] = relationship(back_populates="key_results")


class RoadmapItem(Base):
    """An initiative, feature or idea. ``key`` is its current public key (``FEAT-12``)."""

    __tablename__ = "roadmap_items"
    __table_args__ = (Index("ix_roadmap_items_kind_status", "kind", "status_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "item_kind"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_statuses.id", ondelete="RESTRICT"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("roadmap_items.id", ondelete="SET NULL"), index=True, default=None
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    product_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_areas.id", ondelete="SET NULL"), index=True, default=None
    )
    target_quarter: Mapped[str | None] = mapped_column(String(7), default=None)
    start_date: Mapped[date | None] = mapped_column(Date, default=None)
    target_date: Mapped[date | None] = mapped_column(Date, default=None)
    # The built-in scoring inputs (NUMERIC_INPUTS); effort is in person-months.
    reach: Mapped[float | None] = mapped_column(Float, default=None)
    impact: Mapped[float | None] = mapped_column(Float, default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    effort: Mapped[float | None] = mapped_column(Float, default=None)
    ease: Mapped[float | None] = mapped_column(Float, default=None)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    business_value: Mapped[float | None] = mapped_column(Float, default=None)
    time_criticality: Mapped[float | None] = mapped_column(Float, default=None)
    risk_reduction: Mapped[float | None] = mapped_column(Float, default=None)
    job_size: Mapped[float | None] = mapped_column(Float, default=None)
    # Board placement: an explicit Now/Next/Later column (None: follow the status
    # category) and a fractional position within it (None: after the ranked ones).
    horizon: Mapped[Horizon | None] = mapped_column(_enum(Horizon, "horizon"), default=None)
    board_rank: Mapped[float | None] = mapped_column(Float, default=None)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    status: Mapped[WorkflowStatus] = relationship(lazy="joined")
    parent: Mapped[RoadmapItem | None] = relationship(remote_side=[id], lazy="select")
    tag_rows: Mapped[list[ItemTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ItemTag.id"
    )
    field_values: Mapped[list[FieldValue]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    objective_rows: Mapped[list[ItemObjective]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    external_refs: Mapped[list[ExternalRef]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ExternalRef.id"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class ItemTag(Base):
    __tablename__ = "roadmap_item_tags"
    __table_args__ = (UniqueConstraint("item_id", "tag", name="uq_roadmap_item_tags_item_tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_items.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64), index=True)


class ItemObjective(Base):
    """An item contributes to an objective."""

    __tablename__ = "roadmap_item_objectives"
    __table_args__ = (
        UniqueConstraint(
            "item_id", "objective_id", name="uq_roadmap_item_objectives_item_objective"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_items.id", ondelete="CASCADE"))
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_objectives.id", ondelete="CASCADE"), index=True
    )

    objective: Mapped[Objective] = relationship(lazy="joined")


class ItemKey(Base):
    """Every public key an item was ever given; keys survive a change of kind."""

    __tablename__ = "roadmap_item_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_items.id", ondelete="CASCADE"), index=True
    )


class KeyCounter(Base):
    """The last number handed out per prefix, so deleted keys are never given again."""

    __tablename__ = "roadmap_key_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RoadmapField(Base):
    """An admin-defined custom field; ``key`` is how filters and formulas name it."""

    __tablename__ = "roadmap_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[FieldType] = mapped_column(_enum(FieldType, "field_type"))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FieldValue(Base):
    """One item's value of one custom field, in the column that suits its type.

    Text, select, URL and user values are in ``text_value`` (a user as the id);
    multi-select options are stored as ``|a|b|`` so a filter can match one option
    with ``LIKE`` on every backend; numbers in ``number_value``; dates in ``date_value``.
    """

    __tablename__ = "roadmap_field_values"
    __table_args__ = (
        UniqueConstraint("item_id", "field_id", name="uq_roadmap_field_values_item_field"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_items.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_fields.id", ondelete="CASCADE"), index=True
    )
    text_value: Mapped[str | None] = mapped_column(String(2000), default=None)
    number_value: Mapped[float | None] = mapped_column(Float, default=None)
    date_value: Mapped[date | None] = mapped_column(Date, default=None)

    field: Mapped[RoadmapField] = relationship(lazy="joined")


class ExternalRef(Base):
    """The ticket an item came from or tracks (``jira`` ``PAY-12``, ``github`` ``org/repo#4``).

    Unique per system and key: a re-import finds the item here and updates it.
    """

    __tablename__ = "roadmap_external_refs"
    __table_args__ = (
        UniqueConstraint("system", "external_key", name="uq_roadmap_external_refs_system_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_items.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(32))
    external_key: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScoreFormula(Base):
    """A custom score formula over item fields, in the safe expression language."""

    __tablename__ = "roadmap_formulas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    expression: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoadmapView(Base):
    """A saved board, timeline or table: its filters and columns, private or shared.

    ``filters`` holds the item filter parameters as the API takes them
    (``{"product_area": "growth", "status": ["planned"], "field": ["segment=SMB"]}``);
    ``columns`` the table columns in order (``key``, ``field:segment``, ``score`` ...).
    """

    __tablename__ = "roadmap_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ViewKind] = mapped_column(_enum(ViewKind, "view_kind"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    formula: Mapped[str] = mapped_column(String(64), default="rice")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ShareLink(Base):
    """A read-only link to one view for people without an account.

    Only a keyed hash of the token is stored (as for API tokens); ``fields`` lists
    what the page may show. A link stops working when revoked or expired.
    """

    __tablename__ = "roadmap_share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    view_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_views.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100), default="")
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    view: Mapped[RoadmapView] = relationship(lazy="joined")
