"""The process-health page in Chromium at 1280 px on the hand-worked fixture: it fits
without sideways scrolling, the charts render, a number opens its drill-down, the
filter narrows it, and an item's name leads to the item's page; no console errors
(a CSP violation is one)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.ops.health_fixture import build
from tests.reports.test_review_demo import _serve
from tests.support.accounts import Accounts

pytestmark = pytest.mark.browser


def test_drill_down_from_a_number_to_the_items(
    runtime: Runtime, accounts: Accounts, browser: Any
) -> None:
    with runtime.database.session() as session:
        build(session)
    viewer = accounts.person(Role.viewer)
    server, thread, base = _serve(runtime)
    try:
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto("/login")
        page.get_by_label("E-mail").fill(viewer.email)
        page.get_by_label("Password").fill(viewer.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/ops/health")
        assert page.get_by_test_id("health-figure").count() >= 17
        assert page.locator("svg.health-chart").count() >= 10
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        cycle = page.locator('[data-figure="cycle_time"]')
        assert cycle.get_by_test_id("health-value").inner_text() == "30.0 days"
        cycle.get_by_test_id("health-value").click()
        page.wait_for_url(re.compile(r"/ops/health/cycle_time"))
        rows = page.get_by_test_id("health-item")
        assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == [
            "Reopened",
            "Backwards",
            "Straight",
        ]
        page.get_by_label("Quarter").select_option("2026-Q1")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"quarter=2026-Q1"))
        assert page.get_by_test_id("health-item").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("link", name="Backwards").click()
        page.wait_for_url(re.compile(r"/roadmap/items/"))
        assert "Backwards" in page.locator("h1").inner_text()
        assert errors == []
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
