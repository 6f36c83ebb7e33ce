"""Tables of the decision log: decisions, their tags and consulted people, and revisions.

::

    decisions ──< decision_tags            (tag per row, so tags filter on every backend)
        │   └───< decision_consulted >── users
        │   superseded_by_id ──► decisions  (the newer decision that replaced this one)
        └──< decision_revisions            (one immutable row per change: snapshot + diff)
    decision_key_counter                    the last DEC number; numbers are never reused

Links to other domains (roadmap items, experiments, launches, themes, objectives) use
the core ``links`` table with ``from_type`` ``decision`` and the decision's numeric id.
``search_text`` is a normalised copy of the searchable text (see ``decisions.search``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow
from pilothouse.core.models import ProductArea, User

__all__ = [
    "Decision",
    "DecisionConsulted",
    "DecisionKeyCounter",
    "DecisionRevision",
    "DecisionStatus",
    "DecisionTag",
    "ImmutableRevision",
]


class DecisionStatus(enum.StrEnum):
    """proposed → decided → superseded (by another decision); proposed may be superseded too."""

    proposed = "proposed"
    decided = "decided"
    superseded = "superseded"


class Decision(Base):
    """One decision: what was decided, among which options, why, by whom, with whom."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_status", "status"),
        Index("ix_decisions_decided_on", "decided_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    #: Markdown: the situation and the question being decided.
    context: Mapped[str] = mapped_column(Text, default="")
    #: Ordered ``[{"name", "pros", "cons"}]``; the order is the order people wrote them in.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    chosen_option: Mapped[str] = mapped_column(String(300), default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DecisionStatus] = mapped_column(
        SAEnum(
            DecisionStatus,
            name="decision_status",
            native_enum=False,
            validate_strings=True,
            length=16,
        ),
        default=DecisionStatus.proposed,
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_on: Mapped[date | None] = mapped_column(Date, default=None)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("decisions.id", ondelete="SET NULL"), default=None
    )
    product_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_areas.id", ondelete="SET NULL"), default=None
    )
    #: Lower-cased, accent-free text of title, context, options, choice, rationale, tags.
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: The number of the latest revision; clients send it back to detect lost updates.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    product_area: Mapped[ProductArea | None] = relationship(lazy="joined")
    superseded_by: Mapped[Decision | None] = relationship(
        remote_side=[id], foreign_keys=[superseded_by_id]
    )
    tag_rows: Mapped[list[DecisionTag]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionTag.id", lazy="selectin"
    )
    consulted_rows: Mapped[list[DecisionConsulted]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionConsulted.id", lazy="selectin"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def consulted(self) -> list[User]:
        return [row.user for row in self.consulted_rows]


class DecisionTag(Base):
    __tablename__ = "decision_tags"
    __table_args__ = (
        UniqueConstraint("decision_id", "tag", name="uq_decision_tags_decision_tag"),
        Index("ix_decision_tags_tag", "tag"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))


class DecisionConsulted(Base):
    """A person consulted on a decision (asked for input, not the one who decided)."""

    __tablename__ = "decision_consulted"
    __table_args__ = (
        UniqueConstraint("decision_id", "user_id", name="uq_decision_consulted_decision_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship(lazy="joined")


class DecisionRevision(Base):
    """One change to a decision: the full state after it and the field diff. Never changed."""

    __tablename__ = "decision_revisions"
    __table_args__ = (
        UniqueConstraint("decision_id", "version", name="uq_decision_revisions_decision_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    #: created, updated, decided, superseded, supersedes, linked or unlinked.
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DecisionKeyCounter(Base):
    """The last number handed out for ``DEC-n`` keys (one row), locked while counting."""

    __tablename__ = "decision_key_counter"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class ImmutableRevision(RuntimeError):
    """Raised when code tries to change or delete a stored revision."""


@orm_event.listens_for(DecisionRevision, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: DecisionRevision) -> None:
    raise ImmutableRevision(f"revision {target.version} of decision {target.decision_id} is final")


@orm_event.listens_for(DecisionRevision, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: DecisionRevision) -> None:
    raise ImmutableRevision(f"revision {target.version} of decision {target.decision_id} is final")
