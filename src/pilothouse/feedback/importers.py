"""Reading feedback exports into rows: generic CSV/JSONL, Zendesk, Intercom, App Store,
Google Play and survey (Typeform, SurveyMonkey) files.

Parsers only read. They turn a file's bytes into :class:`FeedbackRow` values, each
with the line it starts on and the column every value came from, and report what
they cannot read (bad encoding, malformed rows, a broken JSON document) as
:class:`ImportProblem` values naming the line. Checking values against the
workspace and storing them is :mod:`pilothouse.feedback.imports`' work.

The file formats, with examples, are in ``docs/feedback.md``.
"""

from __future__ import annotations

import codecs
import csv
import enum
import hashlib
import html
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import ijson

__all__ = [
    "CSV_ALIASES",
    "FIELDS",
    "FeedbackRow",
    "ImportFormat",
    "ImportProblem",
    "ParsedFile",
    "decode",
    "parse_file",
]


class ImportFormat(enum.StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    zendesk = "zendesk"
    intercom = "intercom"
    appstore = "appstore"
    googleplay = "googleplay"
    survey = "survey"


#: Input values a generic column can fill (see :func:`pilothouse.feedback.service.clean_values`).
FIELDS = (
    "text",
    "title",
    "external_id",
    "url",
    "author_email",
    "author_name",
    "account",
    "account_name",
    "created_at",
    "rating",
    "nps_score",
    "language",
    "product_area",
    "tags",
    "source_kind",
)
#: Other column names (lower case, ``_`` for spaces) read as a field without a mapping.
CSV_ALIASES = {
    "body": "text",
    "comment": "text",
    "comments": "text",
    "content": "text",
    "description": "text",
    "feedback": "text",
    "message": "text",
    "review": "text",
    "subject": "title",
    "summary": "title",
    "id": "external_id",
    "link": "url",
    "email": "author_email",
    "customer_email": "author_email",
    "author": "author_name",
    "name": "author_name",
    "customer_name": "author_name",
    "account_id": "account",
    "company_id": "account",
    "company": "account_name",
    "date": "created_at",
    "timestamp": "created_at",
    "submitted_at": "created_at",
    "stars": "rating",
    "score": "rating",
    "nps": "nps_score",
    "lang": "language",
    "area": "product_area",
    "labels": "tags",
    "kind": "source_kind",
}
#: Formats whose exports hold score-only answers: a row without text is skipped, not refused.
SCORE_ONLY_FORMATS = {ImportFormat.appstore, ImportFormat.googleplay, ImportFormat.survey}
_TIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


@dataclass(frozen=True)
class ImportProblem:
    """A problem with the row starting on ``line`` (0: the file as a whole) and a column.

    ``unit`` says what ``line`` counts: ``"line"`` of the file, or ``"record"``,
    the position (from 1) of an object in a JSON list, which a streaming parser
    knows without counting the file's lines.
    """

    line: int
    column: str | None
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        where = f"{self.unit} {self.line}" if self.line else "file"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "unit": self.unit,
        }


@dataclass
class FeedbackRow:
    """One feedback item as read from the file, with the column of each value.

    ``line`` is the line it starts on, or its record number in a JSON list
    (``unit`` ``"record"``).
    """

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    unit: str = "line"

    def problem(self, column: str | None, message: str) -> ImportProblem:
        """A problem with this row, located the way the row is."""
        return ImportProblem(self.line, column, message, self.unit)

    def put(self, name: str, value: Any, column: str) -> None:
        if column:
            self.columns[name] = column
        if value is None or value == "" or value == []:
            return
        self.values[name] = value


@dataclass
class ParsedFile:
    rows: list[FeedbackRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    source_name: str = ""


# --- text and values -----------------------------------------------------------------------


def decode(data: bytes, problems: list[ImportProblem]) -> str:
    """The file's text: UTF-8 (with or without BOM) or UTF-16 with a BOM (Google Play).

    Lines that are not valid UTF-8 are reported one by one, with the offending byte.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            problems.append(ImportProblem(0, None, f"broken UTF-16 text: {exc.reason}"))
            return data.decode("utf-16", errors="replace")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                ImportProblem(
                    number,
                    None,
                    f"not UTF-8 text (byte 0x{line[exc.start]:02x} at position {exc.start + 1}); "
                    "save the file as UTF-8",
                )
            )
    return data.decode("utf-8", errors="replace")


def normal_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def strip_html(value: str) -> str:
    """Plain text from an HTML body (Intercom, Zendesk HTML comments)."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", value)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n\n", text)).strip()


def parse_time(raw: Any) -> datetime:
    """A UTC time from ISO 8601, Unix seconds or milliseconds, or the usual export formats."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = raw / 1000 if raw > 10**11 else raw
        return datetime.fromtimestamp(seconds, UTC)
    text = str(raw).strip()
    if text.isdigit():
        return parse_time(int(text))
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", ""))
    except ValueError:
        for pattern in _TIME_FORMATS:
            try:
                value = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"not a date or time: {text[:40]!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _put_time(row: FeedbackRow, raw: Any, column: str, parsed: ParsedFile) -> None:
    if raw in (None, ""):
        return
    try:
        row.put("created_at", parse_time(raw), column)
    except (ValueError, OverflowError, OSError) as exc:
        parsed.problems.append(row.problem(column, str(exc)))


# --- CSV -----------------------------------------------------------------------------------


def read_csv(text: str) -> Iterator[tuple[int, list[str]]]:
    """Records with the line each starts on (quoted values may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValueError(f"line {reader.line_num}: malformed CSV ({exc})") from None
        yield start, record
        start = reader.line_num + 1


def _records(text: str, parsed: ParsedFile) -> Iterator[tuple[int, dict[str, str]]]:
    """CSV records as ``{column: value}``; short, long or malformed records are problems."""
    header: list[str] | None = None
    try:
        for line, record in read_csv(text):
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [c.strip() for c in record]
                parsed.columns = header
                continue
            if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
                parsed.problems.append(
                    ImportProblem(
                        line, None, f"{len(record)} values but the header has {len(header)} columns"
                    )
                )
                continue
            yield line, dict(zip(header, record + [""] * (len(header) - len(record)), strict=True))
    except ValueError as exc:
        match = re.match(r"line (\d+): (.*)", str(exc))
        line = int(match.group(1)) if match else 0
        parsed.problems.append(ImportProblem(line, None, match.group(2) if match else str(exc)))
    if header is None:
        parsed.problems.append(ImportProblem(0, None, "the file has no header row"))


def generic_mapping(
    columns: list[str], mapping: Mapping[str, str] | None, text_column: str | None
) -> tuple[dict[str, str], list[str]]:
    """``{field: column}`` from an explicit mapping, ``--text-column`` and known names.

    Returns:
        The mapping and the columns it leaves unused.
    """
    chosen = {k: v for k, v in (mapping or {}).items() if v}
    if text_column:
        chosen["text"] = text_column
    used = set(chosen.values())
    for column in columns:
        name = normal_name(column)
        name = name if name in FIELDS else CSV_ALIASES.get(name, "")
        if name and name not in chosen and column not in used:
            chosen[name] = column
            used.add(column)
    return chosen, [c for c in columns if c not in used]


def _check_mapping(parsed: ParsedFile, mapping: Mapping[str, str], columns: list[str]) -> None:
    for name, column in mapping.items():
        if name not in FIELDS:
            parsed.problems.append(ImportProblem(0, column, f"unknown field {name!r}"))
        elif column not in columns:
            parsed.problems.append(ImportProblem(0, column, "no such column in the file"))
    if "text" not in mapping:
        parsed.problems.append(
            ImportProblem(0, None, "no text column found; name it with --text-column")
        )


def _generic_row(
    line: int,
    record: Mapping[str, Any],
    mapping: Mapping[str, str],
    parsed: ParsedFile,
    unit: str = "line",
) -> FeedbackRow:
    row = FeedbackRow(line, unit=unit)
    for name, column in mapping.items():
        raw = record.get(column)
        if name == "created_at":
            _put_time(row, raw, column, parsed)
        elif name == "tags" and isinstance(raw, list):
            row.put(name, [str(t) for t in raw], column)
        else:
            row.put(name, raw if isinstance(raw, int | float) else str(raw or "").strip(), column)
    return row


def parse_generic_csv(
    text: str, mapping: Mapping[str, str] | None = None, text_column: str | None = None
) -> ParsedFile:
    parsed = ParsedFile()
    records = list(_records(text, parsed))
    if not parsed.columns:
        return parsed
    parsed.mapping, unused = generic_mapping(parsed.columns, mapping, text_column)
    _check_mapping(parsed, parsed.mapping, parsed.columns)
    if unused:
        parsed.warnings.append(ImportProblem(0, None, f"columns not imported: {', '.join(unused)}"))
    if any(p.line == 0 for p in parsed.problems):
        return parsed
    parsed.rows = [_generic_row(line, r, parsed.mapping, parsed) for line, r in records]
    return parsed


# --- JSON ----------------------------------------------------------------------------------


def json_lines(text: str, parsed: ParsedFile) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.problems.append(ImportProblem(number, None, f"malformed JSON ({exc.msg})"))


def json_array_items(
    text: str, keys: tuple[str, ...], parsed: ParsedFile
) -> Iterator[tuple[int, Any]]:
    """Elements of the top-level array, or of the array under the first of ``keys``
    found, with their record number (from 1).

    Streamed with ijson (yajl in C), so time and memory grow linearly with the
    file; the earlier reader counted newlines from the start of the file for every
    record, which made 16,000 tickets take minutes. A document broken part-way is
    read up to the break, which is reported with its record number and line (the
    line is looked up once, only when there is a break), so a half-written export
    shows what it holds.
    """
    prefix = _array_prefix(text, keys)
    if prefix is None:
        parsed.problems.append(ImportProblem(0, None, f"no {' or '.join(keys)} list in the file"))
        return
    number = 0
    try:
        for number, value in enumerate(
            ijson.items(io.BytesIO(text.encode("utf-8")), prefix, use_float=True), start=1
        ):
            yield number, value
    except ijson.JSONError as exc:
        parsed.problems.append(_json_break(text, number + 1, exc))


def _json_break(text: str, record: int, exc: Exception) -> ImportProblem:
    """Where a JSON document breaks: the line from Python's parser, named with the record."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        if not text[error.pos :].strip():
            message = f"record {record}: the file ends inside the list"
        else:
            message = f"record {record}: malformed JSON ({error.msg}); nothing after is read"
        return ImportProblem(error.lineno, None, message)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ImportProblem(record, None, f"malformed JSON ({first}); nothing after is read", "record")


def _array_prefix(text: str, keys: tuple[str, ...]) -> str | None:
    """ijson's prefix of the records: ``item`` (top-level array) or ``<key>.item``."""
    stripped = text.lstrip(" \t\r\n")
    if stripped[:1] == "[":
        return "item"
    for key in keys:
        if re.search(rf'"{re.escape(key)}"\s*:\s*\[', text):
            return f"{key}.item"
    return None


def _side_loaded(text: str, key: str) -> dict[Any, dict[str, Any]]:
    """``{id: object}`` of a side-loaded list (Zendesk ``users``), streamed like the records.

    A broken document gives what was read before the break (the break itself is
    reported by :func:`json_array_items`).
    """
    if not re.search(rf'"{re.escape(key)}"\s*:\s*\[', text):
        return {}
    found: dict[Any, dict[str, Any]] = {}
    try:
        for value in ijson.items(io.BytesIO(text.encode("utf-8")), f"{key}.item", use_float=True):
            if isinstance(value, dict):
                found[value.get("id")] = value
    except ijson.JSONError:
        pass
    return found


def _objects(
    text: str, keys: tuple[str, ...], parsed: ParsedFile
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """``(line or record number, unit, object)`` of a JSON-lines file or a JSON list."""
    start = _skip(text, 0, " \t\r\n")
    lines = text[start : start + 1] == "{" and "\n" in text.strip() and _is_json_lines(text)
    unit = "line" if lines else "record"
    found = json_lines(text, parsed) if lines else json_array_items(text, keys, parsed)
    for number, value in found:
        if isinstance(value, dict):
            yield number, unit, value
        else:
            parsed.problems.append(ImportProblem(number, None, "not a JSON object", unit))


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _is_json_lines(text: str) -> bool:
    first = text.strip().splitlines()[0]
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def parse_jsonl(
    text: str, mapping: Mapping[str, str] | None = None, text_column: str | None = None
) -> ParsedFile:
    parsed = ParsedFile()
    records = list(_objects(text, ("items",), parsed))
    keys: list[str] = []
    seen: set[str] = set()
    for _line, _unit, value in records:
        keys += [k for k in value if k not in seen]
        seen.update(value)
    parsed.columns = keys
    parsed.mapping, unused = generic_mapping(keys, mapping, text_column)
    _check_mapping(parsed, parsed.mapping, keys)
    if unused:
        parsed.warnings.append(ImportProblem(0, None, f"keys not imported: {', '.join(unused)}"))
    if any(p.line == 0 for p in parsed.problems):
        return parsed
    parsed.rows = [
        _generic_row(line, value, parsed.mapping, parsed, unit) for line, unit, value in records
    ]
    return parsed


# --- Zendesk and Intercom ------------------------------------------------------------------


def _agent_url(api_url: Any, ticket_id: Any) -> str | None:
    match = re.match(r"(https://[^/]+)/api/v2/tickets/\d+\.json", str(api_url or ""))
    return f"{match.group(1)}/agent/tickets/{ticket_id}" if match else None


def parse_zendesk(text: str) -> ParsedFile:
    """Zendesk tickets: the JSON export (one ticket per line) or an API dump
    ``{"tickets": [...], "users": [...], "organizations": [...]}``."""
    parsed = ParsedFile(source_name="zendesk")
    users, organizations = _side_loaded(text, "users"), _side_loaded(text, "organizations")
    for line, unit, ticket in _objects(text, ("tickets", "results"), parsed):
        row = FeedbackRow(line, unit=unit)
        if ticket.get("id") in (None, ""):
            parsed.problems.append(row.problem("id", "a ticket without an id"))
            continue
        row.put("external_id", str(ticket["id"]), "id")
        row.put("title", str(ticket.get("subject") or "").strip(), "subject")
        row.put("text", str(ticket.get("description") or "").strip(), "description")
        row.put("url", _agent_url(ticket.get("url"), ticket["id"]), "url")
        _put_time(row, ticket.get("created_at"), "created_at", parsed)
        row.put("tags", [str(t) for t in ticket.get("tags") or []], "tags")
        requester = ticket.get("requester") or users.get(ticket.get("requester_id")) or {}
        row.put("author_email", requester.get("email"), "requester.email")
        row.put("author_name", requester.get("name"), "requester.name")
        organization = organizations.get(ticket.get("organization_id")) or {}
        row.put("account", organization.get("external_id"), "organization.external_id")
        row.put("account_name", organization.get("name"), "organization.name")
        parsed.rows.append(row)
    return parsed


def parse_intercom(text: str) -> ParsedFile:
    """Intercom conversations: the API list (``{"conversations": [...]}``) or one per line."""
    parsed = ParsedFile(source_name="intercom")
    for line, unit, conversation in _objects(text, ("conversations", "data"), parsed):
        row = FeedbackRow(line, unit=unit)
        if conversation.get("id") in (None, ""):
            parsed.problems.append(row.problem("id", "a conversation without an id"))
            continue
        source = conversation.get("source") or {}
        author = source.get("author") or {}
        row.put("external_id", str(conversation["id"]), "id")
        row.put("title", strip_html(str(source.get("subject") or "")), "source.subject")
        row.put("text", strip_html(str(source.get("body") or "")), "source.body")
        _put_time(row, conversation.get("created_at"), "created_at", parsed)
        if author.get("type") in ("user", "lead", "contact"):
            row.put("author_email", author.get("email"), "source.author.email")
            row.put("author_name", author.get("name"), "source.author.name")
        tags = (conversation.get("tags") or {}).get("tags") or []
        row.put("tags", [str(t.get("name")) for t in tags if isinstance(t, dict)], "tags")
        rating = conversation.get("conversation_rating") or {}
        row.put("rating", rating.get("rating"), "conversation_rating.rating")
        parsed.rows.append(row)
    return parsed


# --- app stores and surveys ----------------------------------------------------------------


def _pick(record: Mapping[str, str], *names: str) -> tuple[str, str]:
    """The first present column among ``names`` (compared by normal name) and its value."""
    normal = {normal_name(k): k for k in record}
    for name in names:
        column = normal.get(name)
        if column is not None:
            return column, str(record[column] or "").strip()
    return "", ""


def _fill(row: FeedbackRow, record: Mapping[str, str], name: str, *columns: str) -> None:
    column, value = _pick(record, *columns)
    row.put(name, value, column)


def _score_only(row: FeedbackRow, parsed: ParsedFile) -> bool:
    if str(row.values.get("text") or "").strip():
        return False
    parsed.warnings.append(row.problem(None, "skipped: a score without text"))
    return True


def parse_appstore(text: str) -> ParsedFile:
    """App Store Connect ratings and reviews, as exported to CSV."""
    parsed = ParsedFile(source_name="app-store")
    for line, record in _records(text, parsed):
        row = FeedbackRow(line)
        _fill(row, record, "external_id", "review_id", "id")
        _fill(row, record, "title", "title", "review_title")
        _fill(row, record, "text", "review", "body", "review_text", "content")
        _fill(row, record, "rating", "rating", "stars", "star_rating")
        _fill(row, record, "author_name", "nickname", "reviewer", "author")
        column, raw = _pick(record, "date", "created", "last_modified", "review_date")
        _put_time(row, raw, column, parsed)
        tags = [f"version:{v}" for v in [_pick(record, "app_version", "version")[1]] if v]
        tags += [f"territory:{t.lower()}" for t in [_pick(record, "territory", "country")[1]] if t]
        row.put("tags", tags, "app_version")
        if not row.values.get("external_id"):
            parsed.problems.append(ImportProblem(line, "Review ID", "a review without an id"))
        elif not _score_only(row, parsed):
            parsed.rows.append(row)
    return parsed


def parse_googleplay(text: str) -> ParsedFile:
    """Google Play Console's monthly reviews report (``reviews_<package>_<yyyymm>.csv``)."""
    parsed = ParsedFile(source_name="google-play")
    for line, record in _records(text, parsed):
        row = FeedbackRow(line)
        _fill(row, record, "title", "review_title")
        _fill(row, record, "text", "review_text")
        _fill(row, record, "rating", "star_rating")
        _fill(row, record, "language", "reviewer_language")
        _fill(row, record, "url", "review_link")
        column, raw = _pick(
            record, "review_submit_millis_since_epoch", "review_submit_date_and_time"
        )
        _put_time(row, raw, column, parsed)
        link = str(row.values.get("url") or "")
        review_id = parse_qs(urlparse(link).query).get("reviewId", [""])[0]
        if not review_id:  # no link: the same review always gets the same id
            key = f"{raw}|{record.get('Package Name', '')}|{row.values.get('text', '')}"
            review_id = "gp-" + hashlib.sha256(key.encode()).hexdigest()[:20]
        row.put("external_id", review_id, "Review Link")
        version = _pick(record, "app_version_name")[1]
        row.put("tags", [f"version:{version}"] if version else [], "App Version Name")
        if not _score_only(row, parsed):
            parsed.rows.append(row)
    return parsed


_NPS = re.compile(r"how likely.*recommend|\bnps\b", re.IGNORECASE)
_OPEN = re.compile(
    r"\bwhy\b|reason|tell us|feedback|comment|improve|suggest|anything else", re.IGNORECASE
)
_SUB_HEADER = {"", "response", "open-ended response", "other (please specify)"}


def _survey_columns(columns: list[str], text_column: str | None) -> tuple[str | None, str | None]:
    nps = next((c for c in columns if _NPS.search(c)), None)
    if text_column:
        return nps, text_column if text_column in columns else None
    return nps, next((c for c in columns if c != nps and _OPEN.search(c)), None)


def parse_survey(text: str, text_column: str | None = None) -> ParsedFile:
    """NPS and survey answers: Typeform's CSV or SurveyMonkey's (two header rows)."""
    parsed = ParsedFile()
    records = list(_records(text, parsed))
    columns = parsed.columns
    monkey = any(normal_name(c) == "respondent_id" for c in columns)
    parsed.source_name = "surveymonkey" if monkey else "typeform"
    if monkey and records and all(v.strip().lower() in _SUB_HEADER for v in records[0][1].values()):
        records = records[1:]  # SurveyMonkey's second header row ("Response", ...)
    nps, comment = _survey_columns(columns, text_column)
    if comment is None:
        parsed.problems.append(
            ImportProblem(0, text_column, "no free-text answer column found; use --text-column")
        )
        return parsed
    parsed.mapping = {"text": comment, **({"nps_score": nps} if nps else {})}
    for line, record in records:
        row = FeedbackRow(line)
        row.put("text", record.get(comment, "").strip(), comment)
        row.put("nps_score", record.get(nps, "").strip() if nps else "", nps or "")
        _fill(row, record, "external_id", "respondent_id", "response_id", "token", "")
        _fill(row, record, "author_email", "email_address", "email", "hidden_email")
        _fill(row, record, "account", "account_id", "company_id", "account")
        first, last = _pick(record, "first_name")[1], _pick(record, "last_name")[1]
        row.put("author_name", f"{first} {last}".strip(), "First Name")
        column, raw = _pick(record, "submit_date_utc", "end_date", "submitted_at", "start_date_utc")
        _put_time(row, raw, column, parsed)
        if not row.values.get("external_id"):
            parsed.problems.append(ImportProblem(line, None, "an answer without a response id"))
        elif not _score_only(row, parsed):
            parsed.rows.append(row)
    return parsed


_PARSERS: dict[ImportFormat, Callable[..., ParsedFile]] = {
    ImportFormat.zendesk: parse_zendesk,
    ImportFormat.intercom: parse_intercom,
    ImportFormat.appstore: parse_appstore,
    ImportFormat.googleplay: parse_googleplay,
}


def parse_file(
    data: bytes,
    fmt: ImportFormat,
    *,
    mapping: Mapping[str, str] | None = None,
    text_column: str | None = None,
) -> ParsedFile:
    """Read a whole export; file-level problems have line 0."""
    problems: list[ImportProblem] = []
    text = decode(data, problems)
    if not text.strip():
        parsed = ParsedFile(problems=[ImportProblem(0, None, "the file is empty")])
    elif fmt is ImportFormat.csv:
        parsed = parse_generic_csv(text, mapping, text_column)
    elif fmt is ImportFormat.jsonl:
        parsed = parse_jsonl(text, mapping, text_column)
    elif fmt is ImportFormat.survey:
        parsed = parse_survey(text, text_column)
    else:
        parsed = _PARSERS[fmt](text)
    parsed.problems = problems + parsed.problems
    return parsed
