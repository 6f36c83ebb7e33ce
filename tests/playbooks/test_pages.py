"""The playbook and onboarding pages through the real app (SQLite and PostgreSQL):
Markdown shown safely, the stale list, history with a diff, forms that keep their input
on error, links by name, roles."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.launches import blueprints
from tests.support.accounts import Accounts, sign_in

CLI = Actor.command_line()


def test_create_show_edit_history(client: TestClient, accounts: Accounts, runtime: Runtime) -> None:
    with runtime.database.session() as session:
        template = blueprints.create_template(
            session, CLI, {"name": "Standard launch", "stages": [{"name": "Beta"}, {"name": "GA"}]}
        )
        template_id = template.id
    editor = accounts.person(Role.editor)
    csrf = sign_in(client, editor)
    created = client.post(
        "/playbooks",
        data={
            "csrf_token": csrf,
            "title": "Launch playbook",
            "body": "Ship **carefully** <script>alert(1)</script> [x](javascript:alert(1))",
            "owner": editor.email,
            "reviewed_on": (date.today() - timedelta(days=365)).isoformat(),
        },
        follow_redirects=False,
    )
    assert (
        created.status_code == 303 and created.headers["location"] == "/playbooks/launch-playbook"
    )
    linked = client.post(
        "/playbooks/launch-playbook/links",
        data={"csrf_token": csrf, "target": f"launch_template:{template_id}"},
        follow_redirects=False,
    )
    assert linked.status_code == 303
    page = client.get("/playbooks/launch-playbook").text
    assert "<strong>carefully</strong>" in page and "<script>alert(1)" not in page
    assert 'href="javascript:' not in page
    assert '<a href="/launches/templates">Standard launch</a>' in page
    assert 'data-testid="stale-flag"' in page
    listing = client.get("/playbooks").text
    assert "Due for review" in listing and "launch-playbook" in listing.split("Due for review")[1]
    edited = client.post(
        "/playbooks/launch-playbook/edit",
        data={
            "csrf_token": csrf,
            "version": "1",
            "title": "Launch playbook",
            "body": "v2 text",
            "owner": editor.email,
            "reviewed_on": date.today().isoformat(),
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    history = client.get("/playbooks/launch-playbook/history").text
    assert "+v2 text" in history and "-Ship **carefully**" in history
    assert 'data-testid="stale-flag"' not in client.get("/playbooks/launch-playbook").text
    hit = '<li data-testid="search-hit"><a href="/playbooks/launch-playbook">Launch playbook</a>'
    assert hit in client.get("/playbooks?q=text").text
    assert hit not in client.get("/playbooks?q=carefully").text  # the old version is not indexed


def test_refused_form_keeps_input_and_names_the_field(
    client: TestClient, accounts: Accounts
) -> None:
    editor = accounts.person(Role.editor)
    csrf = sign_in(client, editor)
    client.get("/playbooks/new")
    refused = client.post(
        "/playbooks",
        data={
            "csrf_token": csrf,
            "title": "Triage",
            "body": "My long draft",
            "owner": "ghost@x.io",
        },
        headers={"referer": "http://testserver/playbooks/new"},
    )
    assert refused.status_code == 422
    assert "My long draft" in refused.text and 'aria-invalid="true"' in refused.text
    assert "no active user" in refused.text
    assert client.get("/api/v1/playbooks").json()["count"] == 0


def test_viewers_read_and_tick_their_own(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    from pilothouse.playbooks import onboarding

    viewer = accounts.person(Role.viewer)
    with runtime.database.session() as session:
        template = onboarding.create_template(session, CLI, "pm", "PM", [{"title": "Say hello"}])
        assignment = onboarding.assign(session, CLI, template, viewer.email)
        step_id, assignment_id = template.steps[0].id, assignment.id
    csrf = sign_in(client, viewer)
    assert client.get("/playbooks").status_code == 200
    assert client.get("/playbooks/new").status_code == 403
    assert "0 of 1 steps done" in client.get("/onboarding").text
    ticked = client.post(
        f"/onboarding/{assignment_id}/steps/{step_id}",
        data={"csrf_token": csrf, "done": "1"},
        follow_redirects=False,
    )
    assert ticked.status_code == 303
    assert "1 of 1 steps done (100%)" in client.get("/onboarding").text
    assert 'data-testid="everyone-onboarding"' not in client.get("/onboarding").text
    sign_in(client, accounts.person(Role.editor))
    overview = client.get("/onboarding").text
    assert 'data-testid="everyone-row"' in overview and "1/1 (100%)" in overview
