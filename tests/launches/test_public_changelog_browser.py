"""In real Chromium, an anonymous visitor reads the public changelog at 1280 px: the notes
and the subscribe form show, the page does not scroll sideways and nothing is loaded
from anywhere but this server."""

from __future__ import annotations

import httpx
import pytest

from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser
LONG_LINK = "https://example.org/" + "a-very-long-path-segment-" * 12


def test_anonymous_visitor_reads_the_public_changelog(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    with httpx.Client(base_url=served.base_url) as client:
        crew = Crew(client, Accounts(served.runtime))  # type: ignore[arg-type]
        crew.template()
        key = str(crew.launch(name="Scheduled reports")["key"])
        notes = f"## Scheduled reports\n\nReports by **e-mail**, see {LONG_LINK}\n"
        client.put(
            f"{API}/launches/{key}/release-notes", json={"markdown": notes}, headers=crew.editor
        )
        published = client.post(f"{API}/launches/{key}/release-notes/publish", headers=crew.editor)
        assert published.status_code == 200, published.text
        on = {"launches.public_changelog": True, "launches.public_changelog_title": "Acme App"}
        assert (
            client.patch(f"{API}/workspace/settings", json=on, headers=crew.admin).status_code
            == 200
        )

    visitor = Watched(browser, served, viewport={"width": 1280, "height": 800})
    try:
        page = visitor.page
        response = page.goto("/public/changelog")
        assert response is not None and response.status == 200
        expect(page.get_by_role("heading", name="Acme App: what's new")).to_be_visible()
        entry = page.get_by_test_id("public-changelog-entry")
        expect(entry).to_have_count(1)
        expect(entry.locator("strong")).to_have_text("e-mail")
        expect(
            page.get_by_test_id("public-subscribe").get_by_role("button", name="Subscribe")
        ).to_be_visible()
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        entry.get_by_role("link", name="Scheduled reports").click()
        expect(page).to_have_url(f"{served.base_url}/public/changelog/{key}")
        assert visitor.errors == [] and visitor.foreign == []
    finally:
        visitor.close()

    admin = Watched(browser, served, viewport={"width": 1280, "height": 800})
    try:
        page = admin.page
        sign_in(page, crew.admin_person)
        page.goto("/changelog")
        page.get_by_role("link", name="E-mail subscribers").click()
        expect(page.get_by_test_id("changelog-subscribers")).to_contain_text("No subscribers yet.")
        expect(page.get_by_text("0 confirmed subscribers")).to_be_visible()
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        assert admin.errors == [] and admin.foreign == []
    finally:
        admin.close()
