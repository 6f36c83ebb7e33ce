"""The inbox suggests accounts as someone types, instead of listing the first 500.

Every inbox view rendered 500 accounts into a ``<datalist>`` (a third of the page's
time under ``benchmarks/load.py``), and a workspace with more accounts than that could
never be suggested the rest. The suggestions now come from the server as the person
types: by external id or name, any case, twenty at a time.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.support.accounts import Accounts, sign_in
from tests.support.browser import Watched
from tests.support.browser import sign_in as browser_sign_in
from tests.support.served_app import ServedApp

from pilothouse.accounts import service as accounts_service
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime

CLI = Actor.command_line()
NAMES = [("acme-1", "Acme Labs"), ("glx_2", "Globex Bank"), ("ini-3", "Initech 100% Health")]


def _accounts(runtime: Runtime, extra: int = 0) -> None:
    with runtime.database.session() as session:
        for external_id, name in NAMES:
            accounts_service.create_account(
                session, CLI, {"external_id": external_id, "name": name}
            )
        for n in range(extra):
            accounts_service.create_account(
                session, CLI, {"external_id": f"bulk-{n:03d}", "name": f"Bulk customer {n:03d}"}
            )


def test_suggestions_match_id_or_name_in_any_case(runtime: Runtime) -> None:
    _accounts(runtime, extra=30)
    with runtime.database.session(reading=True) as session:

        def suggest(text: str) -> list[str]:
            return [row.external_id for row in accounts_service.account_suggestions(session, text)]

        assert suggest("acme") == ["acme-1"]
        assert suggest("GLOBEX") == ["glx_2"]
        assert suggest("100%") == ["ini-3"]  # % is a character here, not a wildcard
        assert suggest("x_2") == ["glx_2"]  # and so is _
        assert suggest("glx%") == []
        assert len(suggest("bulk")) == accounts_service.SUGGESTIONS_SHOWN
        assert suggest("")[:2] == ["acme-1", "bulk-000"]  # by name when nothing is typed


def test_the_inbox_asks_for_suggestions_instead_of_listing_accounts(
    runtime: Runtime, client: TestClient, accounts: Accounts
) -> None:
    _accounts(runtime)
    sign_in(client, accounts.person(Role.viewer))
    inbox = client.get("/feedback")
    assert inbox.status_code == 200
    assert 'id="feedback-accounts"' in inbox.text
    assert "Acme Labs" not in inbox.text
    assert 'hx-get="/feedback/account-suggestions"' in inbox.text
    options = client.get("/feedback/account-suggestions", params={"account": "initech"})
    assert options.status_code == 200
    assert options.text.strip() == '<option value="ini-3">Initech 100% Health</option>'
    too_long = client.get("/feedback/account-suggestions", params={"account": "x" * 201})
    assert too_long.status_code == 422


def test_suggestions_need_a_signed_in_person(client: TestClient) -> None:
    answer = client.get("/feedback/account-suggestions", follow_redirects=False)
    assert answer.status_code in (303, 401)


@pytest.mark.browser
def test_typing_an_account_in_the_filter_suggests_it(browser: object, served: ServedApp) -> None:
    from playwright.sync_api import expect

    _accounts(served.runtime)
    viewer = Accounts(served.runtime).person(Role.viewer, email="reader@example.com")
    watched = Watched(browser, served)
    page = watched.page
    try:
        browser_sign_in(page, viewer)
        page.goto("/feedback")
        page.get_by_label("Account").fill("glob")
        options = page.locator("#feedback-accounts option")
        expect(options).to_have_count(1)
        expect(options.first).to_have_attribute("value", "glx_2")
        assert watched.errors == [], watched.errors
        assert watched.foreign == [], watched.foreign
    finally:
        watched.close()
