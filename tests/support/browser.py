"""Shared fixtures for browser tests: Debian's Chromium driven by Playwright, a page that
records console errors and any request leaving the machine, and signing in.

The ``browser`` fixture is registered in ``tests/conftest.py`` (one Chromium per session);
a domain's browser test imports ``Watched`` and ``sign_in`` and marks its module
``pytest.mark.browser``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.accounts import Person
from tests.support.served_app import ServedApp

__all__ = ["CHROMIUM", "Watched", "browser", "sign_in"]

CHROMIUM = os.environ.get("PILOTHOUSE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class Watched:
    """A page that records console errors and every request that leaves the server."""

    def __init__(self, browser: object, served: ServedApp, **context_args: object) -> None:
        self.context = browser.new_context(base_url=served.base_url, **context_args)  # type: ignore[attr-defined]
        self.base_url = served.base_url
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page = self.new_page()

    def new_page(self) -> object:
        """Another tab in the same context (signed in alike), watched like the first."""
        page = self.context.new_page()  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(self.base_url) or r.url.startswith("data:")
                else self.foreign.append(r.url)
            ),
        )
        return page

    def close(self) -> None:
        self.context.close()


def sign_in(page: object, person: Person) -> None:
    page.goto("/")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/login"))  # type: ignore[attr-defined]
    page.get_by_label("E-mail").fill(person.email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(person.password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/$"))  # type: ignore[attr-defined]
