"""Onboarding checklist templates and assignments through the pages (SQLite and
PostgreSQL): create with ordered steps linked to playbooks, edit (reorder, remove, add)
keeping people's ticks, assign from the template page and from /onboarding, refused
posts that keep every input and name the field, viewers refused, every change audited."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.playbooks import onboarding, service
from tests.support.accounts import Accounts, sign_in

CLI = Actor.command_line()
PAGE = "http://testserver/onboarding/templates"


def _playbook(runtime: Runtime, title: str = "Launch playbook") -> int:
    with runtime.database.session() as session:
        return service.create_playbook(session, CLI, {"title": title}).id


def _events(runtime: Runtime, object_type: str) -> list[Event]:
    with runtime.database.session() as session:
        query = select(Event).where(Event.object_type == object_type).order_by(Event.id)
        events = list(session.scalars(query))
        session.expunge_all()
    return events


def _steps(role: str, runtime: Runtime) -> list[tuple[str, str | None, str | None]]:
    with runtime.database.session() as session:
        template = onboarding.find_template(session, role)
        return [(s.title, s.link_type, s.link_id) for s in template.steps]


def _create_form(csrf: str, playbook_id: int) -> dict[str, Any]:
    return {
        "csrf_token": csrf,
        "name": "PM onboarding",
        "role": "pm",
        "description": "Your first month.",
        "steps.0.position": "1",
        "steps.0.title": "Meet your area owner",
        "steps.1.position": "2",  # an empty row: skipped
        "steps.2.position": "3",
        "steps.2.title": "Read the launch playbook",
        "steps.2.detail": "Ask questions in #launches",
        "steps.2.link": f"playbook:{playbook_id}",
    }


def test_create_edit_and_assign_through_the_forms(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    playbook_id = _playbook(runtime)
    editor = accounts.person(Role.editor, email="ops@example.com")
    new_pm = accounts.person(Role.viewer, email="new.pm@example.com")
    lead = accounts.person(Role.viewer, email="lead@example.com")
    csrf = sign_in(client, editor)
    form = client.get("/onboarding/templates").text
    assert 'data-testid="template-form"' in form and form.count('data-testid="step-row"') == 3
    assert f'<option value="playbook:{playbook_id}">Launch playbook</option>' in form
    created = client.post("/onboarding/templates", data=_create_form(csrf, playbook_id))
    assert created.status_code == 200 and created.url.path == "/onboarding/templates/pm"
    assert _steps("pm", runtime) == [
        ("Meet your area owner", None, None),
        ("Read the launch playbook", "playbook", str(playbook_id)),
    ]
    page = created.text
    assert "Created PM onboarding." in page
    assert '<a href="/playbooks/launch-playbook">Launch playbook</a>' in page
    listing = client.get("/onboarding/templates").text
    assert '<a href="/onboarding/templates/pm" class="row-name">PM onboarding</a>' in listing
    assert [e.name for e in _events(runtime, "onboarding_template")] == [
        "onboarding_template.created"
    ]

    assigned = client.post(
        "/onboarding/assignments",
        data={"csrf_token": csrf, "role": "pm", "person": str(new_pm.id), "manager": str(lead.id)},
        follow_redirects=False,
    )
    assert assigned.status_code == 303, assigned.text
    assignment_id = int(assigned.headers["location"].rsplit("/", 1)[1])
    with runtime.database.session() as session:
        assignment = onboarding.find_assignment(session, assignment_id)
        assert (assignment.person_id, assignment.manager_id) == (new_pm.id, lead.id)
        kept_step = assignment.template.steps[1].id
        onboarding.set_step_done(session, CLI, assignment, kept_step, True)
    created_events = _events(runtime, "onboarding_assignment")
    assert created_events[0].name == "onboarding_assignment.created"
    assert created_events[0].actor_id == editor.id
    template_page = client.get("/onboarding/templates/pm").text
    assert 'data-testid="assigned-row"' in template_page and "1/2 (50%)" in template_page

    edit = client.get("/onboarding/templates/pm/edit").text
    ids = re.findall(r'name="steps\.(\d)\.id" value="(\d+)"', edit)
    assert len(ids) == 2 and edit.count('data-testid="step-row"') == 3
    saved = client.post(
        "/onboarding/templates/pm/edit",
        data={
            "csrf_token": csrf,
            "name": "PM onboarding (v2)",
            "role": "pm",
            "description": "Your first month.",
            "steps.0.id": ids[0][1],
            "steps.0.position": "1",
            "steps.0.title": "Meet your area owner",
            "steps.0.remove": "1",
            "steps.1.id": ids[1][1],
            "steps.1.position": "2",
            "steps.1.title": "Read the launch playbook twice",
            "steps.1.link": f"playbook:{playbook_id}",
            "steps.2.position": "1",
            "steps.2.title": "Get your laptop",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert _steps("pm", runtime) == [
        ("Get your laptop", None, None),
        ("Read the launch playbook twice", "playbook", str(playbook_id)),
    ]
    with runtime.database.session() as session:
        progress = onboarding.progress(onboarding.find_assignment(session, assignment_id))
    assert (progress.done, progress.total) == (1, 2)  # the edited step kept its tick
    updated = _events(runtime, "onboarding_template")[-1]
    assert updated.name == "onboarding_template.updated" and updated.actor_id == editor.id
    assert set(updated.changes) == {"steps", "title"}
    assert updated.changes["steps"]["before"][0] == "Meet your area owner"

    sign_in(client, lead)
    reports = client.get("/onboarding").text
    assert 'data-testid="report-row"' in reports and "1/2 (50%)" in reports
    assert '<a href="/onboarding/templates/pm">PM onboarding (v2)</a>' in reports


def test_assign_from_the_managers_view(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    with runtime.database.session() as session:
        onboarding.create_template(session, CLI, "pm", "PM onboarding", [{"title": "Hello"}])
    lead = accounts.person(Role.editor, email="lead@example.com")
    new_pm = accounts.person(Role.viewer, email="new.pm@example.com")
    csrf = sign_in(client, lead)
    page = client.get("/onboarding").text
    assert 'data-testid="assign"' in page
    assert f'<option value="{lead.id}" selected>' in page  # the manager is the one looking
    done = client.post(
        "/onboarding/assignments",
        data={
            "csrf_token": csrf,
            "role": "pm",
            "person": str(new_pm.id),
            "manager": str(lead.id),
            "started_on": "2026-12-01",
        },
        headers={"referer": "http://testserver/onboarding"},
    )
    assert done.status_code == 200 and "Assigned PM onboarding" in done.text
    reports = client.get("/onboarding").text
    assert 'data-testid="report-row"' in reports and "2026-12-01" in reports


def test_refused_forms_keep_every_input_and_name_the_field(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    playbook_id = _playbook(runtime)
    editor = accounts.person(Role.editor)
    csrf = sign_in(client, editor)
    values = _create_form(csrf, playbook_id)
    values["steps.2.title"] = ""  # a link and a detail but no title
    refused = client.post("/onboarding/templates", data=values, headers={"referer": PAGE})
    assert refused.status_code == 422, refused.text
    page = refused.text
    assert 'data-testid="form-errors"' in page
    assert re.search(r'<input [^>]*name="steps\.2\.title"[^>]*aria-invalid="true"', page)
    assert "Step 3 title: must not be empty" in page
    assert "<strong>Not saved.</strong> Step 3 title: must not be empty" in page
    for kept in ("PM onboarding", 'value="pm"', "Your first month.", "Meet your area owner",
                 "Ask questions in #launches"):  # fmt: skip
        assert kept in page, kept
    assert f'<option value="playbook:{playbook_id}" selected>' in page
    with runtime.database.session() as session:
        assert onboarding.list_templates(session) == []
    assert _events(runtime, "onboarding_template") == []

    values = _create_form(csrf, playbook_id)
    values["steps.0.link"] = "metric:"  # not TYPE:ID
    refused = client.post("/onboarding/templates", data=values, headers={"referer": PAGE})
    assert refused.status_code == 422
    assert re.search(r'<select [^>]*name="steps\.0\.link"[^>]*aria-invalid="true"', refused.text)

    client.post("/onboarding/templates", data=_create_form(csrf, playbook_id))
    taken = client.post(
        "/onboarding/templates", data=_create_form(csrf, playbook_id), headers={"referer": PAGE}
    )
    assert taken.status_code == 409
    assert re.search(r'<input [^>]*name="role"[^>]*aria-invalid="true"', taken.text)

    person = accounts.person(Role.viewer)
    same = client.post(
        "/onboarding/assignments",
        data={
            "csrf_token": csrf,
            "role": "pm",
            "person": str(person.id),
            "manager": str(person.id),
        },
        headers={"referer": f"{PAGE}/pm"},
    )
    assert same.status_code == 422
    assert re.search(r'<select [^>]*name="manager"[^>]*aria-invalid="true"', same.text)
    assert same.text.count(f'<option value="{person.id}" selected>') == 2
    assert _events(runtime, "onboarding_assignment") == []


def test_more_rows_come_from_the_address_and_htmx(client: TestClient, accounts: Accounts) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    assert client.get("/onboarding/templates?rows=7").text.count('data-testid="step-row"') == 7
    row = client.get(
        "/onboarding/templates/_step_row", params={"index": 3, "page": "/onboarding/templates"}
    ).text
    assert 'name="steps.3.title"' in row and 'aria-label="Step 4 title"' in row
    assert 'hx-swap-oob="true"' in row and "index=4" in row and "?rows=5" in row
    refused = client.post(
        "/onboarding/templates?rows=5",
        data={"csrf_token": csrf, "name": "X", "role": "Not a role", "steps.4.title": "Fifth"},
        headers={"referer": f"{PAGE}?rows=5"},
    )
    assert refused.status_code == 422 and refused.text.count('data-testid="step-row"') == 5
    assert re.search(r'<input [^>]*name="steps\.4\.title"[^>]*value="Fifth"', refused.text)
    assert 'action="/onboarding/templates?rows=5"' in refused.text  # a second refusal too


def test_viewers_see_no_forms_and_cannot_write(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    with runtime.database.session() as session:
        onboarding.create_template(session, CLI, "pm", "PM onboarding", [{"title": "Hello"}])
    viewer = accounts.person(Role.viewer)
    csrf = sign_in(client, viewer)
    listing = client.get("/onboarding/templates").text
    assert 'href="/onboarding/templates/pm"' in listing and "template-form" not in listing
    page = client.get("/onboarding/templates/pm").text
    assert "/edit" not in page and "assign-form" not in page
    assert "assign-form" not in client.get("/onboarding").text
    assert client.get("/onboarding/templates/pm/edit").status_code == 403
    posts = [
        ("/onboarding/templates", {"name": "X", "role": "x", "steps.0.title": "a"}),
        ("/onboarding/templates/pm/edit", {"name": "X", "role": "pm", "steps.0.title": "a"}),
        ("/onboarding/assignments", {"role": "pm", "person": str(viewer.id)}),
    ]
    for path, data in posts:
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    with runtime.database.session() as session:
        assert [t.title for t in onboarding.list_templates(session)] == ["PM onboarding"]
        assert onboarding.all_assignments(session) == []


def test_audit_entries_link_to_the_checklists(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    person = accounts.person(Role.viewer, email="new.pm@example.com")
    with runtime.database.session() as session:
        template = onboarding.create_template(
            session, CLI, "pm", "PM onboarding", [{"title": "Hi"}]
        )
        assignment_id = onboarding.assign(session, CLI, template, person.email).id
    sign_in(client, accounts.person(Role.admin))
    audit = client.get("/admin/audit").text
    assert '<a href="/onboarding/templates/pm">PM onboarding</a>' in audit
    # the entry keeps the label it was written with (the e-mail), now as a link
    assert f'<a href="/onboarding/{assignment_id}">PM onboarding: new.pm@example.com</a>' in audit
