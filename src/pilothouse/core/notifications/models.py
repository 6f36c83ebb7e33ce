"""Tables of in-app notifications, watching, comments and e-mail preferences.

Objects are referred to by ``(object_type, object_id)``, like ``core.links``, so
any domain's object can be watched and commented on without a new table.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum as SAEnum
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = [
    "Comment",
    "CommentRevision",
    "Delivery",
    "EmailState",
    "Notification",
    "NotificationPreference",
    "Watch",
]


class Delivery(enum.StrEnum):
    """How a person wants e-mail about one kind of notification."""

    immediately = "immediately"
    digest = "digest"
    off = "off"


class EmailState(enum.StrEnum):
    """Where a notification's e-mail stands: none wanted, queued, waiting for the digest, sent."""

    none = "none"
    queued = "queued"
    digest = "digest"
    sent = "sent"


def _enum(cls: type[enum.Enum], name: str) -> SAEnum:
    return SAEnum(cls, name=name, native_enum=False, validate_strings=True, length=16)


class Notification(Base):
    """One message for one person: shown under the bell until read, maybe e-mailed."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
        Index("ix_notifications_email_state", "email_state", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    object_type: Mapped[str | None] = mapped_column(String(64), default=None)
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    email_state: Mapped[EmailState] = mapped_column(
        _enum(EmailState, "email_state"), default=EmailState.none
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class NotificationPreference(Base):
    """A person's e-mail choice for one kind; kinds without a row use the default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_preferences_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(100))
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery, "delivery"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Watch(Base):
    """A person follows an object and hears about its changes and comments."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "object_type", "object_id", name="uq_watches_object"),
        Index("ix_watches_target", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    """A Markdown comment on any object; deleting keeps the row (and its history) hidden."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_target", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class CommentRevision(Base):
    """The text a comment had before one edit, who replaced it and when."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    previous_body: Mapped[str] = mapped_column(Text)
    edited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
