"""The leadership digest of the demo workspace (Ledgerly) has real numbers and links.

The module reads a copy of the demo loaded on SQLite once per test run
(tests/support/demo_workspace.py). The digest of the week it was loaded in must show
the three objectives of docs/demo.md with each key result's current value from the
metric it is bound to, the items that serve them, the 22 items as new and the overdue
launch; the page is opened in Chromium at 1280 px (a screenshot goes to
/work/helpers/screens when that folder exists); the e-mail carries the progress chart
as an inline PNG.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from pilothouse.core.models import Role, User
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import set_delivery
from pilothouse.core.runtime import Runtime
from pilothouse.reports.leadership import assemble_digest
from pilothouse.reports.leadership_mail import send_leadership_digest
from pilothouse.reports.subscription import LEADERSHIP_KIND
from pilothouse.reports.weeks import Week, week_of
from pilothouse.web.app import create_app
from tests.reports.test_review_demo import _serve
from tests.support.accounts import Person, sign_in
from tests.support.demo_workspace import demo_copy
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow
SCREENS = Path("/work/helpers/screens")
OBJECTIVES = {
    "Cut avoidable support contacts": {"card_delivery_contacts", "support_contact_rate"},
    "Make the first week effortless": {"activation_rate"},
    "Move money reliably": {"top_up_success_rate", "transfer_completion_rate"},
}
Loaded = tuple[Runtime, str, Week]


@pytest.fixture(scope="module")
def demo(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """A copy of the whole demo loaded on SQLite (tests/support/demo_workspace.py); the
    week is the one the demo was loaded in."""
    loaded = demo_copy(database_factory, tmp_path_factory, "leadership-demo")
    timezone = ZoneInfo(loaded.runtime.settings.timezone)
    yield loaded.runtime, loaded.password, week_of(loaded.loaded_at.astimezone(timezone).date())
    loaded.close()


def _admin(password: str) -> Person:
    return Person(0, "admin@pilothouse.example", Role.admin, password)


def test_the_digest_of_the_demo_week_has_real_progress(demo: Loaded) -> None:
    runtime, _, week = demo
    with runtime.database.session() as session:
        digest = assemble_digest(runtime, session, week)
    found = {o.objective.label: o for o in digest.objectives}
    assert set(found) == set(OBJECTIVES)
    for title, metrics in OBJECTIVES.items():
        objective = found[title]
        assert objective.period and objective.expected is not None
        assert objective.owner is not None and objective.owner.label  # people have no page
        assert {kr.metric.id for kr in objective.key_results if kr.metric} == metrics
        for kr in objective.key_results:
            assert kr.source == "metric" and kr.current is not None, kr
            assert kr.progress is not None and kr.track in ("on_track", "off_track", "achieved")
            assert kr.metric is not None and kr.metric.url == f"/metrics/{kr.metric.id}"
    # Top-up success fell from 97-98% to 92-93% (docs/demo.md): below its baseline.
    [top_ups] = [k for k in found["Move money reliably"].key_results if "Top-up" in k.title]
    assert top_ups.current is not None and 90 < top_ups.current < 96
    assert top_ups.progress == 0.0 and top_ups.track == "off_track"
    assert found["Move money reliably"].track == "off_track"
    served = [i.label for i in found["Cut avoidable support contacts"].items]
    assert "Card delivery tracking" in served
    assert len(digest.changes_of("created")) == 22 and not digest.changes_of("removed")
    assert "Spending limits per card" in [x.launch.label for x in digest.launches_overdue]


def test_the_page_and_api_name_and_link_objectives_and_items(demo: Loaded) -> None:
    runtime, password, week = demo
    with TestClient(create_app(runtime=runtime, migrate=False)) as client:
        sign_in(client, _admin(password))
        page = client.get("/reports/leadership-digest", params={"week": week.key})
        assert page.status_code == 200
        text = page.text
        assert text.count('data-testid="digest-objective"') == 3
        assert text.count('data-testid="digest-kr"') == 5
        assert re.search(r'<a href="/roadmap/objectives#OBJ-\d+">Move money reliably</a>', text)
        assert re.search(r'<a href="/roadmap/items/[A-Z]+-\d+">Card delivery tracking</a>', text)
        assert re.search(r'<a href="/metrics/top_up_success_rate">', text)
        assert text.count('class="kr-row') == 5
        assert "style=" not in text.split("<main", 1)[-1]  # CSP: no inline styles
        api = client.get("/api/v1/reports/leadership-digest", params={"week": week.key}).json()
        assert api["week"]["key"] == week.key
        assert sum(api["key_result_tracks"].values()) == 5
        names = [c["item"]["name"] for c in api["roadmap_changes"] if c["kind"] == "created"]
        assert "Card delivery tracking" in names and len(names) == 22


def test_the_page_in_chromium_fits_and_links(demo: Loaded, browser: Any) -> None:
    runtime, password, week = demo
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
        page.goto(f"/reports/leadership-digest?week={week.key}")
        assert page.get_by_test_id("digest-week").inner_text().startswith(week.key)
        chart = page.locator("svg.kr-chart")
        assert chart.count() == 1 and chart.bounding_box()["width"] > 400  # type: ignore[index]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.get_by_role("link", name="Move money reliably").count() >= 1
        if SCREENS.is_dir():
            page.screenshot(path=str(SCREENS / "leadership-digest-1280.png"), full_page=True)
        page.get_by_role("link", name="Card delivery tracking").first.click()
        page.wait_for_url(re.compile(r"/roadmap/items/"))
        assert "Card delivery tracking" in page.locator("h1").inner_text()
        assert errors == []
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_digest_mail_arrives_with_the_progress_chart(
    demo: Loaded, smtp_server: SmtpServer
) -> None:
    runtime, _, week = demo
    with runtime.database.session() as session:
        admin = session.scalar(select(User).where(User.email == "admin@pilothouse.example"))
        assert admin is not None
        set_delivery(session, admin.id, LEADERSHIP_KIND, Delivery.immediately)
    mail = Runtime(
        settings=runtime.settings.model_copy(update=smtp_server.settings()),
        database=runtime.database,
    )
    mail.__dict__["event_store"] = runtime.event_store  # one embedded store per process
    result = send_leadership_digest(mail, week.key)
    assert result["to"] == ["admin@pilothouse.example"] and result["failed"] == []
    [message] = smtp_server.wait_for(1)
    assert message["Subject"].startswith(f"Leadership digest {week.key}")
    text = message.get_body(("plain",)).get_content()
    assert "Top-up success rate to 98%" in text and "off track" in text
    [png] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    image = Image.open(BytesIO(png.get_content()))
    assert image.size == (560 * 2, 5 * 22 * 2)  # one row per key result
