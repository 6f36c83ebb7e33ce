"""Reading import files into rows: plain CSV with a column mapping, Jira CSV and JSON
exports, and GitHub issues JSON exports.

Parsers only read: they turn a file's text into :class:`ImportRow` values (with
the row number and source column of every value, so problems can be named) and
report what they cannot read. Checking values against the workspace and storing
them is :mod:`pilothouse.roadmap.imports`' work. This module holds the row model
and plain CSV; :mod:`pilothouse.roadmap.tool_exports` reads the tools' exports.

Formats:

- ``csv``: one item per row; columns are matched to fields by name (see
  :data:`CSV_ALIASES`) or by an explicit mapping ``{field: column}``.
- ``jira-csv``: Jira's "Export Excel CSV (all fields)"; repeated columns such as
  ``Labels`` are read as lists. Epics become initiatives, other issue types features.
- ``jira-json``: the JSON of Jira's search API (``{"issues": [...]}``), as saved by
  export add-ons and scripts; ADF descriptions are flattened to text.
- ``github-json``: ``gh issue list --json ...`` output or the REST API's issue list.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pilothouse.roadmap.models import NUMERIC_INPUTS

__all__ = [
    "CSV_ALIASES",
    "CSV_FIELDS",
    "ImportFormat",
    "ImportProblem",
    "ImportRow",
    "ParsedFile",
    "csv_mapping",
    "load_json",
    "normal_name",
    "parse_csv",
    "read_csv",
]


class ImportFormat(enum.StrEnum):
    csv = "csv"
    jira_csv = "jira-csv"
    jira_json = "jira-json"
    github_json = "github-json"


#: Fields a plain CSV column can fill; custom fields are ``field:<key>``.
CSV_FIELDS = (
    "key",
    "kind",
    "title",
    "description",
    "status",
    "owner",
    "product_area",
    "parent",
    "tags",
    "objectives",
    "target_quarter",
    "start_date",
    "target_date",
    *NUMERIC_INPUTS,
    "external_system",
    "external_key",
    "external_url",
)
#: Other column names (lower case, ``_`` for spaces) read as a field without a mapping.
CSV_ALIASES = {
    "name": "title",
    "summary": "title",
    "idea": "title",
    "type": "kind",
    "owner_email": "owner",
    "assignee": "owner",
    "area": "product_area",
    "labels": "tags",
    "quarter": "target_quarter",
    "due_date": "target_date",
    "start": "start_date",
    "objective": "objectives",
    "parent_key": "parent",
}
#: Value names of rows, as the items service takes them, for fields named differently.
_VALUE_NAMES = {"owner": "owner_id", "product_area": "product_area_id"}


@dataclass(frozen=True)
class ImportProblem:
    """A problem with one row (0 for the file as a whole) and, if known, one column."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


@dataclass
class ImportRow:
    """One item to create or update, as read from the file."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    #: value name (``effort``, ``owner_id``, ``fields.segment``) → source column
    columns: dict[str, str] = field(default_factory=dict)
    key: str | None = None
    external: tuple[str, str, str | None] | None = None  # (system, key, url)
    parent_external: str | None = None
    status_hint: tuple[str, str | None] | None = None  # (name, Jira category)
    owner_hint: tuple[str, ...] = ()
    area_hints: tuple[str, ...] = ()

    def put(self, name: str, value: Any, column: str) -> None:
        self.values[name] = value
        self.columns[name] = column


@dataclass
class ParsedFile:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


def normal_name(name: str) -> str:
    return re.sub(r"[^a-z0-9:]+", "_", name.strip().lower()).strip("_")


def read_csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows with the line number each starts on."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    line = 1
    for record in reader:
        if not header:
            header = [h.strip() for h in record]
        elif any(cell.strip() for cell in record):
            rows.append((line, record))
        line = reader.line_num + 1
    return header, rows


# --- plain CSV -----------------------------------------------------------------------------


def csv_mapping(
    header: Sequence[str], custom: Mapping[str, str], given: Mapping[str, str]
) -> tuple[dict[str, str], list[ImportProblem]]:
    """``{field: column}``: the given mapping, then columns whose names match a field.

    Args:
        custom: custom field key → name, so ``Segment`` fills ``field:segment``.
        given: the mapping asked for; unknown fields or columns are problems.
    """
    problems = []
    mapping: dict[str, str] = {}
    for name, column in given.items():
        known = name in CSV_FIELDS or (name.startswith("field:") and name[6:] in custom)
        if not known:
            problems.append(ImportProblem(0, None, f"--map {name}: no such field"))
        elif column not in header:
            problems.append(ImportProblem(0, column, f"--map {name}={column}: no such column"))
        else:
            mapping[name] = column
    taken = set(mapping.values())
    by_name = {normal_name(k): f"field:{k}" for k in custom} | {
        normal_name(v): f"field:{k}" for k, v in custom.items()
    }
    for column in header:
        if column in taken:
            continue
        norm = normal_name(column)
        found = norm if norm in CSV_FIELDS else CSV_ALIASES.get(norm) or by_name.get(norm)
        if found is None and norm.startswith("field:") and norm[6:] in custom:
            found = norm
        if found and found not in mapping:
            mapping[found] = column
    if "title" not in mapping and "key" not in mapping:
        problems.append(ImportProblem(0, None, "no column for title; map one with title=COLUMN"))
    return mapping, problems


def parse_csv(
    text: str, mapping: Mapping[str, str], custom: Mapping[str, str], default_kind: str | None
) -> ParsedFile:
    header, records = read_csv(text)
    result = ParsedFile(columns=header)
    result.mapping, result.problems = csv_mapping(header, custom, mapping)
    if result.problems:
        return result
    index = {name: header.index(column) for name, column in result.mapping.items()}
    for line, record in records:
        row = ImportRow(line)
        for name, position in index.items():
            column = result.mapping[name]
            raw = record[position].strip() if position < len(record) else ""
            _put_csv_value(row, name, raw, column)
        if default_kind and "kind" not in row.values:
            row.put("kind", default_kind, "")
        result.rows.append(row)
    return result


def _put_csv_value(row: ImportRow, name: str, raw: str, column: str) -> None:
    if name == "key":
        row.key = raw or None
        return
    if name.startswith("external_"):
        return _put_external(row, name, raw)
    if name.startswith("field:"):
        if raw:
            row.values.setdefault("fields", {})[name[6:]] = raw
            row.columns[f"fields.{name[6:]}"] = column
        return
    if not raw and name in ("kind", "status", "title"):
        row.columns[name] = column
        return
    if name in ("tags", "objectives"):
        value: Any = [v.strip() for v in re.split(r"[;,]", raw) if v.strip()]
    elif name == "kind":
        value = raw.lower()
    else:
        value = raw
    row.put(_VALUE_NAMES.get(name, name), value, column)


def _put_external(row: ImportRow, name: str, raw: str) -> None:
    system, key, url = row.external or ("csv", "", None)
    if name == "external_system" and raw:
        system = raw.lower()
    elif name == "external_key":
        key = raw
    elif name == "external_url":
        url = raw or None
    row.external = (system, key, url)


def load_json(text: str, result: ParsedFile) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        result.problems.append(ImportProblem(0, None, f"not valid JSON: {exc}"))
        return None
