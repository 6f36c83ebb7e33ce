"""Workspace-wide settings that admins change at run time (not deployment settings).

Deployment settings (ports, database URL) live in ``core.config``; the rules a
product organisation sets for itself — such as "an experiment needs a hypothesis
before it starts" — live here, in the database, audited like any shared object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.models import Role, WorkspaceSetting

__all__ = ["WORKSPACE_SETTINGS", "SettingSpec", "get_setting", "set_setting"]


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    kind: type
    help: str


#: Every workspace setting with its default; domains add theirs here.
WORKSPACE_SETTINGS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            "experiments.require_hypothesis",
            True,
            bool,
            "An experiment needs a hypothesis before it can start.",
        ),
        SettingSpec(
            "experiments.require_primary_metric",
            True,
            bool,
            "An experiment needs a primary metric before it can start.",
        ),
    )
}


def _spec(key: str) -> SettingSpec:
    try:
        return WORKSPACE_SETTINGS[key]
    except KeyError:
        raise ValidationFailed(
            f"unknown workspace setting {key!r}", errors=[FieldError("key", "unknown")]
        ) from None


def get_setting(session: Session, key: str) -> Any:
    spec = _spec(key)
    row = session.scalar(select(WorkspaceSetting).where(WorkspaceSetting.key == key))
    return spec.default if row is None else row.value


def set_setting(session: Session, actor: Actor, key: str, value: Any) -> None:
    """Change a workspace setting (admins only); audited with before and after."""
    actor.require(Role.admin, write=True)
    spec = _spec(key)
    if not isinstance(value, spec.kind):
        raise ValidationFailed(
            f"{key} must be a {spec.kind.__name__}",
            errors=[FieldError("value", f"{spec.kind.__name__} expected")],
        )
    row = session.scalar(select(WorkspaceSetting).where(WorkspaceSetting.key == key))
    before = spec.default if row is None else row.value
    if row is None:
        row = WorkspaceSetting(key=key, value=value, updated_by_id=actor.user_id)
        session.add(row)
    else:
        row.value, row.updated_by_id = value, actor.user_id
    session.flush()
    record_change(
        session,
        actor,
        object_type="workspace_setting",
        object_id=key,
        action=Action.updated,
        label=key,
        before={"value": before},
        after={"value": value},
    )
