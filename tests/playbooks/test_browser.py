"""Playbooks and onboarding in headless Chromium at 1280 px: a new PM works through the
onboarding checklist, the manager sees the progress, the playbook pages read well and
none of them scrolls sideways; editing keeps the previous version in the history."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.playbooks import onboarding, service
from pilothouse.playbooks.demo_text import LAUNCH_BODY_V1, LAUNCH_BODY_V2
from tests.support.accounts import Accounts, Person
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser
CLI = Actor.command_line()
WIDE = {"viewport": {"width": 1280, "height": 900}}


def _workspace(served: ServedApp) -> tuple[Person, Person, Person]:
    accounts = Accounts(served.runtime)
    new_pm = accounts.person(Role.viewer, email="new.pm@example.com")
    manager = accounts.person(Role.editor, email="lead@example.com")
    editor = accounts.person(Role.editor, email="ops@example.com")
    long_line = "A very long line without breaks " + "x" * 400
    with served.runtime.database.session() as session:
        playbook = service.create_playbook(
            session,
            CLI,
            {
                "title": "Launch playbook",
                "body": LAUNCH_BODY_V1 + "\n" + long_line,
                "owner": editor.email,
                "reviewed_on": date.today() - timedelta(days=400),
            },
        )
        template = onboarding.create_template(
            session,
            CLI,
            "pm",
            "PM onboarding",
            [
                {"title": "Meet your area owner"},
                {"title": "Read the launch playbook", "link": f"playbook:{playbook.id}"},
                {"title": "Run feedback triage for a week"},
            ],
        )
        onboarding.assign(session, CLI, template, new_pm.email, manager.email)
    return new_pm, manager, editor


def _no_sideways_scroll(page: object) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # type: ignore[attr-defined]


def test_working_through_an_onboarding_checklist(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    new_pm, manager, _ = _workspace(served)
    watched = Watched(browser, served, **WIDE)
    page = watched.page
    try:
        sign_in(page, new_pm)
        page.goto("/onboarding")
        mine = page.get_by_test_id("my-checklists")
        expect(mine.get_by_test_id("checklist-progress")).to_contain_text("0 of 3 steps done")
        _no_sideways_scroll(page)
        page.get_by_role("button", name="Done: Meet your area owner").click()
        expect(page.locator(".flash-success")).to_contain_text("Step done")
        expect(mine.get_by_test_id("checklist-progress")).to_contain_text("1 of 3 steps done (33%)")
        mine.get_by_role("link", name="Launch playbook").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Launch playbook")
        page.go_back()
        page.get_by_role("button", name="Done: Read the launch playbook").click()
        expect(mine.get_by_test_id("checklist-progress")).to_contain_text("2 of 3 steps done (67%)")
        page.get_by_role("button", name="Reopen Meet your area owner").click()
        expect(page.locator(".flash-success")).to_contain_text("Step reopened")
        expect(mine.get_by_test_id("checklist-progress")).to_contain_text("1 of 3 steps done")
        page.context.clear_cookies()

        sign_in(page, manager)
        page.goto("/onboarding")
        row = page.get_by_test_id("report-row")
        expect(row).to_contain_text("New.Pm")
        expect(row).to_contain_text("1/3 (33%)")
        row.get_by_role("link", name="New.Pm").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("New.Pm")
        _no_sideways_scroll(page)
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign


def test_playbook_pages_edit_history_and_search(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    _, _, editor = _workspace(served)
    watched = Watched(browser, served, **WIDE)
    page = watched.page
    try:
        sign_in(page, editor)
        page.get_by_role("link", name="Playbooks").click()
        expect(page.get_by_test_id("playbook-row")).to_contain_text("stale")
        expect(page.get_by_test_id("stale-playbooks")).to_contain_text("Launch playbook")
        _no_sideways_scroll(page)
        page.get_by_test_id("playbook-row").get_by_role("link", name="Launch playbook").click()
        expect(page.get_by_test_id("stale-flag")).to_be_visible()
        expect(page.get_by_test_id("playbook-body").locator("table")).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_role("button", name="Edit", exact=True).click()
        page.get_by_label("Text").fill(LAUNCH_BODY_V2)
        page.get_by_label("Last reviewed").fill("2999-01-01")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("[aria-invalid=true]")).to_have_count(1)  # input kept, field named
        expect(page.get_by_label("Text")).to_have_value(LAUNCH_BODY_V2)
        page.get_by_label("Last reviewed").fill(date.today().isoformat())
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".flash-success")).to_contain_text("previous version")
        expect(page.get_by_test_id("stale-flag")).to_have_count(0)
        page.get_by_role("link", name="Version 2 · history").click()
        expect(page.get_by_test_id("revision-row")).to_have_count(2)
        expect(page.get_by_test_id("playbook-diff")).to_contain_text("+## 4. Beta (Tier 1 only)")
        _no_sideways_scroll(page)
        page.goto("/playbooks?q=beta+accounts")
        expect(page.get_by_test_id("search-hit")).to_have_count(1)
    finally:
        watched.close()
    expected = "status of 422"  # the refused save above
    assert [e for e in watched.errors if expected not in e] == [], watched.errors
    assert watched.foreign == [], watched.foreign


def test_writing_and_assigning_an_onboarding_checklist(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    accounts = Accounts(served.runtime)
    editor = accounts.person(Role.editor, email="ops@example.com")
    new_pm = accounts.person(Role.viewer, email="new.designer@example.com")
    manager = accounts.person(Role.viewer, email="design.lead@example.com")
    with served.runtime.database.session() as session:
        service.create_playbook(session, CLI, {"title": "Design critique playbook"})
    watched = Watched(browser, served, **WIDE)
    page = watched.page
    try:
        sign_in(page, editor)
        page.goto("/onboarding")
        page.get_by_role("link", name="Onboarding checklists per role").click()
        form = page.get_by_test_id("template-form")
        form.get_by_label("Name").fill("Designer onboarding")
        form.get_by_label("Role").fill("Product designer")  # not a role: refused below
        form.get_by_label("Step 1 title").fill("Meet the design team")
        form.get_by_label("Step 2 title").fill("Read the critique playbook")
        form.get_by_label("Step 2 playbook").select_option(label="Design critique playbook")
        page.get_by_role("button", name="Add a step").click()  # htmx: a fourth row in place
        expect(form.get_by_test_id("step-row")).to_have_count(4)
        expect(page).to_have_url(re.compile(r"\?rows=4$"))
        _no_sideways_scroll(page)
        form.get_by_role("button", name="Create checklist").click()

        form = page.get_by_test_id("template-form")
        expect(page.get_by_test_id("form-errors")).to_contain_text("Role")
        expect(form.locator("[aria-invalid=true]")).to_have_count(1)
        expect(form.get_by_label("Role")).to_have_value("Product designer")
        expect(form.get_by_label("Name")).to_have_value("Designer onboarding")
        expect(form.get_by_label("Step 2 title")).to_have_value("Read the critique playbook")
        expect(form.get_by_label("Step 2 playbook").locator("option:checked")).to_have_text(
            "Design critique playbook"
        )
        expect(form.get_by_test_id("step-row")).to_have_count(4)
        form.get_by_label("Role").fill("designer")
        form.get_by_role("button", name="Create checklist").click()

        expect(page.locator(".flash-success")).to_contain_text("Created Designer onboarding")
        expect(page.get_by_test_id("template-step")).to_have_count(2)
        steps = page.get_by_test_id("template-steps")
        expect(steps.get_by_role("link", name="Design critique playbook")).to_have_attribute(
            "href", "/playbooks/design-critique-playbook"
        )
        _no_sideways_scroll(page)
        assign = page.get_by_test_id("assign-form")
        assign.get_by_label("Person").select_option(str(new_pm.id))
        assign.get_by_label("Manager").select_option(str(manager.id))
        assign.get_by_role("button", name="Assign").click()
        expect(page.locator(".flash-success")).to_contain_text("Assigned Designer onboarding")
        expect(page.get_by_test_id("checklist-progress")).to_contain_text("0 of 2 steps done")
        page.context.clear_cookies()

        sign_in(page, manager)
        page.goto("/onboarding")
        row = page.get_by_test_id("report-row")
        expect(row).to_contain_text("New.Designer")
        expect(row).to_contain_text("0/2 (0%)")
        expect(row.get_by_role("link", name="Designer onboarding")).to_have_attribute(
            "href", "/onboarding/templates/designer"
        )
        _no_sideways_scroll(page)
    finally:
        watched.close()
    assert [e for e in watched.errors if "status of 422" not in e] == [], watched.errors
    assert watched.foreign == [], watched.foreign
