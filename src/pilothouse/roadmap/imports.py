"""Importing ideas and features: check every row, show the plan, store all or nothing.

One function, :func:`run_import`, serves the preview (dry run) and the import.
It reads the file (:mod:`pilothouse.roadmap.importers`), then applies every row
through the same item services as the API, each row in its own savepoint and all
rows in one outer savepoint. A dry run, or any problem in any row, rolls the
outer savepoint back: the report lists every problem by row and column, and
nothing (items, keys, audit entries) is stored. Otherwise everything is kept in
the caller's transaction.

Items are found again on a re-import by their external ticket (Jira key, GitHub
``owner/repo#n``, or a CSV ``external_key``) or by a ``key`` column, and updated;
an import never makes a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import LIKE_ESCAPE, like_literal
from pilothouse.core.errors import NotFound, PilothouseError
from pilothouse.core.models import Role, User
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import items as item_service
from pilothouse.roadmap.common import invalid, resolve_area
from pilothouse.roadmap.external import add_external_ref, find_by_external
from pilothouse.roadmap.importers import ImportFormat, ImportProblem, ImportRow, ParsedFile
from pilothouse.roadmap.models import ItemKind, StatusCategory, WorkflowStatus
from pilothouse.roadmap.statuses import list_statuses
from pilothouse.roadmap.tool_exports import parse_file

__all__ = ["MAX_IMPORT_ROWS", "ImportReport", "PlannedRow", "run_import"]

MAX_IMPORT_ROWS = 10_000
SAMPLE_ROWS = 5
#: Words in a tool's status name → the category of the status it becomes here.
_STATUS_WORDS = (
    (("won't", "wont", "declin", "reject", "cancel", "not planned", "duplicate"), "declined"),
    (("done", "closed", "resolved", "released", "shipped", "launched", "complete"), "done"),
    (("selected", "ready", "planned", "committed", "next"), "planned"),
    (("progress", "review", "develop", "testing", "qa", "doing", "build"), "in_progress"),
    (("discovery", "research", "analysis", "explor", "validat"), "discovery"),
    (("to do", "todo", "open", "backlog", "new", "triage", "idea"), "backlog"),
)
_JIRA_CATEGORIES = {"new": "backlog", "indeterminate": "in_progress", "done": "done"}
_FIELD_COLUMNS = {"owner_id": "owner", "product_area_id": "product_area"}


@dataclass(frozen=True)
class PlannedRow:
    row: int
    action: str  # create, update or unchanged
    key: str
    title: str
    kind: str


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do."""

    format: str
    dry_run: bool
    committed: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)
    planned: list[PlannedRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)


@dataclass
class _Context:
    actor: Actor
    statuses: list[WorkflowStatus]
    report: ImportReport
    seen: dict[tuple[str, str], int] = field(default_factory=dict)
    created_keys: dict[str, str] = field(default_factory=dict)  # external key → item key


def run_import(
    session: Session,
    actor: Actor,
    text: str,
    fmt: ImportFormat,
    *,
    mapping: Mapping[str, str] | None = None,
    default_kind: ItemKind | None = None,
    dry_run: bool = True,
    source: str = "",
) -> ImportReport:
    """Check and (unless ``dry_run`` or any problem) store the items of one file."""
    actor.require(Role.editor, write=True)
    custom = {f.key: f.name for f in custom_fields.list_fields(session)}
    kind = default_kind.value if default_kind else None
    parsed = parse_file(text, fmt, mapping=mapping, custom_fields=custom, default_kind=kind)
    report = _report(parsed, fmt, dry_run)
    if any(p.row == 0 for p in parsed.problems):
        return report
    if len(parsed.rows) > MAX_IMPORT_ROWS:
        report.problems.append(ImportProblem(0, None, f"at most {MAX_IMPORT_ROWS} rows a file"))
        return report
    context = _Context(actor, list_statuses(session), report)
    outer = session.begin_nested()
    ordered = sorted(parsed.rows, key=lambda r: -_level(r))
    for row in ordered:
        _import_row(session, context, row)
    report.planned.sort(key=lambda p: p.row)
    report.problems.sort(key=lambda p: p.row)
    if dry_run or report.problems:
        outer.rollback()
        return report
    record_change(
        session,
        actor,
        object_type="roadmap_import",
        object_id=source or fmt.value,
        action=Action.created,
        label=f"import of {source or fmt.value}",
        after={"format": fmt.value, "created": report.created, "updated": report.updated},
    )
    outer.commit()
    report.committed = True
    return report


def _report(parsed: ParsedFile, fmt: ImportFormat, dry_run: bool) -> ImportReport:
    return ImportReport(
        format=fmt.value,
        dry_run=dry_run,
        rows=len(parsed.rows),
        columns=parsed.columns,
        mapping=parsed.mapping,
        sample=[_plain_row(r) for r in parsed.rows[:SAMPLE_ROWS]],
        problems=list(parsed.problems),
        warnings=list(parsed.warnings),
    )


def _plain_row(row: ImportRow) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    values = {name: plain(value) for name, value in row.values.items()}
    if row.external:
        values["external"] = f"{row.external[0]}:{row.external[1]}"
    if row.key:
        values["key"] = row.key
    return {"row": row.number, "values": values}


def _level(row: ImportRow) -> int:
    try:
        return ItemKind(row.values.get("kind") or "idea").level
    except ValueError:
        return 0


def _import_row(session: Session, context: _Context, row: ImportRow) -> None:
    """Apply one row in a savepoint. On a problem, drop the value at fault and try again,
    so that every bad value of the row is reported, not only the first."""
    report = context.report
    problems: list[ImportProblem] = []
    try:
        _resolve_hints(session, context, row)
    except PilothouseError as exc:
        report.problems.extend(_problems(row, exc))
        return
    for _attempt in range(len(row.values) + 2):
        try:
            with session.begin_nested():
                planned = _apply_row(session, context, row)
        except PilothouseError as exc:
            found = [p for p in _problems(row, exc) if p not in problems]
            problems.extend(found)
            if not found or not _drop_values(row, exc):
                break
            continue
        except IntegrityError as exc:
            problems.append(ImportProblem(row.number, None, f"not stored: {exc.orig}"))
        break
    if problems:
        report.problems.extend(problems)
        return
    report.planned.append(planned)
    counter = {"create": "created", "update": "updated"}.get(planned.action, planned.action)
    setattr(report, counter, getattr(report, counter) + 1)


def _drop_values(row: ImportRow, exc: PilothouseError) -> bool:
    """Remove the values an error names; False when none of them can be left out."""
    dropped = False
    for error in exc.errors:
        name = error.field.split(".")[0]
        if name == "fields" and "." in error.field:
            custom = row.values.get("fields") or {}
            dropped = custom.pop(error.field.split(".", 1)[1], None) is not None or dropped
        elif name in row.values and name not in ("title", "kind"):
            row.values.pop(name)
            dropped = True
    return dropped


def _problems(row: ImportRow, exc: PilothouseError) -> list[ImportProblem]:
    if not exc.errors:
        return [ImportProblem(row.number, None, exc.detail)]
    found = []
    for error in exc.errors:
        name = error.field.split(".")[0] if error.field.startswith("objectives") else error.field
        column = row.columns.get(name) or _FIELD_COLUMNS.get(name, name)
        column = column.replace("fields.", "field:") if column.startswith("fields.") else column
        found.append(ImportProblem(row.number, column or None, error.message))
    return found


def _apply_row(session: Session, context: _Context, row: ImportRow) -> PlannedRow:
    existing = _existing(session, context, row)
    values = dict(row.values)
    if existing is None:
        item = item_service.create_item(session, context.actor, values)
        action = "create"
    else:
        before = item_service.item_snapshot(session, existing)
        if "kind" in values and not row.columns.get("kind"):
            values.pop("kind")  # a default kind never changes an existing item
        item = item_service.update_item(session, context.actor, existing, values)
        changed = item_service.item_snapshot(session, item) != before
        action = "update" if changed else "unchanged"
    if row.external and row.external[1]:
        system, key, url = row.external
        ref = add_external_ref(
            session, context.actor, item, system=system, key=key, url=url, kind="imported_from"
        )
        if url and ref.url != url:
            ref.url = url
        context.created_keys[key] = item.key
    return PlannedRow(row.number, action, item.key, item.title, item.kind.value)


def _existing(session: Session, context: _Context, row: ImportRow) -> Any:
    if row.key:
        try:
            return item_service.find_item(session, row.key)
        except NotFound:
            raise _row_error("key", f"no roadmap item {row.key!r} to update") from None
    if not row.external:
        return None
    system, key, _url = row.external
    if not key:
        if system in ("jira", "github"):
            raise _row_error("external_key", "the issue has no key")
        return None
    first = context.seen.setdefault((system, key), row.number)
    if first != row.number:
        raise _row_error("external_key", f"{key} is also in row {first}")
    return find_by_external(session, system, key)


def _row_error(name: str, message: str) -> PilothouseError:
    return invalid(name, message)


def _resolve_hints(session: Session, context: _Context, row: ImportRow) -> None:
    """Map a tool's status, assignee, components and parent onto this workspace."""
    warn = context.report.warnings
    if row.status_hint:
        row.put("status", _status_for(context, *row.status_hint, row, warn), "Status")
    if row.owner_hint:
        owner = _user_for(session, row.owner_hint)
        if owner is None:
            warn.append(
                ImportProblem(
                    row.number,
                    "Assignee",
                    f"{row.owner_hint[-1]!r} is not a Pilothouse user; owner left empty",
                )
            )
        else:
            row.values["owner_id"] = owner
    for hint in row.area_hints:
        try:
            row.values["product_area_id"] = resolve_area(session, hint)
            break
        except PilothouseError:
            warn.append(ImportProblem(row.number, "Component", f"no product area {hint!r}"))
    if row.parent_external:
        parent = context.created_keys.get(row.parent_external)
        if parent is None:
            found = None
            for system in ("jira", "github", "csv"):
                found = found or find_by_external(session, system, row.parent_external)
            parent = found.key if found else None
        if parent is None:
            warn.append(
                ImportProblem(
                    row.number,
                    "Parent",
                    f"parent {row.parent_external} is not in the file or the roadmap; left empty",
                )
            )
        else:
            row.put("parent", parent, "Parent")


def _status_for(
    context: _Context, name: str, category: str | None, row: ImportRow, warn: list[ImportProblem]
) -> str:
    for status in context.statuses:
        if status.name.lower() == name.strip().lower() or status.key == name.strip().lower():
            return status.key
    lowered = name.lower()
    wanted = next((cat for words, cat in _STATUS_WORDS if any(w in lowered for w in words)), None)
    wanted = wanted or _JIRA_CATEGORIES.get(category or "")
    for status in context.statuses:
        if wanted and status.category is StatusCategory(wanted):
            return status.key
    fallback = next((s for s in context.statuses if s.is_default), context.statuses[0])
    warn.append(ImportProblem(row.number, "Status", f"status {name!r} became {fallback.name!r}"))
    return fallback.key


def _user_for(session: Session, hints: tuple[str, ...]) -> int | None:
    """An active person whose e-mail, name or e-mail local part is one of ``hints``."""
    for hint in hints:
        text = hint.strip().lower()
        pattern = like_literal(text) + "@%"
        query = select(User.id).where(
            User.is_active.is_(True),
            (func.lower(User.email) == text)
            | (func.lower(User.name) == text)
            | (func.lower(User.email).like(pattern, escape=LIKE_ESCAPE)),
        )
        found = session.scalar(query.order_by(User.id))
        if found is not None:
            return int(found)
    return None
