"""The tool pages through the real app: the inventory with its findings and chart, the
form that keeps input on a refusal, the upload → preview → confirm flow, and roles."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts, sign_in
from tests.tools.helpers import count_tools, tool_csv


def test_upload_preview_confirm_and_the_inventory(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    editor = accounts.person(Role.editor)
    csrf = sign_in(client, editor)
    content = tool_csv(editor.email)
    files = {"file": ("finance.csv", content.encode(), "text/csv")}
    preview = client.post(
        "/tools/import", data={"csrf_token": csrf, "action": "preview"}, files=files
    )
    assert preview.status_code == 200 and 'data-testid="tools-preview"' in preview.text
    assert "3 new, 0 updated" in preview.text and count_tools(runtime) == 0
    carried = re.search(r'name="content" value="([^"]*)"', preview.text)
    assert carried
    import html

    done = client.post(
        "/tools/import",
        data={"csrf_token": csrf, "action": "import", "content": html.unescape(carried.group(1))},
        follow_redirects=False,
    )
    assert done.status_code == 303 and count_tools(runtime) == 3
    page = client.get("/tools").text
    assert "Renewals inside their notice period" in page and 'href="/tools/amplitude"' in page
    assert "<svg" in page
    assert "USD 18,000" in page and "EUR 1,201" in page
    assert f'href="/tools?person={editor.email.replace("@", "%40")}"' in page
    detail = client.get("/tools/amplitude").text
    assert 'data-testid="tool-renewal-due"' in detail and "FullStory" in detail
    assert client.get(f"/tools?person={editor.email}").text.count('data-testid="tool-row"') == 2


def test_a_bad_upload_shows_every_problem_and_stores_nothing(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    bad = "name,category,cost,currency\nA,crm,1,USD\nB,analytics,-2,USD\n"
    files = {"file": ("bad.csv", bad.encode(), "text/csv")}
    preview = client.post("/tools/import", data={"csrf_token": csrf}, files=files)
    assert "row 2, category: unknown value" in preview.text
    assert "row 3, cost: must not be negative" in preview.text
    assert 'data-testid="tools-confirm"' not in preview.text
    forced = client.post(
        "/tools/import",
        data={"csrf_token": csrf, "action": "import", "content": bad},
        headers={"referer": "http://testserver/tools/import"},
    )
    assert forced.status_code == 422 and count_tools(runtime) == 0
    assert "row 3, cost: must not be negative" in forced.text


def test_the_form_keeps_input_on_a_refusal(client: TestClient, accounts: Accounts) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    refused = client.post(
        "/tools",
        data={
            "csrf_token": csrf,
            "name": "Loom",
            "category": "communication",
            "cost": "-9",
            "currency": "USD",
            "data_held": "Screen recordings",
        },
        headers={"referer": "http://testserver/tools/new"},
    )
    assert refused.status_code == 422
    assert 'value="Loom"' in refused.text and 'value="Screen recordings"' in refused.text
    assert "must not be negative" in refused.text


def test_viewers_read_but_do_not_see_or_reach_the_forms(
    client: TestClient, accounts: Accounts
) -> None:
    sign_in(client, accounts.person(Role.viewer))
    page = client.get("/tools")
    assert page.status_code == 200 and "Add a tool" not in page.text
    assert client.get("/tools/new").status_code == 403
    assert client.get("/tools/import").status_code == 403
