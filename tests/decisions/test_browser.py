"""The decision log in real headless Chromium: record a decision, edit it, see the history."""

from __future__ import annotations

import pytest

from pilothouse.core.models import Role
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def test_record_edit_and_see_history(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    editor = Accounts(served.runtime).person(Role.editor, email="pm@example.com")
    watched = Watched(browser, served)
    page = watched.page
    try:
        sign_in(page, editor)
        page.get_by_role("link", name="Decisions").click()
        page.get_by_role("button", name="Record a decision").click()
        page.get_by_label("Title").fill("Move reports to the new engine")
        page.get_by_label("Context").fill("The old engine times out on **large** accounts.")
        page.get_by_label("Option 1 name").fill("Migrate now")
        page.get_by_label("Option 1 pros").fill("Faster reports")
        page.get_by_label("Option 2 name").fill("Wait a quarter")
        page.get_by_role("button", name="Record decision").click()
        expect(page.locator(".flash-success")).to_contain_text("Recorded DEC-1")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Move reports")
        expect(page.get_by_test_id("context").locator("strong")).to_have_text("large")

        page.get_by_role("button", name="Edit", exact=True).click()
        page.get_by_label("Title").fill("Move all reports to the new engine")
        page.get_by_label("Chosen option").fill("Migrate now")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator(".flash-success")).to_contain_text("Saved")
        revisions = page.get_by_test_id("revision")
        expect(revisions).to_have_count(2)
        expect(revisions.first).to_contain_text("v2 updated by pm@example.com")
        expect(revisions.first).to_contain_text("Move all reports to the new engine")
        expect(revisions.last).to_contain_text("v1 created")

        page.get_by_role("link", name="← Decisions").click()
        page.get_by_label("Search decisions").fill("all reports")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_test_id("decision-row")).to_have_count(1)
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
