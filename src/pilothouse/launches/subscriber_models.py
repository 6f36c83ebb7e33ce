"""Storage of the public changelog's e-mail subscribers: the address and nothing more.

Privacy by design: a row exists only once the address was *confirmed* (double opt-in;
until then the address lives only in the signed confirmation link), it holds the
address, when it was confirmed and where the subscription came from, and
unsubscribing deletes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.db import Base, UTCDateTime

__all__ = ["ChangelogSubscriber"]


class ChangelogSubscriber(Base):
    __tablename__ = "changelog_subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(40))
