"""CSV files in: the tool list (say, a finance export) and seat usage (last-active dates).

Both are previewed first (``dry_run``) and applied all or nothing: a file with any
problem changes nothing, and every problem names its line and column
(``row 4, cost: must not be negative``). Line 1 is the header.

**Tool list** columns (header names are matched case-insensitively, spaces as ``_``):
``name``, ``category``, ``cost`` (currency units, ``1200.50``) and ``currency`` are
required; ``billing``, ``owner`` and ``admins`` (e-mails, ``;``-separated),
``seats_bought``, ``seats_used``, ``contract_start``, ``renewal_date``, ``ended_on``,
``notice_days``, ``data_held``, ``sso`` (yes/no), ``status``, ``capabilities``
(``;``-separated) and ``description`` are optional; other columns are ignored. A row
whose name matches an existing tool updates it (empty cells leave a field as it is).

**Seat usage** columns: ``email``, ``tool`` (name or slug) and ``last_active``
(a date). A seat is *used* when its person was active within ``active_days`` (90 by
default) before ``as_of`` (today); each tool named in the file gets ``seats_used`` =
the number of distinct such e-mails. Tools the file does not name keep their count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.tools import service
from pilothouse.tools.checks import FIELDS, clean_values, parse_date, slugify
from pilothouse.tools.schemas import ImportPreview, ImportRow, SeatPreview, SeatRow

__all__ = [
    "DEFAULT_ACTIVE_DAYS",
    "MAX_ROWS",
    "REQUIRED",
    "SEAT_COLUMNS",
    "import_seats",
    "import_tools",
]

REQUIRED = ("name", "category", "cost", "currency")
SEAT_COLUMNS = ("email", "tool", "last_active")
DEFAULT_ACTIVE_DAYS = 90
MAX_ROWS = 10_000
_COLUMNS = frozenset(FIELDS) - {"cost_cents"}


@dataclass
class _Problems:
    items: list[FieldError] = field(default_factory=list)

    def add(self, line: int, column: str, message: str) -> None:
        self.items.append(FieldError(f"row {line}.{column}", message))

    def texts(self) -> list[str]:
        return [_say(p) for p in self.items]


def _say(problem: FieldError) -> str:
    where, _, column = problem.field.partition(".")
    return f"{where}, {column}: {problem.message}" if column else f"{where}: {problem.message}"


def _rows(text: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """``(line, {column: cell})`` per data row; a file the CSV reader cannot read (a bare
    carriage return inside a field, found by the API fuzz test: it was a 500) and a
    missing required column are errors."""
    try:
        return _read_rows(text, required)
    except csv.Error as exc:
        raise ValidationFailed(
            f"the file is not readable as CSV: {exc}", errors=[FieldError("file", str(exc))]
        ) from None


def _read_rows(text: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower().replace(" ", "_") for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        detail = f"row 1: the header lacks the required column(s) {', '.join(missing)}"
        raise ValidationFailed(
            detail, errors=[FieldError(f"row 1.{c}", "missing") for c in missing]
        )
    rows = []
    for raw in reader:
        cells = {
            header[i]: (v or "").strip() for i, v in enumerate(raw.values()) if i < len(header)
        }
        rows.append((reader.line_num, cells))
        if len(rows) > MAX_ROWS:
            raise ValidationFailed(
                f"more than {MAX_ROWS} rows", errors=[FieldError("file", "too long")]
            )
    return rows


def _refuse(problems: _Problems) -> ValidationFailed:
    texts = problems.texts()
    more = f" (and {len(texts) - 5} more)" if len(texts) > 5 else ""
    return ValidationFailed(
        "nothing was imported: " + "; ".join(texts[:5]) + more, errors=problems.items
    )


def _tool_row(
    session: Session, line: int, cells: Mapping[str, str], problems: _Problems
) -> tuple[ImportRow, dict[str, Any], Any]:
    name = cells.get("name", "")
    existing = None
    if name:
        try:
            existing = service.find_tool(session, slugify(name))
        except NotFound:
            existing = None
    values = {k: v for k, v in cells.items() if k in _COLUMNS and (v != "" or k in REQUIRED)}
    required = REQUIRED if existing is None else ("name",)
    if existing is not None:
        values = {k: v for k, v in values.items() if v != ""}
    clean, errors = clean_values(session, values, required=required)
    for error in errors:
        problems.add(line, error.field, error.message)
    action = "update" if existing is not None else "create"
    row = ImportRow(
        row=line, name=name, action=action, errors=[f"{e.field}: {e.message}" for e in errors]
    )
    return row, clean, existing


def import_tools(
    session: Session, actor: Actor, text: str, *, dry_run: bool = True
) -> ImportPreview:
    """Preview (``dry_run``) or apply a tool list; raises when applying a faulty file."""
    actor.require(Role.editor, write=True)
    problems = _Problems()
    planned: list[tuple[dict[str, Any], Any]] = []
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for line, cells in _rows(text, REQUIRED):
        row, clean, existing = _tool_row(session, line, cells, problems)
        slug = slugify(row.name) if row.name else ""
        if slug and slug in seen:
            problems.add(line, "name", f"{row.name!r} is also on row {seen[slug]}")
            row.errors.append(f"name: also on row {seen[slug]}")
        seen.setdefault(slug, line)
        rows.append(row)
        planned.append((clean, existing))
    if not rows:
        problems.items.append(FieldError("file", "has no data rows"))
    created = sum(1 for r in rows if r.action == "create")
    preview = ImportPreview(
        dry_run=dry_run,
        applied=False,
        created=created,
        updated=len(rows) - created,
        rows=rows,
        errors=problems.texts(),
    )
    if dry_run:
        return preview
    if problems.items:
        raise _refuse(problems)
    for clean, existing in planned:
        if existing is None:
            service.create_tool(session, actor, _as_form(clean))
        else:
            service.update_tool(session, actor, existing, _as_form(clean))
    preview.applied = True
    return preview


def _as_form(clean: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned values back in a form the service's checks accept again."""
    out: dict[str, Any] = {}
    for name, value in clean.items():
        if name == "owner":
            out[name] = value.id if value is not None else None
        elif name == "admins":
            out[name] = [u.id for u in value]
        else:
            out[name] = value
    return out


def _seat_counts(
    session: Session, text: str, since: date, problems: _Problems
) -> dict[int, set[str]]:
    active: dict[int, set[str]] = {}
    for line, cells in _rows(text, SEAT_COLUMNS):
        email, name = cells.get("email", "").lower(), cells.get("tool", "")
        if "@" not in email:
            problems.add(line, "email", f"{email!r} is not an e-mail address")
        try:
            tool = service.find_tool(session, slugify(name)) if name else None
        except NotFound:
            tool = None
        if tool is None:
            problems.add(line, "tool", f"no tool {name!r}")
        try:
            seen = parse_date(cells.get("last_active"))
        except ValueError as exc:
            problems.add(line, "last_active", str(exc))
            continue
        if tool is not None:
            bucket = active.setdefault(tool.id, set())
            if seen is not None and seen >= since and "@" in email:
                bucket.add(email)
    return active


def _seat_rows(session: Session, active: dict[int, set[str]]) -> list[SeatRow]:
    rows = []
    for tool_id, emails in active.items():
        tool = service.find_tool(session, tool_id)
        rows.append(
            SeatRow(
                tool=tool.slug,
                seats_used_before=tool.seats_used,
                seats_used=len(emails),
                seats_bought=tool.seats_bought,
            )
        )
    return sorted(rows, key=lambda r: r.tool)


def import_seats(
    session: Session,
    actor: Actor,
    text: str,
    *,
    dry_run: bool = True,
    active_days: int = DEFAULT_ACTIVE_DAYS,
    as_of: date | None = None,
) -> SeatPreview:
    """Preview or apply seat usage from last-active dates (see the module docstring)."""
    actor.require(Role.editor, write=True)
    if not 1 <= active_days <= 3650:
        raise ValidationFailed(
            "active_days: must be 1 to 3650",
            errors=[FieldError("active_days", "must be 1 to 3650")],
        )
    today = as_of or datetime.now(UTC).date()
    problems = _Problems()
    active = _seat_counts(session, text, today - timedelta(days=active_days), problems)
    rows = _seat_rows(session, active)
    preview = SeatPreview(
        dry_run=dry_run,
        applied=False,
        active_days=active_days,
        as_of=today,
        tools=rows,
        errors=problems.texts(),
    )
    if dry_run:
        return preview
    if problems.items:
        raise _refuse(problems)
    for tool_id, emails in active.items():
        tool = service.find_tool(session, tool_id)
        service.update_tool(session, actor, tool, {"seats_used": len(emails)})
        tool.seats_checked_on = today
    preview.applied = True
    return preview
