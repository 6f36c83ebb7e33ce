"""Key results bound to catalog metrics: names checked when saved (422 on ``metric_slug`` with
the closest catalog name), names saved before the check resolved leniently, values of percent
metrics shown in percent points and rounded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from pilothouse.core.runtime import Runtime
from pilothouse.metrics.segment import TrackedEvent
from pilothouse.roadmap.kr_metrics import MetricCatalog, format_value
from pilothouse.roadmap.models import KeyResult
from tests.roadmap.helpers import API, Team, write_metric_catalog


def write_catalog(runtime: Runtime) -> None:
    """Two metrics and a history: 3 sign-ups 3 days ago, 2 of them activated (66.7 %)."""
    write_metric_catalog(runtime)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    later = when + dt.timedelta(hours=1)
    events = [TrackedEvent(f"s{i}", "Signed Up", f"u{i}", None, None, when, {}) for i in range(3)]
    events += [
        TrackedEvent(f"d{i}", "Dashboard Created", f"u{i}", None, None, later, {}) for i in range(2)
    ]
    runtime.event_store.write(events=events, received_at=when)


@pytest.fixture
def measured(team: Team, runtime: Runtime) -> Team:
    write_catalog(runtime)
    return team


def test_unknown_metric_is_refused_with_the_closest_name(measured: Team) -> None:
    response = measured.client.post(
        f"{API}/objectives",
        json={
            "title": "Activate",
            "key_results": [{"title": "Rate", "metric_slug": "activation_rat", "target_value": 70}],
        },
        headers=measured.editor,
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "key_results.0.metric_slug"
    assert "did you mean 'activation_rate'" in error["message"]
    assert measured.get("/objectives")["items"] == []  # nothing stored


def test_dash_spelling_is_stored_as_the_catalog_name_and_shows_a_value(measured: Team) -> None:
    created = measured.client.post(
        f"{API}/objectives",
        json={
            "title": "Activate",
            "key_results": [
                {"title": "Rate", "metric_slug": "Activation-Rate", "target_value": 70}
            ],
        },
        headers=measured.editor,
    )
    assert created.status_code == 201, created.text
    kr = created.json()["key_results"][0]
    assert kr["metric_slug"] == "activation_rate"
    assert kr["current_source"] == "metric"
    assert kr["current_value"] == pytest.approx(200 / 3)  # percent points: 2 of 3


def test_names_saved_before_the_check_still_resolve(measured: Team, runtime: Runtime) -> None:
    created = measured.client.post(
        f"{API}/objectives",
        json={
            "title": "Activate",
            "key_results": [
                {"title": "Rate", "metric_slug": "activation_rate", "target_value": 70}
            ],
        },
        headers=measured.editor,
    ).json()
    with runtime.database.session() as session:  # a workspace from before the check
        session.execute(update(KeyResult).values(metric_slug="activation-rate"))
    again = measured.get(f"/objectives/{created['key']}")["key_results"][0]
    assert again["metric_slug"] == "activation-rate"
    assert again["current_value"] == pytest.approx(200 / 3)


def test_key_result_edit_checks_the_metric(measured: Team) -> None:
    created = measured.client.post(
        f"{API}/objectives",
        json={"title": "Grow", "key_results": [{"title": "Sign-ups", "target_value": 10}]},
        headers=measured.editor,
    ).json()
    kr_id = created["key_results"][0]["id"]
    bad = measured.client.patch(
        f"{API}/key-results/{kr_id}", json={"metric_slug": "sign_ups"}, headers=measured.editor
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "metric_slug"
    assert "did you mean 'signups'" in bad.json()["errors"][0]["message"]


def test_catalog_resolution_and_display_rounding() -> None:
    catalog = MetricCatalog({"activation_rate": "percent", "weekly_active_users": "number"})
    assert catalog.resolve("activation-rate") == "activation_rate"
    assert catalog.resolve("WEEKLY-ACTIVE-USERS") == "weekly_active_users"
    assert catalog.resolve("activation") is None
    assert catalog.suggestion("weekly_active_user") == "weekly_active_users"
    assert catalog.suggestion("revenue") is None
    assert format_value(63.2456, "%", "percent") == "63.2%"
    assert format_value(0.632, "", None) == "0.632"
    assert format_value(2400.4, "users") == "2,400 users"
    assert format_value(12.3456) == "12.35"
    assert format_value(None) == "—"
