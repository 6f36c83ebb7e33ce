"""Saved dashboards: create, change, share and delete them and their tiles.

Who may do what: everyone signed in sees workspace dashboards; a private one only its
owner (and admins). Editors create dashboards and edit workspace ones; a private
dashboard is changed by its owner or an admin. Every change is audited (object type
``dashboard``) in the same transaction. Tile configs are checked by
:func:`pilothouse.ops.dashboards.tiles.check_config`; places on the 12-column grid by
:func:`clean_place`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.areas import get_area_by_slug, slugify
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.ops.dashboards.models import Dashboard, DashboardTile
from pilothouse.ops.dashboards.tiles import DashboardFilter, check_config

__all__ = [
    "COLUMNS",
    "DAYS",
    "OBJECT_TYPE",
    "VISIBILITIES",
    "add_tile",
    "can_edit",
    "clean_place",
    "create_dashboard",
    "delete_dashboard",
    "filter_for",
    "get_dashboard",
    "list_dashboards",
    "remove_tile",
    "update_dashboard",
    "from_yaml_dict",
    "to_yaml_dict",
    "update_tile",
]

OBJECT_TYPE = "dashboard"
VISIBILITIES = ("workspace", "private")
COLUMNS = 12
MAX_HEIGHT = 4
MAX_ROW = 50
MAX_TILES = 40
#: Default date ranges a dashboard may have, in days up to today.
DAYS = (7, 14, 30, 60, 90, 120, 180, 365)
AUDITED = ("slug", "name", "description", "visibility", "default_days", "default_area_id")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _invalid(name: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {why}", errors=[FieldError(name, why)])


def _visible(actor: Actor) -> Any:
    if actor.role.allows(Role.admin):
        return Dashboard.id.is_not(None)
    return or_(Dashboard.visibility == "workspace", Dashboard.owner_id == actor.user_id)


def list_dashboards(session: Session, actor: Actor) -> list[Dashboard]:
    """The dashboards ``actor`` may see, by name."""
    query = select(Dashboard).where(_visible(actor)).order_by(Dashboard.name, Dashboard.id)
    return list(session.scalars(query))


def get_dashboard(session: Session, actor: Actor, slug: str) -> Dashboard:
    """One dashboard by slug; a private one of someone else is "not found", not forbidden."""
    found = session.scalar(select(Dashboard).where(Dashboard.slug == str(slug).strip().lower()))
    if found is None or not session.scalar(
        select(Dashboard.id).where(Dashboard.id == found.id, _visible(actor))
    ):
        raise NotFound(f"no dashboard {slug!r}")
    return found


def can_edit(actor: Actor, dashboard: Dashboard) -> bool:
    """Editors edit workspace dashboards; a private one its owner; admins everything."""
    if not actor.can_write or not actor.role.allows(Role.editor):
        return False
    if actor.role.allows(Role.admin) or dashboard.visibility == "workspace":
        return True
    return dashboard.owner_id == actor.user_id


def _require_edit(actor: Actor, dashboard: Dashboard) -> None:
    actor.require(Role.editor, write=True)
    if not can_edit(actor, dashboard):
        raise Forbidden("only the owner of a private dashboard or an admin may change it")


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _invalid("name", "required")
    if len(raw.strip()) > 200:
        raise _invalid("name", "at most 200 characters")
    return raw.strip()


def _slug(session: Session, raw: Any, dashboard: Dashboard) -> str:
    if not isinstance(raw, str) or not _SLUG.match(raw.strip()) or len(raw.strip()) > 80:
        raise _invalid("slug", "lower-case letters, digits and single dashes")
    slug = raw.strip()
    other = session.scalar(select(Dashboard.id).where(Dashboard.slug == slug))
    if other is not None and other != dashboard.id:
        raise Conflict(
            f"slug: a dashboard {slug!r} exists", errors=[FieldError("slug", "already used")]
        )
    return slug


def _days(raw: Any) -> int:
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) not in DAYS:
        raise _invalid("default_days", f"one of {', '.join(map(str, DAYS))}")
    return int(text)


def _area_id(session: Session, raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise _invalid("default_area", "a product area's slug")
    try:
        return get_area_by_slug(session, raw.strip()).id
    except NotFound:
        raise _invalid("default_area", f"no product area {raw!r}") from None


def _apply(session: Session, dashboard: Dashboard, values: Mapping[str, Any]) -> None:
    if "name" in values:
        dashboard.name = _name(values["name"])
    if values.get("slug") is not None:
        dashboard.slug = _slug(session, values["slug"], dashboard)
    if "description" in values:
        text = values["description"] or ""
        if not isinstance(text, str) or len(text) > 1000:
            raise _invalid("description", "text of at most 1000 characters")
        dashboard.description = text.strip()
    if values.get("visibility") is not None:
        if values["visibility"] not in VISIBILITIES:
            raise _invalid("visibility", "workspace or private")
        dashboard.visibility = values["visibility"]
    if values.get("default_days") is not None:
        dashboard.default_days = _days(values["default_days"])
    if "default_area" in values:
        dashboard.default_area_id = _area_id(session, values["default_area"])


def _audit(
    session: Session, actor: Actor, dashboard: Dashboard, action: Action, before: Any = None
) -> None:
    after = None if action is Action.deleted else _state(dashboard)
    record_change(
        session,
        actor,
        object_type=OBJECT_TYPE,
        object_id=dashboard.id,
        action=action,
        label=dashboard.name,
        before=before,
        after=after,
    )


def _state(dashboard: Dashboard) -> dict[str, Any]:
    """What the audit log keeps: the settings and every tile (kind, config, place)."""
    tiles = [
        {
            k: getattr(t, k)
            for k in ("id", "kind", "title", "config", "row", "col", "width", "height")
        }
        for t in dashboard.tiles
    ]
    return snapshot(dashboard, AUDITED) | {"tiles": tiles}


def create_dashboard(session: Session, actor: Actor, values: Mapping[str, Any]) -> Dashboard:
    """A new dashboard owned by ``actor``; the slug comes from the name unless given."""
    actor.require(Role.editor, write=True)
    name = _name(values.get("name"))
    dashboard = Dashboard(
        name=name,
        slug="",
        description="",
        owner_id=actor.user_id,
        visibility="workspace",
        default_days=90,
    )
    dashboard.tiles = []
    slug = values.get("slug") or slugify(name)[:80] or "dashboard"
    _apply(session, dashboard, {**values, "slug": slug})
    session.add(dashboard)
    session.flush()
    _audit(session, actor, dashboard, Action.created)
    return dashboard


def update_dashboard(
    session: Session, actor: Actor, dashboard: Dashboard, values: Mapping[str, Any]
) -> Dashboard:
    """Change name, slug, description, visibility or default filters (all checked first)."""
    _require_edit(actor, dashboard)
    if values.get("visibility") == "private" and dashboard.owner_id not in (actor.user_id,):
        if not actor.role.allows(Role.admin):
            raise Forbidden("only the owner or an admin may make a dashboard private")
    before = _state(dashboard)
    _apply(session, dashboard, values)
    session.flush()
    _audit(session, actor, dashboard, Action.updated, before)
    return dashboard


def delete_dashboard(session: Session, actor: Actor, dashboard: Dashboard) -> None:
    _require_edit(actor, dashboard)
    _audit(session, actor, dashboard, Action.deleted, _state(dashboard))
    session.delete(dashboard)
    session.flush()


def _whole(values: Mapping[str, Any], name: str, low: int, high: int, default: int) -> int:
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or not low <= int(text) <= high:
        raise _invalid(name, f"a whole number from {low} to {high}")
    return int(text)


def clean_place(values: Mapping[str, Any], current: Any = None) -> tuple[int, int, int, int]:
    """(row, col, width, height) on the 12-column grid; the tile must fit in the row."""
    row = _whole(values, "row", 1, MAX_ROW, current.row if current else 1)
    col = _whole(values, "col", 1, COLUMNS, current.col if current else 1)
    width = _whole(values, "width", 1, COLUMNS, current.width if current else 6)
    height = _whole(values, "height", 1, MAX_HEIGHT, current.height if current else 1)
    if col + width - 1 > COLUMNS:
        raise _invalid("width", f"column {col} + width {width} passes column {COLUMNS}")
    return row, col, width, height


def _next_row(dashboard: Dashboard) -> int:
    return max((t.row + t.height for t in dashboard.tiles), default=1)


def _title(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > 200:
        raise _invalid("title", "text of at most 200 characters")
    return raw.strip()


def add_tile(
    session: Session,
    actor: Actor,
    dashboard: Dashboard,
    values: Mapping[str, Any],
    runtime: Runtime | None = None,
) -> DashboardTile:
    """Add a tile (``kind``, ``config``, optional ``title`` and place: default a new row)."""
    _require_edit(actor, dashboard)
    if len(dashboard.tiles) >= MAX_TILES:
        raise _invalid("kind", f"a dashboard holds at most {MAX_TILES} tiles")
    kind = values.get("kind")
    config = check_config(str(kind or ""), values.get("config") or {}, runtime)
    place = clean_place({"row": _next_row(dashboard)} | dict(values))
    before = _state(dashboard)
    tile = DashboardTile(kind=kind, title=_title(values.get("title")), config=config)
    tile.row, tile.col, tile.width, tile.height = place
    dashboard.tiles.append(tile)
    session.flush()
    _audit(session, actor, dashboard, Action.updated, before)
    return tile


def _tile(dashboard: Dashboard, tile_id: int) -> DashboardTile:
    found = next((t for t in dashboard.tiles if t.id == tile_id), None)
    if found is None:
        raise NotFound(f"no tile {tile_id} on dashboard {dashboard.slug!r}")
    return found


def update_tile(
    session: Session,
    actor: Actor,
    dashboard: Dashboard,
    tile_id: int,
    values: Mapping[str, Any],
    runtime: Runtime | None = None,
) -> DashboardTile:
    """Move, resize, retitle or reconfigure one tile."""
    _require_edit(actor, dashboard)
    tile = _tile(dashboard, tile_id)
    config = tile.config
    if values.get("config") is not None:
        config = check_config(tile.kind, values["config"], runtime)
    place = clean_place(values, tile)
    title = _title(values["title"]) if "title" in values else tile.title
    before = _state(dashboard)
    tile.config, tile.title = config, title
    tile.row, tile.col, tile.width, tile.height = place
    session.flush()
    _audit(session, actor, dashboard, Action.updated, before)
    return tile


def remove_tile(session: Session, actor: Actor, dashboard: Dashboard, tile_id: int) -> None:
    _require_edit(actor, dashboard)
    tile = _tile(dashboard, tile_id)
    before = _state(dashboard)
    dashboard.tiles.remove(tile)
    session.flush()
    _audit(session, actor, dashboard, Action.updated, before)


def filter_for(
    session: Session,
    dashboard: Dashboard,
    start: dt.date | None,
    end: dt.date | None,
    area: str | None,
    today: dt.date,
) -> DashboardFilter:
    """The page's filters: given values, else the dashboard's defaults (``area=""``: all)."""
    last = end or today
    first = start or last - dt.timedelta(days=dashboard.default_days - 1)
    if first > last:
        raise _invalid("from", "after 'to'")
    if area is None:
        chosen = dashboard.default_area
        return DashboardFilter(
            first, last, chosen.slug if chosen else None, dashboard.default_area_id
        )
    if not area.strip():
        return DashboardFilter(first, last)
    try:
        found = get_area_by_slug(session, area.strip())
    except NotFound:
        raise _invalid("area", f"no product area {area!r}") from None
    return DashboardFilter(first, last, found.slug, found.id)


def to_yaml_dict(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard as the plain data of one YAML file (see :mod:`.files`)."""
    from pilothouse.ops.dashboards.files import to_yaml_dict as convert

    return convert(dashboard)


def from_yaml_dict(data: Any, path: str) -> Any:
    """A checked :class:`~.files.DashboardSpec` from a file's data; errors name file and
    field. Apply it with :func:`pilothouse.ops.dashboards.files.apply_spec`."""
    from pilothouse.ops.dashboards.files import from_yaml_dict as check

    return check(data, path)
