"""The demo tool stack in Chromium at 1280 px: the inventory, a tool page and the forms
are filled, link to people and tools, and do not scroll sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.tools.demo import load_demo_tools
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def test_demo_pages_are_filled_and_fit(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    runtime = served.runtime
    with runtime.database.session() as session:
        load_people_and_areas(session, Actor.command_line(), runtime)
    with runtime.database.session() as session:
        load_demo_tools(session, Actor.command_line(), runtime)
    admin = Accounts(runtime).person(Role.admin, email="lead@example.com")
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    page = watched.page
    try:
        sign_in(page, admin)
        page.get_by_text("Workspace").first.click()
        page.get_by_role("link", name="Tools", exact=True).click()
        expect(page.get_by_test_id("tool-row")).to_have_count(17)
        expect(page.get_by_test_id("tools-renewals")).to_contain_text("Zoom renews")
        expect(page.get_by_test_id("tools-chart")).to_have_count(3)  # EUR, GBP, USD
        assert page.evaluate(NO_SIDEWAYS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "tools.png"), full_page=True)
        page.get_by_test_id("tools-table").get_by_role("link", name="Priya Natarajan").first.click()
        expect(page.get_by_test_id("tool-row")).to_have_count(2)  # Productboard, Slack
        page.goto("/tools/amplitude")
        expect(page.get_by_test_id("tool-renewal-due")).to_be_visible()
        expect(page.get_by_test_id("tool-facts")).to_contain_text("Amara Mensah")
        assert page.evaluate(NO_SIDEWAYS)
        page.screenshot(path=str(SHOTS / "tool.png"), full_page=True)
        for path in ("/tools/amplitude/edit", "/tools/new", "/tools/import", "/tools/seats"):
            page.goto(path)
            assert page.evaluate(NO_SIDEWAYS), path
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
