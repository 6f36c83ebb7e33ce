"""What a roadmap page shows: filters, columns and formula from the URL or a saved view,
and the choices its filter bar offers. Shared by the board, timeline and table pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core import areas
from pilothouse.core.actor import Actor
from pilothouse.core.models import User
from pilothouse.core.pagination import PageRequest
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import objectives, scoring, statuses, views
from pilothouse.roadmap.listing import ItemFilter
from pilothouse.roadmap.models import ItemKind, ItemTag, RoadmapView, StatusCategory, ViewKind

__all__ = ["PageState", "filter_choices", "page_state", "query_string"]


@dataclass
class PageState:
    """The state of one board/timeline/table page, as the URL or a saved view gave it."""

    kind: ViewKind
    filters: dict[str, Any]
    columns: list[str]
    formula: str
    view: RoadmapView | None = None
    views: list[RoadmapView] = field(default_factory=list)

    @property
    def where(self) -> ItemFilter:
        return views.to_item_filter(self.filters)

    @property
    def query(self) -> str:
        """The URL query that reproduces this page without the saved view."""
        return query_string(self.filters, self.columns, self.formula, self.kind)

    @property
    def filtered(self) -> bool:
        return bool(self.filters)


def query_string(
    filters: Mapping[str, Any], columns: list[str], formula: str, kind: ViewKind
) -> str:
    pairs: list[tuple[str, str]] = []
    for name, value in filters.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, str(one)))
    if kind is ViewKind.table:
        pairs += [("columns", c) for c in columns]
        pairs.append(("formula", formula))
    return urlencode(pairs)


def _from_query(request: Request) -> dict[str, Any]:
    params = request.query_params
    raw: dict[str, Any] = {}
    for name in views.FILTER_KEYS:
        if name in views.LIST_FILTERS:
            values = [v for v in params.getlist(name) if v.strip()]
            if values:
                raw[name] = values
        elif params.get(name, "").strip():
            raw[name] = params[name]
    return raw


def page_state(session: Session, actor: Actor, request: Request, kind: ViewKind) -> PageState:
    """Filters from the URL; when the URL names a saved ``view`` and no filters, the view's."""
    params = request.query_params
    view = None
    if params.get("view", "").isdigit():
        view = views.get_view(session, actor, int(params["view"]))
    raw = _from_query(request)
    if view is not None and not raw:
        raw = dict(view.filters)
    columns_raw = params.getlist("columns") or (view.columns if view else None)
    formula = params.get("formula") or (view.formula if view else "rice")
    return PageState(
        kind=kind,
        filters=views.clean_filters(session, raw),
        columns=views.clean_columns(session, columns_raw),
        formula=scoring.get_formula(session, formula).key,
        view=view,
        views=views.list_views(session, actor),
    )


def filter_choices(session: Session) -> dict[str, Any]:
    """Options of the filter bar: kinds, statuses, areas, objectives, people, tags, fields."""
    tags = sorted(set(session.scalars(select(ItemTag.tag))), key=str.lower)
    people = session.scalars(select(User).where(User.is_active).order_by(User.name))
    return {
        "kinds": list(ItemKind),
        "statuses": statuses.list_statuses(session),
        "categories": list(StatusCategory),
        "areas": areas.list_areas(session, PageRequest(limit=500)).items,
        "objectives": objectives.list_objectives(session, PageRequest(limit=500)).items,
        "people": list(people),
        "tags": tags,
        "custom_fields": custom_fields.list_fields(session),
        "formulas": scoring.list_formulas(session),
    }
