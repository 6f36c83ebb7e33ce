"""Tables of the tool-stack inventory: tools and their admins.

::

    tools ──< tool_admins >── users      (the people who administer a tool)
      └── owner_id ──► users             (the one person accountable for it)

Money is integer cents in the tool's own ISO 4217 currency (``cost_cents`` per
``billing`` period, ``monthly`` or ``annual``); totals are never converted between
currencies. ``category``, ``billing`` and ``status`` are plain strings checked by the
service against the fixed lists in :mod:`pilothouse.tools.schemas`, so a new
category is a code change with a documented list, not a schema change.
``capabilities`` is a small list of free tags (``session-replay``, ``surveys``) that
the overlap report compares across tools.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow
from pilothouse.core.models import User

__all__ = ["Tool", "ToolAdmin"]


class Tool(Base):
    """One tool the company pays for (or evaluates): cost, seats, contract, owner."""

    __tablename__ = "tools"
    __table_args__ = (
        Index("ix_tools_category", "category"),
        Index("ix_tools_renewal_date", "renewal_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    #: Price per ``billing`` period in cents of ``currency``.
    cost_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    billing: Mapped[str] = mapped_column(String(16), default="annual")
    seats_bought: Mapped[int | None] = mapped_column(Integer, default=None)
    seats_used: Mapped[int | None] = mapped_column(Integer, default=None)
    #: When ``seats_used`` was last set from a seat-usage file (None: typed by hand).
    seats_checked_on: Mapped[date | None] = mapped_column(Date, default=None)
    contract_start: Mapped[date | None] = mapped_column(Date, default=None)
    renewal_date: Mapped[date | None] = mapped_column(Date, default=None)
    ended_on: Mapped[date | None] = mapped_column(Date, default=None)
    notice_days: Mapped[int] = mapped_column(Integer, default=30)
    data_held: Mapped[str] = mapped_column(Text, default="")
    sso: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(lazy="joined")
    admin_rows: Mapped[list[ToolAdmin]] = relationship(
        cascade="all, delete-orphan", order_by="ToolAdmin.id", lazy="selectin"
    )

    @property
    def admins(self) -> list[User]:
        return [row.user for row in self.admin_rows]

    @property
    def annual_cents(self) -> int:
        """The yearly cost: a monthly price times twelve."""
        return self.cost_cents * 12 if self.billing == "monthly" else self.cost_cents

    @property
    def unused_seats(self) -> int:
        if self.seats_bought is None or self.seats_used is None:
            return 0
        return max(self.seats_bought - self.seats_used, 0)


class ToolAdmin(Base):
    """A person who administers a tool (adds seats, owns its settings)."""

    __tablename__ = "tool_admins"
    __table_args__ = (UniqueConstraint("tool_id", "user_id", name="uq_tool_admins_tool_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship(lazy="joined")
