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
        page.get_by_label("Action 1 people").fill(editor.email)
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


def _wait_for_deliveries(served: ServedApp, count: int) -> list[Delivery]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        dispatch_once(served.runtime, run_now=True)
        with served.runtime.database.session() as session:
            found = list(session.scalars(select(Delivery).order_by(Delivery.id)))
            session.expunge_all()
        if len(found) >= count and all(d.status == "succeeded" for d in found):
            return found
        time.sleep(0.2)
    raise AssertionError(f"deliveries did not all succeed: {[(d.id, d.status) for d in found]}")


def test_a_rule_with_two_conditions_and_two_actions_made_fired_and_cut_down_in_the_form(
    browser: object, served: ServedApp, receiver: Receiver, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    allow_private(served.runtime)
    editor = Accounts(served.runtime).person(Role.editor)
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    page = watched.page
    try:
        sign_in(page, editor)
        page.goto("/automations/new")
        page.get_by_label("Name").fill("SSO features")
        page.get_by_label("When this happens").select_option("roadmap_item.created")
        page.get_by_label("Condition 1 field").fill("kind")
        page.get_by_label("Condition 1 value").fill("feature")
        page.get_by_test_id("add-condition").click()  # posts the form back with a new row
        expect(page.get_by_label("Condition 1 value")).to_have_value("feature")
        page.get_by_label("Condition 2 field").fill("title")
        page.get_by_label("Condition 2 operator").select_option("contains")
        page.get_by_label("Condition 2 value").fill("SSO")
        page.get_by_label("Action 1 kind").select_option("notify")
        expect(page.get_by_label("Action 1 webhook URL")).to_be_hidden()  # the kind's own
        page.get_by_label("Action 1 people").fill(editor.email)
        page.get_by_label("Action 1 title").fill("New SSO work: {{ title }}")
        page.get_by_test_id("add-action").click()
        page.get_by_label("Action 2 kind").select_option("webhook")
        page.get_by_label("Action 2 webhook URL").fill("http://127.0.0.1:9/refused")
        # A private target is refused beside its field, with everything else kept.
        allow_private(served.runtime, False)
        page.get_by_role("button", name="Create rule").click()
        expect(page.get_by_test_id("field-error")).to_contain_text("127.0.0.1")
        expect(page.get_by_label("Condition 2 value")).to_have_value("SSO")
        expect(page.get_by_label("Action 1 title")).to_have_value("New SSO work: {{ title }}")
        allow_private(served.runtime)
        page.get_by_label("Action 2 webhook URL").fill(receiver.url)
        page.get_by_role("button", name="Create rule").click()
        expect(page.locator("h1")).to_contain_text("SSO features")
        rule_path = page.url

        with served.runtime.database.session() as session:
            items.create_item(session, Actor.command_line(), {"kind": "feature", "title": "SSO"})
            items.create_item(session, Actor.command_line(), {"kind": "idea", "title": "SSO"})
        _wait_for_deliveries(served, 2)
        page.goto("/automations/deliveries")
        rows = page.get_by_test_id("delivery-row")
        expect(rows).to_have_count(2)
        for index in range(2):
            expect(rows.nth(index).get_by_test_id("delivery-status")).to_have_text("Succeeded")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        expect(page.get_by_test_id("bell-count")).to_have_text("1")
        page.get_by_test_id("bell").click()
        expect(page.get_by_text("New SSO work: SSO")).to_be_visible()

        page.goto(rule_path + "/edit")
        expect(page.get_by_test_id("action-row")).to_have_count(2)
        page.get_by_role("button", name="Remove action 2").click()
        expect(page.get_by_test_id("action-row")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "rule-form.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("h1")).to_contain_text("SSO features")
    finally:
        watched.close()
    unexpected = [e for e in watched.errors if "status of 422" not in e]  # the refused save
    assert unexpected == [], unexpected
    assert watched.foreign == [], watched.foreign
    assert len(receiver.received) == 1
    with served.runtime.database.session() as session:
        from pilothouse.automations import rules

        rule = rules.find_rule(session, "SSO features")
        assert [a["kind"] for a in rule.actions] == ["notify"]
        assert [c["field"] for c in rule.conditions] == ["kind", "title"]
