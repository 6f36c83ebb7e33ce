"""In headless Chromium: try to pass a gate without approval and see it refused; approve,
tick off the required item, and pass."""

from __future__ import annotations

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.launches import blueprints, launching
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def test_gate_refused_then_approved_and_passed(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    lead = Accounts(served.runtime).person(Role.editor, email="lead@example.com")
    actor = Actor.command_line()
    with served.runtime.database.session() as session:
        blueprints.create_template(
            session,
            actor,
            {
                "name": "Two-step",
                "stages": [
                    {
                        "name": "Beta",
                        "items": [{"title": "Support briefed", "offset_days": -7}],
                        "gates": [{"name": "GA review", "approvers": [lead.email]}],
                    },
                    {"name": "GA"},
                ],
            },
        )
        key = launching.create_launch(
            session,
            actor,
            {"template": "Two-step", "name": "Dark mode", "target_date": "2026-12-01"},
        ).key
    watched = Watched(browser, served)
    page = watched.page
    try:
        sign_in(page, lead)
        page.get_by_role("link", name="Launches", exact=True).first.click()
        page.get_by_role("link", name=key).click()
        expect(page.get_by_test_id("current-stage")).to_have_text("Beta")
        page.get_by_test_id("advance").click()
        refusal = page.locator(".flash-error")
        expect(refusal).to_contain_text("cannot leave Beta for GA")
        expect(refusal).to_contain_text("approval pending from lead@example.com")
        expect(page.get_by_test_id("current-stage")).to_have_text("Beta")

        page.get_by_role("button", name="Approve GA review").click()
        expect(page.get_by_test_id("approval")).to_contain_text("Approved")
        page.get_by_role("button", name="Done: Support briefed").click()
        expect(page.locator(".flash-success")).to_contain_text("Done: Support briefed")
        page.get_by_test_id("advance").click()
        expect(page.locator(".flash-success")).to_contain_text(f"{key} is now in GA")
        expect(page.get_by_test_id("launch-status")).to_have_text("Launched")
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
