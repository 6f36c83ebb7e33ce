"""Tables of the feedback hub: one row per piece of customer feedback.

::

    feedback_items ──> customer_accounts   (account_id: the company behind it)
                   ──> contacts            (contact_id: the person who said it)
                   ──> product_areas       (product_area_id)
                   ──> feedback_items      (duplicate_of_id: the first of a repeat)

Links to roadmap items live in the core ``links`` table
(``feedback_item`` → ``roadmap_item``, kind ``evidence``). Synthesis (themes,
embeddings) keeps its own tables keyed by the item id; ``sentiment``,
``language`` and ``duplicate_of_id`` are filled by it when it runs.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.accounts.models import Contact, CustomerAccount
from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = ["FeedbackItem", "FeedbackStatus", "Sentiment", "SourceKind"]


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
