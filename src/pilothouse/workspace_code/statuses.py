"""Roadmap item statuses as ``statuses/<key>.yaml`` (name, category, position, color, default)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.roadmap import statuses as service
from pilothouse.roadmap.models import RoadmapItem, StatusCategory
from pilothouse.workspace_code.kinds import Kind, Values, check_fields
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "category": str,
    "position": int,
    "color": str,
    "default": bool,
}


def _current(session: Session) -> dict[str, Values]:
    return {
        s.key: {
            "name": s.name,
            "category": s.category.value,
            "position": s.position,
            "color": s.color or "",
            "default": bool(s.is_default),
        }
        for s in service.list_statuses(session)
    }


def _read(parsed: Parsed, _key: str) -> tuple[Values, list[FieldError]]:
    problems = check_fields(parsed, FIELDS, ("name", "category"))
    data = parsed.data
    categories = [c.value for c in StatusCategory]
    if isinstance(data.get("category"), str) and data["category"] not in categories:
        problems.append(parsed.error("category", f"one of {', '.join(categories)}"))
    values = {
        "name": data.get("name"),
        "category": data.get("category"),
        "position": data.get("position", 0),
        "color": data.get("color") or "",
        "default": bool(data.get("default", False)),
    }
    return values, problems


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    common = {
        "name": values["name"],
        "category": StatusCategory(values["category"]),
        "position": values["position"],
        "color": values["color"],
    }
    if before is None:
        service.create_status(session, actor, key=key, is_default=values["default"], **common)
        return
    status = service.find_status(session, key, "key")
    service.update_status(session, actor, status, is_default=values["default"] or None, **common)


def _in_use(session: Session, key: str) -> str | None:
    status = service.find_status(session, key, "key")
    if status.is_default:
        return "it is the default status"
    count = session.scalar(
        select(func.count()).select_from(RoadmapItem).where(RoadmapItem.status_id == status.id)
    )
    return f"{count} roadmap items have this status" if count else None


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_status(session, actor, service.find_status(session, key, "key"))


KIND = Kind("statuses", _current, _read, _put, _remove, _in_use)
