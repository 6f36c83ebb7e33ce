"""Reading Jira (CSV and JSON) and GitHub (JSON) issue exports into import rows.

See :mod:`pilothouse.roadmap.importers` for the row model and plain CSV; this
module adds the tools' formats and :func:`parse_file`, which reads any of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pilothouse.roadmap.importers import (
    ImportFormat,
    ImportProblem,
    ImportRow,
    ParsedFile,
    load_json,
    normal_name,
    parse_csv,
    read_csv,
)

__all__ = ["parse_file", "parse_github_json", "parse_jira_csv", "parse_jira_json"]

# --- Jira ----------------------------------------------------------------------------------

_JIRA_DATES = ("%d/%b/%y %I:%M %p", "%d/%b/%y", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y")
_JIRA_PARENT = ("parent", "parent_key", "parent_id", "custom_field_epic_link", "epic_link")
_JIRA_POINTS = ("custom_field_story_points", "custom_field_story_point_estimate", "story_points")


def _jira_date(raw: str) -> date | str:
    text = raw.strip()
    for pattern in _JIRA_DATES:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return text  # left for the items service to refuse, naming the column


def _jira_kind(issue_type: str) -> str:
    lowered = issue_type.strip().lower()
    if lowered in ("epic", "initiative", "theme"):
        return "initiative"
    return "idea" if lowered == "idea" else "feature"


def parse_jira_csv(text: str, default_kind: str | None) -> ParsedFile:
    header, records = read_csv(text)
    result = ParsedFile(columns=header)
    norms = [normal_name(h) for h in header]
    if "issue_key" not in norms or "summary" not in norms:
        result.problems.append(
            ImportProblem(0, None, "not a Jira CSV export: no 'Issue key' and 'Summary' columns")
        )
        return result
    ids: dict[str, str] = {}
    for line, record in records:
        cells: dict[str, list[str]] = {}
        for norm, cell in zip(norms, record, strict=False):
            if cell.strip():
                cells.setdefault(norm, []).append(cell.strip())
        one = {k: v[0] for k, v in cells.items()}
        row = _jira_row(line, one, cells, default_kind)
        if "issue_id" in one and row.external:
            ids[one["issue_id"]] = row.external[1]
        result.rows.append(row)
    for row in result.rows:  # a parent may be named by its numeric issue id
        if row.parent_external in ids:
            row.parent_external = ids[row.parent_external]
    return result


def _jira_row(
    line: int, one: Mapping[str, str], cells: Mapping[str, list[str]], default_kind: str | None
) -> ImportRow:
    row = ImportRow(line)
    row.external = ("jira", one.get("issue_key", ""), None)
    row.put("title", one.get("summary", ""), "Summary")
    row.put("kind", default_kind or _jira_kind(one.get("issue_type", "")), "Issue Type")
    if "description" in one:
        row.put("description", one["description"], "Description")
    if "status" in one:
        row.status_hint = (one["status"], None)
    if "assignee" in one:
        row.owner_hint = (one["assignee"],)
    row.area_hints = tuple(cells.get("component_s", []) + cells.get("components", []))
    tags = cells.get("labels", [])
    if tags:
        row.put("tags", tags, "Labels")
    if "due_date" in one:
        row.put("target_date", _jira_date(one["due_date"]), "Due Date")
    for name in _JIRA_POINTS:
        if name in one:
            row.put("job_size", one[name], "Custom field (Story Points)")
            break
    row.parent_external = next((one[n] for n in _JIRA_PARENT if n in one), None)
    return row


def _adf_text(node: Any) -> str:
    """Plain text of an Atlassian Document Format description (Jira Cloud API v3)."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(_adf_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    inner = _adf_text(node.get("content", []))
    block = node.get("type") in ("paragraph", "heading", "listItem", "codeBlock", "blockquote")
    return inner + ("\n" if block else "")


def _browse_url(issue: Mapping[str, Any], key: str) -> str | None:
    match = re.match(r"^(https?://[^/]+)/", str(issue.get("self", "")))
    return f"{match.group(1)}/browse/{key}" if match else None


def _custom_id(names: Mapping[str, str], *wanted: str) -> list[str]:
    return [fid for fid, label in names.items() if label.strip().lower() in wanted]


def parse_jira_json(text: str, default_kind: str | None) -> ParsedFile:
    result = ParsedFile()
    data = load_json(text, result)
    if data is None:
        return result
    issues = data.get("issues") if isinstance(data, dict) else data
    if not isinstance(issues, list):
        result.problems.append(ImportProblem(0, None, "not a Jira export: no list of issues"))
        return result
    names = data.get("names", {}) if isinstance(data, dict) else {}
    points = _custom_id(names, "story points", "story point estimate") or ["customfield_10016"]
    epic = _custom_id(names, "epic link") or ["customfield_10014"]
    for number, issue in enumerate(issues, start=1):
        if not isinstance(issue, dict) or not isinstance(issue.get("fields"), dict):
            result.problems.append(ImportProblem(number, None, "an issue needs 'key' and 'fields'"))
            continue
        result.rows.append(_jira_issue(number, issue, default_kind, points, epic))
    return result


def _jira_issue(
    number: int,
    issue: Mapping[str, Any],
    default_kind: str | None,
    points: Sequence[str],
    epic: Sequence[str],
) -> ImportRow:
    fields: Mapping[str, Any] = issue["fields"]
    key = str(issue.get("key", ""))
    row = ImportRow(number)
    row.external = ("jira", key, _browse_url(issue, key))
    row.put("title", fields.get("summary") or "", "fields.summary")
    issue_type = (fields.get("issuetype") or {}).get("name", "")
    row.put("kind", default_kind or _jira_kind(issue_type), "fields.issuetype")
    if fields.get("description"):
        row.put("description", _adf_text(fields["description"]).strip(), "fields.description")
    status = fields.get("status") or {}
    if status.get("name"):
        row.status_hint = (status["name"], (status.get("statusCategory") or {}).get("key"))
    assignee = fields.get("assignee") or {}
    row.owner_hint = tuple(
        str(assignee[k]) for k in ("emailAddress", "displayName") if assignee.get(k)
    )
    row.area_hints = tuple(c.get("name", "") for c in fields.get("components") or [])
    if fields.get("labels"):
        row.put("tags", list(fields["labels"]), "fields.labels")
    if fields.get("duedate"):
        row.put("target_date", fields["duedate"], "fields.duedate")
    for field_id in points:
        if fields.get(field_id) is not None:
            row.put("job_size", fields[field_id], f"fields.{field_id}")
            break
    parent = (fields.get("parent") or {}).get("key")
    row.parent_external = parent or next((fields[f] for f in epic if fields.get(f)), None)
    return row


# --- GitHub --------------------------------------------------------------------------------

_ISSUE_URL = re.compile(r"^https?://[^/]+/([^/]+/[^/]+)/issues/(\d+)")
_QUARTER_TEXT = re.compile(r"(\d{4})[\s-]*Q([1-4])|Q([1-4])[\s/-]*(\d{4})", re.IGNORECASE)


def _quarter(title: str) -> str | None:
    match = _QUARTER_TEXT.search(title)
    if not match:
        return None
    year, q = (
        (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
    )
    return f"{year}-Q{q}"


def parse_github_json(text: str, default_kind: str | None) -> ParsedFile:
    result = ParsedFile()
    data = load_json(text, result)
    if data is None:
        return result
    if not isinstance(data, list):
        result.problems.append(ImportProblem(0, None, "not a GitHub issues export: not a list"))
        return result
    for number, issue in enumerate(data, start=1):
        if not isinstance(issue, dict):
            result.problems.append(ImportProblem(number, None, "an issue must be an object"))
            continue
        if issue.get("pull_request") or issue.get("isPullRequest"):
            result.warnings.append(ImportProblem(number, None, "a pull request; skipped"))
            continue
        row = _github_issue(number, issue, default_kind)
        if row is None:
            column = "html_url" if "html_url" in issue else "url"
            result.problems.append(
                ImportProblem(number, column, "an issue URL (…/OWNER/REPO/issues/N) is needed")
            )
            continue
        result.rows.append(row)
    return result


def _github_issue(
    number: int, issue: Mapping[str, Any], default_kind: str | None
) -> ImportRow | None:
    url = str(issue.get("html_url") or issue.get("url") or "")
    match = _ISSUE_URL.match(url)
    if not match:
        return None
    row = ImportRow(number)
    row.external = ("github", f"{match.group(1)}#{match.group(2)}", url)
    row.put("title", issue.get("title") or "", "title")
    row.put("kind", default_kind or "feature", "")
    if issue.get("body"):
        row.put("description", str(issue["body"]).strip(), "body")
    state = str(issue.get("state", "")).lower()
    reason = str(issue.get("state_reason") or issue.get("stateReason") or "").lower()
    if state == "closed":
        declined = reason in ("not_planned", "duplicate")
        row.status_hint = ("Declined" if declined else "Done", "declined" if declined else "done")
    people = issue.get("assignees") or ([issue["assignee"]] if issue.get("assignee") else [])
    if people:
        first = people[0]
        row.owner_hint = tuple(str(first[k]) for k in ("email", "name", "login") if first.get(k))
    labels = [
        lb.get("name", "") if isinstance(lb, dict) else str(lb) for lb in issue.get("labels") or []
    ]
    if labels:
        row.put("tags", [lb for lb in labels if lb], "labels")
    milestone = issue.get("milestone") or {}
    due = milestone.get("due_on") or milestone.get("dueOn")
    if due:
        row.put("target_date", str(due)[:10], "milestone")
    if milestone.get("title") and _quarter(str(milestone["title"])):
        row.put("target_quarter", _quarter(str(milestone["title"])), "milestone")
    return row


def parse_file(
    text: str,
    fmt: ImportFormat,
    *,
    mapping: Mapping[str, str] | None = None,
    custom_fields: Mapping[str, str] | None = None,
    default_kind: str | None = None,
) -> ParsedFile:
    """Read ``text`` in format ``fmt``; ``mapping`` applies to plain CSV only."""
    if fmt is ImportFormat.csv:
        return parse_csv(text, mapping or {}, custom_fields or {}, default_kind)
    if mapping:
        return ParsedFile(
            problems=[ImportProblem(0, None, "a column mapping applies to plain CSV only")]
        )
    parsers = {
        ImportFormat.jira_csv: parse_jira_csv,
        ImportFormat.jira_json: parse_jira_json,
        ImportFormat.github_json: parse_github_json,
    }
    return parsers[fmt](text, default_kind)
