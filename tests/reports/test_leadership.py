"""The leadership digest's parts on SQLite and PostgreSQL: periods and on/off track
against hand-worked calendars, roadmap changes from the audit log, the assembled digest
with its Markdown, e-mail (inline PNG) and CLI (the Ledgerly demo is in
test_leadership_demo.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from PIL import Image

from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import set_delivery
from pilothouse.core.runtime import Runtime
from pilothouse.reports.kr_chart import LABEL, ROW, png_progress, progress_rows
from pilothouse.reports.leadership import assemble_digest, digest_to_dict
from pilothouse.reports.leadership_mail import send_leadership_digest
from pilothouse.reports.leadership_render import PROGRESS_CID, digest_to_markdown
from pilothouse.reports.okr_progress import expected_progress, objective_entries, period_bounds
from pilothouse.reports.roadmap_changes import roadmap_changes
from pilothouse.reports.subscription import LEADERSHIP_KIND
from pilothouse.reports.weeks import last_complete_week, week_of
from pilothouse.roadmap import board, items, objectives
from tests.reports.test_review_mail_cli import _run, env  # noqa: F401  (fixture)
from tests.support.accounts import Accounts
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

CLI = Actor.command_line()


def test_periods_are_read_as_calendar_spans() -> None:
    assert period_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds("2024-q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert period_bounds("2026-H2") == (date(2026, 7, 1), date(2026, 12, 31))
    assert period_bounds("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert period_bounds("Q4") is None and period_bounds("") is None
    # 1 Oct .. 15 Nov is 46 of Q4's 92 days: half the quarter has passed.
    assert expected_progress("2026-Q4", date(2026, 11, 15)) == pytest.approx(0.5)
    assert expected_progress("2026-Q4", date(2026, 9, 1)) == 0.0
    assert expected_progress("2026-Q4", date(2027, 1, 5)) == 1.0
    assert expected_progress("someday", date(2026, 11, 15)) is None


def _objective(runtime: Runtime, period: str, *currents: float) -> str:
    krs = [
        {"title": f"KR {n}", "baseline_value": 0, "target_value": 100, "current_value": c}
        for n, c in enumerate(currents)
    ]
    with runtime.database.session() as session:
        created = objectives.create_objective(
            session, CLI, {"title": f"Goal {period}", "period": period, "key_results": krs}
        )
        items.create_item(
            session, CLI, {"kind": "feature", "title": "Serves it", "objectives": [created.key]}
        )
        return created.key


def test_key_results_are_judged_against_the_time_passed(runtime: Runtime) -> None:
    on = _objective(runtime, "2026-Q4", 45.0, 100.0)
    off = _objective(runtime, "2026-Q4", 45.0, 25.0)
    unjudged = _objective(runtime, "later", 10.0)
    with runtime.database.session() as session:
        found = {e.objective.id: e for e in objective_entries(runtime, session, date(2026, 11, 15))}
    assert [kr.track for kr in found[on].key_results] == ["on_track", "achieved"]
    assert found[on].track == "on_track" and found[on].progress == pytest.approx(0.725)
    assert [kr.track for kr in found[off].key_results] == ["on_track", "off_track"]
    assert found[off].track == "off_track"
    assert found[unjudged].track == "not_judged" and found[unjudged].expected is None
    assert found[on].key_results[0].current_text == "45" and found[on].key_results[0].source == (
        "manual"
    )
    assert found[on].objective.url == f"/roadmap/objectives#{on}"
    assert [i.label for i in found[on].items] == ["Serves it"]
    assert found[on].items[0].url is not None and found[on].items[0].url.startswith(
        "/roadmap/items/"
    )


def test_roadmap_changes_come_from_the_audit_log(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        kept = items.create_item(session, CLI, {"kind": "feature", "title": "Kept"})
        gone = items.create_item(session, CLI, {"kind": "idea", "title": "Gone"})
        back = items.create_item(session, CLI, {"kind": "idea", "title": "There and back"})
        ids = kept.id, gone.id, back.id
    start = utcnow()
    with runtime.database.session() as session:
        kept, gone, back = (items.find_item(session, i) for i in ids)
        items.update_item(session, CLI, kept, {"status": "discovery"})
        items.update_item(session, CLI, kept, {"status": "planned"})
        items.update_item(session, CLI, back, {"status": "discovery"})
        items.update_item(session, CLI, back, {"status": "new"})
        board.move_item(session, CLI, kept, "now")
        items.delete_item(session, CLI, gone)
        fresh = items.create_item(session, CLI, {"kind": "feature", "title": "Fresh"})
        board.move_item(session, CLI, fresh, "next")  # part of being new
    with runtime.database.session() as session:
        changes = roadmap_changes(session, start, utcnow() + timedelta(seconds=1))
        outside = roadmap_changes(session, start - timedelta(days=1), start)
    seen = [(c.kind, c.item.label, c.text) for c in changes]
    assert seen == [
        ("created", "Fresh", "new feature"),
        ("status", "Kept", "New → Planned"),
        ("rank", "Kept", "next → now"),  # planned items sit in Next
        ("removed", gone_label(ids[1], changes), "removed"),
    ]
    removed = changes[-1].item
    assert removed.deleted and removed.url is None
    assert changes[1].item.url is not None and changes[1].item.url.startswith("/roadmap/items/")
    assert [(c.kind, c.item.label) for c in outside] == [  # before the period: only created
        ("created", "Kept"), ("created", gone_label(ids[1], changes)), ("created", "There and back")
    ]  # fmt: skip


def gone_label(item_id: int, changes: list) -> str:  # type: ignore[type-arg]
    """The removed item keeps the name the log recorded (key and title)."""
    label = changes[-1].item.label
    assert label.endswith("Gone") and changes[-1].item.id == str(item_id)
    return label


def test_the_digest_mail_has_its_progress_chart_inline(
    runtime: Runtime, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    _objective(runtime, "2026-Q4", 45.0, 25.0)
    ann = accounts.person(email="ann@example.com")
    accounts.person(email="bob@example.com")  # opt-in: bob never chose it
    with runtime.database.session() as session:
        set_delivery(session, ann.id, LEADERSHIP_KIND, Delivery.immediately)
    mail = Runtime(
        settings=runtime.settings.model_copy(update=smtp_server.settings()),
        database=runtime.database,
    )
    result = send_leadership_digest(mail)
    assert result["to"] == ["ann@example.com"] and result["failed"] == []
    [message] = smtp_server.wait_for(1)
    week = last_complete_week(runtime.settings.timezone)
    assert message["Subject"].startswith(f"Leadership digest {week.key}")
    text = message.get_body(("plain",)).get_content()
    assert "## Objectives and key results" in text and "| KR 1 |" in text
    html = message.get_body(("html",)).get_content()
    assert f'src="cid:{PROGRESS_CID}"' in html and "Unsubscribe</a>" in html
    [png] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == f"<{PROGRESS_CID}>"
    image = Image.open(BytesIO(png.get_content()))
    assert image.size == (560 * 2, 2 * ROW * 2)


def test_the_png_bars_are_as_long_as_the_progress(runtime: Runtime) -> None:
    _objective(runtime, "2026-Q4", 50.0, 0.0)
    with runtime.database.session() as session:
        entries = objective_entries(runtime, session, date(2026, 11, 15))
    rows = progress_rows(entries)
    image = Image.open(BytesIO(png_progress(rows, scale=1)))
    y = 11  # the middle of the first row's bar
    bar = [image.getpixel((x, y)) for x in range(LABEL, LABEL + 260)]
    filled = sum(1 for colour in bar if colour == (0x2E, 0x85, 0x40))  # on track: green
    assert filled == pytest.approx(130, abs=3)  # half of the 260 px bar, less the tick
    assert image.getpixel((LABEL + 200, ROW + 11)) == (0xE5, 0xE9, 0xED)  # 0%: all track


@pytest.mark.usefixtures("env")
def test_the_digest_as_json_markdown_and_cli(runtime: Runtime) -> None:
    key = _objective(runtime, "2026-Q4", 45.0)
    week = week_of(datetime.now(UTC).date())
    with runtime.database.session() as session:
        digest = assemble_digest(runtime, session, week)
    data = digest_to_dict(digest)
    assert data["week"]["key"] == week.key and data["url"].endswith(f"week={week.key}")
    assert data["objectives"][0]["objective"]["id"] == key
    assert [c["kind"] for c in data["roadmap_changes"]] == ["created"]
    markdown = digest_to_markdown(digest, "https://ph.example")
    assert f"(https://ph.example/roadmap/objectives#{key})" in markdown
    printed = json.loads(
        _run("reports", "leadership-digest", "--week", week.key, "--format", "json")
    )
    assert printed["objectives"][0]["key_results"][0]["current"] == 45.0
    assert _run("reports", "leadership-digest", "--week", week.key).startswith(
        f"# Leadership digest {week.key}"
    )
    html = _run("reports", "leadership-digest", "--week", week.key, "--format", "html")
    assert html.lstrip().startswith("<!doctype html>") and "cid:" in html
    refused = _run("reports", "leadership-digest", "--week", "2026-W99", code=1)
    assert "2026-W99" in refused
    rows = json.loads(_run("schedules", "list", "--format", "json"))
    [digest_row] = [r for r in rows if r["name"] == "reports.leadership_digest"]
    assert digest_row["cron"] == "0 9 * * 1" and digest_row["job_kind"] == digest_row["name"]
