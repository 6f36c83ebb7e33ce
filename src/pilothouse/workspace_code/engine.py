"""Export the workspace's configuration to a directory, and apply a directory back.

``export`` writes one file per object, ``<kind directory>/<key><suffix>``, from the
adapters' values with one fixed YAML style, so the same objects give the same bytes.
``plan`` reads a directory, checks every file (all problems at once, each as
``file:line: field``) and compares it with the stored objects: created, changed (with
the fields that differ, before and after), unchanged, and stored objects missing from
the directory, which are deleted only with ``prune`` and never while in use.
``apply`` then makes the changes through the domains' services (which check and audit
each one) in the caller's transaction, so a directory applies whole or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.workspace_code import (
    automation_rules,
    dashboards,
    experiment_templates,
    fields,
    formulas,
    launch_templates,
    playbooks,
    roadmap_views,
    settings,
    statuses,
)
from pilothouse.workspace_code.kinds import Kind, Values
from pilothouse.workspace_code.yamltext import Parsed, line_of, parse

__all__ = ["KINDS", "Change", "Plan", "apply", "export", "plan", "read_directory"]

#: In apply order: fields before the formulas that read them, saved views after the
#: statuses, fields and formulas they use, views before the dashboards that show them.
KINDS: tuple[Kind, ...] = (
    settings.KIND,
    statuses.KIND,
    fields.KIND,
    formulas.KIND,
    roadmap_views.KIND,
    launch_templates.KIND,
    experiment_templates.KIND,
    automation_rules.KIND,
    playbooks.KIND,
    dashboards.KIND,
)


@dataclass
class Change:
    """One object's difference between the directory and the workspace."""

    kind: str
    key: str
    action: str  # created | changed | removed | kept (missing, not pruned) | refused
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    reason: str = ""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    wanted: dict[str, dict[str, tuple[Values, Parsed]]] = field(default_factory=dict)

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.action == "refused"]


def export(session: Session, directory: Path) -> list[Path]:
    """Write every object's file under ``directory``; stale files of our kinds go."""
    written: list[Path] = []
    for kind in KINDS:
        folder = directory / kind.directory
        folder.mkdir(parents=True, exist_ok=True)
        objects = kind.current(session)
        for stale in folder.glob(f"*{kind.suffix}"):
            if stale.stem not in objects:
                stale.unlink()
        for key in sorted(objects):
            path = folder / f"{key}{kind.suffix}"
            path.write_bytes(kind.render(objects[key]).encode("utf-8"))
            written.append(path)
    return written


def _read_kind(kind: Kind, folder: Path, root: Path) -> tuple[dict, list[FieldError]]:
    found: dict[str, tuple[Values, Parsed]] = {}
    problems: list[FieldError] = []
    for path in sorted(folder.iterdir()):
        name = str(path.relative_to(root))
        if path.suffix != kind.suffix or not path.is_file():
            problems.append(FieldError(f"{name}:1: file", f"expected *{kind.suffix} files only"))
            continue
        try:
            text = path.read_text(encoding="utf-8")
            parsed = (kind.parse or parse)(text, name)
        except UnicodeDecodeError:
            problems.append(FieldError(f"{name}:1: file", "not UTF-8 text"))
            continue
        except ValidationFailed as exc:
            problems.extend(_file_errors(exc, name))
            continue
        values, issues = kind.read(parsed, path.stem)
        problems.extend(issues)
        found[path.stem] = (values, parsed)
    return found, problems


def _file_errors(exc: ValidationFailed, name: str) -> list[FieldError]:
    errors = list(exc.errors) or [FieldError(f"{name}:1: file", str(exc.detail))]
    return [
        e if e.field.startswith(name) else FieldError(f"{name}: {e.field}", e.message)
        for e in errors
    ]


def read_directory(directory: Path) -> dict[str, dict[str, tuple[Values, Parsed]]]:
    """Every file of ``directory``, checked; any problem anywhere → one ValidationFailed."""
    if not directory.is_dir():
        raise ValidationFailed(
            f"{directory} is not a directory", errors=[FieldError("dir", "not found")]
        )
    known = {k.directory: k for k in KINDS}
    wanted: dict[str, dict[str, tuple[Values, Parsed]]] = {}
    problems: list[FieldError] = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith("."):
            continue
        kind = known.get(entry.name)
        if kind is None or not entry.is_dir():
            message = "unknown; directories: " + ", ".join(known)
            problems.append(FieldError(f"{entry.name}:1: file", message))
            continue
        wanted[kind.directory], issues = _read_kind(kind, entry, directory)
        problems.extend(issues)
    if problems:
        raise ValidationFailed(f"{len(problems)} problem(s) in {directory}", errors=problems)
    return wanted


def _differences(before: Values, after: Values) -> dict[str, tuple[Any, Any]]:
    names = [k for k in {**before, **after} if not k.startswith("_")]
    return {k: (before.get(k), after.get(k)) for k in names if before.get(k) != after.get(k)}


def _check_references(
    wanted: dict[str, dict[str, tuple[Values, Parsed]]], kept: dict[str, set[str]]
) -> None:
    """Every reference names an object of the directory or one the workspace keeps; all
    that name nothing are reported at once, each with its file and line."""
    problems = []
    suffixes = {kind.directory: kind.suffix for kind in KINDS}
    for kind in KINDS:
        for values, parsed in wanted.get(kind.directory, {}).values():
            for path, target, key in kind.refers(values):
                if key not in set(wanted.get(target, {})) | kept[target]:
                    file = f"{target}/{key}{suffixes[target]}"
                    message = f"{key!r} names nothing: no {file} here nor in the workspace"
                    problems.append(parsed.error(path, message))
    if problems:
        raise ValidationFailed(f"{len(problems)} unknown reference(s)", errors=problems)


def plan(session: Session, directory: Path, *, prune: bool = False) -> Plan:
    """What applying ``directory`` would do; reads files and the workspace, writes nothing."""
    result = Plan(wanted=read_directory(directory))
    current = {kind.directory: kind.current(session) for kind in KINDS}
    kept = {  # what stays after the apply besides the directory's objects
        kind.directory: set(current[kind.directory]) if not prune or not kind.remove else set()
        for kind in KINDS
    }
    _check_references(result.wanted, kept)
    for kind in KINDS:
        stored = current[kind.directory]
        wanted = result.wanted.get(kind.directory, {})
        for key, (values, _parsed) in sorted(wanted.items(), key=_order):
            if key not in stored:
                result.changes.append(
                    Change(kind.directory, key, "created", _differences({}, values))
                )
            elif diff := _differences(stored[key], values):
                result.changes.append(Change(kind.directory, key, "changed", diff))
            else:
                result.unchanged += 1
        for key in sorted(set(stored) - set(wanted)):
            result.changes.append(_missing(session, kind, key, prune))
    return result


def _order(entry: tuple[str, tuple[Values, Parsed]]) -> tuple[int, str]:
    """Objects with a place (statuses, fields) in the order of their places, then by key:
    each is moved to its place in turn, which leaves the earlier ones where they are."""
    position = entry[1][0].get("position")
    return (position if isinstance(position, int) else 0, entry[0])


def _missing(session: Session, kind: Kind, key: str, prune: bool) -> Change:
    if not prune:
        return Change(kind.directory, key, "kept", reason="not in the directory (use --prune)")
    if kind.remove is None:
        return Change(kind.directory, key, "kept", reason=f"{kind.directory} are never deleted")
    reason = kind.in_use(session, key)
    if reason:
        return Change(kind.directory, key, "refused", reason=f"in use: {reason}")
    return Change(kind.directory, key, "removed")


def apply(session: Session, actor: Actor, directory: Path, *, prune: bool = False) -> Plan:
    """Make the workspace match ``directory`` in the caller's transaction.

    Refused deletions (in use) refuse the whole apply; a service refusing a value is
    reported with the file and line of the field it names.
    """
    result = plan(session, directory, prune=prune)
    if result.refused:
        errors = [FieldError(f"{c.kind}/{c.key}", c.reason) for c in result.refused]
        raise Conflict("objects in use cannot be deleted; nothing was applied", errors=errors)
    by_kind = {k.directory: k for k in KINDS}
    written = [c for c in result.changes if c.action in ("created", "changed")]
    for change in written:
        kind = by_kind[change.kind]
        values, parsed = result.wanted[change.kind][change.key]
        before = None if change.action == "created" else kind.current(session)[change.key]
        try:
            kind.put(session, actor, change.key, values, before)
        except (ValidationFailed, Conflict, NotFound) as exc:
            raise _located(exc, parsed) from None
    _settle(session, actor, result, written)
    for change in reversed(result.changes):
        if change.action == "removed":
            remove = by_kind[change.kind].remove
            assert remove is not None
            remove(session, actor, change.key)
    return result


def _settle(session: Session, actor: Actor, result: Plan, written: list[Change]) -> None:
    """Each written object's references to others, once every object exists."""
    for change in written:
        settle = next(k.settle for k in KINDS if k.directory == change.kind)
        if settle is None:
            continue
        values, parsed = result.wanted[change.kind][change.key]
        try:
            settle(session, actor, change.key, values)
        except (ValidationFailed, Conflict, NotFound) as exc:
            raise _located(exc, parsed) from None


_LOCATED = re.compile(r"^\d+: ")


def _located(exc: ValidationFailed | Conflict | NotFound, parsed: Parsed) -> ValidationFailed:
    """A service's refusal with the file and line of each field it names (a field given
    as ``file:path`` gets its line; one given as ``file:line: path`` is kept)."""
    errors = []
    for error in exc.errors:
        name = error.field
        if parsed.filename and name.startswith(f"{parsed.filename}:"):
            name = name[len(parsed.filename) + 1 :]
            if _LOCATED.match(name):
                errors.append(error)
                continue
        where = f"{parsed.filename}:{line_of(parsed.lines, name)}"
        errors.append(FieldError(f"{where}: {name}", error.message))
    errors = errors or [FieldError(f"{parsed.filename}:1: file", str(exc.detail))]
    return ValidationFailed(f"{errors[0].field}: {exc.detail}", errors=errors)
