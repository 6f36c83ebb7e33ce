"""Automation rules as ``automation-rules/<slug of name>.yaml``, in the shape of the
``rules:`` entries ``pilothouse automations apply`` reads (automations/yaml_files.py),
checked and written by the same ``automations.rules`` service functions. Webhook
signing secrets are never written to a file; a rule made by apply gets a new one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.automations import rules as service
from pilothouse.core.actor import Actor
from pilothouse.core.areas import slugify
from pilothouse.core.errors import FieldError
from pilothouse.workspace_code.kinds import Kind, Values, check_fields
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "description": str,
    "trigger": str,
    "conditions": list,
    "actions": list,
    "enabled": bool,
}


def _current(session: Session) -> dict[str, Values]:
    return {slugify(r.name): dict(service.rule_snapshot(r)) for r in service.list_rules(session)}


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = check_fields(parsed, FIELDS, ("name", "trigger", "actions"))
    data = parsed.data
    name = data.get("name")
    if isinstance(name, str) and slugify(name) != key:
        problems.append(parsed.error("name", f"the file for {name!r} is {slugify(name)!r}"))
    values = {
        "name": name,
        "description": data.get("description") or "",
        "trigger": data.get("trigger"),
        "conditions": data.get("conditions") or [],
        "actions": data.get("actions") or [],
        "enabled": data.get("enabled", True),
    }
    return values, problems


def _find(session: Session, key: str):  # type: ignore[no-untyped-def]
    return next(r for r in service.list_rules(session) if slugify(r.name) == key)


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    if before is None:
        service.create_rule(session, actor, values)
    else:
        service.update_rule(session, actor, _find(session, key), values)


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_rule(session, actor, _find(session, key))


KIND = Kind("automation-rules", _current, _read, _put, _remove)
