"""The discussion panel (watch + comments) is on every watchable object's page, named
by the id the reference presenter and the notifications use."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.launches.helpers import Crew
from tests.support.accounts import Accounts, sign_in

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pilothouse"
PAGES = {
    "roadmap_item": ("roadmap/templates/roadmap/item.html", "item.id"),
    "feedback_theme": ("feedback/templates/feedback/theme.html", "theme.id"),
    "launch": ("launches/templates/launches/launch.html", "l.id"),
    "experiment": ("experiments/templates/experiments/experiment.html", "e.id"),
    "decision": ("decisions/templates/decisions/decision.html", "d.id"),
}


@pytest.mark.parametrize("ref_type", sorted(PAGES))
def test_each_object_page_includes_the_panel_once(ref_type: str) -> None:
    path, ident = PAGES[ref_type]
    text = (PACKAGE / path).read_text()
    line = (
        f'{{% with ref_type="{ref_type}", ref_id={ident} %}}'
        '{% include "_watch_and_comments.html" %}{% endwith %}'
    )
    assert text.count("_watch_and_comments.html") == 1
    assert line in text


def _objects(client: TestClient, accounts: Accounts) -> tuple[Crew, dict[str, tuple[str, int]]]:
    crew = Crew(client, accounts)
    crew.template()
    launch = crew.launch()
    experiment = client.post(
        "/api/v1/experiments", json={"name": "Bigger buttons"}, headers=crew.editor
    )
    assert experiment.status_code == 201, experiment.text
    decision = client.post("/api/v1/decisions", json={"title": "Go"}, headers=crew.editor)
    assert decision.status_code == 201, decision.text
    return crew, {
        "launch": (f"/launches/{launch['key']}", launch["id"]),
        "experiment": (f"/experiments/{experiment.json()['key']}", experiment.json()["id"]),
        "decision": (f"/decisions/{decision.json()['key']}", decision.json()["id"]),
    }


def test_launch_experiment_and_decision_pages_carry_a_working_panel(
    client: TestClient, accounts: Accounts
) -> None:
    crew, pages = _objects(client, accounts)
    csrf = sign_in(client, crew.editor_person)
    for ref_type, (url, ident) in pages.items():
        page = client.get(url)
        assert page.status_code == 200, (url, page.text[:300])
        assert f'hx-get="/discussion/{ref_type}/{ident}"' in page.text, ref_type
        here = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"}
        posted = client.post(
            f"/discussion/{ref_type}/{ident}",
            data={"csrf_token": csrf, "body": f"Looks good, {ref_type}"},
            headers=here,
        )
        assert f"Looks good, {ref_type}" in posted.text
        # the creator watched already (created event), and still does after commenting
        assert "1 watching, you included" in posted.text, (
            ref_type if ref_type != "experiment" else ""
        )


def test_viewers_read_the_panel_but_cannot_comment(client: TestClient, accounts: Accounts) -> None:
    viewer = accounts.person(Role.viewer)
    csrf = sign_in(client, viewer)
    panel = client.get("/discussion/decision/1", headers={"HX-Request": "true"})
    assert "Editors and admins can comment." in panel.text
    refused = client.post(
        "/discussion/decision/1", data={"csrf_token": csrf, "body": "hi"}, follow_redirects=False
    )
    assert refused.status_code == 403
    watched = client.post(
        "/discussion/decision/1/watch",
        data={"csrf_token": csrf, "watch": "true"},
        headers={"HX-Request": "true"},
    )
    assert "Stop watching" in watched.text
    wrong = client.get("/discussion/user/1", headers={"HX-Request": "true"})
    assert wrong.status_code == 422


def test_the_theme_page_carries_a_working_panel(
    client: TestClient, runtime: Runtime, accounts: Accounts
) -> None:
    from pilothouse.feedback.models import FeedbackTheme

    with runtime.database.session() as session:
        theme = FeedbackTheme(label="Exports time out")  # as synthesis would name one
        session.add(theme)
        session.flush()
        theme_id = theme.id
    editor = accounts.person(Role.editor)
    csrf = sign_in(client, editor)
    page = client.get(f"/feedback/themes/{theme_id}")
    assert page.status_code == 200, page.text[:300]
    assert f'hx-get="/discussion/feedback_theme/{theme_id}"' in page.text
    here = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/feedback/themes/{theme_id}"}
    posted = client.post(
        f"/discussion/feedback_theme/{theme_id}",
        data={"csrf_token": csrf, "body": "Seen in three tickets"},
        headers=here,
    )
    assert "Seen in three tickets" in posted.text
    assert "Exports time out" in client.get(f"/discussion/feedback_theme/{theme_id}").text
