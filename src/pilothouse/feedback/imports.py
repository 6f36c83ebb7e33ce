"""Importing feedback: check every row, show the plan, store all or nothing.

:func:`run_import` serves the preview (dry run, with the column mapping and sample
rows) and the import. It reads the file (:mod:`pilothouse.feedback.importers`),
then checks every row with the same rules as the API
(:mod:`pilothouse.feedback.service`), all rows inside one savepoint. A dry run,
or any problem in any row, rolls that savepoint back: the report names every
problem by line and column, and nothing (items, contacts, accounts, audit
entries) is stored.

Rows are found again by ``(source name, external id)`` and updated, so importing
the same file twice stores nothing twice. The items of the source are looked up
once, and new items are written in batches of :data:`WRITE_BATCH` (one
multi-row INSERT each, then their audit entries), not one statement per row:
10,000 rows went from 38 s to a few seconds. A refused update leaves the item
as it was, because the service checks every value before it changes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import PilothouseError
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service
from pilothouse.feedback.importers import (
    FeedbackRow,
    ImportFormat,
    ImportProblem,
    ParsedFile,
    parse_file,
)
from pilothouse.feedback.models import FeedbackItem, FeedbackTheme, SourceKind

__all__ = ["MAX_IMPORT_ROWS", "ImportReport", "place_in_themes", "run_import"]

MAX_IMPORT_ROWS = 50_000
#: Imports creating up to this many items put them in themes in the same request;
#: larger ones are placed by a synthesis job queued right after the import
#: (:func:`place_in_themes`), so a web request never embeds thousands of texts.
ASSIGN_INLINE = 500
SAMPLE_ROWS = 5
#: New items written per multi-row INSERT.
WRITE_BATCH = 1000
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
    #: New items that wait for the synthesis job to place them in themes.
    waiting: int = 0
    #: The job placing them, once :func:`place_in_themes` queued it.
    job_id: int | None = None


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
    external_ids = (row.values.get("external_id") or "" for row in parsed.rows)
    known = service.items_by_external_id(session, source_name, external_ids)
    batch = _Batch(session, actor, report, known)
    for done, row in enumerate(parsed.rows, start=1):
        batch.add(row, fmt)
        if on_row is not None:
            on_row(done, len(parsed.rows))
    batch.write()
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
    if len(report.created_ids) <= ASSIGN_INLINE:
        # Imported here: the synthesis engine (SciPy, ONNX) is only loaded when themes
        # exist, so `pilothouse feedback import` and the API start quickly.
        from pilothouse.feedback.synthesis_service import assign_new_items

        assign_new_items(session, report.created_ids)
    elif _has_themes(session):
        report.waiting = len(report.created_ids)
    return report


def _has_themes(session: Session) -> bool:
    placed_by = FeedbackTheme.centroid.is_not(None)  # what new items are compared with
    return bool(session.scalar(select(func.count()).select_from(FeedbackTheme).where(placed_by)))


def place_in_themes(
    runtime: Runtime, actor: Actor, report: ImportReport, session: Session | None = None
) -> ImportReport:
    """Queue the synthesis run that puts a large import's new items in themes.

    Call it after :func:`run_import` with the same actor; it does nothing when
    nothing waits (small imports were placed already, and with no themes yet the
    first synthesis run places everything). Pass the request's session from web
    routes: it is committed before the job is queued. In ``immediate`` jobs mode
    (the CLI's default) the job runs before this returns.
    """
    if not (report.committed and report.waiting):
        return report
    from pilothouse.core.jobs import submit_job
    from pilothouse.feedback.jobs import SYNTHESIZE

    job = submit_job(
        runtime,
        actor,
        SYNTHESIZE,
        payload={"full": False},
        title=f"Place {report.waiting:,} imported feedback items in themes",
        session=session,
    )
    report.job_id = job.id
    return report


class _Batch:
    """Rows of one import on their way in: new items wait for one multi-row INSERT."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        report: ImportReport,
        known: dict[str, FeedbackItem],
    ) -> None:
        self.session, self.actor, self.report = session, actor, report
        self.known = known  # external id → stored item
        self.pending: list[dict[str, Any]] = []  # rows of new items, not yet written
        self.pending_ids: set[str] = set()  # their external ids
        self.written: dict[str, int] = {}  # external id → id of an item this file made

    def add(self, row: FeedbackRow, fmt: ImportFormat) -> None:
        values = dict(row.values)
        values["source_name"] = self.report.source_name
        values.setdefault("source_kind", SOURCE_KINDS[fmt].value)
        existing = self._stored(str(values.get("external_id") or "").strip())
        try:
            if existing is None:
                new = service.new_item_row(self.session, self.actor, values, create_accounts=True)
            else:
                # No savepoint per row: the service checks every value before it
                # changes the item, so a refused update leaves it as it was.
                action = service.update_existing(self.session, self.actor, existing, values)
        except PilothouseError as exc:
            self.report.problems.extend(
                [row.problem(row.columns.get(e.field, e.field), e.message) for e in exc.errors]
                or [row.problem(None, exc.detail)]
            )
            return
        if existing is not None:
            setattr(self.report, action, getattr(self.report, action) + 1)
            return
        self.pending.append(new)
        if new["external_id"]:
            self.pending_ids.add(new["external_id"])
        if len(self.pending) >= WRITE_BATCH:
            self.write()

    def _stored(self, external_id: str) -> FeedbackItem | None:
        """The stored item a row with this external id updates, if any."""
        if not external_id:
            return None
        if external_id in self.pending_ids:
            self.write()  # a repeat of a row of this file: the first one is stored first
        if external_id not in self.known and external_id in self.written:
            self.known[external_id] = self.session.get_one(FeedbackItem, self.written[external_id])
        return self.known.get(external_id)

    def write(self) -> None:
        """Insert the waiting new items with their audit entries."""
        if not self.pending:
            return
        self.session.flush()  # contacts and accounts the rows refer to
        ids = service.insert_items(self.session, self.actor, self.pending)
        for row, item_id in zip(self.pending, ids, strict=True):
            if row["external_id"]:
                self.written[row["external_id"]] = item_id
        self.report.created += len(ids)
        self.report.created_ids.extend(ids)
        self.pending, self.pending_ids = [], set()
