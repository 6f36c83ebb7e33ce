"""Pilothouse's own use: one row per person and day they used it (for weekly active
users by role). Written at most once per person and day by :mod:`.activity`.

::

    ops_activity_days (user_id, day) ──► users
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.db import Base

__all__ = ["ActivityDay"]


class ActivityDay(Base):
    """A day (workspace time zone) on which a person made an authenticated request, with
    the role they had then, so weekly active users split by the role of that week."""

    __tablename__ = "ops_activity_days"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
