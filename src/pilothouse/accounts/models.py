"""Tables of the accounts domain: customer accounts and customer people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow

__all__ = ["CustomerAccount", "Contact"]


class CustomerAccount(Base):
    """A customer company. ``external_id`` is the id the team's tools use (group id, CRM id)."""

    __tablename__ = "customer_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    domain: Mapped[str | None] = mapped_column(String(255), default=None)
    plan: Mapped[str | None] = mapped_column(String(100), default=None)
    segment: Mapped[str | None] = mapped_column(String(100), default=None)
    #: Annual recurring revenue in integer cents: money is never a float.
    arr_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    traits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Contact(Base):
    """A person at a customer: a product user (tracked ``userId``) or a CRM contact."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    email: Mapped[str | None] = mapped_column(String(320), index=True, default=None)
    name: Mapped[str] = mapped_column(String(300), default="")
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="SET NULL"), index=True, default=None
    )
    traits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[CustomerAccount | None] = relationship(lazy="joined")
