"""Rules as YAML files: ``pilothouse automations apply FILE [--dry-run]``.

A file holds ``rules:``, a list of rules in the API's shape. Applying it compares
each rule (by name) with the stored one and reports what would be created, changed
or left unchanged; without ``--dry-run`` it then writes all of it in the caller's
transaction, so a file applies whole or not at all. Every problem is reported with
``file:line`` and the field's path (``rules[1].conditions[0].field``), all at once.
Rules that exist but are not in the file are left alone (listed as ``not_in_file``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy.orm import Session

from pilothouse.automations import rules
from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, ValidationFailed

__all__ = ["ApplyResult", "apply_text", "parse_rules"]


@dataclass
class ApplyResult:
    """What applying a file did (or would do, in a dry run)."""

    created: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    #: For each changed rule, one line per changed value: ``path: before → after``.
    differences: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    dry_run: bool = False


def _lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    """Record the 1-based line of every mapping key and list entry under ``node``."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            out[child] = item.start_mark.line + 1
            _lines(item, child, out)


def _line_of(lines: dict[str, int], path: str) -> int:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return 1


def parse_rules(text: str, filename: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rules of a YAML file and the line of every field; raises on bad YAML or shape."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationFailed(
            f"{filename}:{line}: not valid YAML ({problem})",
            errors=[FieldError(f"{filename}:{line}", f"not valid YAML: {problem}")],
        ) from None
    lines: dict[str, int] = {}
    if node is not None:
        _lines(node, "", lines)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ValidationFailed(
            f"{filename}:1: a mapping with a 'rules' list expected",
            errors=[FieldError(f"{filename}:1: rules", "a list of rules expected")],
        )
    extra = sorted(set(data) - {"rules"})
    if extra:
        line = _line_of(lines, extra[0])
        raise ValidationFailed(
            f"{filename}:{line}: unknown key {extra[0]!r}",
            errors=[FieldError(f"{filename}:{line}: {extra[0]}", "unknown key; only 'rules'")],
        )
    return data["rules"], lines


def _check_all(
    session: Session, found: list[Any], lines: dict[str, int], filename: str
) -> list[FieldError]:
    problems: list[FieldError] = []
    seen: set[str] = set()
    for index, raw in enumerate(found):
        where = f"rules[{index}]"
        if not isinstance(raw, dict):
            problems.append(
                FieldError(f"{filename}:{_line_of(lines, where)}: {where}", "a mapping expected")
            )
            continue
        issues = rules.check_rule(session, raw)
        name = raw.get("name")
        if name in seen:
            issues.append(FieldError("name", f"{name!r} appears twice in the file"))
        seen.add(str(name))
        for issue in issues:
            path = f"{where}.{issue.field}"
            problems.append(
                FieldError(f"{filename}:{_line_of(lines, path)}: {path}", issue.message)
            )
    return problems


def _compare(stored: dict[str, Any], wanted: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The fields that differ, and each differing value as ``path: before → after``."""
    full = {"description": "", "conditions": [], "enabled": True, **wanted}
    fields = [k for k in rules.RULE_FIELDS if k in full and stored.get(k) != full[k]]
    lines: list[str] = []
    for name in fields:
        _diff(name, stored.get(name, _ABSENT), full[name], lines)
    return fields, lines


_ABSENT = object()


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:119] + "…"


def _diff(path: str, before: Any, after: Any, out: list[str]) -> None:
    """Walk two values side by side; a list of another length differs as a whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(dict.fromkeys([*before, *after])):
            _diff(f"{path}.{key}", before.get(key, _ABSENT), after.get(key, _ABSENT), out)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            _diff(f"{path}[{index}]", old, new, out)
    elif before != after:
        out.append(f"{path}: {_show(before)} → {_show(after)}")


def apply_text(
    session: Session, actor: Actor, text: str, filename: str, *, dry_run: bool = False
) -> ApplyResult:
    """Check every rule of the file, then create or change them (unless ``dry_run``)."""
    found, lines = parse_rules(text, filename)
    problems = _check_all(session, found, lines, filename)
    if problems:
        raise ValidationFailed(f"{filename} has {len(problems)} problem(s)", errors=problems)
    result = ApplyResult(dry_run=dry_run)
    existing = {r.name: r for r in rules.list_rules(session)}
    for raw in found:
        name = str(raw["name"]).strip()
        rule = existing.pop(name, None)
        if rule is None:
            result.created.append(name)
            if not dry_run:
                rules.create_rule(session, actor, raw)
            continue
        fields, lines = _compare(rules.rule_snapshot(rule), raw)
        if not fields:
            result.unchanged.append(name)
            continue
        result.changed[name], result.differences[name] = fields, lines
        if not dry_run:
            rules.update_rule(session, actor, rule, raw)
    result.not_in_file = sorted(existing)
    return result
