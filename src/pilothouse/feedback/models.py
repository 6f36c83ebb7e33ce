"""Tables of the feedback hub: one row per piece of customer feedback.

::

    feedback_items ──> customer_accounts   (account_id: the company behind it)
                   ──> contacts            (contact_id: the person who said it)
                   ──> product_areas       (product_area_id)
                   ──> feedback_items      (duplicate_of_id: the first of a repeat)

    feedback_embeddings    ──> feedback_items  (one vector per item and model)
    feedback_theme_members ──> feedback_items  (at most one theme per item)
                           ──> feedback_themes (NULL: a person took it out of every theme)
    feedback_theme_proposals                   (the review queue of re-synthesis)
    feedback_synthesis_runs                    (one row per run, for the record)

Links to roadmap items live in the core ``links`` table
(``feedback_item`` → ``roadmap_item``, kind ``evidence``). Synthesis keeps its
own tables keyed by the item id; ``sentiment`` and ``duplicate_of_id`` are filled
by it when it runs.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.accounts.models import Contact, CustomerAccount
from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = [
    "AssignedBy",
    "FeedbackEmbedding",
    "FeedbackItem",
    "FeedbackStatus",
    "FeedbackSynthesisRun",
    "FeedbackTheme",
    "FeedbackThemeMember",
    "FeedbackThemeProposal",
    "ProposalKind",
    "ProposalStatus",
    "Sentiment",
    "SourceKind",
    "ThemeOrigin",
]


class SourceKind(enum.StrEnum):
    """Where a piece of feedback came from."""

    support_ticket = "support_ticket"
    app_review = "app_review"
    survey = "survey"
    sales_note = "sales_note"
    cs_note = "cs_note"
    interview = "interview"
    in_app = "in_app"
    email = "email"
    internal = "internal"


class FeedbackStatus(enum.StrEnum):
    """The triage workflow: ``new → triaged → linked → closed``."""

    new = "new"
    triaged = "triaged"
    linked = "linked"
    closed = "closed"


class Sentiment(enum.StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


def _enum(cls: type[enum.Enum], name: str) -> SAEnum:
    return SAEnum(cls, name=name, native_enum=False, validate_strings=True, length=16)


class FeedbackItem(Base):
    """One piece of feedback. ``(source_name, external_id)`` finds it again on re-import."""

    __tablename__ = "feedback_items"
    __table_args__ = (
        UniqueConstraint("source_name", "external_id", name="uq_feedback_items_source_external"),
        Index("ix_feedback_items_status_created", "status", "created_at"),
        # The inbox's order, newest first (migration 0024; feedback/inbox_order.py).
        Index("ix_feedback_items_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[SourceKind] = mapped_column(_enum(SourceKind, "feedback_source_kind"))
    #: The tool or channel, e.g. ``zendesk``, ``app-store``, ``web form``.
    source_name: Mapped[str] = mapped_column(String(100), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True, default=None
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="SET NULL"), index=True, default=None
    )
    #: When the customer gave the feedback (UTC); ``recorded_at`` is when it reached us.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Star rating or CSAT, 1–5, where the source has one.
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Net Promoter answer, 0–10.
    nps_score: Mapped[int | None] = mapped_column(Integer, default=None)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    product_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_areas.id", ondelete="SET NULL"), index=True, default=None
    )
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[FeedbackStatus] = mapped_column(
        _enum(FeedbackStatus, "feedback_status"), default=FeedbackStatus.new
    )
    sentiment: Mapped[Sentiment | None] = mapped_column(
        _enum(Sentiment, "feedback_sentiment"), default=None
    )
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_items.id", ondelete="SET NULL"), index=True, default=None
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact | None] = relationship(lazy="joined")
    account: Mapped[CustomerAccount | None] = relationship(lazy="joined")

    @property
    def author_email(self) -> str | None:
        return self.contact.email if self.contact else None

    @property
    def account_external_id(self) -> str | None:
        return self.account.external_id if self.account else None


class ThemeOrigin(enum.StrEnum):
    """How a theme came to be: found by synthesis, made by a person, or steered."""

    auto = "auto"
    manual = "manual"
    steered = "steered"


class AssignedBy(enum.StrEnum):
    """Who put an item in its theme; synthesis never moves a ``person`` assignment."""

    auto = "auto"
    person = "person"


class ProposalKind(enum.StrEnum):
    """Stored by value: a member named ``split`` would hide ``str.split``."""

    new_theme = "new"
    merge = "merge"
    split_theme = "split"


class ProposalStatus(enum.StrEnum):
    """``superseded``: a later re-synthesis replaced it before anyone decided."""

    open = "open"
    accepted = "accepted"
    rejected = "rejected"
    superseded = "superseded"


class FeedbackEmbedding(Base):
    """One item's vector for one model: float32 bytes, computed once per text.

    ``text_hash`` is the sha256 of the embedded text (title and text), so an
    edited item is embedded again and an unchanged one never is.
    ``processed`` is off until a synthesis run has checked the item for
    near-duplicates (the per-request path only embeds, scores sentiment and
    assigns).
    """

    __tablename__ = "feedback_embeddings"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    text_hash: Mapped[str] = mapped_column(String(64))
    processed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackTheme(Base):
    """A theme: found by synthesis or made by people, and curated by people."""

    __tablename__ = "feedback_themes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    #: A person named it; re-synthesis never relabels it.
    label_is_custom: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Ids of the most representative items, most central first.
    quote_item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    steered: Mapped[bool] = mapped_column(Boolean, default=False)
    example_item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: Unit float32 vector new items are compared with (members' mean or steering prototype).
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    model_id: Mapped[str | None] = mapped_column(String(100), default=None)
    origin: Mapped[ThemeOrigin] = mapped_column(
        _enum(ThemeOrigin, "feedback_theme_origin"), default=ThemeOrigin.auto
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FeedbackThemeMember(Base):
    """An item's place: one row per item that synthesis or a person has placed."""

    __tablename__ = "feedback_theme_members"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_themes.id", ondelete="CASCADE"), index=True, default=None
    )
    assigned_by: Mapped[AssignedBy] = mapped_column(
        _enum(AssignedBy, "feedback_assigned_by"), default=AssignedBy.auto
    )
    #: Cosine to the theme when synthesis placed it.
    score: Mapped[float | None] = mapped_column(Float, default=None)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackSynthesisRun(Base):
    """The record of one synthesis run: what it did and how long it took."""

    __tablename__ = "feedback_synthesis_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    status: Mapped[str] = mapped_column(String(16), default="running")
    mode: Mapped[str] = mapped_column(String(16), default="incremental")
    model_id: Mapped[str] = mapped_column(String(100), default="")
    items: Mapped[int] = mapped_column(Integer, default=0)
    embedded: Mapped[int] = mapped_column(Integer, default=0)
    themes_created: Mapped[int] = mapped_column(Integer, default=0)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    proposals: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    durations: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    actor_label: Mapped[str] = mapped_column(String(200), default="")


class FeedbackThemeProposal(Base):
    """A change re-synthesis suggests (new, merge, split), waiting for a person."""

    __tablename__ = "feedback_theme_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ProposalKind] = mapped_column(
        SAEnum(
            ProposalKind,
            name="feedback_proposal_kind",
            native_enum=False,
            validate_strings=True,
            length=16,
            values_callable=lambda kinds: [k.value for k in kinds],
        )
    )
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus, "feedback_proposal_status"), default=ProposalStatus.open, index=True
    )
    #: ``{"themes": [ids], "groups": [[item ids], ...], "labels": [...]}``.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_synthesis_runs.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_by_label: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
