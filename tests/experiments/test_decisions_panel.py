"""The experiment page's "Decisions" panel over HTTP on SQLite and PostgreSQL: decisions
about the experiment from the decision log, and "Record a decision in the log", which
opens the decision form prefilled with a link to the experiment."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts, Person, csrf_of, sign_in

API = "/api/v1"


@pytest.fixture
def editor(accounts: Accounts) -> Person:
    return accounts.person(Role.editor)


def _experiment(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    response = client.post(f"{API}/experiments", json={"name": "Annual plan test"}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_record_a_decision_from_the_experiment_page(
    client: TestClient, accounts: Accounts, editor: Person
) -> None:
    token = accounts.bearer(editor)
    experiment = _experiment(client, token)
    key, ident = experiment["key"], experiment["id"]
    sign_in(client, editor)
    page = client.get(f"/experiments/{key}")
    assert "No decisions in the log are about this experiment yet." in page.text
    new_link = f"/decisions/new?link=experiment:{ident}"
    assert f'href="{new_link}"' in page.text

    form = client.get(new_link)
    assert form.status_code == 200
    about = re.search(r'data-testid="decision-about">(.*?)</p>', form.text, re.S)
    assert about and f"{key} · Annual plan test" in about.group(1)
    assert f'name="link" value="experiment:{ident}"' in about.group(1)
    recorded = client.post(
        "/decisions",
        data={
            "csrf_token": csrf_of(client),
            "title": "Keep annual pricing",
            "status": "decided",
            "chosen_option": "Keep",
            "link": f"experiment:{ident}",
        },
        follow_redirects=False,
    )
    assert recorded.status_code == 303, recorded.text
    decision_key = recorded.headers["location"].rsplit("/", 1)[-1]
    assert f'href="/experiments/{key}"' in client.get(f"/decisions/{decision_key}").text

    # A second decision, made over the API with the experiment's key, lists first.
    later = client.post(
        f"{API}/decisions",
        json={"title": "Re-test in Q3", "links": [f"experiment:{key}"]},
        headers=token,
    )
    assert later.status_code == 201, later.text
    page = client.get(f"/experiments/{key}")
    rows = re.findall(r'data-testid="logged-decision"><a href="/decisions/([^"]+)"', page.text)
    assert rows == [later.json()["key"], decision_key]
    assert "Keep annual pricing" in page.text and "decided" in page.text

    # The link is a core link, audited with the decision as its source.
    audit = client.get(
        f"{API}/audit",
        params={"object_type": "link"},
        headers=accounts.bearer(accounts.person(Role.admin)),
    ).json()["items"]
    labels = [e["object_label"] for e in audit]
    assert sum(f"experiment:{ident}" in label for label in labels) == 2


def test_bad_prefilled_links_are_refused(client: TestClient, editor: Person) -> None:
    sign_in(client, editor)
    assert client.get("/decisions/new?link=experiment:EXP-404").status_code == 422
    assert client.get("/decisions/new?link=nonsense").status_code == 422
    assert client.get("/decisions/new?link=spaceship:3").status_code == 422
    assert 'data-testid="decision-about"' not in client.get("/decisions/new").text


def test_viewers_see_the_decisions_but_cannot_record_one(
    client: TestClient, accounts: Accounts, editor: Person
) -> None:
    token = accounts.bearer(editor)
    experiment = _experiment(client, token)
    made = client.post(
        f"{API}/decisions",
        json={
            "title": "Stop price tests in December",
            "links": [f"experiment:{experiment['key']}"],
        },
        headers=token,
    )
    assert made.status_code == 201, made.text
    sign_in(client, accounts.person(Role.viewer))
    page = client.get(f"/experiments/{experiment['key']}")
    assert page.status_code == 200
    assert f'href="/decisions/{made.json()["key"]}"' in page.text
    assert "/decisions/new?link=" not in page.text
    assert client.get(f"/decisions/new?link=experiment:{experiment['id']}").status_code == 403
    refused = client.post(
        "/decisions",
        data={
            "csrf_token": csrf_of(client),
            "title": "Sneaky",
            "link": f"experiment:{experiment['id']}",
        },
    )
    assert refused.status_code == 403
