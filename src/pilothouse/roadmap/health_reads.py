"""Read functions for process health (``ops``): items with their status history.

``ops`` reads the roadmap only through this module (design rule: never another
domain's tables). The history comes from the audit log, where every create and every
status change of an item records the status key before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.audit_log import field_history
from pilothouse.roadmap.items import ITEM_OBJECT_TYPE
from pilothouse.roadmap.models import ItemKey, RoadmapItem, WorkflowStatus

__all__ = ["ItemHistory", "item_histories", "status_categories"]


@dataclass(frozen=True)
class ItemHistory:
    """An existing item and the statuses it entered, oldest first (``(when, status key)``)."""

    id: int
    key: str
    keys: tuple[str, ...]
    area_id: int | None
    created_at: datetime
    status: str
    category: str
    moves: tuple[tuple[datetime, str], ...]


def status_categories(session: Session) -> dict[str, str]:
    """Status key → category (``backlog``, ``discovery``, ``planned``, ``in_progress``,
    ``done``, ``declined``) for the workspace's current statuses."""
    rows = session.execute(select(WorkflowStatus.key, WorkflowStatus.category))
    return {key: category.value for key, category in rows}


def item_histories(session: Session) -> list[ItemHistory]:
    """Every item that still exists; deleted items are left out (their links went with them)."""
    moves: dict[str, list[tuple[datetime, str]]] = {}
    for change in field_history(session, ITEM_OBJECT_TYPE, "status"):
        if change.action != "deleted" and change.after is not None:
            moves.setdefault(change.object_id, []).append((change.at, str(change.after)))
    old_keys: dict[int, list[str]] = {}
    for key, item_id in session.execute(select(ItemKey.key, ItemKey.item_id)):
        old_keys.setdefault(item_id, []).append(key)
    out = []
    for item in session.scalars(select(RoadmapItem).order_by(RoadmapItem.id)):
        status = item.status
        out.append(
            ItemHistory(
                id=item.id,
                key=item.key,
                keys=tuple(sorted(set(old_keys.get(item.id, [])) | {item.key})),
                area_id=item.product_area_id,
                created_at=item.created_at,
                status=status.key,
                category=status.category.value,
                moves=tuple(moves.get(str(item.id), [])),
            )
        )
    return out
