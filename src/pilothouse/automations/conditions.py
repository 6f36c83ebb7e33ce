"""Conditions: structured field filters, checked and evaluated without ``eval``.

A rule's conditions are a list of ``{"field": ..., "op": ..., "value": ...}``; all must
hold. Fields come from the trigger's entry in the events catalogue, so a typo is
refused when the rule is saved (naming the field and the known ones), never silently
false at run time. This module is pure: plain data in, plain data out.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pilothouse.core.errors import FieldError

__all__ = ["OPERATORS", "check_conditions", "matches"]


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple | set):
        return expected in actual
    if isinstance(actual, str) and isinstance(expected, str):
        return expected.lower() in actual.lower()
    return False


def _number(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        return bool(op(actual, expected))

    return compare


#: Operator name → (check on the actual value, what ``value`` must be).
OPERATORS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "eq": (lambda a, e: a == e, "any"),
    "ne": (lambda a, e: a != e, "any"),
    "in": (lambda a, e: a in e, "list"),
    "not_in": (lambda a, e: a not in e, "list"),
    "gt": (_number(operator.gt), "number"),
    "gte": (_number(operator.ge), "number"),
    "lt": (_number(operator.lt), "number"),
    "lte": (_number(operator.le), "number"),
    "contains": (_contains, "any"),
    "exists": (lambda a, e: (a not in (None, "", [])) == bool(e), "bool"),
}


def _value_problem(kind: str, value: Any) -> str | None:
    if kind == "list" and not isinstance(value, list):
        return "a list of values expected"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "a number expected"
    if kind == "bool" and not isinstance(value, bool):
        return "true or false expected"
    return None


def _check_one(index: int, raw: Any, fields: Sequence[str]) -> list[FieldError]:
    where = f"conditions[{index}]"
    if not isinstance(raw, Mapping):
        return [FieldError(where, "a mapping with field, op and value expected")]
    unknown = sorted(set(raw) - {"field", "op", "value"})
    if unknown:
        return [FieldError(f"{where}.{unknown[0]}", "unknown key; use field, op and value")]
    problems = []
    name = raw.get("field")
    if name not in fields:
        problems.append(
            FieldError(f"{where}.field", f"unknown field {name!r}; known: {', '.join(fields)}")
        )
    op = raw.get("op", "eq")
    if op not in OPERATORS:
        known = ", ".join(OPERATORS)
        problems.append(FieldError(f"{where}.op", f"unknown operator {op!r}; known: {known}"))
    else:
        problem = _value_problem(OPERATORS[op][1], raw.get("value"))
        if problem:
            problems.append(FieldError(f"{where}.value", problem))
    return problems


def check_conditions(conditions: Any, fields: Sequence[str]) -> list[FieldError]:
    """Every problem with ``conditions`` for an event carrying ``fields``."""
    if conditions in (None, []):
        return []
    if not isinstance(conditions, list):
        return [FieldError("conditions", "a list of conditions expected")]
    problems: list[FieldError] = []
    for index, raw in enumerate(conditions):
        problems += _check_one(index, raw, fields)
    return problems


def matches(conditions: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> bool:
    """True when every condition holds for the event's field ``values``."""
    for condition in conditions:
        check, _kind = OPERATORS[condition.get("op", "eq")]
        if not check(values.get(condition["field"]), condition.get("value")):
            return False
    return True
