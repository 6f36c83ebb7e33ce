"""Real public data through the whole pipeline: import -> analysis SQL -> stats engine.

The Udacity landing-page test (``../shared/data/experiments/ab_data.csv``) after the
usual cleaning has 290,584 users and converts 12.04 % (old page) vs 11.88 % (new
page), not significantly. Here the demo's converter makes the events, the bulk
importer loads them into a fresh embedded store, and the experiment is analysed
exactly as the demo and the API do. The demo step itself skips cleanly when the data
folder is missing.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest
from scipy.stats import norm

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import demo
from pilothouse.experiments.analysis import build_plan, run_analysis
from pilothouse.experiments.analysis.runner import Target
from pilothouse.metrics.compiler import WarehouseSchema
from pilothouse.metrics.definitions import load_catalog
from pilothouse.metrics.importer import ColumnMapping, plan_import
from pilothouse.metrics.segment import Identify
from pilothouse.metrics.store import EventStore
from pilothouse.metrics.warehouses import DuckDBAdapter

FOLDER = demo.data_folder()
needs_data = pytest.mark.skipif(
    not (FOLDER / "ab_data.csv").is_file(), reason=f"public A/B data not found in {FOLDER}"
)


def _udacity_experiment() -> SimpleNamespace:
    design = demo.DATASETS[0].design
    return SimpleNamespace(
        key="EXP-1",
        analysis_unit="user",
        exposure=design["exposure"],
        analysis=design["analysis"],
        started_at=None,
        ended_at=None,
        variations=[SimpleNamespace(key=k, name=n, weight=w) for k, n, w in design["variations"]],
        metrics=[
            SimpleNamespace(metric=m, role=r, bad_direction=b, margin=g)
            for m, r, b, g in design["metrics"]
        ],
    )


@pytest.mark.slow
@needs_data
def test_udacity_conversion_through_import_sql_and_stats(tmp_path: Path) -> None:
    tables, traits = demo.udacity_events(FOLDER)
    store = EventStore(tmp_path / "events.duckdb")
    try:
        for index, table in enumerate(tables):
            path = tmp_path / f"udacity-{index}.parquet"
            pq.write_table(table, path)
            plan = plan_import(path, "parquet", ColumnMapping())
            assert not plan.problems
            store.write(events=plan.events, received_at=plan.received_at)
        when = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)
        store.write(
            identifies=[
                Identify(f"{u}-c", u, None, None, {"country": c}, when) for u, c in traits.items()
            ],
            received_at=when,
        )
        catalog = load_catalog(demo.DEFINITIONS)
        analysis_plan = build_plan(_udacity_experiment(), catalog)
        adapter = DuckDBAdapter("embedded", str(store.path), connection=store.connection)
        outcome = run_analysis(analysis_plan, Target(adapter, WarehouseSchema()))
    finally:
        store.close()
    assert outcome.succeeded, outcome.error
    results = outcome.results
    assert results["exposures"] == {"units": 290_584, "multiple_variations": 0}
    [metric] = results["metrics"]
    control, treatment = metric["variations"]
    assert (control["users"], treatment["users"]) == (145_274, 145_310)
    stats = metric["statistics"]
    assert (stats["control"]["main_sum"], stats["treatment"]["main_sum"]) == (17_489, 17_264)
    assert round(control["mean"], 4) == 0.1204 and round(treatment["mean"], 4) == 0.1188
    # By hand: the relative effect and its delta-method variance
    # s_b^2 / (n_b p_a^2) + p_b^2 s_a^2 / (n_a p_a^4); with ~290k units t is normal.
    (n1, c1), (n2, c2) = (145_274, 17_489), (145_310, 17_264)
    p1, p2 = c1 / n1, c2 / n2
    relative = (p2 - p1) / p1
    se = math.sqrt(p2 * (1 - p2) / (n2 * p1**2) + p2**2 * p1 * (1 - p1) / (n1 * p1**4))
    assert treatment["effect"] == pytest.approx(relative, rel=1e-9)
    assert treatment["p_value"] == pytest.approx(2 * norm.sf(abs(relative) / se), abs=1e-5)
    assert 0.18 < treatment["p_value"] < 0.2 and treatment["status"] == "inconclusive"
    assert results["srm"]["warning"] is False
    countries = {d["value"]: d for d in metric["dimensions"]}
    assert set(countries) == {"US", "UK", "CA"}
    assert sum(sum(v["users"] for v in d["variations"]) for d in countries.values()) == 290_584


def test_the_demo_step_skips_with_a_notice_without_the_data(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "data_folder", lambda: tmp_path / "nowhere")
    with runtime.database.session() as session:
        result = demo.load_demo_experiments(session, Actor.command_line(), runtime)
    assert result.added == {}
    assert len(result.notices) == 1 and "skipped" in result.notices[0]
    assert str(tmp_path / "nowhere") in result.notices[0]
