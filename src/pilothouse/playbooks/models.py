"""Tables of playbooks (process documents with history) and onboarding checklists.

::

    playbooks ──< playbook_revisions        (one immutable row per change: title + body)
        └──────< playbook_terms            (the portable full-text index, see search.py)
    onboarding_templates ──< onboarding_steps        (a checklist per role)
        └──< onboarding_assignments >── users (person, manager)
                └──< onboarding_step_done >── onboarding_steps

Links from a playbook to the templates it describes (``launch_template``,
``experiment_template``, ``roadmap_field``) use the core ``links`` table with
``from_type`` ``playbook`` and the playbook's id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow
from pilothouse.core.models import User

__all__ = [
    "ImmutablePlaybookRevision",
    "OnboardingAssignment",
    "OnboardingStep",
    "OnboardingStepDone",
    "OnboardingTemplate",
    "Playbook",
    "PlaybookRevision",
    "PlaybookTerm",
]


class Playbook(Base):
    """One process document: Markdown body, an owner, the date it was last reviewed."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown, rendered with raw HTML escaped.
    body: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    #: The day the owner last confirmed the text still holds; stale when too long ago.
    reviewed_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: The number of the latest revision; clients send it back to detect lost updates.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")


class PlaybookRevision(Base):
    """The playbook as it was after one change. Never changed, so any two can be diffed."""

    __tablename__ = "playbook_revisions"
    __table_args__ = (
        UniqueConstraint("playbook_id", "version", name="uq_playbook_revisions_playbook_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    #: created, updated or reviewed.
    action: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    owner_email: Mapped[str] = mapped_column(String(320), default="")
    reviewed_on: Mapped[date | None] = mapped_column(Date, default=None)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlaybookTerm(Base):
    """One word of one playbook and its weight (title words count more); see search.py."""

    __tablename__ = "playbook_terms"
    __table_args__ = (Index("ix_playbook_terms_term", "term"),)

    playbook_id: Mapped[int] = mapped_column(
        ForeignKey("playbooks.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)


class OnboardingTemplate(Base):
    """The checklist a new person in one role works through (``pm``, ``designer``)."""

    __tablename__ = "onboarding_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    steps: Mapped[list[OnboardingStep]] = relationship(
        cascade="all, delete-orphan", order_by="OnboardingStep.position", lazy="selectin"
    )


class OnboardingStep(Base):
    """One step; ``link_type``/``link_id`` optionally point at a playbook or any object."""

    __tablename__ = "onboarding_steps"
    __table_args__ = (
        UniqueConstraint("template_id", "position", name="uq_onboarding_steps_template_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("onboarding_templates.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    link_type: Mapped[str | None] = mapped_column(String(64), default=None)
    link_id: Mapped[str | None] = mapped_column(String(64), default=None)


class OnboardingAssignment(Base):
    """A person working through a role's checklist, and the manager who follows it."""

    __tablename__ = "onboarding_assignments"
    __table_args__ = (
        UniqueConstraint("template_id", "person_id", name="uq_onboarding_assignments_person"),
        Index("ix_onboarding_assignments_manager_id", "manager_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("onboarding_templates.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    started_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[OnboardingTemplate] = relationship(lazy="joined")
    person: Mapped[User] = relationship(foreign_keys=[person_id], lazy="joined")
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id], lazy="joined")
    done_rows: Mapped[list[OnboardingStepDone]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class OnboardingStepDone(Base):
    """A ticked step: when, and by whom (the person, or someone on their behalf)."""

    __tablename__ = "onboarding_step_done"
    __table_args__ = (
        UniqueConstraint("assignment_id", "step_id", name="uq_onboarding_step_done_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("onboarding_assignments.id", ondelete="CASCADE")
    )
    step_id: Mapped[int] = mapped_column(ForeignKey("onboarding_steps.id", ondelete="CASCADE"))
    done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImmutablePlaybookRevision(RuntimeError):
    """Raised when code tries to change a stored playbook revision."""


@orm_event.listens_for(PlaybookRevision, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: PlaybookRevision) -> None:
    raise ImmutablePlaybookRevision(
        f"revision {target.version} of playbook {target.playbook_id} is final"
    )
