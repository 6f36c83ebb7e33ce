"""Real public data through the whole pipeline: import -> analysis SQL -> stats engine.

The Udacity landing-page test (``../shared/data/experiments/ab_data.csv``) after the
usual cleaning has 290,584 users and converts 12.04 % (old page) vs 11.88 % (new
page), not significantly. The data is test data only (the demo is simulated and
needs no file outside the package): ``public_ab_data`` makes the events, the bulk
importer loads them into a fresh embedded store, and the experiment is analysed
exactly as the API does.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from scipy.stats import norm

from pilothouse.experiments.analysis import build_plan, run_analysis
from pilothouse.experiments.analysis.runner import Target
from pilothouse.metrics.compiler import WarehouseSchema
from pilothouse.metrics.definitions import load_catalog
from pilothouse.metrics.importer import ColumnMapping, plan_import
from pilothouse.metrics.segment import Identify
from pilothouse.metrics.store import EventStore
from pilothouse.metrics.warehouses import DuckDBAdapter
from tests.experiments.analysis import public_ab_data

FOLDER = public_ab_data.data_folder()
needs_data = pytest.mark.skipif(
    not (FOLDER / "ab_data.csv").is_file(), reason=f"public A/B data not found in {FOLDER}"
)


@pytest.mark.slow
@needs_data
def test_udacity_conversion_through_import_sql_and_stats(tmp_path: Path) -> None:
    tables, traits = public_ab_data.udacity_events(FOLDER)
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
        catalog = load_catalog(public_ab_data.METRICS)
        analysis_plan = build_plan(public_ab_data.udacity_experiment(), catalog)
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
