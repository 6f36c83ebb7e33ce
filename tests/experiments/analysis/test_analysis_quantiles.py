"""Quantile metrics: the SQL's quantile and bounds equal NumPy's on the same units.

The seeded rows of ``synthetic.py`` run on DuckDB (the embedded layout) and on a real
PostgreSQL warehouse (an exposure table, through the analysis service). For every
variation, overall and per country, the per-unit values are computed from the raw
rows with loops, and ``np.quantile(..., method="inverted_cdf")`` at the level and at
the bound levels ``ν ∓ z·sqrt(ν(1 − ν)/n)`` must give exactly the SQL's numbers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import numpy as np
import psycopg
import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.analysis import build_plan, compile_statistics, service
from pilothouse.experiments.analysis.plan import UNSUPPORTED_METRIC
from pilothouse.experiments.analysis.quantiles import bound_levels
from pilothouse.experiments.analysis.runner import StatisticsTable
from pilothouse.experiments.analysis.settings import parse_analysis_settings
from pilothouse.experiments.models import MetricRole
from pilothouse.metrics.compiler import DIALECTS, WarehouseSchema
from pilothouse.metrics.warehouses import DuckDBAdapter
from tests.experiments.analysis import synthetic as syn

SETTINGS: dict[str, Any] = {
    "dimensions": ["country"],
    "metrics": {
        "revenue": {"quantile": 0.9},
        "orders": {"quantile": {"level": 0.5, "ignore_zeros": True}},
        "buyers": {"quantile": 0.9},
    },
}
METRICS = ("revenue", "orders", "buyers", "order_value")


def _values(data: syn.Data) -> tuple[list[syn.Unit], dict[str, np.ndarray]]:
    """Per-unit revenue and order counts after first exposure, from the raw rows."""
    units, _ = syn.units(data)
    ref = syn.Reference(data, syn.START)
    revenue = [ref.total(u.unit, "Order Completed", "amount", u.first, None) for u in units]
    orders = [ref.count(u.unit, "Order Completed", u.first, None) for u in units]
    return units, {"revenue": np.array(revenue), "orders": np.array(orders)}


def _expected(data: syn.Data, with_countries: bool = True) -> dict[tuple[Any, ...], dict[str, Any]]:
    """NumPy's quantile and bounds per (dimension, value, variation) and metric."""
    units, values = _values(data)
    members: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, unit in enumerate(units):
        members[(None, None, unit.variation)].append(index)
        if with_countries:
            members[("country", unit.country, unit.variation)].append(index)
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for key, picked in members.items():
        out[key] = {}
        for name, level, ignore_zeros in (("revenue", 0.9, False), ("orders", 0.5, True)):
            x = values[name][picked]
            if ignore_zeros:
                x = x[x != 0]
            n = len(x)
            lower, upper = bound_levels(level, n)
            at = [min(max(p, 0.0), 1.0) for p in (level, lower, upper)]
            quantiles = [float(np.quantile(x, p, method="inverted_cdf")) for p in at]
            out[key][name] = {
                "quantile_n": float(n),
                "quantile_nstar": float(n),
                "quantile": quantiles[0],
                "quantile_lower": quantiles[1],
                "quantile_upper": quantiles[2],
            }
    return out


def _plan(dimensions: bool = True):  # type: ignore[no-untyped-def]
    analysis = {**SETTINGS, "dimensions": ["country"] if dimensions else []}
    return build_plan(
        syn.experiment(metrics=syn.choices(*METRICS), analysis=analysis), syn.catalog()
    )


def _assert_equal(got: dict[str, float], want: dict[str, float], where: Any) -> None:
    for field, value in want.items():
        assert got[field] == pytest.approx(value, rel=1e-12, abs=1e-12), (where, field)


@pytest.fixture(scope="module")
def data() -> syn.Data:
    return syn.generate(seed=21, units=900)


def test_plan_marks_quantile_metrics_and_refuses_proportions() -> None:
    plan = _plan()
    by_name = {m.name: m for m in plan.metrics}
    assert by_name["revenue"].kind == "quantile" and by_name["revenue"].label == "P90 of Revenue"
    assert not by_name["revenue"].cuped and by_name["revenue"].cap is None
    assert by_name["orders"].quantile is not None and by_name["orders"].quantile.ignore_zeros
    assert by_name["buyers"].error == UNSUPPORTED_METRIC
    assert "quantile needs a count or sum metric" in (by_name["buyers"].message or "")
    assert by_name["order_value"].kind == "ratio"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"quantile": 1.2}, "analysis.metrics.revenue.quantile"),
        ({"quantile": {"level": 0}}, "analysis.metrics.revenue.quantile.level"),
        ({"quantile": {"level": 0.5, "zeros": True}}, "analysis.metrics.revenue.quantile.zeros"),
        ({"quantile": True}, "analysis.metrics.revenue.quantile"),
    ],
)
def test_invalid_quantile_settings_name_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(Exception) as caught:
        parse_analysis_settings({"metrics": {"revenue": raw}})
    assert caught.value.errors[0].field == field  # type: ignore[attr-defined]


def test_duckdb_quantiles_and_bounds_equal_numpy(data: syn.Data, tmp_path: Any) -> None:
    path = tmp_path / "events.duckdb"
    syn.write_duckdb(path, data)
    adapter = DuckDBAdapter("synthetic", str(path))
    plan = _plan()
    compiled = compile_statistics(plan, WarehouseSchema(), "duckdb")
    assert "ROW_NUMBER() OVER" in compiled.sql and "APPROX" not in compiled.sql.upper()
    table = StatisticsTable()
    table.add(compiled, plan, adapter.execute(compiled.sql).as_dicts())
    expected = _expected(data)
    assert set(table.users) == set(expected)
    for key, by_metric in expected.items():
        for name, want in by_metric.items():
            _assert_equal(table.sums[name][key], want, (key, name))
    # The ratio metric next to the quantiles is unchanged: its sums are still there.
    assert table.sums["order_value"][(None, None, "control")]["denominator_sum"] > 0


def test_every_dialect_compiles_quantiles() -> None:
    plan = _plan()
    for dialect in DIALECTS:
        sql = compile_statistics(plan, WarehouseSchema(), dialect).sql
        assert "quantile_upper" in sql, dialect


TABLES = """
CREATE SCHEMA analytics;
CREATE TABLE analytics.exposures (
    unit_id text, experiment text, variation text, exposed_at timestamptz);
CREATE TABLE analytics.tracks (
    message_id text, event text, user_id text, anonymous_id text, account_id text,
    occurred_at timestamptz, received_at timestamptz, properties jsonb, source_id integer);
"""


def _load_postgres(url: str, data: syn.Data) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(TABLES)
        with cursor.copy("COPY analytics.exposures FROM STDIN") as copy:
            for unit, experiment, variation, ts, _ in data.exposures:
                copy.write_row((unit, experiment, variation, ts))
        with cursor.copy(
            "COPY analytics.tracks (message_id, event, user_id, occurred_at, received_at, "
            "properties) FROM STDIN"
        ) as copy:
            for index, (event, unit, ts, props) in enumerate(data.events):
                copy.write_row((f"m{index}", event, unit, ts, ts, json.dumps(props)))


def _connections(runtime: Runtime, url: str) -> None:
    events = {"name": "tracks", "schema": "analytics", "columns": {"timestamp": "occurred_at"}}
    document = {
        "version": 1,
        "connections": [
            {"name": "dwh", "kind": "postgres", "url": url, "schema": {"events": events}}
        ],
    }
    runtime.settings.effective_connections_path.write_text(json.dumps(document))


@pytest.mark.postgresql
def test_postgres_end_to_end_quantile_analysis_equals_numpy(
    runtime: Runtime, database_factory: Any, data: syn.Data
) -> None:
    url = database_factory.new_url("postgresql")
    _load_postgres(url, data)
    _connections(runtime, url)
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(syn.CATALOG_YAML)
    design = registry.ExperimentDesign(
        name="P90 revenue",
        variations=[
            registry.VariationSpec("control", "Control", 0.5),
            registry.VariationSpec("treatment", "Treatment", 0.5),
        ],
        exposure={
            "kind": "table",
            "connection": "dwh",
            "table": "analytics.exposures",
            "unit_column": "unit_id",
            "experiment_column": "experiment",
            "variation_column": "variation",
            "timestamp_column": "exposed_at",
            "tracking_key": syn.EXPERIMENT,
        },
        metrics=[
            registry.MetricChoice("revenue", MetricRole.primary),
            registry.MetricChoice("orders", MetricRole.secondary),
            registry.MetricChoice("buyers", MetricRole.secondary),
        ],
        analysis={
            "metrics": SETTINGS["metrics"],
            "start": syn.START.isoformat(),
            "end": syn.END.isoformat(),
        },
    )
    actor = Actor.command_line()
    with runtime.database.session() as session:
        experiment = registry.create_experiment(session, actor, design)
        snapshot = service.analyze_experiment(session, runtime, actor, experiment)
    assert snapshot.succeeded, snapshot.error
    results = snapshot.results
    assert results["dialect"] == "postgres"
    expected = _expected(data, with_countries=False)
    by_name = {m["metric"]: m for m in results["metrics"]}
    for name in ("revenue", "orders"):
        entry = by_name[name]
        assert entry["kind"] == "quantile" and entry["error"] is None, entry
        for variation, stats in entry["statistics"].items():
            _assert_equal(stats, expected[(None, None, variation)][name], (name, variation))
        treatment = entry["variations"][1]
        # The stats engine turned the bounds into an effect with an interval and a p-value.
        assert isinstance(treatment["effect"], int | float) and treatment["p_value"] is not None
        assert entry["variations"][0]["mean"] == pytest.approx(
            expected[(None, None, "control")][name]["quantile"], rel=1e-6
        )
    assert by_name["buyers"]["error"] == UNSUPPORTED_METRIC
