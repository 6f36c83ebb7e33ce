"""No page is wider than the window at 1280 and 1440 px, and the header's menus stay on
screen: real Chromium against a served app holding real data (long names, keys, dates,
a launch, an experiment with a scorecard-less stop, a theme, a decision, a job).

Set ``PILOTHOUSE_SCREENSHOTS=/some/dir`` to keep a full-page screenshot of every page.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.feedback import service as feedback_service
from pilothouse.feedback import themes
from pilothouse.metrics.demo import copy_demo_definitions
from tests.support.accounts import Accounts, Person
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser

WIDTHS = (1280, 1440)
LONG = "Scheduled report e-mails with PDF and CSV attachments for enterprise workspaces"
EXPOSURE = {
    "kind": "event",
    "event": "Experiment Viewed",
    "experiment_property": "experiment",
    "variation_property": "variation",
}


def _post(api: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    response = api.post(f"/api/v1{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _roadmap_and_launch(api: httpx.Client, admin: Person) -> dict[str, str]:
    _post(api, "/areas", {"name": "Analytics & Reporting", "description": "Reports."})
    item = _post(
        api,
        "/roadmap/items",
        {"kind": "feature", "title": LONG, "owner_id": admin.email, "status": "in-progress"},
    )
    _post(api, "/roadmap/objectives", {"title": "Grow weekly reporting", "period": "2027-Q1"})
    stages = [
        {
            "name": "Beta",
            "offset_days": -14,
            "items": [{"title": "Beta customers signed", "owner_role": "PM", "offset_days": -30}],
            "gates": [{"name": "GA go/no-go review", "approvers": [admin.email]}],
        },
        {"name": "GA", "offset_days": 0, "items": []},
    ]
    _post(api, "/launch-templates", {"name": "Beta programme", "stages": stages})
    launch = _post(
        api,
        "/launches",
        {
            "template": "Beta programme",
            "name": LONG,
            "target_date": str(date.today() + timedelta(days=10)),
            "features": [item["key"]],
        },
    )
    return {"item": item["key"], "launch": launch["key"]}


def _experiment_and_decision(api: httpx.Client, item_key: str) -> dict[str, str]:
    body = {
        "name": "Weekly digest e-mail with a personalised summary of report usage",
        "hypothesis": "A digest brings people back.",
        "exposure": EXPOSURE,
        "metrics": [{"metric": "activation_rate", "role": "primary"}],
    }
    key = _post(api, "/experiments", body)["key"]
    _post(api, f"/experiments/{key}/start", {})
    _post(api, f"/experiments/{key}/stop", {})
    decision = _post(
        api,
        "/decisions",
        {
            "title": "Partner for ETL connectors; build only the Snowflake one ourselves",
            "status": "decided",
            "chosen_option": "Partner",
            "decided_on": "2026-05-20",
            "links": [f"roadmap_item:{item_key}"],
        },
    )
    return {"experiment": key, "decision": decision["key"]}


def _feedback(served: ServedApp) -> dict[str, str]:
    actor = Actor.command_line()
    with served.runtime.database.session() as session:
        ids = [
            feedback_service.create_feedback(
                session,
                actor,
                {
                    "text": f"The scheduled PDF export times out for our 40-page board pack ({n}).",
                    "author_email": "finance.lead@globex.example",
                    "source_kind": "support_ticket",
                    "source_name": "zendesk",
                },
            ).id
            for n in range(6)
        ]
        theme = themes.create_theme(session, actor, label="PDF exports time out")
        themes.move_items(session, actor, ids, theme)
    return {"theme": str(theme), "feedback": str(ids[0])}


@pytest.fixture
def pages(served: ServedApp) -> tuple[Person, list[str]]:
    """An admin, the data above, and every main page's path."""
    copy_demo_definitions(served.runtime.settings.effective_metrics_path)
    accounts = Accounts(served.runtime)
    admin = accounts.person(Role.admin, email="morgan.reyes@example.com")
    with httpx.Client(base_url=served.base_url, headers=accounts.bearer(admin)) as api:
        keys = _roadmap_and_launch(api, admin)
        keys |= _experiment_and_decision(api, keys["item"])
    keys |= _feedback(served)
    return admin, [
        "/",
        "/metrics",
        "/metrics/activation_rate",
        "/metrics/activation_rate?grain=week&compare=true",
        "/experiments",
        f"/experiments/{keys['experiment']}",
        "/feedback",
        "/feedback/themes",
        f"/feedback/themes/{keys['theme']}",
        f"/feedback/items/{keys['feedback']}",
        "/feedback/reports",
        "/roadmap",
        "/roadmap/board",
        "/roadmap/timeline",
        "/roadmap/table",
        "/roadmap/objectives",
        f"/roadmap/items/{keys['item']}",
        "/launches",
        "/launches/calendar",
        "/launches/templates",
        f"/launches/{keys['launch']}",
        "/changelog",
        "/decisions",
        f"/decisions/{keys['decision']}",
        "/jobs",
        "/areas",
        "/admin/users",
        "/admin/audit",
        "/admin/settings",
        "/account/tokens",
        "/account/password",
    ]


#: The right edge of the page's widest element and of the header's last menu.
MEASURE = """() => {
  const menus = [...document.querySelectorAll('header.app-header nav > ul > li')];
  const last = menus[menus.length - 1];
  return {
    scrollWidth: document.documentElement.scrollWidth,
    headerRight: Math.max(...menus.map((li) => li.getBoundingClientRect().right)),
    lastMenuRight: last ? last.getBoundingClientRect().right : -1,
    innerWidth: window.innerWidth,
  };
}"""


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_window(
    browser: object, served: ServedApp, pages: tuple[Person, list[str]], width: int
) -> None:
    admin, paths = pages
    shots = os.environ.get("PILOTHOUSE_SCREENSHOTS")
    watched = Watched(browser, served, viewport={"width": width, "height": 900})
    page = watched.page
    too_wide = []
    try:
        sign_in(page, admin)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            size = page.evaluate(MEASURE)
            if size["scrollWidth"] > width or size["headerRight"] > size["innerWidth"]:
                too_wide.append((path, size))
            assert size["lastMenuRight"] > 0, f"{path}: no account menu in the header"
            if shots:
                page.screenshot(
                    path=str(Path(shots) / f"{_slug(path)}-{width}.png"), full_page=True
                )
    finally:
        watched.close()
    assert too_wide == [], too_wide
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign


def test_header_menus_work_from_the_keyboard(
    browser: object, served: ServedApp, pages: tuple[Person, list[str]]
) -> None:
    from playwright.sync_api import expect

    admin, _paths = pages
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    page = watched.page
    try:
        sign_in(page, admin)
        page.goto("/admin/audit")
        workspace = page.get_by_test_id("workspace-menu")
        expect(workspace.locator("summary")).to_have_class("app-menu-current")
        workspace.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(workspace).to_have_attribute("open", "")
        expect(workspace.get_by_role("link", name="Audit log")).to_have_attribute(
            "aria-current", "page"
        )
        page.keyboard.press("Escape")
        expect(workspace).not_to_have_attribute("open", "")
        expect(workspace.locator("summary")).to_be_focused()
        page.keyboard.press("Tab")  # on to the account menu
        page.keyboard.press("Enter")
        account = page.get_by_test_id("account-menu")
        expect(account).to_have_attribute("open", "")
        expect(account).to_contain_text("morgan.reyes@example.com")
        page.keyboard.press("Tab")
        expect(account.get_by_role("link", name="API tokens")).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/account/tokens$"))
        expect(page.get_by_test_id("account-menu").locator("summary")).to_have_class(
            "app-menu-current"
        )
        page.goto("/feedback/themes")
        expect(page.get_by_role("link", name="Feedback", exact=True)).to_have_attribute(
            "aria-current", "page"
        )
    finally:
        watched.close()
    assert watched.errors == [], watched.errors


#: Computed styles the layout promises: no bullets in link rows, buttons as wide as their
#: label outside narrow forms, keys and dates on one line.
STYLES = """() => {
  const style = (selector, property) => {
    const element = document.querySelector(selector);
    return element ? getComputedStyle(element)[property] : null;
  };
  const width = (selector) => {
    const element = document.querySelector(selector);
    return element ? element.getBoundingClientRect().width : null;
  };
  return {
    tabBullet: style('.status-tabs li', 'listStyleType'),
    submitWidth: width('main form:not(.narrow form) button[type=submit]'),
    keyWrap: style('td.key', 'whiteSpace'),
    timeWrap: style('time', 'whiteSpace'),
  };
}"""


def test_link_rows_buttons_keys_and_dates(
    browser: object, served: ServedApp, pages: tuple[Person, list[str]]
) -> None:
    admin, _paths = pages
    watched = Watched(browser, served, viewport={"width": 1280, "height": 900})
    page = watched.page
    try:
        sign_in(page, admin)
        page.goto("/jobs")
        assert page.evaluate(STYLES)["tabBullet"] == "none"
        page.goto("/launches")
        launches = page.evaluate(STYLES)
        assert launches["keyWrap"] == "nowrap"
        assert 0 < launches["submitWidth"] < 200, launches  # "Filter", not the whole row
        page.goto("/admin/audit")
        assert page.evaluate(STYLES)["timeWrap"] == "nowrap"
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
