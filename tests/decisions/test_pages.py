"""The decision pages through the real app: list and search, the form, the detail page with
its history, decide and supersede from the page, and roles."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts, sign_in


def test_form_detail_history_and_actions(client: TestClient, accounts: Accounts) -> None:
    editor = accounts.person(Role.editor)
    csrf = sign_in(client, editor)
    assert client.get("/decisions/new").status_code == 200
    created = client.post(
        "/decisions",
        data={
            "csrf_token": csrf,
            "title": "Sunset the legacy API",
            "context": "Usage is **down** <script>alert(1)</script>",
            "option_name": ["Sunset in Q3", "Keep it", ""],
            "option_pros": ["Less upkeep", "", ""],
            "option_cons": ["Some churn", "", ""],
            "tags": "api, platform",
            "consulted": editor.email,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/decisions/DEC-1"
    page = client.get("/decisions/DEC-1").text
    assert "<strong>down</strong>" in page and "<script>alert(1)" not in page
    assert "Sunset in Q3" in page and "Less upkeep" in page
    edited = client.post(
        "/decisions/DEC-1/edit",
        data={
            "csrf_token": csrf,
            "version": "1",
            "title": "Sunset the legacy API in Q3",
            "option_name": ["Sunset in Q3", "Keep it"],
            "option_pros": ["Less upkeep", ""],
            "option_cons": ["Some churn", ""],
            "tags": "api",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    decided = client.post(
        "/decisions/DEC-1/decide",
        data={"csrf_token": csrf, "chosen_option": "Sunset in Q3", "rationale": "Cost"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    page = client.get("/decisions/DEC-1").text
    assert len(re.findall(r'data-testid="revision"', page)) == 3
    assert "Sunset the legacy API in Q3" in page and "decided" in page
    client.post("/decisions", data={"csrf_token": csrf, "title": "Keep the legacy API"})
    client.post("/decisions/DEC-1/supersede", data={"csrf_token": csrf, "by": "DEC-2"})
    assert 'data-testid="superseded-by"' in client.get("/decisions/DEC-1").text
    listing = client.get("/decisions", params={"q": "legacy", "status": "superseded"}).text
    assert listing.count('data-testid="decision-row"') == 1 and "DEC-1" in listing
    refused = client.post(
        "/decisions/DEC-1/links",
        data={"csrf_token": csrf, "to_type": "roadmap_item", "to_id": "FEAT-99"},
        headers={"referer": "http://testserver/decisions/DEC-1"},
        follow_redirects=False,
    )
    # back on the page, the link form showing the reason and what was typed (web/forms.py)
    assert refused.status_code == 422
    assert "no roadmap item" in refused.text and 'value="FEAT-99"' in refused.text


def test_viewers_read_but_cannot_write(client: TestClient, accounts: Accounts) -> None:
    csrf = sign_in(client, accounts.person(Role.viewer))
    assert client.get("/decisions").status_code == 200
    assert "Record a decision" not in client.get("/decisions").text
    assert client.get("/decisions/new").status_code == 403
    posted = client.post("/decisions", data={"csrf_token": csrf, "title": "Nope"})
    assert posted.status_code == 403
