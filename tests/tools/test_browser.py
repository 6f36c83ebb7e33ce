"""The tool inventory in real headless Chromium at 1280 px: import a finance export with
an overlap and a renewal (upload → preview → confirm), see them on the page, edit a tool
with a refused value kept, update seats from activity; no page scrolls sideways."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from pilothouse.core.models import Role
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp
from tests.tools.helpers import TODAY, tool_csv

pytestmark = pytest.mark.browser
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_import_with_overlap_and_renewal(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    editor = Accounts(served.runtime).person(Role.editor, email="ops@example.com")
    export = tmp_path / "finance-export.csv"
    export.write_text(tool_csv(editor.email))
    seats = tmp_path / "last-active.csv"
    seats.write_text(f"email,tool,last_active\na@x.com,Amplitude,{TODAY - timedelta(days=2)}\n")
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    page = watched.page
    try:
        sign_in(page, editor)
        page.goto("/tools")
        page.get_by_role("button", name="Import a tool list (CSV)").click()
        page.get_by_label("CSV file").set_input_files(str(export))
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_test_id("tools-preview").locator("tbody tr")).to_have_count(3)
        assert page.evaluate(NO_SIDEWAYS)
        page.get_by_role("button", name="Confirm and import").click()
        expect(page.locator(".flash-success")).to_contain_text("Imported 3 new and 0 updated")
        expect(page.get_by_test_id("tools-renewals")).to_contain_text("Amplitude renews")
        overlap = page.get_by_test_id("tools-overlap")
        expect(overlap).to_contain_text("session-replay: Amplitude, FullStory")
        expect(page.get_by_test_id("tools-unused")).to_contain_text("Amplitude: 30 unused")
        expect(page.get_by_test_id("tools-chart").first.locator("svg")).to_have_count(2)
        assert page.evaluate(NO_SIDEWAYS)

        overlap.get_by_role("link", name="FullStory").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("FullStory")
        expect(page.get_by_test_id("tool-overlaps")).to_contain_text("Amplitude")
        page.get_by_role("button", name="Edit").click()
        page.get_by_label("Seats bought").fill("-4")
        page.get_by_label("Data it holds").fill("Recordings with user ids")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("must not be negative").first).to_be_visible()
        expect(page.get_by_label("Data it holds")).to_have_value("Recordings with user ids")
        assert page.evaluate(NO_SIDEWAYS)

        page.goto("/tools/seats")
        page.get_by_label("CSV file").set_input_files(str(seats))
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("button", name="Confirm and update seats").click()
        expect(page.locator(".flash-success")).to_contain_text("Updated seat usage of 1 tools")
        page.get_by_test_id("tools-table").get_by_role("link", name="Amplitude").click()
        expect(page.get_by_test_id("tool-facts")).to_contain_text("1 used of 50")
        expect(page.get_by_test_id("tool-renewal-due")).to_be_visible()
        assert page.evaluate(NO_SIDEWAYS)
    finally:
        watched.close()
    unexpected = [e for e in watched.errors if "status of 422" not in e]  # the refused save
    assert unexpected == [], unexpected
    assert watched.foreign == [], watched.foreign
