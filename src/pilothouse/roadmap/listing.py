"""Finding items: filters by kind, status, product area, objective, owner, parent, tag,
quarter, text and custom fields, and sorting by any column, custom field or score.

The default order (by id) pages in SQL with the core cursor pagination. Other
orders load the filtered items, sort them (values missing sort last, ties by id)
and page with a cursor that holds the last row's sort value and id, so a page
never repeats or skips a row when rows are added meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from pilothouse.core.errors import BadRequest, FieldError
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import scoring
from pilothouse.roadmap.common import invalid, resolve_area, resolve_user
from pilothouse.roadmap.items import BRIEF_ITEM_LOADING, ITEM_LOADING, find_parent
from pilothouse.roadmap.models import (
    NUMERIC_INPUTS,
    FieldType,
    ItemKind,
    ItemObjective,
    ItemTag,
    RoadmapItem,
    StatusCategory,
    WorkflowStatus,
)
from pilothouse.roadmap.objectives import find_objective
from pilothouse.roadmap.statuses import find_status, list_statuses

__all__ = ["SORTABLE", "ItemFilter", "filtered_items", "item_query", "list_items"]

#: Columns an item list can be sorted by, besides ``field:<key>`` and ``score:<formula>``.
SORTABLE = (
    "id",
    "key",
    "title",
    "kind",
    "status",
    "created_at",
    "updated_at",
    "target_quarter",
    "start_date",
    "target_date",
    *NUMERIC_INPUTS,
)
NONE = "none"


@dataclass(frozen=True)
class ItemFilter:
    """Each given field narrows the list. ``"none"`` for owner, area, parent means unset."""

    kind: ItemKind | None = None
    status: Sequence[str] = ()
    category: Sequence[StatusCategory] = ()
    product_area: str | None = None
    objective: str | None = None
    owner: str | None = None
    parent: str | None = None
    tag: str | None = None
    quarter: str | None = None
    search: str | None = None
    fields: Sequence[str] = field(default_factory=tuple)


def item_query(  # noqa: C901
    session: Session, where: ItemFilter, *, brief: bool = False
) -> Select[Any]:
    """The SELECT of the items matching ``where``; ``brief`` items come with their status
    only (:data:`~pilothouse.roadmap.items.BRIEF_ITEM_LOADING`), for lists by name."""
    query = select(RoadmapItem).options(*(BRIEF_ITEM_LOADING if brief else ITEM_LOADING))
    if where.kind is not None:
        query = query.where(RoadmapItem.kind == where.kind)
    if where.status:
        ids = [find_status(session, s, "status").id for s in where.status]
        query = query.where(RoadmapItem.status_id.in_(ids))
    if where.category:
        in_category = select(WorkflowStatus.id).where(WorkflowStatus.category.in_(where.category))
        query = query.where(RoadmapItem.status_id.in_(in_category))
    if where.product_area:
        area = None if where.product_area == NONE else resolve_area(session, where.product_area)
        query = query.where(RoadmapItem.product_area_id == area)
    if where.owner:
        owner = None if where.owner == NONE else resolve_user(session, where.owner, "owner")
        query = query.where(RoadmapItem.owner_id == owner)
    if where.parent:
        parent = None if where.parent == NONE else find_parent(session, where.parent)
        query = query.where(RoadmapItem.parent_id == (parent.id if parent else None))
    if where.objective:
        objective = find_objective(session, where.objective)
        query = query.where(
            exists().where(
                ItemObjective.item_id == RoadmapItem.id, ItemObjective.objective_id == objective.id
            )
        )
    if where.tag:
        query = query.where(
            exists().where(
                ItemTag.item_id == RoadmapItem.id, func.lower(ItemTag.tag) == where.tag.lower()
            )
        )
    if where.quarter:
        query = query.where(RoadmapItem.target_quarter == where.quarter.upper())
    if where.search:
        text = where.search.strip()
        query = query.where(
            or_(
                func.lower(RoadmapItem.title).like(f"%{text.lower()}%"),
                RoadmapItem.key == text.upper(),
            )
        )
    if where.fields:
        by_key = {f.key: f for f in custom_fields.list_fields(session)}
        for expression in where.fields:
            query = query.where(custom_fields.field_condition(session, by_key, expression))
    return query


def filtered_items(
    session: Session, where: ItemFilter, *, brief: bool = False
) -> list[RoadmapItem]:
    """Every matching item, by id (``brief``: see :func:`item_query`)."""
    query = item_query(session, where, brief=brief).order_by(RoadmapItem.id)
    return list(session.scalars(query).unique())


@functools.total_ordering
class _Desc:
    """Wraps a value so that it sorts in reverse."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.value < self.value)

    def __hash__(self) -> int:
        return hash(self.value)


def _sort_values(session: Session, items: list[RoadmapItem], name: str) -> dict[int, Any]:
    """The sort value of each item (JSON-ready: str, number or None)."""
    if name.startswith("score:"):
        definition = scoring.get_formula(session, name.partition(":")[2])
        return {s.item.id: s.score for s in scoring.score_items(session, items, definition)}
    if name.startswith("field:"):
        key = name.partition(":")[2]
        found = {f.key: f for f in custom_fields.list_fields(session)}.get(key)
        if found is None:
            raise invalid("sort", f"no custom field {key!r}")
        values = {}
        for item in items:
            value = custom_fields.values_of(item).get(key)
            if found.type is FieldType.multi_select and value is not None:
                value = ",".join(value)
            values[item.id] = value
        return values
    if name not in SORTABLE:
        allowed = ", ".join(SORTABLE)
        raise invalid("sort", f"sort by one of {allowed}, field:<key> or score:<formula>")
    if name == "status":
        positions = {s.id: s.position for s in list_statuses(session)}
        return {item.id: positions.get(item.status_id) for item in items}
    values = {}
    for item in items:
        value = getattr(item, name)
        values[item.id] = (
            value.isoformat()
            if hasattr(value, "isoformat")
            else (
                value.value
                if hasattr(value, "value") and not isinstance(value, int | float)
                else value
            )
        )
    return values


def _key_function(descending: bool) -> Callable[[Any, int], tuple[Any, ...]]:
    def key(value: Any, item_id: int) -> tuple[Any, ...]:
        if value is None:
            return (1, 0, item_id)
        return (0, _Desc(value) if descending else value, item_id)

    return key


def _encode(sort: str, value: Any, item_id: int) -> str:
    raw = json.dumps({"sort": sort, "value": value, "after": item_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["sort"] != sort or not isinstance(data["after"], int):
            raise ValueError
        return data["value"], data["after"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadRequest(
            "the cursor is not one this list returned",
            errors=[FieldError("cursor", "invalid or from another list or order")],
        ) from None


def list_items(
    session: Session, page: PageRequest, where: ItemFilter, sort: str | None = None
) -> Page[RoadmapItem]:
    """One page of matching items in ``sort`` order (``-`` first for descending)."""
    sort = (sort or "id").strip()
    if sort in ("id", "-id"):
        request = PageRequest(page.limit, page.cursor, newest_first=sort == "-id")
        return paginate(session, item_query(session, where), RoadmapItem.id, request)
    descending, name = sort.startswith("-"), sort.lstrip("-")
    items = filtered_items(session, where)
    values = _sort_values(session, items, name)
    key = _key_function(descending)
    items.sort(key=lambda i: key(values[i.id], i.id))
    if page.cursor:
        value, after = _decode(page.cursor, sort)
        last = key(value, after)
        items = [i for i in items if key(values[i.id], i.id) > last]
    chosen = items[: page.limit]
    cursor = None
    if len(items) > page.limit:
        tail = chosen[-1]
        cursor = _encode(sort, values[tail.id], tail.id)
    return Page(items=chosen, next_cursor=cursor)
