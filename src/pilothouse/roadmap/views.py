"""Saved views: a named board, timeline or table with its filters and columns.

A view belongs to the person who saved it. Anyone may save private views (they
change nothing others see); sharing one with the workspace needs the editor role.
The owner or an admin changes and deletes it. ``filters`` are the item filters of
the API (:class:`~pilothouse.roadmap.listing.ItemFilter`), checked when saved;
``columns`` are table columns from :func:`column_choices`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import Forbidden, NotFound
from pilothouse.core.models import Role
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import scoring
from pilothouse.roadmap.common import clean_name, invalid
from pilothouse.roadmap.evidence import EVIDENCE_NAMES
from pilothouse.roadmap.listing import ItemFilter, item_query
from pilothouse.roadmap.models import (
    NUMERIC_INPUTS,
    ItemKind,
    RoadmapView,
    StatusCategory,
    ViewKind,
)

__all__ = [
    "BUILTIN_COLUMNS",
    "DEFAULT_COLUMNS",
    "FILTER_KEYS",
    "Column",
    "clean_columns",
    "clean_filters",
    "column_choices",
    "create_view",
    "delete_view",
    "get_view",
    "list_views",
    "to_item_filter",
    "update_view",
]

VIEW_OBJECT_TYPE = "roadmap_view"
#: Item filter parameters a view may save; the list-valued ones repeat in a URL.
FILTER_KEYS: tuple[str, ...] = (
    "kind",
    "status",
    "category",
    "product_area",
    "objective",
    "owner",
    "tag",
    "quarter",
    "q",
    "field",
)
LIST_FILTERS = frozenset({"status", "category", "field"})
AUDITED_VIEW_FIELDS = ("name", "kind", "filters", "columns", "formula", "shared")


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` as saved, ``label`` as shown, ``group`` for the picker."""

    key: str
    label: str
    group: str


BUILTIN_COLUMNS = (
    Column("rank", "Rank", "score"),
    Column("key", "Key", "item"),
    Column("title", "Title", "item"),
    Column("kind", "Kind", "item"),
    Column("status", "Status", "item"),
    Column("horizon", "Horizon", "item"),
    Column("owner", "Owner", "item"),
    Column("product_area", "Product area", "item"),
    Column("objectives", "Objectives", "item"),
    Column("tags", "Tags", "item"),
    Column("target_quarter", "Quarter", "item"),
    Column("start_date", "Start", "item"),
    Column("target_date", "Target date", "item"),
    *(Column(n, n.replace("_", " ").capitalize(), "input") for n in NUMERIC_INPUTS),
    Column("score", "Score", "score"),
    Column("feedback_count", "Feedback", "evidence"),
    Column("customer_count", "Customers", "evidence"),
    Column("customer_arr_cents", "Customer ARR", "evidence"),
)
DEFAULT_COLUMNS = (
    "rank",
    "key",
    "title",
    "status",
    "owner",
    "reach",
    "impact",
    "confidence",
    "effort",
    "score",
    "feedback_count",
)
assert set(DEFAULT_COLUMNS) <= {c.key for c in BUILTIN_COLUMNS}
assert {c.key for c in BUILTIN_COLUMNS if c.group == "evidence"} == set(EVIDENCE_NAMES)


def column_choices(session: Session) -> list[Column]:
    """Every column a table may show: built-in, then one per custom field."""
    custom = [
        Column(f"field:{f.key}", f.name, "custom field") for f in custom_fields.list_fields(session)
    ]
    return [*BUILTIN_COLUMNS, *custom]


def clean_columns(session: Session, raw: Any) -> list[str]:
    """The columns in the given order, each once; unknown ones → 422 naming the column."""
    if raw is None:
        return list(DEFAULT_COLUMNS)
    if not isinstance(raw, list | tuple) or not all(isinstance(c, str) for c in raw):
        raise invalid("columns", "a list of column keys")
    known = {c.key for c in column_choices(session)}
    columns: list[str] = []
    for index, key in enumerate(raw):
        key = key.strip()
        if key not in known:
            raise invalid(f"columns.{index}", f"no column {key!r}")
        if key not in columns:
            columns.append(key)
    return columns or list(DEFAULT_COLUMNS)


def to_item_filter(filters: Mapping[str, Any]) -> ItemFilter:
    """The :class:`ItemFilter` for saved ``filters`` (already cleaned)."""

    def many(name: str) -> tuple[str, ...]:
        return tuple(filters.get(name) or ())

    kind = filters.get("kind")
    return ItemFilter(
        kind=ItemKind(kind) if kind else None,
        status=many("status"),
        category=tuple(StatusCategory(c) for c in many("category")),
        product_area=filters.get("product_area") or None,
        objective=filters.get("objective") or None,
        owner=filters.get("owner") or None,
        tag=filters.get("tag") or None,
        quarter=filters.get("quarter") or None,
        search=filters.get("q") or None,
        fields=many("field"),
    )


def _clean_value(name: str, value: Any) -> Any:
    if name in LIST_FILTERS:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise invalid(f"filters.{name}", "a list of strings")
        return [v.strip() for v in values if v.strip()]
    if not isinstance(value, str | int):
        raise invalid(f"filters.{name}", "a string")
    return str(value).strip()


def clean_filters(session: Session, raw: Any) -> dict[str, Any]:
    """Saved filters with empty values dropped, each checked by running the query once."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise invalid("filters", "an object of item filters")
    filters: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in FILTER_KEYS:
            raise invalid(f"filters.{name}", f"not a filter; use {', '.join(FILTER_KEYS)}")
        cleaned = _clean_value(name, value)
        if cleaned:
            filters[name] = cleaned
    try:
        where = to_item_filter(filters)
    except ValueError as exc:
        raise invalid("filters", str(exc)) from None
    item_query(session, where)  # resolves statuses, areas, owners, fields: 422 if unknown
    return filters


def _visible(actor: Actor) -> Any:
    return or_(RoadmapView.owner_id == actor.user_id, RoadmapView.shared.is_(True))


def list_views(session: Session, actor: Actor, kind: ViewKind | None = None) -> list[RoadmapView]:
    """The actor's own views and those shared with the workspace, by name."""
    query = select(RoadmapView).where(_visible(actor))
    if kind is not None:
        query = query.where(RoadmapView.kind == kind)
    return list(session.scalars(query.order_by(RoadmapView.name, RoadmapView.id)))


def get_view(session: Session, actor: Actor | None, view_id: int | str) -> RoadmapView:
    """A view the actor may see (``actor=None``: any view, for share links)."""
    text = str(view_id).strip()
    view = session.get(RoadmapView, int(text)) if text.isdigit() else None
    if view is None or (actor is not None and view.owner_id != actor.user_id and not view.shared):
        raise NotFound(f"no roadmap view {text!r}")
    return view


def _check_owner(actor: Actor, view: RoadmapView) -> None:
    if view.owner_id != actor.user_id and not actor.role.allows(Role.admin):
        raise Forbidden("only the owner of a view or an admin may change it")


def _apply(session: Session, actor: Actor, view: RoadmapView, values: Mapping[str, Any]) -> None:
    if "name" in values:
        view.name = clean_name(values["name"], max_length=100)
    if values.get("kind") is not None:
        try:
            view.kind = ViewKind(values["kind"])
        except ValueError:
            raise invalid("kind", "board, timeline or table") from None
    if "filters" in values:
        view.filters = clean_filters(session, values["filters"])
    if "columns" in values:
        view.columns = clean_columns(session, values["columns"])
    if values.get("formula"):
        view.formula = scoring.get_formula(session, str(values["formula"])).key
    if values.get("shared") is not None:
        if values["shared"] and not view.shared:
            actor.require(Role.editor, write=True)
        view.shared = bool(values["shared"])


def _audit(
    session: Session, actor: Actor, view: RoadmapView, action: Action, before: Any = None
) -> None:
    record_change(
        session,
        actor,
        object_type=VIEW_OBJECT_TYPE,
        object_id=view.id,
        action=action,
        label=view.name,
        before=before,
        after=None if action is Action.deleted else snapshot(view, AUDITED_VIEW_FIELDS),
    )


def create_view(session: Session, actor: Actor, values: Mapping[str, Any]) -> RoadmapView:
    """Save a view owned by ``actor`` (``name`` and ``kind`` needed)."""
    actor.require(Role.viewer, write=True)
    if actor.user_id is None:
        raise Forbidden("views belong to a person; sign in to save one")
    view = RoadmapView(
        name=clean_name(values.get("name"), max_length=100),
        kind=ViewKind.table,
        owner_id=actor.user_id,
        filters={},
        columns=list(DEFAULT_COLUMNS),
        formula="rice",
        shared=False,
    )
    _apply(session, actor, view, {"kind": values.get("kind") or "table", **values})
    session.add(view)
    session.flush()
    _audit(session, actor, view, Action.created)
    return view


def update_view(
    session: Session, actor: Actor, view: RoadmapView, values: Mapping[str, Any]
) -> RoadmapView:
    actor.require(Role.viewer, write=True)
    _check_owner(actor, view)
    before = snapshot(view, AUDITED_VIEW_FIELDS)
    _apply(session, actor, view, values)
    session.flush()
    _audit(session, actor, view, Action.updated, before)
    return view


def delete_view(session: Session, actor: Actor, view: RoadmapView) -> None:
    """Delete a view; its share links stop working with it."""
    actor.require(Role.viewer, write=True)
    _check_owner(actor, view)
    _audit(session, actor, view, Action.deleted, snapshot(view, AUDITED_VIEW_FIELDS))
    session.delete(view)
    session.flush()
