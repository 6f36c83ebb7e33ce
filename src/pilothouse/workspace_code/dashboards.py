"""Dashboards as ``dashboards/<slug>.yaml``, in the dashboards domain's own file form
(``ops.dashboards.service.to_yaml_dict`` / ``from_yaml_dict``, applied with
``files.apply_spec``, which replaces a dashboard's settings and tiles with the file's).
Tiles name other objects portably: metrics by name, experiments by key, and saved roadmap
views by their ``roadmap-views/`` file key (names may repeat), resolved on apply in the same
transaction, so the view may come from the same directory."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.ops.dashboards import files, service
from pilothouse.workspace_code.kinds import Kind, Values
from pilothouse.workspace_code.references import view_keys
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]


def _current(session: Session) -> dict[str, Values]:
    # The command line sees every dashboard, private ones included (it owns the data).
    found = service.list_dashboards(session, Actor.command_line())
    keys = view_keys(session)
    return {d.slug: files.to_yaml_dict(d, keys) for d in found}


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = []
    try:
        service.from_yaml_dict(parsed.data, parsed.filename)
    except ValidationFailed as exc:
        for error in exc.errors:
            field = error.field.removeprefix(f"{parsed.filename}:")
            problems.append(parsed.error(field, error.message))
    if parsed.data.get("slug") != key:
        problems.append(parsed.error("slug", f"must be {key!r}, the file's name"))
    return {**parsed.data, "_file": parsed.filename}, problems


def _put(session: Session, actor: Actor, _key: str, values: Values, _before: Values | None) -> None:
    data = {k: v for k, v in values.items() if not k.startswith("_")}
    ids = {key: view_id for view_id, key in view_keys(session).items()}
    files.apply_spec(session, actor, service.from_yaml_dict(data, values["_file"]), None, ids)


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_dashboard(session, actor, service.get_dashboard(session, actor, key))


def _refers(values: Values) -> list[tuple[str, str, str]]:
    """The saved roadmap views the tiles show, by their ``roadmap-views/`` key."""
    tiles = values.get("tiles") or []
    return [
        (f"tiles[{index}].view", "roadmap-views", str(tile.get("view")))
        for index, tile in enumerate(tiles)
        if isinstance(tile, dict) and tile.get("kind") == "roadmap_view"
    ]


KIND = Kind("dashboards", _current, _read, _put, _remove, refers=_refers)
