"""Launch templates as ``launch-templates/<slug of name>.yaml``; approvers by e-mail.

A template is matched by its name's slug (the file name). It is replaced whole on
change, as the launches service does; launches copy a template when they are made, so
changing one never touches a launch. A template that launches were made from is
"in use" and is not deleted by ``--prune``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.areas import slugify
from pilothouse.core.errors import FieldError
from pilothouse.core.models import User
from pilothouse.launches import blueprints as service
from pilothouse.launches.models import Launch, LaunchTemplate
from pilothouse.workspace_code.kinds import Kind, Values, check_fields
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

FIELDS: dict[str, type | tuple[type, ...]] = {"name": str, "description": str, "stages": list}


def _stage(stage: Any, emails: dict[int, str]) -> Values:
    return {
        "name": stage.name,
        "offset_days": stage.offset_days,
        "items": [
            {
                "title": i.title,
                "owner_role": i.owner_role,
                "offset_days": i.offset_days,
                "required": i.required,
            }
            for i in stage.items
        ],
        "gates": [
            {"name": g.name, "approvers": [emails.get(a, str(a)) for a in g.approver_ids]}
            for g in stage.gates
        ],
    }


def _current(session: Session) -> dict[str, Values]:
    emails = {u.id: u.email for u in session.scalars(select(User))}
    return {
        slugify(t.name): {
            "name": t.name,
            "description": t.description or "",
            "stages": [_stage(s, emails) for s in t.stages],
        }
        for t in service.list_templates(session)
    }


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = check_fields(parsed, FIELDS, ("name", "stages"))
    data = parsed.data
    name = data.get("name")
    if isinstance(name, str) and slugify(name) != key:
        problems.append(parsed.error("name", f"the file for {name!r} is {slugify(name)!r}"))
    values = {
        "name": name,
        "description": data.get("description") or "",
        "stages": data.get("stages") or [],
    }
    return values, problems


def _find(session: Session, key: str) -> LaunchTemplate:
    return next(t for t in service.list_templates(session) if slugify(t.name) == key)


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    if before is None:
        service.create_template(session, actor, values)
    else:
        service.update_template(session, actor, _find(session, key), values)


def _in_use(session: Session, key: str) -> str | None:
    template = _find(session, key)
    count = session.scalar(
        select(func.count()).select_from(Launch).where(Launch.template_id == template.id)
    )
    return f"{count} launches were made from it" if count else None


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_template(session, actor, _find(session, key))


KIND = Kind("launch-templates", _current, _read, _put, _remove, _in_use)
