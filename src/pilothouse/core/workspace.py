"""Workspace-wide settings that admins change at run time (not deployment settings).

Deployment settings (ports, database URL) live in ``core.config``; the rules a
product organisation sets for itself — such as "an experiment needs a hypothesis
before it starts" — live here, in the database, audited like any shared object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.models import Role, WorkspaceSetting

__all__ = [
    "WORKSPACE_SETTINGS",
    "SettingSpec",
    "SettingValue",
    "get_setting",
    "list_settings",
    "set_setting",
    "update_settings",
]


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    kind: type
    help: str
    label: str = ""
    #: The values a text setting may take (empty: any text).
    choices: tuple[str, ...] = ()


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
        SettingSpec(
            "automations.allow_private_targets",
            False,
            bool,
            "Automation webhooks may call private, loopback and link-local addresses "
            "(off: such targets are refused, against server-side request forgery).",
        ),
        SettingSpec(
            "launches.public_changelog",
            False,
            bool,
            "Publish the published release notes without sign-in at /public/changelog, "
            "with an Atom feed and e-mail subscriptions (off: those addresses answer 404).",
            "Public changelog",
        ),
        SettingSpec(
            "launches.public_changelog_title",
            "Product changelog",
            str,
            "The name of the product or workspace shown on the public changelog and its feed.",
            "Public changelog title",
        ),
        SettingSpec(
            "metrics.anomaly_sensitivity",
            "medium",
            str,
            "How readily the daily anomaly check flags a certified metric's day as outside "
            "normal variation (metric.anomaly_detected for automation rules): low, medium "
            "or high (most alarms).",
            "Anomaly alert sensitivity",
            ("low", "medium", "high"),
        ),
    )
}


@dataclass(frozen=True)
class SettingValue:
    """A setting as admins see it: its value, default, help, and who changed it last."""

    key: str
    value: Any
    default: Any
    help: str
    kind: str
    updated_at: datetime | None
    updated_by_id: int | None
    choices: tuple[str, ...] = ()


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
    if spec.choices and value not in spec.choices:
        raise ValidationFailed(
            f"{key} must be one of {', '.join(spec.choices)}",
            errors=[FieldError("value", f"one of {', '.join(spec.choices)} expected")],
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


def list_settings(session: Session) -> list[SettingValue]:
    """Every workspace setting with its current value (the default when never set)."""
    rows = {r.key: r for r in session.scalars(select(WorkspaceSetting))}
    out = []
    for spec in WORKSPACE_SETTINGS.values():
        row = rows.get(spec.key)
        out.append(
            SettingValue(
                key=spec.key,
                value=spec.default if row is None else row.value,
                default=spec.default,
                help=spec.help,
                kind=spec.kind.__name__,
                updated_at=None if row is None else row.updated_at,
                updated_by_id=None if row is None else row.updated_by_id,
                choices=spec.choices,
            )
        )
    return out


def _check(key: str, value: Any) -> FieldError | None:
    spec = WORKSPACE_SETTINGS.get(key)
    if spec is None:
        return FieldError(key, "unknown workspace setting")
    # bool is a subclass of int: a number where a flag is expected (or the reverse) is refused.
    if not isinstance(value, spec.kind) or (spec.kind is not bool and isinstance(value, bool)):
        return FieldError(key, f"{spec.kind.__name__} expected")
    if spec.choices and value not in spec.choices:
        return FieldError(key, f"one of {', '.join(spec.choices)} expected, got {value!r}")
    return None


def update_settings(session: Session, actor: Actor, changes: Mapping[str, Any]) -> None:
    """Change several settings at once (admins only): all are checked before any is
    written, so a bad value leaves every setting as it was. Unchanged values are
    not rewritten (no audit entry for a no-op)."""
    actor.require(Role.admin, write=True)
    problems = [p for p in (_check(k, v) for k, v in changes.items()) if p is not None]
    if problems:
        raise ValidationFailed("the workspace settings are not valid", errors=problems)
    for key, value in changes.items():
        if get_setting(session, key) != value:
            set_setting(session, actor, key, value)
