"""Forms never lose input: for every create/edit form of the app, a post the server refuses
comes back as the form page with status 422, the typed values in place, the error right
beside its field (aria-invalid, aria-describedby), a summary linking to the field, and
nothing stored. The mechanism is web/forms.py; its HTML editing is checked directly too."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.web.form_html import FieldProblem, patch_form
from tests.support.accounts import Accounts, sign_in


def post(client: TestClient, action: str, page: str, data: dict[str, Any]) -> Any:
    return client.post(
        action, data=data, headers={"referer": f"http://testserver{page}"}, follow_redirects=False
    )


def error_beside(html: str, name: str) -> str:
    """The message right after the field ``name``, found through its aria-describedby."""
    found = re.search(rf'<(?:input|select|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, f"no field {name}"
    tag = found.group(0)
    assert 'aria-invalid="true"' in tag, tag
    described = re.search(r'aria-describedby="([^" ]+)', tag)
    assert described, tag
    rest = html[found.end() :]
    note = re.search(rf'<small class="field-error" id="{described.group(1)}"[^>]*>([^<]*)<', rest)
    assert note, f"no message after {name}"
    between = rest[: note.start()]
    assert "<input" not in between and "<label" not in between, "message is not beside its field"
    field_id = re.search(r'\bid="([^"]+)"', tag)
    assert field_id and f'href="#{field_id.group(1)}"' in html  # the summary links to it
    return note.group(1)


@dataclass
class Case:
    """One form: where it is, what is posted, which field is wrong, what must survive."""

    page: str
    action: str
    data: dict[str, str]
    field: str
    kept: list[str]
    setup: Callable[[TestClient, str], None] | None = None
    role: Role = Role.admin
    stored: tuple[str, str] = ("", "")  # (page, text that must not appear after the refusal)
    extra: dict[str, str] = field(default_factory=dict)


def _area(client: TestClient, csrf: str) -> None:
    assert post(client, "/areas", "/areas", {"csrf_token": csrf, "name": "Search"}).status_code
    assert client.get("/areas/search").status_code == 200


def _launch_template(client: TestClient, csrf: str) -> None:
    stages = "stage Beta (-14)\nstage GA (0)\n"
    data = {"csrf_token": csrf, "name": "Standard", "stages_text": stages}
    assert post(client, "/launches/templates", "/launches/templates", data).status_code == 303


def _decision(client: TestClient, csrf: str) -> None:
    data = {"csrf_token": csrf, "title": "Price per seat", "context": "Sales ask"}
    assert post(client, "/decisions", "/decisions/new", data).status_code == 303


CASES = {
    "area": Case(
        "/areas",
        "/areas",
        {"name": "", "description": "Search and filters"},
        "name",
        [">Search and filters</textarea>"],
    ),
    "area-edit": Case(
        "/areas/search",
        "/areas/search",
        {"name": "", "description": "Typed description"},
        "name",
        [">Typed description</textarea>"],
        setup=_area,
    ),
    "user": Case(
        "/admin/users",
        "/admin/users",
        {"name": "Ann Lee", "email": "not-an-email", "role": "editor", "password": "x" * 16},
        "email",
        ['value="Ann Lee"', 'value="not-an-email"'],
        stored=("/admin/users", "Ann Lee"),
    ),
    "token": Case(
        "/account/tokens",
        "/account/tokens",
        {"name": "n" * 201, "scope": "read"},
        "name",
        [f'value="{"n" * 201}"'],
    ),
    "feedback": Case(
        "/feedback",
        "/feedback",
        {"text": "Export to Excel please", "customer_email": "bad-email"},
        "customer_email",
        [">Export to Excel please</textarea>", 'value="bad-email"'],
        stored=("/feedback", "Export to Excel please</a>"),
    ),
    "experiment": Case(
        "/experiments",
        "/experiments",
        {"name": "Checkout copy", "hypothesis": "Shorter copy converts", "primary_metric": "nope"},
        "primary_metric",
        ['value="Checkout copy"', "Shorter copy converts"],
        stored=("/experiments", "Checkout copy</a>"),
    ),
    "experiment-template": Case(
        "/experiments/templates",
        "/experiments/templates",
        {"name": "", "description": "Pricing tests"},
        "name",
        ['value="Pricing tests"'],
    ),
    "launch": Case(
        "/launches",
        "/launches",
        {"template": "1", "name": "Excel export", "target_date": "2026-13-45"},
        "target_date",
        ['value="Excel export"', 'value="2026-13-45"'],
        setup=_launch_template,
        stored=("/launches", "Excel export</a>"),
    ),
    "launch-template": Case(
        "/launches/templates",
        "/launches/templates",
        {"name": "", "description": "For big launches", "stages_text": "Beta"},
        "name",
        ['value="For big launches"', ">Beta</textarea>"],
    ),
    "decision": Case(
        "/decisions/new",
        "/decisions",
        {"title": "", "context": "Sales keep asking"},
        "title",
        [">Sales keep asking</textarea>"],
    ),
    "decision-edit": Case(
        "/decisions/DEC-1/edit",
        "/decisions/DEC-1/edit",
        {"title": "", "context": "Changed context", "version": "1"},
        "title",
        [">Changed context</textarea>"],
        setup=_decision,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_refused_form_keeps_the_values_and_shows_the_error_beside_the_field(
    client: TestClient, accounts: Accounts, name: str
) -> None:
    case = CASES[name]
    csrf = sign_in(client, accounts.person(case.role))
    if case.setup:
        case.setup(client, csrf)
    before = client.get(case.page)
    assert before.status_code == 200
    refused = post(client, case.action, case.page, {"csrf_token": csrf, **case.data})
    assert refused.status_code == 422, refused.text[:2000]
    html = refused.text
    assert 'data-testid="form-errors"' in html and 'role="alert"' in html
    assert error_beside(html, case.field)
    for text in case.kept:
        assert text in html, text
    page, text = case.stored
    if page:
        assert text not in client.get(page).text  # nothing stored


def test_without_a_known_form_page_the_reason_still_reaches_the_person(
    client: TestClient, accounts: Accounts
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    blind = client.post("/areas", data={"csrf_token": csrf, "name": ""}, follow_redirects=False)
    assert blind.status_code == 422 and "name" in blind.text  # the plain error page


PAGE = """<html><body>
<details><summary>New</summary>
<form method="post" action="/things?x=1">
  <input type="hidden" name="csrf_token" value="fresh">
  <label>Name <input name="name" value="old"></label>
  <label>Secret <input type="password" name="secret"></label>
  <label>Kind <select name="kind"><option value="a" selected>A</option>
    <option>b</option></select></label>
  <label><input type="checkbox" name="flag" value="on" checked> Flag</label>
  <label>Notes <textarea name="notes">old</textarea></label>
  <button type="submit">Save</button>
</form></details>
<form method="post" action="/other"><input name="name" value="untouched"></form>
</body></html>"""


def test_patch_form_refills_only_the_posted_form_and_opens_its_details() -> None:
    values = {"name": ['Café "<b>"'], "secret": ["hunter2"], "kind": ["b"], "notes": ["x < y"]}
    problems = [FieldProblem("owner_id", "no such person"), FieldProblem("name", "too long")]
    html = patch_form(PAGE, "/things", values, problems, "name: too long")
    assert html is not None
    assert 'value="Café &#34;&lt;b&gt;&#34;"' in html
    assert 'name="secret">' in html and "hunter2" not in html  # secrets are never echoed
    assert '<option value="b" selected>' not in html  # "b" has no value attribute: by text
    assert "<option selected>b</option>" in html and '<option value="a">A' in html
    assert 'name="flag" value="on">' in html  # unchecked: the box was not posted
    assert ">x &lt; y</textarea>" in html
    assert 'value="fresh"' in html  # the new CSRF token stays
    assert "<details open>" in html
    assert 'value="untouched"' in html  # the other form is left alone
    assert "<li>owner_id: no such person</li>" in html  # an error without a field: summary
    assert patch_form(PAGE, "/missing", values, problems, "x") is None
