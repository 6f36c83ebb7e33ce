"""The weekly review of the demo workspace (Ledgerly) has real numbers, page and e-mail.

The module reads a copy of the demo loaded on SQLite once per test run
(tests/support/demo_workspace.py; the load itself is tested in tests/demo/). The review
of the week the card delivery tracking launch shipped must list it; the last complete
week must show every certified metric with numbers that agree with the daily series;
the page is looked at in Chromium (a screenshot is saved under /work/helpers/screens
when that folder exists); the e-mail arrives at a real SMTP server with its charts
inline.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.models import Role, User
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import set_delivery
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from pilothouse.launches.launching import list_launches
from pilothouse.metrics.anomaly_service import daily_values
from pilothouse.metrics.demo import demo_start
from pilothouse.metrics.service import EMBEDDED_SOURCE
from pilothouse.reports.mail import send_weekly_review
from pilothouse.reports.review import assemble
from pilothouse.reports.subscription import REVIEW_KIND
from pilothouse.reports.weeks import last_complete_week, week_of
from pilothouse.web.app import create_app
from tests.support.accounts import Person, sign_in
from tests.support.demo_workspace import demo_copy
from tests.support.served_app import free_port
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow
SCREENS = Path("/work/helpers/screens")
Loaded = tuple[Runtime, str]


@pytest.fixture(scope="module")
def demo(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """A copy of the whole demo loaded on SQLite (tests/support/demo_workspace.py)."""
    loaded = demo_copy(database_factory, tmp_path_factory, "review-demo")
    yield loaded.runtime, loaded.password
    loaded.close()


def _admin(password: str) -> Person:
    return Person(0, "admin@pilothouse.example", Role.admin, password)


def test_metric_movements_agree_with_the_daily_series(demo: Loaded) -> None:
    runtime, _ = demo
    week = last_complete_week(runtime.settings.timezone)
    with runtime.database.session() as session:
        review = assemble(runtime, session, week)
    certified = [m.name for m in runtime.metrics.catalog() if m.certified]
    assert [m.metric for m in review.metrics] == certified and len(certified) >= 5
    kinds = {m.name: m.type.value for m in runtime.metrics.catalog()}
    for move in review.metrics:
        # A conversion whose whole week is younger than its window is not judged yet.
        settling = move.settling and move.verdict_text.startswith("still settling")
        assert move.verdict in ("normal", "outside") or settling, (move.metric, move.verdict_text)
        assert move.reference is not None and move.reference.url == f"/metrics/{move.metric}"
        if kinds[move.metric] not in ("count", "sum"):
            continue
        days, values = daily_values(runtime, move.metric, week.start, week.end, EMBEDDED_SOURCE)
        assert move.this_week == pytest.approx(sum(v for v in values if not math.isnan(v)))
        expected = move.this_week / move.last_week - 1  # type: ignore[operator]
        assert move.change == pytest.approx(expected)
        assert len(move.values) == 14 and move.values[7:] == pytest.approx(values)


def test_a_week_early_in_the_history_says_so_plainly(demo: Loaded) -> None:
    runtime, _ = demo
    first = demo_start(datetime.now(UTC)).date()
    week = week_of(first + timedelta(days=10))  # the model needs 28 days before a verdict
    with runtime.database.session() as session:
        review = assemble(runtime, session, week)
    assert {m.verdict for m in review.metrics} == {"too_little_history"}
    assert {m.verdict_text for m in review.metrics} == {
        "too little history to judge (needs 4 weeks of days)"
    }


def _shipped_week(runtime: Runtime, name: str) -> str:
    with runtime.database.session() as session:
        launches = list_launches(session, PageRequest(100)).items
        launch = next(x for x in launches if x.name == name)
        assert launch.launched_at is not None
        return week_of(launch.launched_at.date()).key


def test_the_page_of_the_tracking_launch_week_has_real_numbers(demo: Loaded) -> None:
    runtime, password = demo
    week = _shipped_week(runtime, "Card delivery tracking")
    with TestClient(create_app(runtime=runtime, migrate=False)) as client:
        sign_in(client, _admin(password))
        page = client.get("/reports/weekly-review", params={"week": week})
        assert page.status_code == 200
        text = page.text
        assert re.search(r'<a href="/launches/[^"]+">Card delivery tracking</a>', text)
        assert text.count('data-testid="review-metric"') >= 5
        assert text.count('<rect class="review-bar') >= 5 * 14
        assert "style=" not in text.split("<main", 1)[-1]  # CSP: no inline styles
        assert re.search(r'class="num review-value">[\d$][\d,.]*', text)
        api = client.get("/api/v1/reports/weekly-review", params={"week": week}).json()
        assert "Card delivery tracking" in [x["launch"]["name"] for x in api["launches_shipped"]]
        assert all(m["this_week"] is not None for m in api["metrics"])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot own signals
        return


def _serve(runtime: Runtime) -> tuple[_Server, threading.Thread, str]:
    port = free_port()
    app = create_app(runtime=runtime, migrate=False)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def test_the_page_in_chromium_fits_and_shows_the_charts(demo: Loaded, browser: Any) -> None:
    runtime, password = demo
    week = _shipped_week(runtime, "Card delivery tracking")
    server, thread, base = _serve(runtime)
    try:
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto("/login")
        page.get_by_label("E-mail").fill("admin@pilothouse.example")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto(f"/reports/weekly-review?week={week}")
        assert page.get_by_test_id("review-week").inner_text().startswith(week)
        charts = page.locator("svg.review-chart")
        assert charts.count() >= 5 and charts.first.bounding_box()["width"] > 200  # type: ignore[index]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("link", name="Card delivery tracking").first.click()
        page.wait_for_url(re.compile(r"/launches/"))
        page.go_back()
        if SCREENS.is_dir():
            page.screenshot(path=str(SCREENS / "weekly-review-1280.png"), full_page=True)
        assert errors == []
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_review_mail_arrives_with_inline_charts(demo: Loaded, smtp_server: SmtpServer) -> None:
    runtime, _ = demo
    with runtime.database.session() as session:
        admin = session.scalar(select(User).where(User.email == "admin@pilothouse.example"))
        assert admin is not None
        set_delivery(session, admin.id, REVIEW_KIND, Delivery.immediately)
    mail = Runtime(
        settings=runtime.settings.model_copy(update=smtp_server.settings()),
        database=runtime.database,
    )
    mail.__dict__["event_store"] = runtime.event_store  # one embedded store per process
    result = send_weekly_review(mail)
    assert result["to"] == ["admin@pilothouse.example"] and result["failed"] == []
    [message] = smtp_server.wait_for(1)
    assert message["Subject"].startswith(f"Weekly product review {result['week']}")
    text = message.get_body(("plain",)).get_content()
    assert "## Metric movements" in text and "| Metric | This week |" in text
    html = message.get_body(("html",)).get_content()
    cids = re.findall(r'src="cid:([^"]+)"', html)
    images = {p["Content-ID"]: p for p in message.walk() if p.get_content_type() == "image/png"}
    assert len(cids) >= 5 and set(images) == {f"<{cid}>" for cid in cids}
    assert all(p.get_content().startswith(b"\x89PNG\r\n\x1a\n") for p in images.values())
