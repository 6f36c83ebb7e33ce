"""Experiment templates as ``experiment-templates/<slug of name>.yaml`` (name, description,
defaults). Experiments copy a template's design when created, so none is "in use"."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.areas import slugify
from pilothouse.core.errors import FieldError
from pilothouse.experiments import template_service as service
from pilothouse.experiments.models import ExperimentTemplate
from pilothouse.workspace_code.kinds import Kind, Values, check_fields
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

FIELDS: dict[str, type | tuple[type, ...]] = {"name": str, "description": str, "defaults": dict}


def _current(session: Session) -> dict[str, Values]:
    return {
        slugify(t.name): {
            "name": t.name,
            "description": t.description or "",
            "defaults": dict(t.defaults or {}),
        }
        for t in service.list_templates(session)
    }


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = check_fields(parsed, FIELDS, ("name",))
    data = parsed.data
    name = data.get("name")
    if isinstance(name, str) and slugify(name) != key:
        problems.append(parsed.error("name", f"the file for {name!r} is {slugify(name)!r}"))
    values = {
        "name": name,
        "description": data.get("description") or "",
        "defaults": data.get("defaults") or {},
    }
    return values, problems


def _find(session: Session, key: str) -> ExperimentTemplate:
    return next(t for t in service.list_templates(session) if slugify(t.name) == key)


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    if before is None:
        service.create_template(session, actor, **values)
    else:
        service.update_template(session, actor, _find(session, key), **values)


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_template(session, actor, _find(session, key))


KIND = Kind("experiment-templates", _current, _read, _put, _remove)
