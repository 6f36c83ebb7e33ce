"""The Now/Next/Later board: which column an item is in, the order within it, and moves.

An item's column is its explicit ``horizon`` when someone placed it, otherwise the
one its status category implies (``in_progress`` → Now, ``planned`` → Next,
``backlog``/``discovery`` → Later). Items whose status is ``done`` or ``declined``
are closed and not on the board. Within a column, cards are ordered by
``board_rank`` (a float, so a move writes one row: the midpoint between its new
neighbours); cards never placed follow the ranked ones by id. When a column holds
unranked cards or two ranks get too close, the move renumbers the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import Conflict, FieldError
from pilothouse.core.models import Role
from pilothouse.roadmap.common import invalid
from pilothouse.roadmap.items import ITEM_OBJECT_TYPE, find_item
from pilothouse.roadmap.models import Horizon, RoadmapItem, StatusCategory, WorkflowStatus

__all__ = [
    "CLOSED",
    "HORIZON_OF_CATEGORY",
    "board_columns",
    "effective_horizon",
    "move_item",
    "parse_horizon",
]

HORIZON_OF_CATEGORY = {
    StatusCategory.in_progress: Horizon.now,
    StatusCategory.planned: Horizon.next,
    StatusCategory.discovery: Horizon.later,
    StatusCategory.backlog: Horizon.later,
}
CLOSED = frozenset({StatusCategory.done, StatusCategory.declined})
STEP = 1024.0
MIN_GAP = 1e-6


def parse_horizon(value: object, field: str = "horizon") -> Horizon:
    try:
        return Horizon(str(value).strip().lower())
    except ValueError:
        raise invalid(
            field, "now, next or later", f"{field} {value!r} is not now, next or later"
        ) from None


def effective_horizon(item: RoadmapItem) -> Horizon | None:
    """The board column of ``item``; ``None`` when its status is closed."""
    if item.status.category in CLOSED:
        return None
    return item.horizon or HORIZON_OF_CATEGORY[item.status.category]


def _order(item: RoadmapItem) -> tuple[bool, float, int]:
    return (item.board_rank is None, item.board_rank or 0.0, item.id)


def board_columns(items: Iterable[RoadmapItem]) -> dict[Horizon, list[RoadmapItem]]:
    """Open items by column, each column in board order."""
    columns: dict[Horizon, list[RoadmapItem]] = {h: [] for h in Horizon}
    for item in items:
        horizon = effective_horizon(item)
        if horizon is not None:
            columns[horizon].append(item)
    for cards in columns.values():
        cards.sort(key=_order)
    return columns


def _open_items(session: Session) -> list[RoadmapItem]:
    query = (
        select(RoadmapItem)
        .join(WorkflowStatus, RoadmapItem.status_id == WorkflowStatus.id)
        .where(WorkflowStatus.category.not_in(list(CLOSED)))
    )
    return list(session.scalars(query).unique())


def _neighbour(
    session: Session, ref: str | None, column: Sequence[RoadmapItem], field: str
) -> int | None:
    """The index in ``column`` of the card named by ``ref``."""
    if not ref:
        return None
    target = find_item(session, ref)
    for index, card in enumerate(column):
        if card.id == target.id:
            return index
    raise invalid(field, f"{target.key} is not in that column")


def _place(column: list[RoadmapItem], item: RoadmapItem, index: int) -> None:
    """Give ``item`` a rank that puts it at ``index`` of ``column`` (which excludes it)."""
    lower = column[index - 1].board_rank if index > 0 else None
    upper = column[index].board_rank if index < len(column) else None
    needs_renumber = any(card.board_rank is None for card in column)
    if not needs_renumber:
        if lower is not None and upper is not None:
            if upper - lower > 2 * MIN_GAP:
                item.board_rank = (lower + upper) / 2
                return
        elif lower is not None:
            item.board_rank = lower + STEP
            return
        elif upper is not None:
            item.board_rank = upper - STEP
            return
        else:
            item.board_rank = STEP
            return
    ordered = [*column[:index], item, *column[index:]]
    for position, card in enumerate(ordered, start=1):
        card.board_rank = position * STEP


def move_item(
    session: Session,
    actor: Actor,
    item: RoadmapItem,
    horizon: Horizon | str,
    *,
    before: str | None = None,
    after: str | None = None,
) -> RoadmapItem:
    """Put ``item`` in ``horizon``, just before card ``before`` or just after card ``after``
    (at the end when neither is given). The move is audited as ``roadmap_item.moved``."""
    actor.require(Role.editor, write=True)
    target = parse_horizon(horizon) if not isinstance(horizon, Horizon) else horizon
    if before and after:
        raise invalid("before", "give before or after, not both")
    if item.status.category in CLOSED:
        raise Conflict(
            f"{item.key} is {item.status.name.lower()}; reopen it to plan it on the board",
            errors=[FieldError("status", "closed items are not on the board")],
        )
    columns = board_columns(_open_items(session))
    old_horizon = effective_horizon(item)
    old_column = columns[old_horizon] if old_horizon else []
    old: dict[str, Any] = {
        "horizon": old_horizon.value if old_horizon else None,
        "position": next((n for n, c in enumerate(old_column, 1) if c.id == item.id), None),
    }
    column = [card for card in columns[target] if card.id != item.id]
    index = len(column)
    found = _neighbour(session, before, column, "before")
    if found is not None:
        index = found
    found = _neighbour(session, after, column, "after")
    if found is not None:
        index = found + 1
    item.horizon = target
    _place(column, item, index)
    session.flush()
    record_change(
        session,
        actor,
        object_type=ITEM_OBJECT_TYPE,
        object_id=item.id,
        action=Action.updated,
        name="roadmap_item.moved",
        label=f"{item.key} {item.title}",
        before=old,
        after={
            "horizon": target.value,
            "position": index + 1,
            "before": column[index].key if index < len(column) else None,
            "after": column[index - 1].key if index > 0 else None,
        },
    )
    return item
