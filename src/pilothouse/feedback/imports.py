"""Importing feedback: check every row, show the plan, store all or nothing.

:func:`run_import` serves the preview (dry run, with the column mapping and sample
rows) and the import. It reads the file (:mod:`pilothouse.feedback.importers`),
then stores every row through the same service as the API, each row in its own
savepoint and all rows in one outer savepoint. A dry run, or any problem in any
row, rolls the outer savepoint back: the report names every problem by line and
column, and nothing (items, contacts, accounts, audit entries) is stored.

Rows are found again by ``(source name, external id)`` and updated, so importing
the same file twice stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import PilothouseError
from pilothouse.core.models import Role
from pilothouse.feedback import service
from pilothouse.feedback.importers import (
    FeedbackRow,
    ImportFormat,
    ImportProblem,
    ParsedFile,
    parse_file,
)
from pilothouse.feedback.models import SourceKind

__all__ = ["MAX_IMPORT_ROWS", "ImportReport", "run_import"]

MAX_IMPORT_ROWS = 50_000
#: Imports creating up to this many items put them in themes at once; larger ones
#: leave that to the next synthesis run (embedding thousands of texts takes a while).
ASSIGN_INLINE = 500
SAMPLE_ROWS = 5
#: The source kind of each format's rows (generic files may say per row).
SOURCE_KINDS = {
    ImportFormat.csv: SourceKind.internal,
    ImportFormat.jsonl: SourceKind.internal,
    ImportFormat.zendesk: SourceKind.support_ticket,
    ImportFormat.intercom: SourceKind.support_ticket,
    ImportFormat.appstore: SourceKind.app_review,
    ImportFormat.googleplay: SourceKind.app_review,
    ImportFormat.survey: SourceKind.survey,
}


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do."""

    format: str
    source_name: str
    dry_run: bool
    committed: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _report(parsed: ParsedFile, fmt: ImportFormat, source: str, dry_run: bool) -> ImportReport:
    return ImportReport(
        format=fmt.value,
        source_name=source,
        dry_run=dry_run,
        rows=len(parsed.rows),
        columns=parsed.columns,
        mapping=parsed.mapping,
        sample=[{k: _plain(v) for k, v in row.values.items()} for row in parsed.rows[:SAMPLE_ROWS]],
        problems=list(parsed.problems),
        warnings=list(parsed.warnings),
    )


def run_import(
    session: Session,
    actor: Actor,
    data: bytes,
    fmt: ImportFormat,
    *,
    mapping: Mapping[str, str] | None = None,
    text_column: str | None = None,
    source: str | None = None,
    dry_run: bool = True,
    on_row: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check and (unless ``dry_run`` or any problem) store the feedback of one file.

    Args:
        source: the source name rows are kept under (default: the format's tool name).
        on_row: called with (rows done, rows in all) as rows are checked.
    """
    actor.require(Role.editor, write=True)
    parsed = parse_file(data, fmt, mapping=mapping, text_column=text_column)
    source_name = (source or parsed.source_name or fmt.value).strip()[:100]
    report = _report(parsed, fmt, source_name, dry_run)
    if any(p.line == 0 for p in parsed.problems):
        return report
    if len(parsed.rows) > MAX_IMPORT_ROWS:
        report.problems.append(ImportProblem(0, None, f"at most {MAX_IMPORT_ROWS:,} rows a file"))
        return report
    outer = session.begin_nested()
    for done, row in enumerate(parsed.rows, start=1):
        _import_row(session, actor, report, row, fmt)
        if on_row is not None:
            on_row(done, len(parsed.rows))
    report.problems.sort(key=lambda p: p.line)
    if dry_run or report.problems:
        outer.rollback()
        return report
    record_change(
        session,
        actor,
        object_type="feedback_import",
        object_id=source_name,
        action=Action.created,
        label=f"feedback import from {source_name}",
        after={"format": fmt.value, "created": report.created, "updated": report.updated},
    )
    outer.commit()
    report.committed = True
    if len(report.created_ids) <= ASSIGN_INLINE:  # larger imports wait for the next run
        # Imported here: the synthesis engine (SciPy, ONNX) is only loaded when themes
        # exist, so `pilothouse feedback import` and the API start quickly.
        from pilothouse.feedback.synthesis_service import assign_new_items

        assign_new_items(session, report.created_ids)
    return report


def _import_row(
    session: Session, actor: Actor, report: ImportReport, row: FeedbackRow, fmt: ImportFormat
) -> None:
    values = dict(row.values)
    values["source_name"] = report.source_name
    values.setdefault("source_kind", SOURCE_KINDS[fmt].value)
    savepoint = session.begin_nested()
    try:
        item, action = service.save_feedback(session, actor, values, create_accounts=True)
    except PilothouseError as exc:
        savepoint.rollback()
        problems = [
            ImportProblem(row.line, row.columns.get(e.field, e.field), e.message)
            for e in exc.errors
        ] or [ImportProblem(row.line, None, exc.detail)]
        report.problems.extend(problems)
        return
    savepoint.commit()
    setattr(report, action, getattr(report, action) + 1)
    if action == "created":
        report.created_ids.append(item.id)
