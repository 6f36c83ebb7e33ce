"""In Chromium: create a rule with the form, test-fire it, find the delivery in the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilothouse.core.models import Role
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver, verify
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def test_create_a_rule_test_fire_it_and_see_the_delivery(
    browser: object, served: ServedApp, receiver: Receiver, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    allow_private(served.runtime)
    editor = Accounts(served.runtime).person(Role.editor)
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    page = watched.page
    try:
        sign_in(page, editor)
        page.goto("/automations")
        page.get_by_test_id("new-rule").click()
        page.get_by_label("Name").fill("Shipped work to chat")
        page.get_by_label("When this happens").select_option("roadmap_item.status_changed")
        page.get_by_label("Condition 1 field").fill("status")
        page.get_by_label("Condition 1 value").fill("launched")
        page.get_by_label("Webhook URL").fill(receiver.url)
        page.get_by_label("Body").select_option("slack")
        page.get_by_role("button", name="Create rule").click()
        expect(page.locator("h1")).to_contain_text("Shipped work to chat")

        page.get_by_test_id("test-fire").click()
        result = page.get_by_test_id("test-result")
        expect(result).to_contain_text("sample")
        expect(result).to_contain_text("succeeded")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280

        page.get_by_role("link", name="All deliveries →").click()
        row = page.get_by_test_id("delivery-row").first
        expect(row).to_contain_text("Shipped work to chat")
        expect(row.get_by_test_id("delivery-status")).to_have_text("succeeded")
        page.screenshot(path=str(tmp_path / "deliveries.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.get_by_role("link", name="Shipped work to chat").first.click()
        secret = page.locator(".automation-secret").first.text_content() or ""
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
    [got] = receiver.received
    assert verify(secret, got.headers, got.body)
    assert got.json["text"].startswith("roadmap_item.status_changed")
