"""The Content-Security-Policy holds in a real browser: no page of the app breaks it.

Chromium loads every main page (the same pages, with the same real data, as the
layout test), the sign-in page signed out, the API docs and the HTML export of the
voice-of-customer report. A ``securitypolicyviolation`` listener, installed before
any page script runs, records every blocked inline script, inline style, event
handler attribute or foreign resource; the test fails on any of them, and on any
console error or uncaught page error.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.accounts import Person
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp
from tests.web.test_layout_browser import pages  # noqa: F401  (the shared page list fixture)

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


#: Pages loading at once, each in its own tab of the one signed-in context. Every page is
#: still waited for until its network is idle (no request for 500 ms, Playwright's rule),
#: which is most of each page's time: tabs wait out those quiet spells together. Chromium
#: opens at most six connections to one host, below the server's eight request slots.
TABS = 4


def _violations(page: object) -> list[str]:
    found: list[str] = page.evaluate("window.__cspViolations || []")  # type: ignore[attr-defined]
    return found


def test_no_page_breaks_the_content_security_policy(
    browser: object,
    served: ServedApp,
    pages: tuple[Person, list[str]],  # noqa: F811
) -> None:
    admin, paths = pages
    today = date.today()
    report = (
        f"/api/v1/feedback/reports/voc?start={today - timedelta(days=30)}&end={today}&format=html"
    )
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    watched.context.add_init_script(RECORD_VIOLATIONS)  # type: ignore[attr-defined]
    page = watched.page
    violations: dict[str, list[str]] = {}
    try:
        page.goto("/login")  # type: ignore[attr-defined]
        violations["/login"] = _violations(page)
        sign_in(page, admin)
        tabs = [page, *(watched.new_page() for _ in range(TABS - 1))]
        everything = [*paths, "/api/v1/docs", report]
        for start in range(0, len(everything), TABS):
            loading = list(zip(tabs, everything[start : start + TABS], strict=False))
            for tab, path in loading:  # all start loading; then each is waited for whole
                response = tab.goto(path, wait_until="commit")  # type: ignore[attr-defined]
                assert response is not None and response.status == 200, path
            for tab, path in loading:
                tab.wait_for_load_state("load")  # type: ignore[attr-defined]
                tab.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
                violations[path] = _violations(tab)
    finally:
        watched.close()
    assert {p: v for p, v in violations.items() if v} == {}
    assert not [e for e in watched.errors if "Content Security Policy" in e], watched.errors
    assert watched.errors == [], watched.errors
    assert len(violations) >= 30
