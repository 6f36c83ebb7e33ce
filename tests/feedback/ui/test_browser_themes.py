"""In real Chromium: import a file, synthesise, rename and merge themes, check the audit log.

The file is 48 BANKING77 test messages (CC BY 4.0; 12 each of four intents a
person can tell apart, from ``../shared/data/feedback``), so synthesis is quick
(about ten seconds on two cores, model load included) and finds several themes.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

from pilothouse.core.models import Role

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "feedback" / "banking77"
INTENTS = ("card_arrival", "exchange_rate", "passcode_forgotten", "terminate_account")


def _feedback_file(folder: Path) -> Path:
    with (DATA / "test.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "date", "comment"])
    for intent in INTENTS:
        for n, row in enumerate([r for r in rows if r["category"] == intent][:12]):
            writer.writerow([f"{intent}-{n}", f"2026-03-{n + 1:02d}", row["text"]])
    path = folder / "support-notes.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_import_synthesise_rename_merge_and_audit(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    admin = Accounts(served.runtime).person(Role.admin, email="voc.lead@example.com")
    watched = Watched(browser, served)
    page = watched.page
    page.on("dialog", lambda dialog: dialog.accept())  # the merge asks for confirmation
    try:
        sign_in(page, admin)
        page.goto("/feedback/import")
        page.get_by_label("File").set_input_files(str(_feedback_file(tmp_path)))
        page.get_by_role("button", name="Preview (dry run)").click()
        expect(page.get_by_test_id("import-report")).to_contain_text("48 rows")
        expect(page.get_by_test_id("mapping")).to_be_visible()
        page.get_by_test_id("import-commit").click()
        expect(page.locator(".flash-success")).to_contain_text("Imported 48 new")

        page.goto("/feedback/themes")
        page.get_by_role("button", name="Synthesise now").click()
        page.wait_for_url(re.compile(r"/jobs/\d+$"))
        expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=90_000)

        page.goto("/feedback/themes")
        rows = page.get_by_test_id("theme-row")
        expect(rows.first).to_be_visible()
        count = rows.count()
        assert count >= 2, page.content()
        first, second = (rows.nth(i).locator("a").first.inner_text() for i in (0, 1))
        rows.nth(0).locator("a").first.click()
        expect(page.get_by_test_id("theme-label")).to_contain_text(first)
        expect(page.get_by_test_id("volume-chart")).to_be_visible()
        expect(page.get_by_test_id("suggestions")).to_be_visible()  # the htmx fragment loaded
        page.screenshot(path=str(tmp_path / "theme.png"), full_page=True)

        page.get_by_test_id("rename-form").get_by_label("Name").fill("Customer asks (renamed)")
        page.get_by_role("button", name="Rename").click()
        expect(page.locator(".flash-success")).to_contain_text("Renamed")
        expect(page.get_by_test_id("theme-label")).to_contain_text("Customer asks (renamed)")

        merge = page.get_by_test_id("merge-form")
        option = merge.locator("option", has_text=second)
        merge.locator("select").select_option(option.first.get_attribute("value"))
        merge.get_by_role("button", name="Merge").click()
        expect(page.locator(".flash-success")).to_contain_text("Merged 1 theme")

        page.goto("/feedback/themes")
        expect(page.get_by_test_id("theme-row")).to_have_count(count - 1)
        expect(page.get_by_test_id("theme-table")).to_contain_text("Customer asks (renamed)")
        expect(page.get_by_test_id("theme-table")).not_to_contain_text(second)
        page.screenshot(path=str(tmp_path / "themes.png"), full_page=True)

        page.goto("/admin/audit")
        audit = page.get_by_test_id("audit-row")
        expect(audit.filter(has_text="feedback.themes_merged").first).to_contain_text(
            "voc.lead@example.com"
        )
        expect(audit.filter(has_text="feedback.theme_renamed").first).to_contain_text(
            "Customer asks (renamed)"
        )
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
