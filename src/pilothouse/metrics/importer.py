"""Bulk import of events from CSV, JSON Lines or Parquet files.

All or nothing per file: every row is checked first, and any problem (named by
row and column) stops the import before anything is stored; then all rows go
into the store in one transaction, so a killed import leaves nothing behind.
Rows without a message id get one derived from the file's content and the row
number, so importing the same file again stores nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pilothouse.metrics.segment import MessageProblem, TrackedEvent, parse_message

__all__ = ["ColumnMapping", "ImportPlan", "ImportProblem", "plan_import"]

Format = Literal["csv", "jsonl", "parquet"]
MAX_REPORTED_PROBLEMS = 50


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column holds each event field; other columns become properties."""

    event: str = "event"
    user_id: str = "user_id"
    anonymous_id: str = "anonymous_id"
    account_id: str = "account_id"
    timestamp: str = "timestamp"
    message_id: str = "message_id"

    @classmethod
    def from_pairs(cls, pairs: list[str]) -> ColumnMapping:
        """Build from ``field=column`` strings, as given on the command line."""
        values: dict[str, str] = {}
        for pair in pairs:
            name, sep, column = pair.partition("=")
            if not sep or name.strip() not in cls.__dataclass_fields__ or not column.strip():
                known = ", ".join(cls.__dataclass_fields__)
                raise ValueError(f"--map {pair!r}: use FIELD=COLUMN with FIELD one of {known}")
            values[name.strip()] = column.strip()
        return cls(**values)

    def columns(self) -> set[str]:
        return {getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class ImportProblem:
    row: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class ImportPlan:
    events: list[TrackedEvent] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    rows: int = 0
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _rows(path: Path, fmt: Format) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows as dicts with their number as a person would count them (CSV: file line)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        for number, row in enumerate(pq.read_table(path).to_pylist(), start=1):
            yield number, row
        return
    with path.open(encoding="utf-8", newline="") as handle:
        if fmt == "csv":
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, row
            return
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise MessageProblem(f"line {number}: malformed JSON ({exc.msg})") from None
                yield number, value if isinstance(value, dict) else {"__not_object__": value}


def _message(row: Mapping[str, Any], mapping: ColumnMapping, default_id: str) -> dict[str, Any]:
    if "properties" in row and isinstance(row["properties"], dict):
        properties = dict(row["properties"])
    else:
        mapped = mapping.columns()  # once per row: it was built again for every key
        properties = {k: v for k, v in row.items() if k not in mapped and v not in (None, "")}
    timestamp = row.get(mapping.timestamp)
    if isinstance(timestamp, datetime):
        aware = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
        timestamp = aware.isoformat()
    return {
        "event": row.get(mapping.event),
        "userId": row.get(mapping.user_id) or None,
        "anonymousId": row.get(mapping.anonymous_id) or None,
        "messageId": row.get(mapping.message_id) or default_id,
        "timestamp": timestamp or None,
        "context": {"groupId": row.get(mapping.account_id)} if row.get(mapping.account_id) else {},
        "properties": properties,
    }


_COLUMN_OF_REASON = (
    ("event", "event"),
    ("userId", "user_id"),
    ("timestamp", "timestamp"),
    ("messageId", "message_id"),
)


def _column(reason: str, mapping: ColumnMapping) -> str | None:
    for word, field_name in _COLUMN_OF_REASON:
        if reason.startswith(word):
            return str(getattr(mapping, field_name))
    return None


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def plan_import(
    path: Path, fmt: Format, mapping: ColumnMapping, *, on_row: Callable[[int], None] | None = None
) -> ImportPlan:
    """Read and check every row; returns the events, or the problems that stop the import."""
    plan = ImportPlan()
    received = plan.received_at
    prefix = f"import-{file_digest(path)}"
    try:
        for number, row in _rows(path, fmt):
            plan.rows += 1
            if on_row is not None:
                on_row(plan.rows)
            if "__not_object__" in row:
                plan.problems.append(ImportProblem(number, None, "not a JSON object"))
                continue
            missing = [c for c in (mapping.event,) if c not in row]
            if missing:
                plan.problems.append(ImportProblem(number, missing[0], "column is missing"))
                continue
            try:
                message = parse_message(
                    _message(row, mapping, f"{prefix}-{number}"), "track", received
                )
            except MessageProblem as problem:
                plan.problems.append(
                    ImportProblem(number, _column(str(problem), mapping), str(problem))
                )
                continue
            assert isinstance(message, TrackedEvent)
            plan.events.append(message)
    except (MessageProblem, UnicodeDecodeError, csv.Error) as exc:
        plan.problems.append(ImportProblem(plan.rows + 1, None, str(exc)))
    return plan
