"""Single sign-on in real Chromium: the button, the provider's form, back signed in, out."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import Watched
from tests.support.oidc_provider import OpenIdProvider
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser


def test_sign_in_with_the_provider_and_sign_out(
    browser: object, sso: ServedApp, oidc_provider: OpenIdProvider
) -> None:
    from playwright.sync_api import expect

    watched = Watched(browser, sso)
    page = watched.page
    try:
        page.goto("/areas")
        page.wait_for_url(re.compile(r"/login"))
        page.get_by_role("button", name="Sign in with Test IdP").click()
        page.wait_for_url(re.compile(re.escape(oidc_provider.issuer) + r"/interaction/"))
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("alice-pw")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(re.escape(sso.base_url) + r"/areas$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Product areas")
        page.goto("/admin/audit")
        expect(page.get_by_test_id("audit-row").first).to_contain_text("auth.sso_signed_in")
        page.get_by_test_id("account-menu").locator("summary").click()
        page.get_by_test_id("sign-out").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sign out of the test")
        page.get_by_role("button", name="Yes, sign me out").click()  # at the provider
        page.wait_for_url(re.compile(re.escape(sso.base_url) + r"/login"))
        page.goto("/areas")
        page.wait_for_url(re.compile(r"/login"))
        assert watched.errors == []
        assert all(url.startswith(oidc_provider.issuer) for url in watched.foreign)
    finally:
        watched.close()
