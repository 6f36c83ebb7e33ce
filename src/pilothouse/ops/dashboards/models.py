"""Tables of saved dashboards.

::

    dashboards ──< dashboard_tiles   (one row per tile: kind, config, grid place)
        owner_id ──► users, default_area_id ──► product_areas

A tile's ``config`` is JSON whose shape depends on ``kind`` (checked in
:mod:`pilothouse.ops.dashboards.tiles`); other domains' objects are named in it by
their stable keys (metric name, experiment key, roadmap view id, figure key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow
from pilothouse.core.models import ProductArea, User

__all__ = ["Dashboard", "DashboardTile"]


class Dashboard(Base):
    """A named grid of tiles; ``visibility`` is ``workspace`` (everyone) or ``private``."""

    __tablename__ = "dashboards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    visibility: Mapped[str] = mapped_column(String(16), default="workspace")
    #: The default date range: the last ``default_days`` days up to today.
    default_days: Mapped[int] = mapped_column(Integer, default=90)
    default_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_areas.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    default_area: Mapped[ProductArea | None] = relationship(foreign_keys=[default_area_id])
    tiles: Mapped[list[DashboardTile]] = relationship(
        back_populates="dashboard",
        cascade="all, delete-orphan",
        order_by="(DashboardTile.row, DashboardTile.col, DashboardTile.id)",
    )


class DashboardTile(Base):
    """One tile: what it shows (``kind`` + ``config``) and where (row, column, size)."""

    __tablename__ = "dashboard_tiles"
    __table_args__ = (Index("ix_dashboard_tiles_dashboard_id", "dashboard_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200), default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    row: Mapped[int] = mapped_column(Integer, default=1)
    col: Mapped[int] = mapped_column(Integer, default=1)
    width: Mapped[int] = mapped_column(Integer, default=6)
    height: Mapped[int] = mapped_column(Integer, default=1)

    dashboard: Mapped[Dashboard] = relationship(back_populates="tiles")
