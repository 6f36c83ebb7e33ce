"""Forms never lose input, in real headless Chromium against a served app: a refused roadmap
item form comes back with what was typed and the error right under its field; a refused
effort in the ranked table stays in its box with the reason under it, and nothing is saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pilothouse.roadmap.models import RoadmapItem
from tests.roadmap.test_browser_roadmap import _editor_with_items
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def _stored(served: ServedApp) -> list[tuple[str, float | None]]:
    with served.runtime.database.session() as session:
        rows = session.execute(select(RoadmapItem.title, RoadmapItem.effort).order_by("id"))
        return [(title, effort) for title, effort in rows]


def _beside(page: Any, field: Any) -> Any:
    """The message the field points to (aria-describedby), checked to sit right under it."""
    from playwright.sync_api import expect

    expect(field).to_have_attribute("aria-invalid", "true")
    note = page.locator(f"#{field.get_attribute('aria-describedby')}")
    expect(note).to_be_visible()
    box, under = field.bounding_box(), note.bounding_box()
    assert box and under
    assert 0 <= under["y"] - (box["y"] + box["height"]) < 40, (box, under)
    overlap = min(box["x"] + box["width"], under["x"] + under["width"]) - max(box["x"], under["x"])
    assert overlap > box["width"] / 2, (box, under)  # in the field's column, not elsewhere
    return note


def _real_errors(errors: list[str]) -> list[str]:
    # Chromium logs every 4xx answer as a console error; the 422s here are the point.
    return [e for e in errors if "status of 422" not in e]


def test_a_refused_item_form_keeps_what_was_typed(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    editor = _editor_with_items(served, {"title": "Existing", "effort": 4})
    watched = Watched(browser, served)
    page = watched.page
    try:
        sign_in(page, editor)
        page.goto("/roadmap/table")
        page.get_by_test_id("new-item").click()
        page.get_by_label("Title").fill("Bulk edit dashboards")
        page.get_by_label("Description").fill("Edit many dashboards at once")
        page.get_by_label("Target quarter").fill("next spring")
        page.get_by_label("Reach").fill("1200")
        page.get_by_role("button", name="Create item").click()
        expect(page.get_by_test_id("form-errors")).to_contain_text("Not saved")
        expect(page.get_by_test_id("form-errors")).to_be_focused()  # in view, read out
        expect(page.get_by_label("Title")).to_have_value("Bulk edit dashboards")
        expect(page.get_by_label("Description")).to_have_value("Edit many dashboards at once")
        expect(page.get_by_label("Reach")).to_have_value("1200")
        quarter = page.get_by_label("Target quarter")
        expect(quarter).to_have_value("next spring")
        expect(_beside(page, quarter)).to_contain_text("a quarter such as 2026-Q3")
        page.screenshot(path=str(tmp_path / "item-form-error.png"), full_page=True)
        assert _stored(served) == [("Existing", 4.0)]  # nothing stored
        quarter.fill("2026-Q3")  # corrected: the rest was never retyped
        page.get_by_role("button", name="Create item").click()
        expect(page.locator("h1")).to_contain_text("Bulk edit dashboards")
        assert [t for t, _ in _stored(served)] == ["Existing", "Bulk edit dashboards"]
    finally:
        watched.close()
    assert _real_errors(watched.errors) == [], watched.errors
    assert watched.foreign == [], watched.foreign


def test_a_refused_effort_in_the_ranked_table_stays_in_its_cell(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    editor = _editor_with_items(
        served, {"title": "Bulk edit", "reach": 1000, "impact": 2, "confidence": 80, "effort": 4}
    )
    watched = Watched(browser, served)
    page = watched.page
    try:
        sign_in(page, editor)
        page.goto("/roadmap/table?columns=key&columns=title&columns=effort&columns=score")
        effort = page.get_by_label("Effort of FEAT-1")
        effort.fill("0")
        effort.press("Tab")
        effort = page.get_by_label("Effort of FEAT-1")  # the table was swapped
        note = _beside(page, effort)
        expect(note).to_contain_text("greater than zero")
        expect(note).to_contain_text("still 4")
        expect(effort).to_have_value("0")
        row = page.locator('[data-testid="ranked-row"][data-key="FEAT-1"]')
        expect(row.get_by_test_id("cell-error")).to_have_count(1)  # on its own row
        assert _stored(served) == [("Bulk edit", 4.0)]
        # letters: the browser's number box reads them as "", which must not clear the value
        effort.fill("")
        effort.press_sequentially("e")
        effort.press("Tab")
        expect(page.get_by_test_id("cell-error")).to_contain_text("Type a number")
        page.screenshot(path=str(tmp_path / "table-error.png"), full_page=True)
        assert _stored(served) == [("Bulk edit", 4.0)]
        page.reload()
        expect(page.get_by_label("Effort of FEAT-1")).to_have_value("4")
    finally:
        watched.close()
    assert _real_errors(watched.errors) == [], watched.errors
    assert watched.foreign == [], watched.foreign
