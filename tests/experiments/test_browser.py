"""The experiment page in real headless Chromium against a served app.

A small seeded experiment (240 users in a DuckDB warehouse connection, analysed at a
70/30 split that the 50/50 data contradicts) is analysed from the page: the forest
plot and the SRM banner appear, the drill-down switches from one dimension to the
other, the experiment is stopped and decided through the forms, and the decision is
in the audit log.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.experiments import registry
from pilothouse.experiments.models import MetricRole
from tests.experiments.analysis import synthetic as syn
from tests.support.accounts import Accounts
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

pytestmark = pytest.mark.browser

CATALOG_FILE = "experiments_browser_shop.yaml"


def _experiment(served: ServedApp, warehouse: Path) -> str:
    """The warehouse connection, the metric files and a running experiment."""
    settings = served.runtime.settings
    document = {
        "version": 1,
        "connections": [{"name": "wh", "kind": "duckdb", "url": f"duckdb:///{warehouse}"}],
    }
    settings.effective_connections_path.write_text(json.dumps(document))
    settings.effective_metrics_path.mkdir(parents=True, exist_ok=True)
    (settings.effective_metrics_path / CATALOG_FILE).write_text(syn.CATALOG_YAML)
    design = registry.ExperimentDesign(
        name="Shorter checkout",
        hypothesis="A shorter checkout sells more.",
        variations=[
            registry.VariationSpec("control", "Control", 0.7),
            registry.VariationSpec("treatment", "Treatment", 0.3),
        ],
        exposure={
            "kind": "event",
            "connection": "wh",
            "event": "Experiment Viewed",
            "experiment_property": "experiment",
            "variation_property": "variation",
            "tracking_key": syn.EXPERIMENT,
        },
        metrics=[
            registry.MetricChoice("revenue", MetricRole.primary),
            registry.MetricChoice("buyers", MetricRole.secondary),
        ],
        analysis={
            "start": syn.START.isoformat(),
            "end": syn.END.isoformat(),
            "dimensions": ["country", "property.browser"],
        },
    )
    actor = Actor.command_line()
    with served.runtime.database.session() as session:
        experiment = registry.create_experiment(session, actor, design)
        registry.start(session, actor, experiment)
        return experiment.key


def test_scorecard_srm_drilldown_and_decision(
    browser: object, served: ServedApp, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    warehouse = tmp_path / "warehouse.duckdb"
    syn.write_duckdb(warehouse, syn.generate(seed=3, units=240))
    settings = served.runtime.settings
    admin = Accounts(served.runtime).person(Role.admin, email="exp.lead@example.com")
    watched = Watched(browser, served)
    page = watched.page
    try:
        key = _experiment(served, warehouse)
        sign_in(page, admin)
        page.goto(f"/experiments/{key}")
        page.get_by_test_id("analyze").click()
        expect(page.locator(".flash-success")).to_contain_text("Analysis updated.")
        expect(page.get_by_test_id("forest").locator("svg circle").first).to_be_visible()
        expect(page.get_by_test_id("srm-warning")).to_contain_text("Sample ratio mismatch")
        expect(page.get_by_test_id("scorecard-row")).to_have_count(4)

        tables = page.get_by_test_id("dimension-table")
        expect(tables.first).to_have_attribute("data-dimension", "country")
        expect(tables.first).to_contain_text("US")
        page.get_by_test_id("dimension-tabs").get_by_role("link", name="property.browser").click()
        expect(tables.first).to_have_attribute("data-dimension", "property.browser")
        expect(tables.first).to_contain_text("chrome")
        expect(tables.first).not_to_contain_text("US")

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Stop").click()
        expect(page.locator(".flash-success")).to_contain_text(f"{key} stopped.")
        page.get_by_label("Outcome").select_option("iterate")
        page.get_by_label("Rationale").fill("The split is broken: fix the assignment first.")
        page.get_by_role("button", name="Record decision").click()
        expect(page.locator("h1 .badge")).to_have_text("Decided")
        expect(page.get_by_test_id("decision")).to_contain_text("fix the assignment first")

        page.goto("/admin/audit?object_type=experiment")
        rows = page.get_by_test_id("audit-row")
        expect(rows.filter(has_text="experiment.decided")).to_have_count(1)
        expect(rows.filter(has_text=re.compile("experiment.decision_recorded"))).to_contain_text(
            "exp.lead@example.com"
        )
    finally:
        watched.close()
        settings.effective_connections_path.unlink(missing_ok=True)
        (settings.effective_metrics_path / CATALOG_FILE).unlink(missing_ok=True)
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
