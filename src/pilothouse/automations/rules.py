"""Automation rules: checked, stored and audited (editors write, everyone reads).

A rule is checked whole before anything is written: an unknown trigger, condition
field or operator, action setting or a refused webhook URL gives one
:class:`~pilothouse.core.errors.ValidationFailed` listing every problem by field,
and nothing changes. Every create, change, delete and secret rotation is a
``automation_rule.*`` audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.automations.actions import check_actions
from pilothouse.automations.conditions import check_conditions
from pilothouse.automations.events import CATALOGUE
from pilothouse.automations.models import AutomationRule
from pilothouse.automations.webhooks import TargetRefused, check_target, new_secret
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Event, Role
from pilothouse.core.workspace import get_setting

__all__ = [
    "ALLOW_PRIVATE_SETTING",
    "RULE_FIELDS",
    "check_rule",
    "create_rule",
    "delete_rule",
    "find_rule",
    "finish_rotation",
    "list_rules",
    "private_targets_allowed",
    "rotate_secret",
    "rule_snapshot",
    "update_rule",
]

ALLOW_PRIVATE_SETTING = "automations.allow_private_targets"
RULE_FIELDS = ("name", "description", "trigger", "conditions", "actions", "enabled")
OBJECT_TYPE = "automation_rule"


def private_targets_allowed(session: Session) -> bool:
    return bool(get_setting(session, ALLOW_PRIVATE_SETTING))


def rule_snapshot(rule: AutomationRule) -> dict[str, Any]:
    return snapshot(rule, RULE_FIELDS)


def _check_scalars(values: Mapping[str, Any]) -> list[FieldError]:
    problems = []
    name = values.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        problems.append(FieldError("name", "1–200 characters"))
    if not isinstance(values.get("description", ""), str):
        problems.append(FieldError("description", "text expected"))
    if not isinstance(values.get("enabled", True), bool):
        problems.append(FieldError("enabled", "true or false expected"))
    unknown = sorted(set(values) - set(RULE_FIELDS))
    problems += [FieldError(k, f"unknown field; known: {', '.join(RULE_FIELDS)}") for k in unknown]
    return problems


def _check_targets(session: Session, actions: list[Any]) -> list[FieldError]:
    allow = private_targets_allowed(session)
    problems = []
    for index, action in enumerate(actions):
        if isinstance(action, Mapping) and action.get("kind") == "webhook" and action.get("url"):
            try:
                check_target(str(action["url"]), allow_private=allow)
            except TargetRefused as exc:
                problems.append(FieldError(f"actions[{index}].url", str(exc)))
    return problems


def check_rule(session: Session, values: Mapping[str, Any]) -> list[FieldError]:
    """Every problem with a rule's values, by field (empty when it can be saved)."""
    problems = _check_scalars(values)
    trigger = values.get("trigger")
    kind = CATALOGUE.get(trigger) if isinstance(trigger, str) else None
    if kind is None:
        known = ", ".join(CATALOGUE)
        problems.append(FieldError("trigger", f"unknown event type {trigger!r}; known: {known}"))
    else:
        problems += check_conditions(values.get("conditions"), kind.all_fields)
    actions = values.get("actions")
    problems += check_actions(actions, kind.object_type if kind else None)
    if isinstance(actions, list):
        problems += _check_targets(session, actions)
    return problems


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["name"] = str(out.get("name", "")).strip()
    out.setdefault("description", "")
    out["conditions"] = list(out.get("conditions") or [])
    return out


def _unique_name(session: Session, name: str, rule_id: int | None) -> None:
    found = session.scalar(select(AutomationRule.id).where(AutomationRule.name == name))
    if found is not None and found != rule_id:
        raise Conflict(
            f"a rule named {name!r} exists already", errors=[FieldError("name", "taken")]
        )


def _audit(
    session: Session,
    actor: Actor,
    rule: AutomationRule,
    action: Action,
    before: dict[str, Any] | None,
    name: str | None = None,
) -> None:
    after = None if action is Action.deleted else rule_snapshot(rule)
    record_change(
        session,
        actor,
        object_type=OBJECT_TYPE,
        object_id=rule.id,
        action=action,
        label=rule.name,
        before=before,
        after=after,
        name=name,
    )


def create_rule(session: Session, actor: Actor, values: Mapping[str, Any]) -> AutomationRule:
    """A new rule (editors); it reacts to events from now on, not to older ones."""
    actor.require(Role.editor, write=True)
    values = _clean(values)
    problems = check_rule(session, values)
    if problems:
        raise ValidationFailed("the rule is not valid", errors=problems)
    _unique_name(session, values["name"], None)
    newest = session.scalar(select(func.max(Event.id))) or 0
    rule = AutomationRule(
        **{k: values[k] for k in RULE_FIELDS if k in values},
        secrets=[new_secret()],
        since_event_id=newest,
        created_by_id=actor.user_id,
    )
    session.add(rule)
    session.flush()
    _audit(session, actor, rule, Action.created, None)
    return rule


def update_rule(
    session: Session, actor: Actor, rule: AutomationRule, values: Mapping[str, Any]
) -> AutomationRule:
    """Change some of a rule's fields (editors); the result is checked whole."""
    actor.require(Role.editor, write=True)
    before = rule_snapshot(rule)
    merged = _clean({**before, **values})
    problems = check_rule(session, merged)
    if problems:
        raise ValidationFailed("the rule is not valid", errors=problems)
    _unique_name(session, merged["name"], rule.id)
    for key in RULE_FIELDS:
        setattr(rule, key, merged[key])
    session.flush()
    _audit(session, actor, rule, Action.updated, before)
    return rule


def delete_rule(session: Session, actor: Actor, rule: AutomationRule) -> None:
    actor.require(Role.editor, write=True)
    _audit(session, actor, rule, Action.deleted, rule_snapshot(rule))
    session.delete(rule)
    session.flush()


def rotate_secret(session: Session, actor: Actor, rule: AutomationRule) -> str:
    """Start a rotation: a new secret signs next to the old one until it is finished."""
    actor.require(Role.editor, write=True)
    secret = new_secret()
    rule.secrets = [secret, *rule.secrets[:1]]
    record_change(
        session,
        actor,
        object_type=OBJECT_TYPE,
        object_id=rule.id,
        action=Action.updated,
        label=rule.name,
        before={"secrets": 1},
        after={"secrets": len(rule.secrets)},
        name="automation_rule.secret_rotated",
    )
    return secret


def finish_rotation(session: Session, actor: Actor, rule: AutomationRule) -> None:
    """Stop signing with the old secret (receivers have switched to the new one)."""
    actor.require(Role.editor, write=True)
    if len(rule.secrets) < 2:
        raise Conflict(f"rule {rule.name!r} is not being rotated")
    rule.secrets = rule.secrets[:1]
    record_change(
        session,
        actor,
        object_type=OBJECT_TYPE,
        object_id=rule.id,
        action=Action.updated,
        label=rule.name,
        before={"secrets": 2},
        after={"secrets": 1},
        name="automation_rule.rotation_finished",
    )


def find_rule(session: Session, ref: str | int) -> AutomationRule:
    """A rule by numeric id or by name."""
    text = str(ref).strip()
    rule = session.get(AutomationRule, int(text)) if text.isdigit() else None
    if rule is None:
        rule = session.scalar(select(AutomationRule).where(AutomationRule.name == text))
    if rule is None:
        raise NotFound(f"no automation rule {text!r}")
    return rule


def list_rules(session: Session) -> list[AutomationRule]:
    return list(session.scalars(select(AutomationRule).order_by(AutomationRule.name)))
