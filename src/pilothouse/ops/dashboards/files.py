"""A dashboard as one YAML file, for ``pilothouse workspace export/apply``.

:func:`to_yaml_dict` gives the plain data of a file; :func:`from_yaml_dict` checks
such data and returns a :class:`DashboardSpec`, collecting every problem with the file
and field it is in (``dashboards/review.yaml: tiles[2].metric: required``);
:func:`apply_spec` creates or replaces the dashboard with that slug. Objects of other
domains are named as people know them: metric names, experiment keys, roadmap views
by name, areas by slug, the owner by e-mail (ids differ between workspaces).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.models import User
from pilothouse.core.runtime import Runtime
from pilothouse.ops.dashboards import service
from pilothouse.ops.dashboards.models import Dashboard
from pilothouse.ops.dashboards.tiles import KINDS, check_config

__all__ = ["DashboardSpec", "TileSpec", "apply_spec", "from_yaml_dict", "to_yaml_dict"]

PLACE = ("row", "col", "width", "height")
TOP_KEYS = frozenset(
    {"kind", "slug", "name", "description", "owner", "visibility", "default_days"}
    | {"default_area", "tiles"}
)


@dataclass(frozen=True)
class TileSpec:
    kind: str
    title: str
    place: dict[str, int]
    config: dict[str, Any]


@dataclass(frozen=True)
class DashboardSpec:
    """A checked dashboard file; references are still names (resolved on apply)."""

    path: str
    slug: str
    name: str
    description: str = ""
    owner: str | None = None
    visibility: str = "workspace"
    default_days: int = 90
    default_area: str | None = None
    tiles: list[TileSpec] = field(default_factory=list)


def _view_name(session: Session | None, view_id: Any) -> str:
    from pilothouse.roadmap.models import RoadmapView

    view = session.get(RoadmapView, int(view_id)) if session is not None else None
    return view.name if view is not None else str(view_id)


def to_yaml_dict(
    dashboard: Dashboard, view_keys: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The dashboard as the plain data of its YAML file (stable key order).

    Roadmap-view tiles name their view by name, or by ``view_keys[id]`` when given
    (workspace export names views by a unique key; names may repeat)."""
    session = object_session(dashboard)
    tiles = []
    for tile in dashboard.tiles:
        config = dict(tile.config)
        if tile.kind == "roadmap_view" and view_keys is not None:
            config["view"] = view_keys.get(int(config.get("view") or 0), str(config.get("view")))
        elif tile.kind == "roadmap_view":
            config["view"] = _view_name(session, config.get("view"))
        entry: dict[str, Any] = {"kind": tile.kind}
        if tile.title:
            entry["title"] = tile.title
        tiles.append(entry | config | {"place": {k: getattr(tile, k) for k in PLACE}})
    data: dict[str, Any] = {
        "kind": "dashboard",
        "slug": dashboard.slug,
        "name": dashboard.name,
        "description": dashboard.description,
        "owner": dashboard.owner.email if dashboard.owner else None,
        "visibility": dashboard.visibility,
        "default_days": dashboard.default_days,
        "default_area": dashboard.default_area.slug if dashboard.default_area else None,
        "tiles": tiles,
    }
    return {k: v for k, v in data.items() if v not in (None, "")}


def _collect(errors: list[FieldError], name: str, check: Any) -> Any:
    """Run ``check()``; a refusal is kept under ``name`` instead of stopping."""
    try:
        return check()
    except ValidationFailed as exc:
        inner = exc.errors[0].field if exc.errors else ""
        errors.append(FieldError(f"{name}.{inner}".strip(".") if name else inner, exc.detail))
        return None


def _tile_spec(raw: Any, where: str, errors: list[FieldError]) -> TileSpec | None:
    if not isinstance(raw, Mapping):
        errors.append(FieldError(where, "a mapping with kind, place and the tile's options"))
        return None
    kind = raw.get("kind")
    if kind not in KINDS:
        errors.append(FieldError(f"{where}.kind", f"one of {', '.join(KINDS)}"))
        return None
    options = {k: v for k, v in raw.items() if k not in ("kind", "title", "place")}
    if kind == "roadmap_view":  # named in files; resolved to the view's id on apply
        name = options.get("view")
        if not isinstance(name, str) or not name.strip():
            errors.append(FieldError(f"{where}.view", "a saved roadmap view's name"))
            return None
        config = {"view": name.strip()}
    else:
        config = _collect(errors, where, lambda: check_config(kind, options))
    place = raw.get("place") or {}
    if not isinstance(place, Mapping):
        errors.append(FieldError(f"{where}.place", "a mapping of row, col, width, height"))
        return None
    cleaned = _collect(errors, f"{where}.place", lambda: service.clean_place(place))
    title = raw.get("title") or ""
    if not isinstance(title, str):
        errors.append(FieldError(f"{where}.title", "text"))
    if config is None or cleaned is None or not isinstance(title, str):
        return None
    return TileSpec(kind, title, dict(zip(PLACE, cleaned, strict=True)), config)


def _top_level(data: Mapping[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    for key in sorted(set(data) - TOP_KEYS):
        errors.append(FieldError(key, f"not a dashboard field; use {', '.join(sorted(TOP_KEYS))}"))
    if data.get("kind", "dashboard") != "dashboard":
        errors.append(FieldError("kind", "must be 'dashboard'"))
    out: dict[str, Any] = {}
    for key in ("slug", "name"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            errors.append(FieldError(key, "required text"))
        else:
            out[key] = data[key].strip()
    if data.get("visibility", "workspace") not in service.VISIBILITIES:
        errors.append(FieldError("visibility", "workspace or private"))
    days = data.get("default_days", 90)
    if isinstance(days, bool) or days not in service.DAYS:
        errors.append(FieldError("default_days", f"one of {', '.join(map(str, service.DAYS))}"))
    return out


def from_yaml_dict(data: Any, path: str) -> DashboardSpec:
    """Check a dashboard file's data; every problem names ``path`` and the field."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(f"{path}: a dashboard file holds a mapping")
    errors: list[FieldError] = []
    top = _top_level(data, errors)
    raw_tiles = data.get("tiles") or []
    if not isinstance(raw_tiles, list):
        errors.append(FieldError("tiles", "a list of tiles"))
        raw_tiles = []
    tiles = [_tile_spec(t, f"tiles[{i}]", errors) for i, t in enumerate(raw_tiles)]
    if errors:
        lines = "; ".join(f"{path}: {e.field}: {e.message}" for e in errors)
        raise ValidationFailed(
            lines, errors=[FieldError(f"{path}:{e.field}", e.message) for e in errors]
        )
    return DashboardSpec(
        path=path,
        slug=top["slug"],
        name=top["name"],
        description=str(data.get("description") or ""),
        owner=data.get("owner"),
        visibility=data.get("visibility", "workspace"),
        default_days=data.get("default_days", 90),
        default_area=data.get("default_area"),
        tiles=[t for t in tiles if t is not None],
    )


def _resolve_view(
    session: Session,
    spec: DashboardSpec,
    index: int,
    name: str,
    view_ids: Mapping[str, int] | None = None,
) -> int:
    from pilothouse.roadmap.models import RoadmapView

    if view_ids is not None:
        found: int | None = view_ids.get(name)
    else:  # a name several views share: the shared one first, then the oldest
        query = select(RoadmapView.id).where(RoadmapView.name == name)
        found = session.scalar(query.order_by(RoadmapView.shared.desc(), RoadmapView.id))
    if found is None:
        raise ValidationFailed(
            f"{spec.path}: tiles[{index}].view: no roadmap view named {name!r}",
            errors=[FieldError(f"{spec.path}:tiles[{index}].view", f"no roadmap view {name!r}")],
        )
    return int(found)


def apply_spec(
    session: Session,
    actor: Actor,
    spec: DashboardSpec,
    runtime: Runtime | None = None,
    view_ids: Mapping[str, int] | None = None,
) -> Dashboard:
    """Create the dashboard ``spec.slug`` or replace its settings and tiles with the file's.

    ``view_ids``: roadmap-view tiles name their view by these keys instead of by name."""
    values = {
        "name": spec.name,
        "slug": spec.slug,
        "description": spec.description,
        "visibility": spec.visibility,
        "default_days": spec.default_days,
        "default_area": spec.default_area,
    }
    existing = session.scalar(select(Dashboard).where(Dashboard.slug == spec.slug))
    if existing is None:
        dashboard = service.create_dashboard(session, actor, values)
    else:
        dashboard = service.update_dashboard(session, actor, existing, values)
        for tile in list(dashboard.tiles):
            service.remove_tile(session, actor, dashboard, tile.id)
    if spec.owner:
        owner = session.scalar(select(User).where(User.email == spec.owner))
        dashboard.owner_id = owner.id if owner is not None else dashboard.owner_id
    for index, tile in enumerate(spec.tiles):
        config = dict(tile.config)
        if tile.kind == "roadmap_view":
            config["view"] = _resolve_view(session, spec, index, config["view"], view_ids)
        body = {"kind": tile.kind, "title": tile.title, "config": config} | tile.place
        service.add_tile(session, actor, dashboard, body, runtime)
    return dashboard
