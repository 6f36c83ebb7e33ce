"""Custom roadmap fields as ``fields/<key>.yaml`` (name, type, options, description, position)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.roadmap import fields as service
from pilothouse.roadmap.models import FieldType, FieldValue
from pilothouse.workspace_code.kinds import Kind, Values, check_fields
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "type": str,
    "options": list,
    "description": str,
    "position": int,
}


def _current(session: Session) -> dict[str, Values]:
    return {
        f.key: {
            "name": f.name,
            "type": f.type.value,
            "options": list(f.options or []),
            "description": f.description or "",
            "position": f.position,
        }
        for f in service.list_fields(session)
    }


def _read(parsed: Parsed, _key: str) -> tuple[Values, list[FieldError]]:
    problems = check_fields(parsed, FIELDS, ("name", "type"))
    data = parsed.data
    types = [t.value for t in FieldType]
    if isinstance(data.get("type"), str) and data["type"] not in types:
        problems.append(parsed.error("type", f"one of {', '.join(types)}"))
    values = {
        "name": data.get("name"),
        "type": data.get("type"),
        "options": [str(o) for o in data.get("options") or []],
        "description": data.get("description") or "",
        "position": data.get("position", 0),
    }
    return values, problems


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    if before is None:
        field = service.create_field(
            session,
            actor,
            key=key,
            name=values["name"],
            type=FieldType(values["type"]),
            options=values["options"],
            description=values["description"],
        )
    else:
        if before["type"] != values["type"]:
            from pilothouse.core.errors import ValidationFailed

            raise ValidationFailed(
                "a field's type cannot change", errors=[FieldError("type", "cannot change")]
            )
        field = service.find_field(session, key)
    service.update_field(
        session,
        actor,
        field,
        name=values["name"],
        options=values["options"] if field.type in service.SELECTS else None,
        description=values["description"],
        position=values["position"],
    )


def _in_use(session: Session, key: str) -> str | None:
    field = service.find_field(session, key)
    users = service.formulas_using(session, key)
    if users:
        return "used by the formulas " + ", ".join(repr(f.key) for f in users)
    count = session.scalar(
        select(func.count()).select_from(FieldValue).where(FieldValue.field_id == field.id)
    )
    return f"{count} roadmap items have a value in it" if count else None


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_field(session, actor, service.find_field(session, key))


KIND = Kind("fields", _current, _read, _put, _remove, _in_use)
