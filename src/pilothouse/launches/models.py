"""Tables of the launches domain: templates, launches, their stages, checklists and gates.

::

    launch_templates ──< launch_template_stages ──< launch_template_items
                                                └─< launch_template_gates   (approver_ids)
    launches ──< launch_stages ──< launch_items          (concrete owner and due date)
                             └─< launch_gates ──< launch_gate_approvals   (one per named approver)
    launch_key_counters   the last LAUNCH-n number; numbers are never reused

A launch *copies* its template's stages, items and gates when it is created, so a
later edit of the template never rewrites a running launch. The features a launch
ships are core links ``launch`` → ``roadmap_item`` (kind ``ships``), not a table here.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow
from pilothouse.core.models import ProductArea, User

__all__ = [
    "ApprovalDecision",
    "GateApproval",
    "Launch",
    "LaunchGate",
    "LaunchItem",
    "LaunchKeyCounter",
    "LaunchStage",
    "LaunchStatus",
    "LaunchTemplate",
    "TemplateGate",
    "TemplateItem",
    "TemplateStage",
]


class LaunchStatus(enum.StrEnum):
    """Planned until the first gate is passed; launched on entering the final stage."""

    planned = "planned"
    in_progress = "in_progress"
    launched = "launched"
    cancelled = "cancelled"


class ApprovalDecision(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


def _enum(cls: type[enum.Enum], name: str) -> SAEnum:
    return SAEnum(cls, name=name, native_enum=False, validate_strings=True, length=16)


def _user_fk() -> Mapped[int | None]:
    return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None)


class LaunchTemplate(Base):
    """A reusable launch process made by Product Ops: ordered stages with items and gates."""

    __tablename__ = "launch_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = _user_fk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    stages: Mapped[list[TemplateStage]] = relationship(
        order_by="TemplateStage.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class TemplateStage(Base):
    """One stage; ``offset_days`` is when it should end, relative to the GA date (``-30``)."""

    __tablename__ = "launch_template_stages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("launch_templates.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    offset_days: Mapped[int] = mapped_column(Integer, default=0)

    items: Mapped[list[TemplateItem]] = relationship(
        order_by="TemplateItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    gates: Mapped[list[TemplateGate]] = relationship(
        order_by="TemplateGate.position", cascade="all, delete-orphan", lazy="selectin"
    )


class TemplateItem(Base):
    """A checklist item: who does it (a role such as ``PM``), when (days from GA), required?"""

    __tablename__ = "launch_template_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("launch_template_stages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    owner_role: Mapped[str] = mapped_column(String(64), default="")
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    required: Mapped[bool] = mapped_column(Boolean, default=True)


class TemplateGate(Base):
    """A gate at the end of a stage; ``approver_ids`` are the named approvers (user ids)."""

    __tablename__ = "launch_template_gates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("launch_template_stages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    approver_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


class LaunchKeyCounter(Base):
    """The last number handed out, so ``LAUNCH-n`` keys of deleted launches are never reused."""

    __tablename__ = "launch_key_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Launch(Base):
    """One launch of one or more features, made from a template."""

    __tablename__ = "launches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("launch_templates.id", ondelete="SET NULL"), index=True, default=None
    )
    template_name: Mapped[str] = mapped_column(String(200), default="")
    product_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_areas.id", ondelete="SET NULL"), index=True, default=None
    )
    owner_id: Mapped[int | None] = _user_fk()
    target_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[LaunchStatus] = mapped_column(
        _enum(LaunchStatus, "launch_status"), default=LaunchStatus.planned, index=True
    )
    current_stage: Mapped[int] = mapped_column(Integer, default=0)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    notes_draft: Mapped[str] = mapped_column(Text, default="")
    notes_published: Mapped[str] = mapped_column(Text, default="")
    notes_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_id: Mapped[int | None] = _user_fk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    product_area: Mapped[ProductArea | None] = relationship(lazy="joined")
    stages: Mapped[list[LaunchStage]] = relationship(
        order_by="LaunchStage.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def stage(self) -> LaunchStage | None:
        """The stage the launch is in now."""
        return self.stages[self.current_stage] if self.current_stage < len(self.stages) else None


class LaunchStage(Base):
    """A launch's copy of a template stage, with its planned end (``due_date``)."""

    __tablename__ = "launch_stages"
    __table_args__ = (
        UniqueConstraint("launch_id", "position", name="uq_launch_stages_launch_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    launch_id: Mapped[int] = mapped_column(ForeignKey("launches.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date] = mapped_column(Date)
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    items: Mapped[list[LaunchItem]] = relationship(
        order_by="LaunchItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    gates: Mapped[list[LaunchGate]] = relationship(
        order_by="LaunchGate.position", cascade="all, delete-orphan", lazy="selectin"
    )


class LaunchItem(Base):
    """A checklist item of one launch: a concrete owner and due date, done or not."""

    __tablename__ = "launch_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("launch_stages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    owner_role: Mapped[str] = mapped_column(String(64), default="")
    owner_id: Mapped[int | None] = _user_fk()
    due_date: Mapped[date] = mapped_column(Date, index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id], lazy="joined")

    @property
    def done(self) -> bool:
        return self.done_at is not None


class LaunchGate(Base):
    """A gate at the end of a stage: every named approver must approve before moving on."""

    __tablename__ = "launch_gates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("launch_stages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))

    approvals: Mapped[list[GateApproval]] = relationship(
        order_by="GateApproval.id", cascade="all, delete-orphan", lazy="selectin"
    )


class GateApproval(Base):
    """One named approver's decision on one gate (pending until they decide)."""

    __tablename__ = "launch_gate_approvals"
    __table_args__ = (
        UniqueConstraint("gate_id", "approver_id", name="uq_launch_gate_approvals_gate_approver"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("launch_gates.id", ondelete="CASCADE"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    decision: Mapped[ApprovalDecision] = mapped_column(
        _enum(ApprovalDecision, "approval_decision"), default=ApprovalDecision.pending
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    approver: Mapped[User] = relationship(lazy="joined")
