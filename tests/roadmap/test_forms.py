"""Roadmap item, objective and key-result forms over HTTP: they create and change through the
services (audited), and a refused post comes back as the form with status 422, the typed
values and the error beside its field, with nothing stored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from tests.roadmap.helpers import API, Team, write_metric_catalog
from tests.support.accounts import Accounts, sign_in


@pytest.fixture
def editor(client: TestClient, accounts: Accounts) -> str:
    return sign_in(client, accounts.person(Role.editor))


def post_form(client: TestClient, path: str, referer: str, data: dict[str, Any]) -> Any:
    return client.post(
        path, data=data, headers={"referer": f"http://testserver{referer}"}, follow_redirects=False
    )


def error_beside(html: str, name: str) -> str:
    """The message shown right after the field called ``name`` (its aria-describedby note)."""
    field = re.search(rf'<(?:input|select|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert field, f"no field {name}"
    assert 'aria-invalid="true"' in field.group(0), field.group(0)
    described = re.search(r'aria-describedby="([^" ]+)', field.group(0))
    assert described
    note = re.search(rf'<small class="field-error" id="{described.group(1)}"[^>]*>([^<]*)<', html)
    assert note, "no error note"
    return note.group(1)


def test_create_and_edit_an_item_through_the_form(
    client: TestClient, team: Team, editor: str, runtime: Runtime
) -> None:
    initiative = team.item(kind="initiative", title="Self-serve analytics")
    assert client.get("/roadmap/items/new").status_code == 200
    created = post_form(
        client,
        "/roadmap/items",
        "/roadmap/items/new",
        {
            "csrf_token": editor,
            "kind": "feature",
            "title": "Scheduled e-mails",
            "parent": initiative["key"],
            "tags": "reporting, email",
            "reach": "1000",
            "effort": "2",
            "target_quarter": "2026-Q3",
        },
    )
    assert created.status_code == 303, created.text
    key = created.headers["location"].rsplit("/", 1)[-1]
    item = team.get(f"/items/{key}")
    assert (item["title"], item["parent"], item["reach"]) == ("Scheduled e-mails", "INIT-1", 1000)
    assert sorted(item["tags"]) == ["email", "reporting"]
    page = client.get(f"/roadmap/items/{key}").text
    assert f'href="/roadmap/items/{key}/edit"' in page
    form = client.get(f"/roadmap/items/{key}/edit").text
    assert 'value="Scheduled e-mails"' in form and 'value="1000"' in form
    edited = post_form(
        client,
        f"/roadmap/items/{key}/edit",
        f"/roadmap/items/{key}/edit",
        {"csrf_token": editor, "kind": "feature", "title": "Scheduled reports", "effort": "4"},
    )
    assert edited.status_code == 303
    assert team.get(f"/items/{key}")["title"] == "Scheduled reports"
    assert team.get(f"/items/{key}")["effort"] == 4
    with runtime.database.session() as session:
        actions = session.scalars(
            select(Event.action).where(Event.object_type == "roadmap_item")
        ).all()
    assert [str(a) for a in actions].count("updated") == 1


def test_a_refused_item_form_keeps_the_typed_values(
    client: TestClient, team: Team, editor: str
) -> None:
    typed = {
        "csrf_token": editor,
        "kind": "feature",
        "title": "Bulk edit",
        "description": "Edit many rows at once",
        "effort": "0",
        "target_quarter": "next spring",
    }
    refused = post_form(client, "/roadmap/items", "/roadmap/items/new", typed)
    assert refused.status_code == 422
    html = refused.text
    assert 'value="Bulk edit"' in html and ">Edit many rows at once</textarea>" in html
    assert 'data-testid="form-errors"' in html
    assert "quarter" in error_beside(html, "target_quarter")
    assert team.get("/items")["items"] == []  # nothing stored
    zero = post_form(client, "/roadmap/items", "/roadmap/items/new", typed | {"target_quarter": ""})
    assert zero.status_code == 422
    assert "greater than zero" in error_beside(zero.text, "effort")
    assert 'name="effort" value="0"' in zero.text.replace('step="any" min="0" ', "")
    assert team.get("/items")["items"] == []


def test_a_viewer_gets_no_form(client: TestClient, accounts: Accounts) -> None:
    sign_in(client, accounts.person(Role.viewer))
    assert client.get("/roadmap/items/new").status_code == 403
    assert 'data-testid="new-item"' not in client.get("/roadmap/table").text


def test_objective_and_key_result_forms(
    client: TestClient, team: Team, editor: str, runtime: Runtime
) -> None:
    write_metric_catalog(runtime)
    created = post_form(
        client,
        "/roadmap/objectives",
        "/roadmap/objectives/new",
        {"csrf_token": editor, "title": "Activate", "period": "2026-Q3", "status": "active"},
    )
    assert created.status_code == 303
    objective = team.get("/objectives")["items"][0]
    kr_path = f"/roadmap/objectives/{objective['key']}/key-results"
    typed = {
        "csrf_token": editor,
        "title": "Activation to 70%",
        "metric_slug": "activation_rat",
        "target_value": "70",
        "unit": "%",
    }
    refused = post_form(client, kr_path, f"{kr_path}/new", typed)
    assert refused.status_code == 422
    assert 'value="activation_rat"' in refused.text and 'value="Activation to 70%"' in refused.text
    assert "did you mean &#39;activation_rate&#39;" in error_beside(refused.text, "metric_slug")
    assert team.get("/objectives")["items"][0]["key_results"] == []
    added = post_form(client, kr_path, f"{kr_path}/new", typed | {"metric_slug": "activation-rate"})
    assert added.status_code == 303
    kr = team.get("/objectives")["items"][0]["key_results"][0]
    assert kr["metric_slug"] == "activation_rate"
    page = client.get("/roadmap/objectives").text
    assert '<a href="/metrics/activation_rate">Activation rate</a>' in page
    edit = post_form(
        client,
        f"/roadmap/key-results/{kr['id']}/edit",
        f"/roadmap/key-results/{kr['id']}/edit",
        {"csrf_token": editor, "title": "Activation", "target_value": "abc", "metric_slug": ""},
    )
    assert edit.status_code == 422 and "a number expected" in error_beside(
        edit.text, "target_value"
    )
    assert 'value="abc"' in edit.text
    assert team.get("/objectives")["items"][0]["key_results"][0]["target_value"] == 70


def test_key_results_show_the_measured_value_rounded(
    client: TestClient, team: Team, editor: str, runtime: Runtime
) -> None:
    from tests.roadmap.test_key_result_metrics import write_catalog

    write_catalog(runtime)  # 2 of 3 sign-ups activated
    team.client.post(
        f"{API}/objectives",
        json={
            "title": "Activate",
            "key_results": [
                {"title": "Rate", "metric_slug": "activation_rate", "target_value": 70},
                {"title": "Sign-ups", "metric_slug": "signups", "target_value": 10},
            ],
        },
        headers=team.editor,
    )
    del editor
    cells = re.findall(r'data-testid="kr-current">([^<]*)<', client.get("/roadmap/objectives").text)
    assert [c.strip() for c in cells] == ["66.7%", "3"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "must be greater than zero (the score divides by it)"),
        ("-2", "must be greater than zero"),
        ("abc", "a number expected, got &#39;abc&#39;"),
    ],
)
def test_the_ranked_table_refuses_a_bad_effort_in_its_cell(
    client: TestClient, team: Team, editor: str, typed: str, message: str
) -> None:
    team.item(kind="feature", title="Bulk edit", reach=1000, impact=2, confidence=80, effort=4)
    team.item(kind="feature", title="Dark mode", reach=500, impact=1, confidence=100, effort=1)
    query = "columns=key&columns=effort&columns=score&formula=rice"
    refused = client.post(
        f"/roadmap/table/items/FEAT-1?{query}",
        data={"effort": typed},
        headers={"X-CSRF-Token": editor, "HX-Request": "true"},
    )
    assert refused.status_code == 422
    row = re.search(r'data-key="FEAT-1">(.*?)</tr>', refused.text, re.S)
    assert row, refused.text
    cell = re.search(
        r'<input[^>]*name="effort"[^>]*>\s*<small class="cell-error"[^>]*>([^<]*)<', row.group(1)
    )
    assert cell, row.group(1)  # the message sits right after the box, in the same cell
    assert f'value="{typed}"' in cell.group(0) and 'aria-invalid="true"' in cell.group(0)
    assert message in cell.group(1) and "(still 4)" in cell.group(1)
    other = re.search(r'data-key="FEAT-2">(.*?)</tr>', refused.text, re.S)
    assert other and "cell-error" not in other.group(1)  # not on another row
    assert team.get("/items/FEAT-1")["effort"] == 4  # nothing saved
