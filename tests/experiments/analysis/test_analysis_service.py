"""Running analyses through the API, the service and the CLI, on SQLite and PostgreSQL.

Events go into the runtime's embedded store, experiments into the app database; every
run is a stored snapshot. Covers the API routes and their roles, cursor paging, the
SQL and power endpoints, and bad input: a variation without units, exposures with a
variation the experiment lacks (a failed snapshot that hides nothing), and a metric
the warehouse fails on (that metric errors, the others are produced).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy.stats import norm
from typer.testing import CliRunner

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.analysis import service
from pilothouse.experiments.models import MetricRole
from pilothouse.metrics.segment import TrackedEvent
from tests.experiments.analysis import synthetic as syn
from tests.support.accounts import Accounts

ANALYSIS = {
    "start": syn.START.isoformat(),
    "end": syn.END.isoformat(),
    "cuped": True,
    "cuped_days": syn.CUPED_DAYS,
    "dimensions": ["country"],
}
EXPOSURE = {
    "kind": "event",
    "event": "Experiment Viewed",
    "experiment_property": "experiment",
    "variation_property": "variation",
    "tracking_key": syn.EXPERIMENT,
}


@pytest.fixture
def shop(runtime: Runtime) -> syn.Data:
    """The metric files and the synthetic events in the runtime's embedded store."""
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(syn.CATALOG_YAML)
    data = syn.generate(units=500)
    events, identifies = syn.tracked(data)
    runtime.event_store.write(
        events=events, identifies=identifies, received_at=dt.datetime.now(dt.UTC)
    )
    return data


def _create(runtime: Runtime, **changes: Any) -> str:
    variations = changes.pop(
        "variations",
        [("control", "Control", 0.5), ("treatment", "Treatment", 0.5)],
    )
    metrics = changes.pop(
        "metrics",
        [
            ("revenue", MetricRole.primary, None, None),
            ("buyers", MetricRole.secondary, None, None),
            ("orders", MetricRole.guardrail, "decrease", 0.05),
        ],
    )
    design = registry.ExperimentDesign(
        name=changes.pop("name", "Checkout test"),
        hypothesis="A shorter checkout sells more.",
        variations=[registry.VariationSpec(*v) for v in variations],
        exposure=changes.pop("exposure", EXPOSURE),
        metrics=[registry.MetricChoice(*m) for m in metrics],
        analysis=changes.pop("analysis", ANALYSIS),
    )
    with runtime.database.session() as session:
        experiment = registry.create_experiment(session, Actor.command_line(), design)
        return experiment.key


@pytest.fixture
def editor(accounts: Accounts) -> dict[str, str]:
    return accounts.bearer(accounts.person(Role.editor))


@pytest.fixture
def viewer(accounts: Accounts) -> dict[str, str]:
    return accounts.bearer(accounts.person(Role.viewer))


def test_the_api_runs_analyses_and_serves_snapshots_results_sql_and_power(
    client: TestClient,
    runtime: Runtime,
    shop: syn.Data,
    editor: dict[str, str],
    viewer: dict[str, str],
) -> None:
    key = _create(runtime)
    assert client.get(f"/api/v1/experiments/{key}/results", headers=viewer).status_code == 404
    first = client.post(f"/api/v1/experiments/{key}/analyze", headers=editor)
    assert first.status_code == 201, first.text
    snapshot = first.json()
    assert snapshot["succeeded"] and snapshot["error"] is None
    results = snapshot["results"]
    units, multiple = syn.units(shop)
    assert results["exposures"] == {"units": len(units), "multiple_variations": multiple}
    assert [v["key"] for v in results["variations"]] == ["control", "treatment"]
    revenue, buyers, orders = results["metrics"]
    assert (revenue["role"], revenue["kind"], revenue["cuped"]) == ("primary", "mean", True)
    assert buyers["kind"] == "proportion" and orders["test"] == "less"
    assert orders["guardrail_breached"] in (True, False)
    assert revenue["variations"][1]["ci"][0] < revenue["variations"][1]["effect"]
    assert {d["dimension"] for d in revenue["dimensions"]} == {"country"}
    second = client.post(f"/api/v1/experiments/{key}/analyze", headers=editor).json()

    page = client.get(f"/api/v1/experiments/{key}/snapshots?limit=1", headers=viewer).json()
    assert [s["id"] for s in page["items"]] == [second["id"]]
    assert page["items"][0]["summary"]["metrics"][0]["metric"] == "revenue"
    rest = client.get(
        f"/api/v1/experiments/{key}/snapshots?limit=1&cursor={page['next_cursor']}",
        headers=viewer,
    ).json()
    assert [s["id"] for s in rest["items"]] == [snapshot["id"]] and rest["next_cursor"] is None
    latest = client.get(f"/api/v1/experiments/{key}/results", headers=viewer).json()
    assert latest["id"] == second["id"]
    one = client.get(f"/api/v1/experiments/{key}/snapshots/{snapshot['id']}", headers=viewer)
    assert one.json()["results"] == results

    sql = client.get(f"/api/v1/experiments/{key}/sql?dialect=bigquery", headers=viewer).json()
    assert sql["dialect"] == "bigquery" and "`events`" in sql["statistics"]
    assert sql["metrics"] == ["revenue", "buyers", "orders"]
    bad = client.get(f"/api/v1/experiments/{key}/sql?dialect=oracle", headers=viewer)
    assert bad.status_code == 400 and "oracle" in bad.json()["detail"]

    power = client.get(
        f"/api/v1/experiments/{key}/power?metric=revenue&lookback_days=7&effect=0.1",
        headers=viewer,
    )
    assert power.status_code == 200, power.text
    report = power.json()
    assert report["metric"] == "revenue" and report["history"]["units"] > 0
    mdes = [m["mde"] for m in report["mde"]]
    assert mdes == sorted(mdes, reverse=True) and report["duration_days"] > 0
    assert 0 < report["mid_experiment"]["power_at_planned"] <= 1


def test_viewers_read_but_only_editors_run_analyses(
    client: TestClient, runtime: Runtime, shop: syn.Data, viewer: dict[str, str]
) -> None:
    del shop
    key = _create(runtime)
    refused = client.post(f"/api/v1/experiments/{key}/analyze", headers=viewer)
    assert refused.status_code == 403
    assert client.get(f"/api/v1/experiments/{key}/snapshots", headers=viewer).json() == {
        "items": [],
        "next_cursor": None,
    }
    missing = client.post("/api/v1/experiments/EXP-99/analyze", headers=viewer)
    assert missing.status_code in (403, 404)


def test_a_failed_run_is_stored_and_never_hides_the_last_good_one(
    runtime: Runtime, shop: syn.Data
) -> None:
    del shop
    key = _create(runtime)
    actor = Actor.command_line()
    with runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        good = service.analyze_experiment(session, runtime, actor, experiment)
        assert good.succeeded
        good_id = good.id
    stray = [
        TrackedEvent(
            f"stray-{i}",
            "Experiment Viewed",
            f"stray-{i}",
            None,
            None,
            syn.START + dt.timedelta(days=1),
            {"experiment": syn.EXPERIMENT, "variation": "treatmnt"},
        )
        for i in range(3)
    ]
    runtime.event_store.write(events=stray, received_at=dt.datetime.now(dt.UTC))
    with runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        failed = service.analyze_experiment(session, runtime, actor, experiment)
        assert not failed.succeeded
        assert "'treatmnt'" in (failed.error or "") and "3 units" in (failed.error or "")
        assert "SELECT" in failed.results["sql"]["exposures"]
        failed_id = failed.id
    with runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        assert service.latest_results(session, experiment).id == good_id
        page = service.list_snapshots(session, experiment, PageRequest(10))
        assert [(s.id, s.succeeded) for s in page.items] == [(failed_id, False), (good_id, True)]


def test_a_metric_the_warehouse_fails_on_errors_alone(runtime: Runtime, shop: syn.Data) -> None:
    del shop
    broken = TrackedEvent(
        "broken-1",
        "Order Completed",
        "u0001",
        None,
        None,
        syn.START + dt.timedelta(days=2),
        {"amount": "n/a"},
    )
    runtime.event_store.write(events=[broken], received_at=dt.datetime.now(dt.UTC))
    key = _create(runtime)
    with runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        snapshot = service.analyze_experiment(session, runtime, Actor.command_line(), experiment)
    assert snapshot.succeeded, snapshot.error
    revenue, buyers, orders = snapshot.results["metrics"]
    assert revenue["error"] == "WAREHOUSE_ERROR" and "n/a" in revenue["message"]
    assert revenue["variations"] == []
    assert buyers["error"] is None and buyers["variations"][1]["p_value"] is not None
    assert orders["error"] is None
    sql = snapshot.results["sql"]
    assert set(sql["per_metric"]) == {"revenue", "buyers", "orders"}
    assert "n/a" in sql["statistics_error"]


def test_a_variation_without_units_gets_an_error_code_and_an_srm_warning(
    runtime: Runtime, shop: syn.Data
) -> None:
    del shop
    key = _create(
        runtime,
        variations=[
            ("control", "Control", 0.4),
            ("treatment", "Treatment", 0.4),
            ("holdout", "Holdout", 0.2),
        ],
    )
    with runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        snapshot = service.analyze_experiment(session, runtime, Actor.command_line(), experiment)
    assert snapshot.succeeded, snapshot.error
    results = snapshot.results
    assert results["variations"][2]["users"] == 0 and results["srm"]["warning"] is True
    revenue = results["metrics"][0]
    treatment, holdout = revenue["variations"][1:]
    assert treatment["error"] is None
    assert holdout["error"] == "NO_UNITS_IN_VARIATION" and holdout["effect"] is None


def test_designs_that_cannot_be_analysed_are_refused_and_store_nothing(
    client: TestClient, runtime: Runtime, shop: syn.Data, editor: dict[str, str]
) -> None:
    del shop
    no_source = _create(runtime, exposure={})
    typo = _create(runtime, name="Typo", analysis={**ANALYSIS, "cupped": True})
    for key, field in ((no_source, "exposure.kind"), (typo, "analysis.cupped")):
        response = client.post(f"/api/v1/experiments/{key}/analyze", headers=editor)
        assert response.status_code == 422, response.text
        assert field in json.dumps(response.json())
        listed = client.get(f"/api/v1/experiments/{key}/snapshots", headers=editor).json()
        assert listed["items"] == []


def test_the_cli_lists_shows_and_analyzes(
    runtime: Runtime, shop: syn.Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    del shop
    key = _create(runtime)
    runtime.__dict__.pop("event_store").close()  # the command opens the store itself
    monkeypatch.setenv("PILOTHOUSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("PILOTHOUSE_DATABASE_URL", runtime.database.url)
    from pilothouse.cli.main import app

    runner = CliRunner()
    listed = runner.invoke(app, ["experiments", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [e["key"] for e in json.loads(listed.output)] == [key]
    drafts = runner.invoke(app, ["experiments", "list", "--status", "running", "--format", "csv"])
    assert drafts.exit_code == 0 and drafts.output.strip() == (
        "key,name,status,unit,variations,metrics,started_at,ended_at"
    )
    analyzed = runner.invoke(app, ["experiments", "analyze", key, "--format", "json"])
    assert analyzed.exit_code == 0, analyzed.output
    snapshot = json.loads(analyzed.output)
    assert snapshot["succeeded"] and snapshot["results"]["metrics"][0]["metric"] == "revenue"
    text = runner.invoke(app, ["experiments", "analyze", key], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "Scorecard" in text.output and "revenue" in text.output
    shown = runner.invoke(app, ["experiments", "show", key, "--format", "json"])
    assert json.loads(shown.output)["latest_results"]["snapshot"] == snapshot["id"] + 1
    plain = runner.invoke(app, ["experiments", "show", key])
    assert plain.exit_code == 0 and "variations:" in plain.output
    unknown = runner.invoke(app, ["experiments", "show", "EXP-404"])
    assert unknown.exit_code == 1


def test_power_uses_the_metric_variance_over_the_weeks_before_the_start(
    runtime: Runtime, shop: syn.Data
) -> None:
    key = _create(runtime)
    with runtime.database.session() as session:
        experiment = registry.find_experiment(session, key)
        report = service.power_for(
            session, runtime, experiment, metric="revenue", lookback_days=7, effect=0.1
        )
    lo, hi = syn.START - dt.timedelta(days=7), syn.START
    everything = [*syn.exposure_events(shop), *shop.events]
    active = sorted({u for _, u, ts, _ in everything if u is not None and lo <= ts < hi})
    revenue = dict.fromkeys(active, 0.0)
    for event, unit, ts, props in shop.events:
        if event == "Order Completed" and unit in revenue and lo <= ts < hi:
            revenue[unit] += props.get("amount", 0.0)
    values = np.array([revenue[u] for u in active])
    history = report["history"]
    assert history["units"] == len(active)
    assert history["mean"] == pytest.approx(values.mean(), rel=1e-9)
    assert history["variance"] == pytest.approx(values.var(ddof=1), rel=1e-9)
    daily = len(active) / 7
    z = norm.ppf(0.975) + norm.ppf(0.8)
    two_weeks = next(m for m in report["mde"] if m["days"] == 14)
    n = daily * 14 / 2
    expected = z * np.sqrt(2 * values.var(ddof=1) / n) / values.mean()
    assert two_weeks["mde"] == pytest.approx(expected, rel=1e-9)
    needed = np.ceil(z**2 * values.var(ddof=1) * 4 / (0.1 * values.mean()) ** 2)
    assert report["duration_days"] == np.ceil(needed / daily)
    assert report["mid_experiment"] is None
