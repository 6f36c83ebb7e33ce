"""Zendesk/Intercom JSON lists are streamed: records are named by number, breaks by line too.

The files are built here, so each test says where the break is and can check the
reported line against the text itself.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from tests.feedback.hub.helpers import API, CLI, count
from tests.support.accounts import Accounts

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback.importers import ImportFormat, parse_file
from pilothouse.feedback.imports import run_import


def _ticket(n: int, **extra: object) -> dict[str, object]:
    return {
        "id": 1000 + n,
        "subject": f"Ticket {n}",
        "description": f"Export number {n} is stuck",
        "created_at": "2026-01-20T09:12:44Z",
        "requester_id": 7,
        "tags": ["export"],
        **extra,
    }


def _dump(tickets: list[dict[str, object]]) -> str:
    users = [{"id": 7, "email": "ana@example.com", "name": "Ana"}]
    return json.dumps({"tickets": tickets, "users": users, "count": len(tickets)}, indent=2)


def _import(runtime: Runtime, text: str, fmt: ImportFormat = ImportFormat.zendesk):
    with runtime.database.session() as session:
        return run_import(session, CLI, text.encode(), fmt, dry_run=False)


def test_a_broken_record_in_the_middle_is_named_and_nothing_is_stored(runtime: Runtime) -> None:
    text = _dump([_ticket(n) for n in range(5)])
    marker = '"subject": "Ticket 2",'
    broken = text.replace(marker, marker + ",")  # a stray comma inside the third ticket
    report = _import(runtime, broken)
    assert report.rows == 2  # the two tickets before the break are read and shown
    [problem] = report.problems
    expected_line = broken[: broken.index(marker)].count("\n") + 1
    assert problem.line == expected_line and problem.unit == "line"
    assert problem.message.startswith("record 3: malformed JSON")
    assert "nothing after is read" in problem.message
    assert count(runtime) == 0


def test_a_bad_value_names_the_record_and_the_field(runtime: Runtime) -> None:
    tickets = [_ticket(0), _ticket(1), _ticket(2, created_at="last Tuesday"), _ticket(3)]
    report = _import(runtime, _dump(tickets))
    [problem] = report.problems
    assert (problem.unit, problem.line, problem.column) == ("record", 3, "created_at")
    assert str(problem).startswith("record 3, column 'created_at': not a date or time")
    assert count(runtime) == 0
    fine = _import(runtime, _dump([_ticket(n) for n in range(4)]))
    assert fine.problems == [] and fine.created == 4 and count(runtime) == 4


def test_a_top_level_list_and_a_wrapped_list_read_the_same() -> None:
    tickets = [_ticket(n) for n in range(3)]
    wrapped = parse_file(_dump(tickets).encode(), ImportFormat.zendesk)
    bare = parse_file(json.dumps(tickets).encode(), ImportFormat.zendesk)
    results = parse_file(json.dumps({"results": tickets}).encode(), ImportFormat.zendesk)
    assert wrapped.problems == bare.problems == results.problems == []
    ids = [[r.values["external_id"] for r in p.rows] for p in (wrapped, bare, results)]
    assert ids == [["1000", "1001", "1002"]] * 3
    assert wrapped.rows[0].values["author_email"] == "ana@example.com"  # side-loaded user
    assert [r.line for r in wrapped.rows] == [1, 2, 3]
    assert {r.unit for r in wrapped.rows} == {"record"}


def test_intercom_list_and_non_objects() -> None:
    conversations = [
        {"id": "c1", "created_at": 1767225600, "source": {"body": "<p>Sync fails</p>"}},
        "not an object",
        {"id": "c3", "created_at": 1767225600, "source": {"body": "Dark mode please"}},
    ]
    document = json.dumps({"type": "conversation.list", "conversations": conversations})
    parsed = parse_file(document.encode(), ImportFormat.intercom)
    assert [str(p) for p in parsed.problems] == ["record 2: not a JSON object"]
    assert [r.values["text"] for r in parsed.rows] == ["Sync fails", "Dark mode please"]
    assert [r.line for r in parsed.rows] == [1, 3]


def test_an_empty_list_imports_nothing_without_a_problem(runtime: Runtime) -> None:
    for text in ('{"tickets": []}', "[]", '{"tickets": [], "users": []}'):
        report = _import(runtime, text)
        assert (report.rows, report.problems, report.created) == (0, [], 0), text
    missing = parse_file(b'{"users": []}', ImportFormat.zendesk)
    assert [str(p) for p in missing.problems] == ["file: no tickets or results list in the file"]


def test_a_file_that_ends_inside_the_list(runtime: Runtime) -> None:
    text = _dump([_ticket(n) for n in range(3)])
    cut = text[: text.index('"id": 1002')]  # the third ticket is cut off
    report = _import(runtime, cut)
    assert report.rows == 2
    [problem] = report.problems
    assert problem.message == "record 3: the file ends inside the list"
    assert problem.line == cut.count("\n") + 1
    assert count(runtime) == 0


def test_json_lines_keep_line_numbers() -> None:
    lines = "\n".join(json.dumps(_ticket(n)) for n in range(3)).replace("Z", "x", 1)
    parsed = parse_file(lines.encode(), ImportFormat.zendesk)
    assert [(p.unit, p.line, p.column) for p in parsed.problems] == [("line", 1, "created_at")]
    assert [r.line for r in parsed.rows] == [1, 2, 3]


def test_the_api_names_the_record_and_field(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    editor = accounts.bearer(accounts.person(Role.editor))
    tickets = [_ticket(0), _ticket(1, created_at="last Tuesday")]
    body = {"format": "zendesk", "content": _dump(tickets), "dry_run": False}
    refused = client.post(f"{API}/imports", json=body, headers=editor)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["record 2.created_at"]
    preview = client.post(f"{API}/imports", json={**body, "dry_run": True}, headers=editor)
    [problem] = preview.json()["problems"]
    assert (problem["unit"], problem["line"], problem["column"]) == ("record", 2, "created_at")
    assert count(runtime) == 0
