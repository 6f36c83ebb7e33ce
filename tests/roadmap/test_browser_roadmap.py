"""The roadmap in real headless Chromium against a served app: drag a card from Next to
Now and find it there after a reload; change a RICE input in the ranked table and see
the order change (and stay changed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role, User
from pilothouse.roadmap import items
from tests.support.accounts import Accounts, Person
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def _editor_with_items(served: ServedApp, *specs: dict[str, Any]) -> Person:
    editor = Accounts(served.runtime).person(Role.editor)
    with served.runtime.database.session() as session:
        user = session.get(User, editor.id)
        assert user is not None
        actor = Actor.for_user(user)
        for spec in specs:
            items.create_item(session, actor, {"kind": "feature", **spec})
    return editor


def test_drag_a_card_from_next_to_now_persists(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    editor = _editor_with_items(
        served,
        {"title": "Checkout redesign", "status": "in-progress"},
        {"title": "Bulk edit dashboards", "status": "planned"},
    )
    watched = Watched(browser, served)
    page = watched.page
    try:
        sign_in(page, editor)
        page.get_by_role("link", name="Roadmap").click()
        page.get_by_role("link", name="Board", exact=True).click()
        now = page.get_by_test_id("column-now")
        next_column = page.get_by_test_id("column-next")
        card = next_column.locator('[data-key="FEAT-2"]')
        expect(card).to_be_visible()
        card.drag_to(now.locator(".roadmap-cards"))
        expect(page.get_by_test_id("board-message")).to_have_text("Moved FEAT-2 to Now.")
        expect(now.locator('[data-key="FEAT-2"]')).to_have_attribute("data-saved", "true")
        page.reload()
        expect(now.locator('[data-key="FEAT-2"]')).to_be_visible()
        expect(next_column.locator('[data-testid="board-card"]')).to_have_count(0)
        expect(now.locator("h2 small")).to_have_text("2")
        page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
        # the keyboard way: the card's own button moves it back
        now.get_by_role("button", name="Move FEAT-2 to Next").click()
        expect(page.locator(".flash-success")).to_contain_text("Moved FEAT-2 to Next")
        expect(next_column.locator('[data-key="FEAT-2"]')).to_be_visible()
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign


def test_changing_a_rice_input_reranks_the_table(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    rice = {"impact": 2, "confidence": 80, "effort": 4}
    editor = _editor_with_items(
        served,
        {"title": "Bulk edit dashboards", "reach": 1000, **rice},  # RICE 400
        {"title": "Dark mode", "reach": 500, "impact": 1, "confidence": 100, "effort": 1},  # 500
    )
    watched = Watched(browser, served)
    page = watched.page
    try:
        sign_in(page, editor)
        page.goto("/roadmap/table")
        rows = page.get_by_test_id("ranked-row")
        expect(rows.first).to_have_attribute("data-key", "FEAT-2")
        reach = page.get_by_label("Reach of FEAT-1")
        reach.fill("2000")
        reach.press("Tab")  # "change" fires; htmx posts and swaps the re-ranked table
        expect(rows.first).to_have_attribute("data-key", "FEAT-1")
        expect(rows.first.get_by_test_id("score")).to_have_text("800")
        page.reload()
        expect(rows.first).to_have_attribute("data-key", "FEAT-1")
        expect(page.get_by_label("Reach of FEAT-1")).to_have_value("2000")
        page.screenshot(path=str(tmp_path / "table.png"), full_page=True)
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
