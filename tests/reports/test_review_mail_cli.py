"""The review's e-mail subscription, SMTP sending, PNG charts, CLI and schedule, on SQLite
and PostgreSQL (the demo-backed e-mail with real charts is in test_review_demo.py)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO

import pytest
from PIL import Image
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import choices_for, set_delivery
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service as feedback
from pilothouse.feedback import themes
from pilothouse.reports.charts import bars, png_chart
from pilothouse.reports.mail import send_weekly_review
from pilothouse.reports.subscription import REVIEW_KIND, VOC_KIND
from pilothouse.reports.voc_digest import send_voc_digest
from pilothouse.reports.weeks import last_complete_week
from tests.support.accounts import Accounts
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)


@pytest.fixture
def env(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads its settings from the environment: point it at the test's runtime."""
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    secret = runtime.settings.secret_key
    assert secret is not None
    monkeypatch.setenv("PILOTHOUSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("PILOTHOUSE_DATABASE_URL", runtime.database.url)
    monkeypatch.setenv("PILOTHOUSE_SECRET_KEY", secret.get_secret_value())


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


def test_png_chart_draws_the_bars_it_is_given() -> None:
    days = [date(2026, 11, 23) + timedelta(days=i) for i in range(14)]
    values: list[float | None] = [10.0] * 7 + [20.0] * 6 + [None]
    chart = bars(days, values, days[7], outside={days[9]})
    assert [b.kind for b in chart[6:10]] == ["last", "this", "this", "outside"]
    assert chart[-1].kind == "none"
    assert chart[7].height == pytest.approx(2 * chart[0].height, rel=0.05)
    image = Image.open(BytesIO(png_chart(chart, scale=1)))
    assert image.size == (280, 72)
    bottom = image.height - 1
    assert image.getpixel((round(chart[9].x + 2), bottom)) == (0xC0, 0x39, 0x2B)  # outside
    assert image.getpixel((round(chart[8].x + 2), bottom)) == (0x2F, 0x6F, 0xB3)  # this week
    assert image.getpixel((round(chart[0].x + 2), bottom)) == (0xB8, 0xC2, 0xCC)  # last week
    assert image.getpixel((round(chart[0].x + 2), 0)) == (255, 255, 255)  # above a bar


def test_only_subscribers_get_the_mail_with_text_and_html(
    runtime: Runtime, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    ann = accounts.person(email="ann@example.com")
    accounts.person(email="bob@example.com")  # never chose: the review is opt-in
    with runtime.database.session() as session:
        kinds = {c.kind: c for c in choices_for(session, ann.id)}
        assert kinds[REVIEW_KIND].delivery is Delivery.off and kinds[REVIEW_KIND].is_default
        set_delivery(session, ann.id, REVIEW_KIND, Delivery.immediately)
    mail = Runtime(
        settings=runtime.settings.model_copy(update=smtp_server.settings()),
        database=runtime.database,
    )
    result = send_weekly_review(mail)
    assert isinstance(result.pop("event"), int)  # published as report.published
    assert result == {
        "week": last_complete_week(runtime.settings.timezone).key,
        "sent": 1, "to": ["ann@example.com"], "failed": [],
    }  # fmt: skip
    [message] = smtp_server.wait_for(1)
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert "## Metric movements" in text and "No certified metrics." in text
    assert "/notifications/unsubscribe/" in text
    html = message.get_body(("html",)).get_content()
    assert "<h2" in html and "Unsubscribe</a>" in html


@pytest.mark.usefixtures("env")
def test_cli_prints_the_review_and_the_schedule_is_listed(runtime: Runtime) -> None:
    week = last_complete_week(runtime.settings.timezone)
    data = json.loads(_run("reports", "weekly-review", "--format", "json"))
    assert data["week"]["key"] == week.key
    markdown = _run("reports", "weekly-review", "--week", week.shifted(-1).key)
    assert markdown.startswith(f"# Weekly product review {week.shifted(-1).key}")
    html = _run("reports", "weekly-review", "--format", "html")
    assert html.lstrip().startswith("<!doctype html>")
    refused = _run("reports", "weekly-review", "--week", "2026-W99", code=1)
    assert "week" in refused and "2026-W99" in refused
    rows = json.loads(_run("schedules", "list", "--format", "json"))
    [review] = [r for r in rows if r["name"] == "reports.weekly_review"]
    assert review["cron"] == "0 8 * * 1" and review["job_kind"] == "reports.weekly_review"


def test_the_voc_digest_mails_last_weeks_report_to_its_subscribers(
    runtime: Runtime, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    cli = Actor.command_line()
    week = last_complete_week(runtime.settings.timezone)
    ann = accounts.person(email="ann@example.com")
    accounts.person(email="bob@example.com")
    with runtime.database.session() as session:
        when = datetime.combine(week.start + timedelta(days=2), time(12), UTC)
        ids = [
            feedback.create_feedback(
                session, cli, {"text": f"Card never came ({n})", "source_name": "mail",
                               "created_at": when},
            ).id
            for n in range(4)
        ]  # fmt: skip
        old = feedback.create_feedback(
            session,
            cli,
            {"text": "Older", "source_name": "mail", "created_at": when - timedelta(days=14)},
        )
        theme = themes.create_theme(session, cli, label="Card never arrives")
        themes.move_items(session, cli, [*ids, old.id], theme)
        set_delivery(session, ann.id, VOC_KIND, Delivery.digest)
        set_delivery(session, ann.id, REVIEW_KIND, Delivery.off)
    mail = Runtime(
        settings=runtime.settings.model_copy(update=smtp_server.settings()),
        database=runtime.database,
    )
    result = send_voc_digest(mail)
    assert isinstance(result.pop("event"), int)
    assert result == {"week": week.key, "sent": 1, "to": ["ann@example.com"], "failed": []}
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == f"Voice of the customer {week.key}: 4 feedback items"
    text = message.get_body(("plain",)).get_content()
    assert f"# Voice of the customer: {week.start} to {week.end}" in text
    assert "Card never arrives" in text and "Older" not in text
    html = message.get_body(("html",)).get_content()
    assert "Card never arrives" in html and "Unsubscribe</a>" in html
    assert send_weekly_review(mail)["to"] == []  # ann turned the weekly review off
