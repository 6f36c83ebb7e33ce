"""Custom scoring formulas as ``formulas/<key>.yaml`` (the built-in ones are not exported)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.roadmap import scoring as service
from pilothouse.workspace_code.kinds import Kind, Values, check_fields
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

FIELDS: dict[str, type | tuple[type, ...]] = {"name": str, "expression": str, "description": str}


def _current(session: Session) -> dict[str, Values]:
    return {
        d.key: {"name": d.name, "expression": d.expression, "description": d.description}
        for d in service.list_formulas(session)
        if not d.builtin
    }


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = check_fields(parsed, FIELDS, ("name", "expression"))
    if key in service.BUILTIN_FORMULAS:
        problems.append(parsed.error("file", f"{key!r} is a built-in formula"))
    data = parsed.data
    values = {
        "name": data.get("name"),
        "expression": data.get("expression"),
        "description": data.get("description") or "",
    }
    return values, problems


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    if before is None:
        service.create_formula(session, actor, key=key, **values)
    else:
        service.update_formula(session, actor, key, **values)


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_formula(session, actor, key)


KIND = Kind("formulas", _current, _read, _put, _remove)
