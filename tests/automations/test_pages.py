"""Automation pages over the in-process client: the form, refusals, test fire, the log."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pilothouse.automations import rules
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver
from tests.support.accounts import Accounts, sign_in


def form(csrf: str, url: str, **extra: str) -> dict[str, str | list[str]]:
    return {
        "csrf_token": csrf,
        "name": "New features to chat",
        "trigger": "roadmap_item.created",
        "description": "",
        "enabled": "on",
        "conditions[0].field": "kind",
        "conditions[0].op": "eq",
        "conditions[0].value": "feature",
        "conditions[1].field": "",
        "conditions[1].op": "eq",
        "conditions[1].value": "",
        "actions[0].kind": "webhook",
        "actions[0].url": url,
        "actions[0].format": "slack",
        **extra,
    }


def test_create_test_fire_and_log_through_the_pages(
    client: TestClient, accounts: Accounts, runtime: Runtime, receiver: Receiver
) -> None:
    allow_private(runtime)
    csrf = sign_in(client, accounts.person(Role.editor))
    assert "New rule" in client.get("/automations").text
    assert 'name="csrf_token"' in client.get("/automations/new").text

    created = client.post("/automations", data=form(csrf, receiver.url), follow_redirects=False)
    assert created.status_code == 303, created.text
    rule_path = created.headers["location"]
    page = client.get(rule_path).text
    assert "New features to chat" in page and "whsec_" in page

    fired = client.post(f"{rule_path}/test", data={"csrf_token": csrf})
    assert fired.status_code == 200
    assert "a sample" in fired.text and "succeeded" in fired.text
    assert len(receiver.received) == 1

    log = client.get("/automations/deliveries").text
    assert "New features to chat" in log and "200" in log
    delivery_id = re.search(r"/automations/deliveries/(\d+)", log)
    assert delivery_id
    detail = client.get(f"/automations/deliveries/{delivery_id.group(1)}").text
    assert "msg_test." in detail


def test_a_refused_form_names_the_field_and_creates_nothing(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    allow_private(runtime)
    csrf = sign_in(client, accounts.person(Role.editor))
    bad = form(csrf, "http://127.0.0.1:9/h", **{"conditions[0].field": "colour"})
    refused = client.post(
        "/automations", data=bad, headers={"referer": "http://testserver/automations/new"}
    )
    assert refused.status_code == 422
    assert "unknown field &#39;colour&#39;" in refused.text
    with runtime.database.session() as session:
        assert rules.list_rules(session) == []


def test_viewers_see_rules_but_no_secret_or_buttons(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    allow_private(runtime)
    editor_csrf = sign_in(client, accounts.person(Role.editor))
    client.post("/automations", data=form(editor_csrf, "http://127.0.0.1:9/h"))
    client.cookies.clear()
    sign_in(client, accounts.person(Role.viewer))
    listed = client.get("/automations").text
    assert "New features to chat" in listed and "New rule" not in listed
    with runtime.database.session() as session:
        rule_id = rules.find_rule(session, "New features to chat").id
    page = client.get(f"/automations/{rule_id}").text
    assert "whsec_" not in page and "Test fire" not in page
    assert client.get("/automations/new").status_code == 403


def test_event_descriptions_show_field_names_as_code_not_markup(
    client: TestClient, accounts: Accounts
) -> None:
    """The catalogue's texts name fields as ``status`` (reST); pages show <code>status</code>,
    the API `status`, and neither shows the doubled backticks."""
    editor = accounts.person(Role.editor)
    sign_in(client, editor)
    form_page = client.get("/automations/new").text
    assert "``" not in form_page
    assert "(<code>before.status</code> → <code>status</code>)" in form_page
    catalogue = client.get("/api/v1/automations/events", headers=accounts.bearer(editor)).json()
    [changed] = [t for t in catalogue if t["name"] == "roadmap_item.status_changed"]
    assert changed["description"].endswith("(`before.status` → `status`).")
