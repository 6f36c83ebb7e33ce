"""Experiment templates (API, pages, creating an experiment from one) and links from an
experiment to roadmap items and launches (API, page, the decision's audit entry)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.metrics.demo import copy_demo_definitions
from tests.launches.helpers import Crew
from tests.support.accounts import Accounts, csrf_of, sign_in

API = "/api/v1"
EXPOSURE = {
    "kind": "event",
    "event": "Checkout Viewed",
    "experiment_property": "exp",
    "variation_property": "arm",
}
DEFAULTS: dict[str, Any] = {
    "analysis_unit": "account",
    "variations": [
        {"key": "control", "name": "Current price", "weight": 0.6},
        {"key": "cheaper", "name": "10% off", "weight": 0.4},
    ],
    "exposure": EXPOSURE,
    "metrics": [
        {"metric": "activation_rate", "role": "primary"},
        {"metric": "card_payments", "role": "guardrail", "bad_direction": "decrease"},
    ],
    "analysis": {"cuped": True},
    "hypothesis_prompt": "We believe that a lower price for … will …",
}


@pytest.fixture
def crew(client: TestClient, accounts: Accounts, runtime: Runtime) -> Crew:
    copy_demo_definitions(runtime.settings.effective_metrics_path)
    return Crew(client, accounts)


def _template(crew: Crew, **body: Any) -> dict[str, Any]:
    response = crew.client.post(
        f"{API}/experiment-templates",
        json={"name": "Pricing test", "description": "Price changes.", "defaults": DEFAULTS} | body,
        headers=crew.editor,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_template_crud_is_validated_and_audited(crew: Crew) -> None:
    client = crew.client
    created = _template(crew)
    assert created["defaults"]["hypothesis_prompt"].startswith("We believe")
    listed = client.get(f"{API}/experiment-templates", headers=crew.viewer).json()
    assert listed["count"] == 1 and listed["items"][0]["name"] == "Pricing test"
    by_name = client.get(f"{API}/experiment-templates/Pricing test", headers=crew.viewer)
    assert by_name.json()["id"] == created["id"]
    refused = client.post(f"{API}/experiment-templates", json={"name": "x"}, headers=crew.viewer)
    assert refused.status_code == 403
    duplicate = client.post(
        f"{API}/experiment-templates", json={"name": "Pricing test"}, headers=crew.editor
    )
    assert duplicate.status_code == 409

    bad = {
        "variations": [{"key": "a", "weight": 0.7}, {"key": "b", "weight": 0.7}],
        "metrics": [{"metric": "no_such_metric", "role": "primary"}],
    }
    for defaults, field in (
        ({"variations": bad["variations"]}, "defaults.variations"),
        ({"metrics": bad["metrics"]}, "defaults.metrics[0].metric"),
        ({"analysis": {"cupped": True}}, "defaults.analysis.cupped"),
        ({"colour": "red"}, "defaults.colour"),
        ({"exposure": {"kind": "event"}}, "defaults.exposure.event"),
    ):
        response = client.patch(
            f"{API}/experiment-templates/{created['id']}",
            json={"defaults": defaults},
            headers=crew.editor,
        )
        assert response.status_code == 422, (defaults, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    unchanged = client.get(f"{API}/experiment-templates/{created['id']}", headers=crew.viewer)
    assert unchanged.json()["defaults"] == DEFAULTS

    renamed = client.patch(
        f"{API}/experiment-templates/{created['id']}",
        json={"name": "Pricing"},
        headers=crew.editor,
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Pricing"
    deleted = client.delete(f"{API}/experiment-templates/{created['id']}", headers=crew.editor)
    assert deleted.status_code == 204
    gone = client.get(f"{API}/experiment-templates/{created['id']}", headers=crew.viewer)
    assert gone.status_code == 404
    audit = client.get(
        f"{API}/audit", params={"object_type": "experiment_template"}, headers=crew.admin
    ).json()
    assert sorted(e["action"] for e in audit["items"]) == ["created", "deleted", "updated"]


def test_experiment_from_a_template_takes_what_the_request_leaves_out(crew: Crew) -> None:
    template = _template(crew)
    response = crew.client.post(
        f"{API}/experiments",
        json={"name": "Cheaper annual plan", "template": "Pricing test"},
        headers=crew.editor,
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["analysis_unit"] == "account" and made["exposure"] == EXPOSURE
    assert [(v["key"], v["weight"]) for v in made["variations"]] == [
        ("control", 0.6),
        ("cheaper", 0.4),
    ]
    assert [(m["metric"], m["role"]) for m in made["metrics"]] == [
        ("activation_rate", "primary"),
        ("card_payments", "guardrail"),
    ]
    assert made["analysis"] == {"cuped": True}
    assert made["hypothesis"] == ""  # the prompt is a prompt, not a hypothesis
    # What the request sets wins over the template.
    own = crew.client.post(
        f"{API}/experiments",
        json={"name": "Own metrics", "template": template["id"], "metrics": [], "analysis": {}},
        headers=crew.editor,
    ).json()
    assert own["metrics"] == [] and own["analysis"] == {} and own["analysis_unit"] == "account"
    missing = crew.client.post(
        f"{API}/experiments", json={"name": "x", "template": "Nope"}, headers=crew.editor
    )
    assert missing.status_code == 404


@pytest.mark.usefixtures("crew")
def test_template_pages_and_new_experiment_from_template(
    client: TestClient, accounts: Accounts
) -> None:
    sign_in(client, accounts.person(Role.editor))
    csrf = csrf_of(client)
    saved = client.post(
        "/experiments/templates",
        data={
            "csrf_token": csrf,
            "name": "Onboarding test",
            "hypothesis_prompt": "If new users see …",
            "variations": "control:Control:0.5\nchecklist:Checklist:0.5",
            "primary_metric": "activation_rate",
            "secondary_metrics": ["card_payments"],
            "guardrails": "weekly_active_accounts:decrease:0.02",
        },
    )
    assert saved.status_code == 200 and "Saved template Onboarding test." in saved.text
    assert 'data-testid="template-row"' in saved.text and "bad if decrease" in saved.text
    broken = client.post(
        "/experiments/templates",
        data={"csrf_token": csrf, "name": "Broken", "variations": "control 0.5"},
        headers={"referer": "http://testserver/experiments/templates"},
    )
    # A form error comes back on the same page as a flash message; nothing is saved.
    assert "variations, line 1" in broken.text and "Experiment templates" in broken.text
    names = [t["name"] for t in client.get(f"{API}/experiment-templates").json()["items"]]
    assert names == ["Onboarding test"]
    template = client.get(f"{API}/experiment-templates/Onboarding test").json()
    form = client.get("/experiments", params={"template": template["id"]})
    assert "If new users see" in form.text and "selected>Onboarding test" in form.text
    created = client.post(
        "/experiments",
        data={"csrf_token": csrf, "name": "Checklist v2", "template": str(template["id"])},
        follow_redirects=False,
    )
    assert created.status_code == 303
    key = created.headers["location"].rsplit("/", 1)[-1]
    made = client.get(f"{API}/experiments/{key}").json()
    assert [v["key"] for v in made["variations"]] == ["control", "checklist"]
    assert [(m["metric"], m["role"]) for m in made["metrics"]] == [
        ("activation_rate", "primary"),
        ("card_payments", "secondary"),
        ("weekly_active_accounts", "guardrail"),
    ]
    assert made["metrics"][2]["margin"] == 0.02


def test_links_to_roadmap_items_and_launches(crew: Crew) -> None:
    client = crew.client
    experiment = client.post(
        f"{API}/experiments", json={"name": "Scheduled reports test"}, headers=crew.editor
    ).json()
    key = experiment["key"]
    feature = crew.feature("Scheduled reports")
    crew.template()
    launch = crew.launch(features=[feature["key"]])
    linked = client.post(
        f"{API}/experiments/{key}/links",
        json={"type": "roadmap_item", "id": feature["key"]},
        headers=crew.editor,
    )
    assert linked.status_code == 201, linked.text
    assert linked.json() == {
        "type": "roadmap_item",
        "id": str(feature["id"]),
        "ref": f"roadmap_item:{feature['id']}",
        "kind": "related",
        "label": f"{feature['key']} Scheduled reports",
        "url": f"/roadmap/items/{feature['key']}",
    }
    by_id = client.post(
        f"{API}/experiments/{key}/links",
        json={"type": "launch", "id": str(launch["id"])},
        headers=crew.editor,
    )
    assert by_id.status_code == 201 and by_id.json()["url"] == f"/launches/{launch['key']}"
    for body, status in (
        ({"type": "roadmap_item", "id": "FEAT-999"}, 422),
        ({"type": "decision", "id": "1"}, 422),
    ):
        assert (
            client.post(
                f"{API}/experiments/{key}/links", json=body, headers=crew.editor
            ).status_code
            == status
        )
    assert (
        client.post(
            f"{API}/experiments/{key}/links",
            json={"type": "launch", "id": "1"},
            headers=crew.viewer,
        ).status_code
        == 403
    )

    read = client.get(f"{API}/experiments/{key}", headers=crew.viewer).json()
    assert [link["type"] for link in read["links"]] == ["roadmap_item", "launch"]
    assert [(link["label"], link["url"]) for link in read["links"]] == [
        (f"{feature['key']} Scheduled reports", f"/roadmap/items/{feature['key']}"),
        (f"{launch['key']} {launch['name']}", f"/launches/{launch['key']}"),
    ]
    # The roadmap item sees the same link from its side.
    item_links = client.get(f"{API}/roadmap/items/{feature['key']}/links", headers=crew.viewer).text
    assert '"experiment"' in item_links and f'"{experiment["id"]}"' in item_links

    # Deciding records the decision with the linked work in the audit entry.
    client.patch(
        f"{API}/experiments/{key}",
        json={"hypothesis": "Scheduling lifts exports.", "exposure": EXPOSURE},
        headers=crew.editor,
    )
    client.patch(
        f"{API}/workspace/settings",
        json={"experiments.require_primary_metric": False},
        headers=crew.admin,
    )
    for action in ("start", "stop"):
        assert client.post(f"{API}/experiments/{key}/{action}", headers=crew.editor).is_success
    decided = client.post(
        f"{API}/experiments/{key}/decision",
        json={"outcome": "ship", "rationale": "Exports up."},
        headers=crew.editor,
    ).json()
    assert decided["status"] == "decided" and decided["decision"]["outcome"] == "ship"
    assert len(decided["links"]) == 2
    audit = client.get(
        f"{API}/audit",
        params={"name": "experiment.decision_recorded", "object_id": key},
        headers=crew.admin,
    ).json()
    changes = audit["items"][0]["changes"]
    assert changes["linked"]["after"] == [
        f"roadmap_item:{feature['id']}",
        f"launch:{launch['id']}",
    ]

    removed = client.delete(
        f"{API}/experiments/{key}/links",
        params={"type": "roadmap_item", "id": feature["key"]},
        headers=crew.editor,
    )
    assert removed.status_code == 204
    again = client.delete(
        f"{API}/experiments/{key}/links",
        params={"type": "roadmap_item", "id": feature["key"]},
        headers=crew.editor,
    )
    assert again.status_code == 404
    left = client.get(f"{API}/experiments/{key}", headers=crew.viewer).json()["links"]
    assert [link["ref"] for link in left] == [f"launch:{launch['id']}"]


def test_experiment_page_links_form(crew: Crew, client: TestClient, accounts: Accounts) -> None:
    feature = crew.feature("Dark mode")
    sign_in(client, accounts.person(Role.editor))
    csrf = csrf_of(client)
    client.post("/experiments", data={"csrf_token": csrf, "name": "Dark mode test"})
    key = "EXP-1"
    page = client.post(
        f"/experiments/{key}/links",
        data={"csrf_token": csrf, "type": "roadmap_item", "id": feature["key"]},
    )
    assert page.status_code == 200 and f"Linked {feature['key']} Dark mode." in page.text
    assert f'href="/roadmap/items/{feature["key"]}"' in page.text
    unlinked = client.post(
        f"/experiments/{key}/links/remove",
        data={"csrf_token": csrf, "type": "roadmap_item", "id": str(feature["id"])},
    )
    assert "Not linked to a roadmap item or launch yet." in unlinked.text
