"""The UI in real headless Chromium (Debian's, driven by Playwright) against a served app.

Sign in, navigate, create a product area, find it in the audit log, sign out; the
same at phone width; and no page asks for anything outside the machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pilothouse.core.models import Role
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def test_sign_in_create_area_audit_sign_out(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    admin = Accounts(served.runtime).person(Role.admin, email="ops.lead@example.com")
    watched = Watched(browser, served)
    page = watched.page
    try:
        sign_in(page, admin)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
        page.get_by_test_id("workspace-menu").locator("summary").click()
        page.get_by_role("link", name="Product areas").click()
        page.get_by_label("Name").fill("Search & Discovery")
        page.get_by_label("Description").fill("Finding things in the product.")
        page.get_by_role("button", name="Create product area").click()
        expect(page.locator(".flash-success")).to_contain_text("Search & Discovery")
        expect(page.get_by_test_id("area-row")).to_contain_text("Search & Discovery")
        page.get_by_test_id("workspace-menu").locator("summary").click()
        page.get_by_role("link", name="Audit log").click()
        row = page.get_by_test_id("audit-row").first
        expect(row).to_contain_text("product_area.created")
        expect(row).to_contain_text("Search & Discovery")
        expect(row).to_contain_text("ops.lead@example.com")
        page.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
        page.get_by_test_id("account-menu").locator("summary").click()
        page.get_by_test_id("sign-out").click()
        page.wait_for_url(re.compile(r"/login"))
        page.goto("/areas")
        page.wait_for_url(re.compile(r"/login\?next="))
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign


#: The elements outside any scrolling box whose right edge passes the window's, widest
#: first (for the message).
WIDEST_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true; }
    return false; };
  return [...document.querySelectorAll('body *')].filter(e => !scrolls(e))
    .map(e => [e.getBoundingClientRect().right, e.tagName.toLowerCase() + (e.className ?
      '.' + String(e.className).split(' ').join('.') : ''), (e.textContent || '').slice(0, 40)])
    .filter(([right]) => right > width).sort((a, b) => b[0] - a[0]).slice(0, 5); }"""


def test_phone_width_has_no_sideways_scroll(browser: object, served: ServedApp) -> None:
    # A long first name: the account menu must shorten it, not push the menus off screen.
    long_name = "maximiliana-wolfensberger@example.com"
    admin = Accounts(served.runtime).person(Role.admin, email=long_name)
    watched = Watched(browser, served, viewport={"width": 375, "height": 740})
    page = watched.page
    try:
        sign_in(page, admin)
        for path in ("/", "/areas", "/admin/users", "/admin/audit", "/account/tokens"):
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, (
                f"{path} scrolls sideways by {overflow}px at phone width; widest: "
                f"{page.evaluate(WIDEST_ELEMENTS)}"
            )
            assert page.get_by_role("link", name="Metrics").is_visible()
            assert page.get_by_test_id("account-menu").is_visible()
    finally:
        watched.close()
    assert watched.errors == [], watched.errors


def test_api_docs_page_works_offline(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    watched = Watched(browser, served)
    page = watched.page
    try:
        page.goto("/api/v1/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Pilothouse")
        # Swagger UI virtualises long operation lists (no tag sections then), so look for
        # an operation block, which both layouts render.
        expect(page.locator(".opblock").first).to_be_visible()
    finally:
        watched.close()
    assert watched.foreign == [], watched.foreign
    assert not [e for e in watched.errors if "Content Security Policy" in e], watched.errors
