"""In Chromium at 1280 px: an admin finds Schedules in the Workspace menu, runs the
leadership digest now, follows the link to its job and turns the schedule off."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pilothouse.core.models import Event, Role
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser
TITLE = "Leadership digest e-mail"


def test_an_admin_runs_a_schedule_now_and_turns_it_off(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    admin = Accounts(served.runtime).person(Role.admin)
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    page = watched.page
    try:
        sign_in(page, admin)
        menu = page.get_by_test_id("workspace-menu")
        menu.locator("summary").click()
        menu.get_by_role("link", name="Schedules").click()
        expect(page.locator("h1")).to_have_text("Schedules")
        row = page.locator('[data-testid="schedule-row"][data-name="reports.leadership_digest"]')
        expect(row).to_contain_text("At 09:00 on Monday")
        expect(row).to_contain_text("never")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        row.get_by_role("button", name=f"Run {TITLE} now").click()
        expect(
            page.get_by_text(re.compile(r"Started reports\.leadership_digest now"))
        ).to_be_visible()
        job_link = row.get_by_role("link", name=re.compile(r"job #\d+"))
        expect(job_link).to_be_visible()
        expect(row).to_contain_text("run by hand")
        job_link.click()
        page.wait_for_url(re.compile(r"/jobs/\d+$"))
        expect(page.locator("h1")).to_contain_text(TITLE)
        page.go_back()

        row.get_by_role("button", name=f"Turn off {TITLE}").click()
        expect(page.get_by_text(f"Turned “{TITLE}” off.")).to_be_visible()
        expect(row.get_by_role("button", name=f"Turn on {TITLE}")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
    with served.runtime.database.session() as session:
        names = session.scalars(
            select(Event.name).where(Event.object_type == "schedule").order_by(Event.id)
        ).all()
    assert names == ["schedule.run_by_hand", "schedule.updated"]
