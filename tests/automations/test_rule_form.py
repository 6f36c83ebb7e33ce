"""The rule form edits every condition and action row, and a refusal keeps every row as typed.

Over the in-process client (SQLite and PostgreSQL): rows are added and removed by the
form's own buttons without saving anything; a refused save answers 422 with the form
refilled and each error beside the input of its row; the edit form shows every stored
action, and saving it keeps them all.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pilothouse.automations import rules
from pilothouse.automations.rule_form import RuleDraft, apply_row_op, rule_values
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.automations.conftest import allow_private
from tests.support.accounts import Accounts, sign_in

Form = dict[str, str]


def two_by_two(csrf: str, **extra: str) -> Form:
    """A rule with two conditions and two actions, as the form posts it."""
    return {
        "csrf_token": csrf,
        "name": "Refused gates",
        "trigger": "launch.gate_refused",
        "description": "",
        "enabled": "on",
        "conditions[0].field": "stage",
        "conditions[0].op": "eq",
        "conditions[0].value": "Beta",
        "conditions[1].field": "refused",
        "conditions[1].op": "in",
        "conditions[1].value": '["GA", "Beta"]',
        "actions[0].kind": "notify",
        "actions[0].role": "editor",
        "actions[0].title": "{{ object_label }} refused",
        "actions[1].kind": "add_checklist_item",
        "actions[1].text": "Fix: {{ reasons }}",
        "actions[1].stage": "Beta",
        **extra,
    }


def _input(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert found, f"no input {name}"
    return found.group(0)


def test_two_conditions_and_two_actions_are_created_and_edited(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    created = client.post("/automations", data=two_by_two(csrf), follow_redirects=False)
    assert created.status_code == 303, created.text
    with runtime.database.session() as session:
        rule = rules.find_rule(session, "Refused gates")
        assert rule.conditions == [
            {"field": "stage", "op": "eq", "value": "Beta"},
            {"field": "refused", "op": "in", "value": ["GA", "Beta"]},
        ]
        assert rule.actions == [
            {"kind": "notify", "role": "editor", "title": "{{ object_label }} refused"},
            {
                "kind": "add_checklist_item",
                "text": "Fix: {{ reasons }}",
                "stage": "Beta",
                "required": False,
            },
        ]
        rule_id = rule.id

    page = client.get(f"/automations/{rule_id}/edit").text
    assert 'value="Fix: {{ reasons }}"' in _input(page, "actions[1].text")
    assert "&#34;GA&#34;" in _input(page, "conditions[1].value")
    edited = {k: v for k, v in two_by_two(csrf).items() if not k.startswith("actions[0]")}
    edited |= {f"actions[0].{k}": v for k, v in (("kind", "webhook"), ("url", "x"))}
    saved = client.post(f"/automations/{rule_id}/edit", data=edited, follow_redirects=False)
    assert saved.status_code == 422  # the URL is refused; the rule stays as it was
    assert "Not saved" in saved.text
    with runtime.database.session() as session:
        assert rules.find_rule(session, rule_id).actions[0]["kind"] == "notify"

    without_first = {
        k.replace("actions[1]", "actions[0]"): v
        for k, v in two_by_two(csrf).items()
        if not k.startswith("actions[0]")
    }
    saved = client.post(f"/automations/{rule_id}/edit", data=without_first, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with runtime.database.session() as session:
        assert [a["kind"] for a in rules.find_rule(session, rule_id).actions] == [
            "add_checklist_item"
        ]


def test_a_refusal_keeps_every_row_and_puts_each_error_beside_its_input(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    allow_private(runtime, False)
    csrf = sign_in(client, accounts.person(Role.editor))
    bad = two_by_two(
        csrf,
        **{
            "conditions[1].field": "colour",
            "actions[1].text": " ",
            "actions[2].kind": "webhook",
            "actions[2].url": "http://127.0.0.1:9/hook",
        },
    )
    refused = client.post("/automations", data=bad)
    assert refused.status_code == 422
    page = refused.text
    for name, note in (
        ("conditions[1].field", "unknown field &#39;colour&#39;"),
        ("actions[1].text", "the item&#39;s text is needed"),
        ("actions[2].url", "127.0.0.1"),
    ):
        tag = _input(page, name)
        assert 'aria-invalid="true"' in tag, name
        after = page[page.index(tag) + len(tag) :][:400]
        assert after.lstrip().startswith('<small class="field-error"') and note in after, name
    assert 'value="{{ object_label }} refused"' in _input(page, "actions[0].title")
    assert 'value="Beta"' in _input(page, "conditions[0].value")
    assert page.count('data-testid="action-row"') == 3
    with runtime.database.session() as session:
        assert rules.list_rules(session) == []


def test_row_buttons_add_and_remove_rows_without_saving(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    added = client.post("/automations", data={**two_by_two(csrf), "row_op": "add_action"})
    assert added.status_code == 200
    assert added.text.count('data-testid="action-row"') == 3
    assert 'value="Fix: {{ reasons }}"' in _input(added.text, "actions[1].text")
    removed = client.post("/automations", data={**two_by_two(csrf), "row_op": "remove_condition:0"})
    assert removed.text.count('data-testid="condition-row"') == 1
    assert 'value="refused"' in _input(removed.text, "conditions[0].field")
    with runtime.database.session() as session:
        assert rules.list_rules(session) == []


def test_row_operations_and_values_of_a_draft() -> None:
    draft = RuleDraft(
        name="r",
        trigger="launch.created",
        conditions=[{"field": "", "op": "eq", "value": ""}, {"field": "key", "value": "7"}],
        actions=[{"kind": "notify", "users": "a@example.com, b@example.com"}],
    )
    apply_row_op(draft, "add_action")
    apply_row_op(draft, "remove_action:9")  # a stale button changes nothing
    assert len(draft.actions) == 2
    values = rule_values(draft)
    assert values["conditions"] == [{"field": "key", "op": "eq", "value": 7}]
    assert values["actions"][0] == {"kind": "notify", "users": ["a@example.com", "b@example.com"]}
    assert draft.conditions == [{"field": "key", "value": "7"}]  # numbered as the errors are


def test_rules_made_elsewhere_keep_their_actions_in_the_form(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    with runtime.database.session() as session:
        rule = rules.create_rule(
            session,
            Actor.command_line(),
            {
                "name": "Three",
                "trigger": "launch.created",
                "actions": [
                    {"kind": "notify", "role": "admin"},
                    {"kind": "link", "to": "roadmap_item:1"},
                    {"kind": "add_checklist_item", "text": "Kick-off", "owner": "a@example.com"},
                    {"kind": "email", "to": ["team@lists.example", "ops@lists.example"]},
                ],
            },
        )
        rule_id, stored = rule.id, list(rule.actions)
    page = client.get(f"/automations/{rule_id}/edit").text
    assert 'value="team@lists.example, ops@lists.example"' in _input(page, "actions[3].addresses")
    fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', page))
    fields |= {"csrf_token": csrf, "enabled": "on", "trigger": "launch.created"}
    fields |= {f"actions[{i}].kind": a["kind"] for i, a in enumerate(stored)}
    fields |= {"actions[0].role": "admin", "actions[2].required": "on"}  # select, checkbox
    fields.pop("row_op", None)
    saved = client.post(f"/automations/{rule_id}/edit", data=fields, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with runtime.database.session() as session:
        assert rules.find_rule(session, rule_id).actions == [
            stored[0],
            stored[1],
            {**stored[2], "required": True},
            stored[3],
        ]
