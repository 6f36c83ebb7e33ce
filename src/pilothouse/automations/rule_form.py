"""The rule form as data: rows of conditions and actions, as typed, and the rule they describe.

The form names every input by its place in the rule (``conditions[1].field``,
``actions[0].url``), the same paths the rules service names in its errors, so each
error lands beside its own input. A *draft* keeps what was typed as text, row by
row, so a refused or re-arranged form shows exactly what the person entered.

Rows are added and removed by submit buttons (``row_op`` = ``add_condition``,
``add_action``, ``remove_condition:N``, ``remove_action:N``) that post the form back
and get it again with the change and nothing saved: no script is needed, which suits
a Content-Security-Policy without inline scripts, and nothing typed is lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pilothouse.automations.actions import ACTION_KINDS
from pilothouse.automations.models import AutomationRule

__all__ = [
    "ACTION_INPUTS",
    "RuleDraft",
    "apply_row_op",
    "draft_from_form",
    "draft_from_rule",
    "draft_values",
    "rule_values",
]

#: Every setting an action row has an input for (each kind uses some of them).
ACTION_INPUTS = (
    "url",
    "format",
    "users",
    "role",
    "title",
    "body",
    "field",
    "value",
    "to",
    "addresses",
    "link_kind",
    "text",
    "launch",
    "stage",
    "owner",
    "required",
)
_CONDITION_INPUTS = ("field", "op", "value")
_ROW = re.compile(r"^(conditions|actions)\[(\d{1,3})\]\.([a-z_]+)$")
_MAX_ROWS = 50


def _new_action() -> dict[str, str]:
    return {"kind": "webhook", "format": "standard", "required": "on"}


def _new_condition() -> dict[str, str]:
    return {"field": "", "op": "eq", "value": ""}


@dataclass
class RuleDraft:
    """A rule as typed in the form: every value text, one dict per row."""

    name: str = ""
    description: str = ""
    trigger: str = ""
    enabled: bool = True
    conditions: list[dict[str, str]] = field(default_factory=lambda: [_new_condition()])
    actions: list[dict[str, str]] = field(default_factory=lambda: [_new_action()])


def _text(value: Any) -> str:
    """A stored value as the form shows it: text as is, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _action_text(action: Mapping[str, Any]) -> dict[str, str]:
    row = {"kind": str(action.get("kind", ""))}
    for key in ACTION_INPUTS:
        value = action.get(key)
        if key == "users":
            row[key] = ", ".join(str(u) for u in value or [])
        elif key == "addresses" or (key == "to" and action.get("kind") == "email"):
            # an e-mail action's outside addresses have their own input ("to" is the
            # link action's target in the form)
            outside = action.get("to") if action.get("kind") == "email" else None
            row[key] = ", ".join(str(a) for a in outside or []) if key == "addresses" else ""
        elif key == "required":
            row[key] = "" if value is False else "on"
        else:
            row[key] = _text(value)
    return row


def draft_from_rule(rule: AutomationRule | None) -> RuleDraft:
    """The form of a stored rule (or of a new one)."""
    if rule is None:
        return RuleDraft()
    return RuleDraft(
        name=rule.name,
        description=rule.description,
        trigger=rule.trigger,
        enabled=rule.enabled,
        conditions=[
            {
                "field": str(c.get("field", "")),
                "op": str(c.get("op", "eq")),
                "value": _text(c.get("value")),
            }
            for c in rule.conditions
        ]
        or [_new_condition()],
        actions=[_action_text(a) for a in rule.actions] or [_new_action()],
    )


def _rows(form: Mapping[str, Sequence[str]], group: str) -> list[dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for name, values in form.items():
        match = _ROW.match(name)
        if match and match[1] == group and int(match[2]) < _MAX_ROWS:
            found.setdefault(int(match[2]), {})[match[3]] = values[-1] if values else ""
    return [found[i] for i in sorted(found)]


def draft_from_form(form: Mapping[str, Sequence[str]]) -> RuleDraft:
    """The draft a posted form describes (rows in the order of their numbers)."""

    def one(name: str) -> str:
        values = form.get(name) or [""]
        return values[-1]

    conditions = _rows(form, "conditions")
    actions = _rows(form, "actions")
    return RuleDraft(
        name=one("name"),
        description=one("description"),
        trigger=one("trigger"),
        enabled=bool(form.get("enabled")),
        conditions=conditions,
        actions=actions,
    )


def apply_row_op(draft: RuleDraft, op: str) -> RuleDraft:
    """``draft`` with a row added or removed (an unknown or stale op changes nothing)."""
    what, _, index = op.partition(":")
    if what == "add_condition" and len(draft.conditions) < _MAX_ROWS:
        draft.conditions.append(_new_condition())
    elif what == "add_action" and len(draft.actions) < _MAX_ROWS:
        draft.actions.append(_new_action())
    elif what in ("remove_condition", "remove_action") and index.isdigit():
        rows = draft.conditions if what == "remove_condition" else draft.actions
        if int(index) < len(rows):
            del rows[int(index)]
    return draft


def _value(text: str) -> Any:
    """A value typed in a form: JSON when it parses (numbers, lists, true/false), the
    text itself otherwise."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _action(row: Mapping[str, str]) -> dict[str, Any]:
    kind = row.get("kind", "").strip()
    required, optional = ACTION_KINDS.get(kind, (frozenset(), frozenset()))
    built: dict[str, Any] = {"kind": kind}
    addresses = [a.strip() for a in row.get("addresses", "").split(",") if a.strip()]
    if kind == "email" and addresses:
        built["to"] = addresses
    for key in sorted(required | optional):
        raw = row.get(key, "").strip()
        if kind == "email" and key == "to":
            continue  # from the addresses input above
        if key == "required":
            built[key] = raw == "on"
        elif not raw:
            continue
        elif key == "users":
            built[key] = [u.strip() for u in raw.split(",") if u.strip()]
        elif key == "value":
            built[key] = _value(raw)
        else:
            built[key] = raw
    return built


def rule_values(draft: RuleDraft) -> dict[str, Any]:
    """The values the rules service takes (it checks them and names each problem).

    Condition rows left without a field are dropped from ``draft`` first, so its rows
    are numbered as the service numbers them in its errors.
    """
    draft.conditions = [c for c in draft.conditions if c.get("field", "").strip()]
    return {
        "name": draft.name,
        "description": draft.description,
        "trigger": draft.trigger,
        "enabled": draft.enabled,
        "conditions": [
            {
                "field": c.get("field", "").strip(),
                "op": c.get("op") or "eq",
                "value": _value(c.get("value", "")),
            }
            for c in draft.conditions
        ],
        "actions": [_action(a) for a in draft.actions],
    }


def draft_values(draft: RuleDraft) -> dict[str, list[str]]:
    """The draft as posted form values by input name (to refill the rendered form)."""
    values: dict[str, list[str]] = {
        "name": [draft.name],
        "description": [draft.description],
        "trigger": [draft.trigger],
        "enabled": ["on"] if draft.enabled else [],
    }
    for index, row in enumerate(draft.conditions):
        for key in _CONDITION_INPUTS:
            values[f"conditions[{index}].{key}"] = [row.get(key, "")]
    for index, row in enumerate(draft.actions):
        values[f"actions[{index}].kind"] = [row.get("kind", "")]
        for key in ACTION_INPUTS:
            value = row.get(key, "")
            values[f"actions[{index}].{key}"] = (
                ([value] if value else []) if key == "required" else [value]
            )
    return values
