"""A launch's experiments and decisions, over HTTP on SQLite and PostgreSQL: linking an
experiment from the launch (API and page form) and from the experiment, unlinking,
the audit entries of both, the primary-metric result of a real analysis on the launch,
decisions about the launch, and the GA-gate warning for an experiment still running."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.models import MetricRole
from pilothouse.launches import blueprints, launching
from tests.experiments.analysis.test_analysis_service import _create, shop  # noqa: F401
from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts, csrf_of, sign_in
from tests.support.browser import Watched
from tests.support.browser import sign_in as browser_sign_in
from tests.support.served_app import ServedApp


@pytest.fixture
def crew(client: TestClient, accounts: Accounts) -> Crew:
    return Crew(client, accounts)


def _experiment(crew: Crew, name: str) -> str:
    response = crew.client.post(f"{API}/experiments", json={"name": name}, headers=crew.editor)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def _link_events(crew: Crew) -> list[dict[str, Any]]:
    response = crew.client.get(f"{API}/audit", params={"object_type": "link"}, headers=crew.admin)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_link_and_unlink_experiments_over_the_api_both_directions_audited(crew: Crew) -> None:
    client = crew.client
    crew.template()
    launch = crew.launch()
    key, ref = launch["key"], f"launch:{launch['id']}"
    assert launch["experiments"] == [] and launch["decisions"] == [] and launch["warnings"] == []
    first = _experiment(crew, "Scheduled reports test")
    second = _experiment(crew, "Digest e-mail test")
    url = f"{API}/launches/{key}/experiments"

    linked = client.post(url, json={"experiment": first.lower()}, headers=crew.editor)
    assert linked.status_code == 201, linked.text
    [shown] = linked.json()["experiments"]
    assert (shown["key"], shown["name"], shown["status"]) == (
        first,
        "Scheduled reports test",
        "draft",
    )
    assert shown["url"] == f"/experiments/{first}"
    assert shown["results"] == [] and shown["result_summary"] is None
    again = client.post(url, json={"experiment": first}, headers=crew.editor)
    assert [e["key"] for e in again.json()["experiments"]] == [first]  # idempotent
    # Refusals: a viewer (403), an unknown key (422 naming the field), a stray field.
    assert client.post(url, json={"experiment": first}, headers=crew.viewer).status_code == 403
    unknown = client.post(url, json={"experiment": "EXP-999"}, headers=crew.editor)
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["experiment"]
    assert client.post(url, json={"exp": first}, headers=crew.editor).status_code == 422

    # Linked from the experiment's side, it shows on the launch too.
    other_side = client.post(
        f"{API}/experiments/{second}/links", json={"type": "launch", "id": key}, headers=crew.editor
    )
    assert other_side.status_code == 201, other_side.text
    assert [e["key"] for e in crew.get(key)["experiments"]] == [first, second]
    seen_from_experiment = client.get(f"{API}/experiments/{first}", headers=crew.viewer).json()
    assert [link["ref"] for link in seen_from_experiment["links"]] == [ref]

    assert client.delete(f"{url}/{first}", headers=crew.viewer).status_code == 403
    assert client.delete(f"{url}/{first}", headers=crew.editor).status_code == 204
    assert client.delete(f"{url}/{first}", headers=crew.editor).status_code == 404
    assert client.delete(f"{url}/{second}", headers=crew.editor).status_code == 204
    assert crew.get(key)["experiments"] == []

    events = _link_events(crew)
    assert sorted(e["action"] for e in events) == ["created", "created", "deleted", "deleted"]
    for event in events:
        assert ref in event["object_label"] and event["actor_label"] == crew.editor_person.email


def test_the_launch_page_links_unlinks_and_lists_decisions(client: TestClient, crew: Crew) -> None:
    crew.template()
    launch = crew.launch()
    key = launch["key"]
    experiment = _experiment(crew, "Scheduled reports test")
    decision = client.post(
        f"{API}/decisions",
        json={"title": "Ship reports to all plans", "links": [f"launch:{key}"]},
        headers=crew.editor,
    )
    assert decision.status_code == 201, decision.text
    decision_key = decision.json()["key"]
    assert [d["key"] for d in crew.get(key)["decisions"]] == [decision_key]

    sign_in(client, crew.editor_person)
    csrf = csrf_of(client)
    page = client.get(f"/launches/{key}")
    assert (
        "No experiments linked." in page.text and 'data-testid="link-experiment-form"' in page.text
    )
    assert (
        f'href="/decisions/{decision_key}"' in page.text
        and "Ship reports to all plans" in page.text
    )
    assert f'href="/decisions/new?link=launch:{launch["id"]}"' in page.text
    linked = client.post(
        f"/launches/{key}/experiments", data={"csrf_token": csrf, "experiment": experiment}
    )
    assert linked.status_code == 200 and f"Linked {experiment}." in linked.text
    assert f'data-testid="launch-experiment" data-key="{experiment}"' in linked.text
    assert f'href="/experiments/{experiment}"' in linked.text and "no primary metric" in linked.text
    refused = client.post(
        f"/launches/{key}/experiments",
        data={"csrf_token": csrf, "experiment": "EXP-404"},
        headers={"referer": f"http://testserver/launches/{key}"},
    )
    assert "no experiment &#39;EXP-404&#39;" in refused.text  # back on the page, escaped
    unlinked = client.post(
        f"/launches/{key}/experiments/remove", data={"csrf_token": csrf, "experiment": experiment}
    )
    assert f"Unlinked {experiment}." in unlinked.text and "No experiments linked." in unlinked.text

    sign_in(client, crew.viewer_person)
    viewer_page = client.get(f"/launches/{key}")
    assert viewer_page.status_code == 200 and decision_key in viewer_page.text
    assert 'data-testid="link-experiment-form"' not in viewer_page.text
    assert "/decisions/new?link=" not in viewer_page.text
    refused_viewer = client.post(
        f"/launches/{key}/experiments",
        data={"csrf_token": csrf_of(client), "experiment": experiment},
    )
    assert refused_viewer.status_code == 403
    assert crew.get(key)["experiments"] == []


def _pass_beta(crew: Crew, launch: dict[str, Any]) -> None:
    """Tick Beta's required item and approve its gate (both named approvers)."""
    key, beta = launch["key"], launch["stages"][0]
    item = f"{API}/launches/{key}/items/{beta['items'][0]['id']}/check"
    assert crew.client.post(item, headers=crew.editor).status_code == 200
    approve = f"{API}/launches/{key}/gates/{beta['gates'][0]['id']}/approve"
    for headers in (crew.editor, crew.approver):
        assert crew.client.post(approve, headers=headers).status_code == 200


@pytest.mark.usefixtures("shop")
def test_running_experiment_warns_at_the_ga_gate_and_shows_its_result(
    client: TestClient, runtime: Runtime, crew: Crew
) -> None:
    crew.template()
    launch = crew.launch()
    key = launch["key"]
    experiment = _create(runtime)
    client.post(
        f"{API}/launches/{key}/experiments", json={"experiment": experiment}, headers=crew.editor
    )
    assert crew.get(key)["warnings"] == []  # a draft is no reason to wait
    assert (
        client.post(f"{API}/experiments/{experiment}/start", headers=crew.editor).status_code == 200
    )
    analysed = client.post(f"{API}/experiments/{experiment}/analyze", headers=crew.editor)
    assert analysed.status_code == 201, analysed.text

    view = crew.get(key)
    assert view["warnings"] == [f"{experiment} is still running"]
    [shown] = view["experiments"]
    assert shown["status"] == "running" and shown["primary_metric"] == "revenue"
    # The summary is the experiment's own latest result for its primary metric.
    revenue = next(m for m in analysed.json()["results"]["metrics"] if m["metric"] == "revenue")
    treatment = revenue["variations"][1]
    [result] = shown["results"]
    assert result["variation"] == "Treatment" and result["status"] == treatment["status"]
    assert result["effect"] == pytest.approx(treatment["effect"], rel=1e-12)
    assert [result["ci_low"], result["ci_high"]] == pytest.approx(treatment["ci"], rel=1e-12)
    assert shown["relative"] is True
    low, high = (bound * 100 for bound in treatment["ci"])
    assert shown["result_summary"] == (
        f"revenue: Treatment {treatment['effect'] * 100:+.2f}% [{low:+.2f}%, {high:+.2f}%] "
        f"{treatment['status']}"
    )

    sign_in(client, crew.editor_person)
    page = client.get(f"/launches/{key}")
    assert 'data-testid="ga-warning"' in page.text and 'data-testid="gate-warning"' in page.text
    assert f"{experiment} is still running" in page.text
    assert f"{treatment['effect'] * 100:+.2f}%" in page.text

    # A warning, not a block: the gate passes and the event keeps the warning.
    _pass_beta(crew, launch)
    passed = client.post(f"/launches/{key}/advance", data={"csrf_token": csrf_of(client)})
    assert passed.status_code == 200
    assert f"is now in GA. Note: {experiment} is still running." in passed.text
    after = crew.get(key)
    assert after["status"] == "launched" and after["warnings"] == []
    assert 'data-testid="gate-warning"' not in passed.text
    events = client.get(
        f"{API}/audit", params={"name": "launch.stage_changed"}, headers=crew.admin
    ).json()["items"]
    assert events[0]["changes"]["warnings"]["after"] == [f"{experiment} is still running"]


def test_a_stopped_experiment_does_not_warn(crew: Crew, runtime: Runtime) -> None:
    crew.template()
    launch = crew.launch()
    key = launch["key"]
    experiment = _create(runtime)
    crew.client.post(
        f"{API}/launches/{key}/experiments", json={"experiment": experiment}, headers=crew.editor
    )
    for action in ("start", "stop"):
        response = crew.client.post(f"{API}/experiments/{experiment}/{action}", headers=crew.editor)
        assert response.status_code == 200, response.text
    assert crew.get(key)["warnings"] == []
    _pass_beta(crew, launch)
    assert crew.client.post(f"{API}/launches/{key}/advance", headers=crew.editor).status_code == 200
    events = crew.client.get(
        f"{API}/audit", params={"name": "launch.stage_changed"}, headers=crew.admin
    ).json()["items"]
    assert "warnings" not in events[0]["changes"]


@pytest.mark.browser
def test_link_a_running_experiment_and_record_a_decision_in_the_browser(
    browser: object, served: ServedApp
) -> None:
    """Link a running experiment on the launch page, see the GA-gate warning, record a
    decision from the launch page and find it back on the launch."""
    from playwright.sync_api import expect

    lead = Accounts(served.runtime).person(Role.editor, email="lead@example.com")
    actor = Actor.command_line()
    with served.runtime.database.session() as session:
        blueprints.create_template(
            session,
            actor,
            {
                "name": "Two-step",
                "stages": [
                    {"name": "Beta", "gates": [{"name": "GA review", "approvers": [lead.email]}]},
                    {"name": "GA"},
                ],
            },
        )
        key = launching.create_launch(
            session,
            actor,
            {"template": "Two-step", "name": "Dark mode", "target_date": "2026-12-01"},
        ).key
        design = registry.ExperimentDesign(
            name="Dark mode test",
            hypothesis="Dark mode keeps people longer.",
            variations=[
                registry.VariationSpec("control", "Control", 0.5),
                registry.VariationSpec("dark", "Dark", 0.5),
            ],
            exposure={
                "kind": "event",
                "event": "Experiment Viewed",
                "experiment_property": "experiment",
                "variation_property": "variation",
            },
            metrics=[registry.MetricChoice("session_minutes", MetricRole.primary)],
        )
        experiment = registry.create_experiment(session, actor, design)
        registry.start(session, actor, experiment)
        experiment_key = experiment.key
    watched = Watched(browser, served)
    page = watched.page
    try:
        browser_sign_in(page, lead)
        page.goto(f"/launches/{key}")
        expect(page.get_by_test_id("gate-warning")).to_have_count(0)
        page.get_by_label("Experiment key").fill(experiment_key)
        page.get_by_role("button", name="Link experiment").click()
        expect(page.locator(".flash-success")).to_contain_text(f"Linked {experiment_key}.")
        expect(page.get_by_test_id("launch-experiment")).to_contain_text("running")
        expect(page.get_by_test_id("gate-warning")).to_contain_text(
            f"{experiment_key} is still running"
        )
        expect(page.get_by_test_id("ga-warning")).to_be_visible()

        page.get_by_test_id("record-launch-decision").click()
        expect(page.get_by_test_id("decision-about")).to_contain_text(f"{key} · Dark mode")
        page.get_by_label("Title").fill("Launch dark mode before the test ends")
        page.get_by_role("button", name="Record decision").click()
        expect(page.locator(".flash-success")).to_contain_text("Recorded")
        page.get_by_role("link", name=f"{key} · Dark mode").click()
        expect(page.get_by_test_id("launch-decision")).to_contain_text(
            "Launch dark mode before the test ends"
        )
    finally:
        watched.close()
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
