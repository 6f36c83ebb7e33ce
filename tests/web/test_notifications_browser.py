"""In real Chromium: an editor comments with an @mention (picked from the suggestions) on a
roadmap item; the mentioned person signs in, sees the bell count 1, opens the
notifications, follows the link to the item and marks the notification read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role, User
from pilothouse.roadmap import items
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def test_a_mention_rings_the_bell_and_leads_to_the_item(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    people = Accounts(served.runtime)
    editor = people.person(Role.editor, email="olga@example.com")
    mia = people.person(Role.viewer, email="mia@example.com")
    with served.runtime.database.session() as session:
        user = session.get(User, editor.id)
        assert user is not None
        item = items.create_item(
            session, Actor.for_user(user), {"kind": "feature", "title": "Bulk export"}
        )
        key = item.key

    author = Watched(browser, served)
    try:
        page = author.page
        sign_in(page, editor)
        page.goto(f"/roadmap/items/{key}")
        box = page.get_by_test_id("comment-body")
        box.fill("Can you check the **limits**, @mi")
        page.get_by_test_id("mention-suggestions").get_by_role("button", name="Mia (@mia)").click()
        box.press_sequentially("please")
        expect(box).to_have_value("Can you check the **limits**, @mia please")
        page.get_by_test_id("comment-submit").click()
        comment = page.get_by_test_id("comment")
        expect(comment).to_contain_text("Can you check the limits, @mia please")
        expect(comment.locator(".comment-body strong")).to_have_text("limits")
        expect(page.get_by_test_id("watch-button")).to_have_text("Stop watching")
        assert author.errors == [] and author.foreign == []
    finally:
        author.close()

    reader = Watched(browser, served, viewport={"width": 1280, "height": 800})
    try:
        page = reader.page
        sign_in(page, mia)
        expect(page.get_by_test_id("bell-count")).to_have_text("1")
        page.get_by_test_id("bell").click()
        page.wait_for_url(re.compile(r"/notifications$"))
        notification = page.get_by_test_id("notification")
        expect(notification).to_have_count(1)
        expect(notification).to_have_attribute("data-unread", "true")
        link = page.get_by_test_id("notification-link")
        expect(link).to_have_text("Olga mentioned you on Bulk export")
        page.screenshot(path=str(tmp_path / "notifications.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        link.click()
        page.wait_for_url(re.compile(rf"/roadmap/items/{key}$"))
        expect(page.get_by_test_id("comment")).to_contain_text("@mia")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.get_by_test_id("bell").click()
        page.wait_for_url(re.compile(r"/notifications$"))
        page.get_by_test_id("mark-read").click()
        expect(page.get_by_test_id("notification")).to_have_attribute("data-unread", "false")
        expect(page.get_by_test_id("bell")).to_be_visible()
        expect(page.get_by_test_id("bell-count")).to_have_count(0)
        assert reader.errors == [] and reader.foreign == []
    finally:
        reader.close()
