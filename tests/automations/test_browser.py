"""In Chromium: create a rule with the form, test-fire it, find the delivery in the log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.models import Delivery
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.roadmap import items
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver, verify
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser
WAIT_SECONDS = 60


def _wait_for_notify_delivery(served: ServedApp) -> None:
    """Whichever dispatcher took the delivery (this test's or the server's thread)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with served.runtime.database.session() as session:
            status = session.scalar(select(Delivery.status).where(Delivery.action_kind == "notify"))
        if status == "succeeded":
            return
        time.sleep(0.2)
    raise AssertionError(f"the notify delivery did not succeed (status {status})")


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
        expect(result).to_contain_text("Succeeded")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280

        page.get_by_role("link", name="All deliveries →").click()
        row = page.get_by_test_id("delivery-row").first
        expect(row).to_contain_text("Shipped work to chat")
        expect(row.get_by_test_id("delivery-status")).to_have_text("Succeeded")
        page.screenshot(path=str(tmp_path / "deliveries.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.get_by_role("link", name="Shipped work to chat").first.click()
        secret = page.locator(".automation-secret").first.text_content() or ""

        # A rule that notifies the editor rings their bell when a real event happens.
        page.goto("/automations/new")
        page.get_by_label("Name").fill("Tell me about new items")
        page.get_by_label("When this happens").select_option("roadmap_item.created")
        page.get_by_test_id("action-kind").select_option("notify")
        page.get_by_label("People (notify, e-mail)").fill(editor.email)
        page.get_by_label("Title").fill("New item: {{ title }}")
        page.get_by_role("button", name="Create rule").click()
        expect(page.locator("h1")).to_contain_text("Tell me about new items")
        with served.runtime.database.session() as session:
            items.create_item(session, Actor.command_line(), {"kind": "idea", "title": "SAML"})
        dispatch_once(served.runtime, run_now=True)  # or the server's own dispatcher thread
        _wait_for_notify_delivery(served)
        page.goto("/")
        expect(page.get_by_test_id("bell-count")).to_have_text("1")
        page.get_by_test_id("bell").click()
        expect(page.get_by_text("New item: SAML")).to_be_visible()
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
    [got] = receiver.received
    assert verify(secret, got.headers, got.body)
    assert got.json["text"].startswith("roadmap_item.status_changed")
