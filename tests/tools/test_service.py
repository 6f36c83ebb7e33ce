"""The tool inventory's services on SQLite and PostgreSQL: checks that name the field,
all-or-nothing CSV imports, seat usage, the findings and totals, the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.errors import Forbidden, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.tools import imports, insights, service
from tests.support.accounts import Accounts
from tests.tools.helpers import TODAY, count_events, count_tools, tool_csv

CLI = Actor.command_line()


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_create_and_update_are_checked_and_audited(runtime: Runtime) -> None:
    owner = Accounts(runtime).person(Role.editor)
    with runtime.database.session() as session:
        tool = service.create_tool(
            session,
            CLI,
            {
                "name": "Linear",
                "category": "engineering",
                "cost": "8.50",
                "currency": "eur",
                "billing": "monthly",
                "owner": owner.email,
                "admins": owner.email,
                "capabilities": "issue-tracking, Roadmaps",
            },
        )
        assert (tool.slug, tool.cost_cents, tool.currency, tool.annual_cents) == (
            "linear",
            850,
            "EUR",
            10200,
        )
        assert tool.capabilities == ["issue-tracking", "roadmaps"]
        assert [u.email for u in tool.admins] == [owner.email]
        service.update_tool(session, CLI, tool, {"seats_bought": "12", "admins": []})
    with runtime.database.session() as session, pytest.raises(ValidationFailed) as bad:
        service.update_tool(
            session,
            CLI,
            service.find_tool(session, "linear"),
            {"cost": "-5", "category": "crm", "renewal_date": "31/12/2027", "owner": "x@y.z"},
        )
    assert set(_fields(bad)) == {"cost", "category", "renewal_date", "owner"}
    assert _fields(bad)["cost"] == "must not be negative"
    assert "unknown value 'crm'" in _fields(bad)["category"]
    with runtime.database.session() as session:
        tool = service.find_tool(session, "LINEAR")
        assert (tool.cost_cents, tool.category, tool.seats_bought, tool.admins) == (
            850,
            "engineering",
            12,
            [],
        )
    assert count_events(runtime, "tool.created") == 1
    assert count_events(runtime, "tool.updated") == 1  # the refused change wrote nothing


def test_viewers_cannot_write_and_editors_cannot_delete(runtime: Runtime) -> None:
    viewer = Actor(None, "viewer", Role.viewer)
    editor = Actor(None, "editor", Role.editor)
    with runtime.database.session() as session:
        with pytest.raises(Forbidden):
            service.create_tool(session, viewer, {"name": "X", "category": "other"})
        tool = service.create_tool(session, editor, {"name": "X", "category": "other"})
        with pytest.raises(Forbidden):
            service.delete_tool(session, editor, tool)
        with pytest.raises(Forbidden):
            imports.import_tools(session, viewer, "name,category,cost,currency\n")
        service.delete_tool(session, CLI, tool)
    assert count_tools(runtime) == 0
    assert count_events(runtime, "tool.deleted") == 1


def test_import_previews_then_applies_all_rows(runtime: Runtime) -> None:
    owner = Accounts(runtime).person(Role.editor)
    text = tool_csv(owner.email)
    with runtime.database.session() as session:
        preview = imports.import_tools(session, CLI, text, dry_run=True)
    assert (preview.created, preview.updated, preview.errors, preview.applied) == (3, 0, [], False)
    assert [r.row for r in preview.rows] == [2, 3, 4]
    assert count_tools(runtime) == 0
    with runtime.database.session() as session:
        assert imports.import_tools(session, CLI, text, dry_run=False).applied
    with runtime.database.session() as session:
        miro = service.find_tool(session, "miro")
        assert (miro.cost_cents, miro.currency, miro.sso, miro.seats_bought) == (
            120050,
            "EUR",
            True,
            None,
        )
        again = imports.import_tools(session, CLI, text.replace("12000.00", "13000"), dry_run=False)
        assert (again.created, again.updated) == (0, 3)
        assert service.find_tool(session, "amplitude").cost_cents == 1_300_000
        assert service.find_tool(session, "amplitude").owner.email == owner.email


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,category,cost\nA,analytics,1\n", {"row 1.currency"}),
        (
            "name,category,cost,currency\nA,analytics,-1,USD\nB,crm,1,USD\n",
            {"row 2.cost", "row 3.category"},
        ),
        ("name,category,cost,currency\nA,analytics,1,USD\na,analytics,2,USD\n", {"row 3.name"}),
        ("name,category,cost,currency\nA,analytics,,USD\n", {"row 2.cost"}),
        (
            "name,category,cost,currency,renewal_date\nA,analytics,1,dollars,soon\n",
            {"row 2.currency", "row 2.renewal_date"},
        ),
    ],
)
def test_a_bad_file_names_row_and_field_and_stores_nothing(
    runtime: Runtime, text: str, expected: set[str]
) -> None:
    with runtime.database.session() as session, pytest.raises(ValidationFailed) as bad:
        imports.import_tools(session, CLI, text, dry_run=False)
    assert {e.field for e in bad.value.errors} == expected
    assert "row" in bad.value.detail
    assert count_tools(runtime) == 0
    assert count_events(runtime, "tool.created") == 0


def test_seat_usage_counts_people_active_within_n_days(runtime: Runtime) -> None:
    owner = Accounts(runtime).person(Role.editor)
    with runtime.database.session() as session:
        imports.import_tools(session, CLI, tool_csv(owner.email), dry_run=False)
    recent, old = (TODAY - timedelta(days=5)).isoformat(), (TODAY - timedelta(days=200)).isoformat()
    text = (
        "email,tool,last_active\n"
        f"a@x.com,Amplitude,{recent}\nA@x.com,amplitude,{recent}\nb@x.com,Amplitude,{old}\n"
        f"c@x.com,FullStory,{old}\n"
    )
    with runtime.database.session() as session:
        preview = imports.import_seats(session, CLI, text, dry_run=False)
    assert {(r.tool, r.seats_used_before, r.seats_used) for r in preview.tools} == {
        ("amplitude", 20, 1),
        ("fullstory", 10, 0),
    }
    with runtime.database.session() as session:
        amplitude = service.find_tool(session, "amplitude")
        assert (amplitude.seats_used, amplitude.unused_seats, amplitude.seats_checked_on) == (
            1,
            49,
            TODAY,
        )
        assert service.find_tool(session, "miro").seats_used is None  # not in the file
        wide = imports.import_seats(session, CLI, text, active_days=365)
        assert {r.tool: r.seats_used for r in wide.tools} == {"amplitude": 2, "fullstory": 1}
    bad = "email,tool,last_active\na@x.com,Nope,2026-01-01\nb@x.com,Amplitude,yesterday\n"
    with runtime.database.session() as session, pytest.raises(ValidationFailed) as refused:
        imports.import_seats(session, CLI, bad, dry_run=False)
    assert {e.field for e in refused.value.errors} == {"row 2.tool", "row 3.last_active"}
    with runtime.database.session() as session, pytest.raises(ValidationFailed) as missing:
        imports.import_seats(session, CLI, "email,tool\n", dry_run=True)
    assert missing.value.errors[0].field == "row 1.last_active"


def test_findings_and_totals(runtime: Runtime) -> None:
    owner = Accounts(runtime).person(Role.editor)
    with runtime.database.session() as session:
        imports.import_tools(session, CLI, tool_csv(owner.email), dry_run=False)
        service.create_tool(
            session,
            CLI,
            {
                "name": "Old",
                "category": "analytics",
                "cost_cents": 100_00,
                "currency": "USD",
                "status": "retired",
                "contract_start": "2023-02-01",
                "ended_on": "2024-05-01",
                "capabilities": ["session-replay"],
            },
        )
        summary = insights.summary(service.list_tools(session), TODAY)
    overlap = {(o.kind, o.value): o.tools for o in summary.overlaps}
    assert overlap == {
        ("capability", "session-replay"): ["amplitude", "fullstory"],  # retired Old left out
        ("category", "analytics"): ["amplitude", "fullstory"],
    }
    assert [(u.tool, u.unused_seats, u.annual_cents_unused) for u in summary.unused] == [
        ("amplitude", 30, 720_000)
    ]  # 12,000 × 30/50
    assert [(r.tool, r.days_left) for r in summary.renewals] == [("amplitude", 20)]
    totals = {(c.category, c.currency): (c.annual_cents, c.tools) for c in summary.by_category}
    assert totals == {
        ("analytics", "USD"): (1_200_000 + 600_000, 2),
        ("design", "EUR"): (120050, 1),
    }
    years = {(y.year, y.currency): y.annual_cents for y in summary.by_year}
    assert years[(2023, "USD")] == 10_000 and years[(2024, "USD")] == 10_000
    assert years[(2025, "USD")] == 1_200_000  # FullStory starts in 2026
    assert years[(TODAY.year + 1, "USD")] == 1_800_000  # projection, Old ended
    assert years[(2024, "EUR")] == 120050 and (2023, "EUR") not in years


def test_renewal_window_edges(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        tool = service.create_tool(
            session,
            CLI,
            {
                "name": "T",
                "category": "other",
                "notice_days": 30,
                "renewal_date": TODAY + timedelta(days=30),
            },
        )
        assert insights.renewal_due(tool, TODAY)
        assert not insights.renewal_due(tool, TODAY - timedelta(days=1))
        assert insights.renewal_due(tool, TODAY + timedelta(days=30))
        assert not insights.renewal_due(tool, TODAY + timedelta(days=31))  # date passed
        tool.status = "cancelling"
        assert not insights.renewal_due(tool, TODAY)
