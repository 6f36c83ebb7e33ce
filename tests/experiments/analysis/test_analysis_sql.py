"""The analysis SQL returns exactly the sufficient statistics a plain computation gives.

Runs the generated SQL on DuckDB over seeded raw rows and compares every sum with
the loop-and-NumPy reference in ``synthetic.py``: exposure windows, first exposure,
zero-filled units, capping (absolute and percentile), CUPED covariates, ratio
cross-products, conversions, retention, and dimensions.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from pilothouse.experiments.analysis import (
    build_plan,
    compile_exposures,
    compile_statistics,
    run_analysis,
)
from pilothouse.experiments.analysis.runner import StatisticsTable, Target
from pilothouse.experiments.analysis.sql import NOT_SET
from pilothouse.metrics.compiler import DIALECTS, WarehouseSchema
from pilothouse.metrics.warehouses import DuckDBAdapter
from tests.experiments.analysis import synthetic as syn


@pytest.fixture(scope="module")
def data() -> syn.Data:
    return syn.generate()


@pytest.fixture(scope="module")
def target(data: syn.Data, tmp_path_factory: pytest.TempPathFactory) -> Target:
    path = tmp_path_factory.mktemp("analysis") / "events.duckdb"
    syn.write_duckdb(path, data)
    return Target(DuckDBAdapter("synthetic", str(path)), WarehouseSchema())


def _plan(**analysis: Any):  # type: ignore[no-untyped-def]
    experiment = syn.experiment(
        metrics=syn.choices(*syn.METRICS), analysis={**syn.SETTINGS, **analysis}
    )
    return build_plan(experiment, syn.catalog())


def _table(plan, target: Target) -> StatisticsTable:  # type: ignore[no-untyped-def]
    compiled = compile_statistics(plan, target.schema, target.dialect)
    table = StatisticsTable()
    table.add(compiled, plan, target.adapter.execute(compiled.sql).as_dicts())
    return table


def test_sufficient_statistics_equal_the_reference_for_every_metric_kind(
    data: syn.Data, target: Target
) -> None:
    plan = _plan()
    assert [m.kind for m in plan.metrics] == [
        "mean",
        "mean",
        "proportion",
        "ratio",
        "ratio",
        "proportion",
        "proportion",
    ]
    table = _table(plan, target)
    expected = syn.expected_sums(data, plan, syn.groups)
    assert set(table.users) == set(expected)
    for key, by_metric in expected.items():
        for name, fields in by_metric.items():
            assert table.users[key] == fields["users"], key
            got = table.sums[name][key]
            for field_name, value in fields.items():
                if field_name != "users":
                    assert got[field_name] == pytest.approx(value, rel=1e-9, abs=1e-9), (
                        key,
                        name,
                        field_name,
                    )


def test_units_without_events_count_as_zero(data: syn.Data, target: Target) -> None:
    units, _ = syn.units(data)
    ref = syn.Reference(data, syn.START)
    silent = [u for u in units if not ref.by_unit[u.unit]]
    assert silent, "the data should have exposed units without any event"
    table = _table(_plan(), target)
    overall = sum(v for (d, _, _), v in table.users.items() if d is None)
    assert overall == len(units)


def test_first_exposure_counts_and_units_in_two_variations_are_excluded(
    data: syn.Data, target: Target
) -> None:
    plan = _plan()
    rows = target.adapter.execute(compile_exposures(plan, target.schema, "duckdb")).as_dicts()
    units, multiple = syn.units(data)
    assert multiple > 20
    counted = {r["variation"]: r["units"] for r in rows}
    assert counted.pop(None) == multiple
    assert counted == {
        v: sum(1 for u in units if u.variation == v) for v in ("control", "treatment")
    }
    # Exposures before the start, and those of other experiments, are ignored.
    before = {e[0] for e in data.exposures if e[3] < syn.START and e[1] == syn.EXPERIMENT}
    assert before and not before & {u.unit for u in units}


def test_dimensions_keep_the_largest_slices_and_pool_the_rest(
    data: syn.Data, target: Target
) -> None:
    outcome = run_analysis(_plan(max_dimensions=3), target)
    assert outcome.succeeded, outcome.error
    units, _ = syn.units(data)
    by_country: dict[str, int] = defaultdict(int)
    for unit in units:
        by_country[unit.country] += 1
    ordered = sorted(by_country, key=lambda c: (-by_country[c], c))
    revenue = next(m for m in outcome.results["metrics"] if m["metric"] == "revenue")
    slices = [d for d in revenue["dimensions"] if d["dimension"] == "country"]
    assert [s["value"] for s in slices] == [*ordered[:3], "(other)"]
    other = slices[-1]
    assert sum(v["users"] for v in other["variations"]) == sum(by_country[c] for c in ordered[3:])
    assert NOT_SET in by_country
    srm = next(d for d in outcome.results["dimensions"] if d["name"] == "country")["srm"]
    assert [s["value"] for s in srm] == [*ordered[:3], "(other)"]
    assert all(0 <= s["p_value"] <= 1 for s in srm)


def test_the_run_produces_a_scorecard_with_an_error_for_unsupported_metrics(
    target: Target,
) -> None:
    experiment = syn.experiment(
        metrics=[*syn.choices("revenue", role="primary"), *syn.choices("biggest_order")],
        analysis={"cuped": True, "cuped_days": syn.CUPED_DAYS},
    )
    outcome = run_analysis(build_plan(experiment, syn.catalog()), target)
    assert outcome.succeeded, outcome.error
    revenue, biggest = outcome.results["metrics"]
    assert biggest["error"] == "UNSUPPORTED_METRIC" and "max metric" in biggest["message"]
    control, treatment = revenue["variations"]
    assert treatment["error"] is None and treatment["status"] in ("better", "worse", "inconclusive")
    assert treatment["ci"][0] < treatment["effect"] < treatment["ci"][1]
    assert 0 <= treatment["p_value"] <= 1 and treatment["theta"] is not None
    assert control["users"] + treatment["users"] == outcome.results["exposures"]["units"]
    assert "SELECT" in outcome.results["sql"]["statistics"]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_compiles_and_parses_back(dialect: str) -> None:
    plan = _plan()
    statistics = compile_statistics(plan, WarehouseSchema(), dialect)
    exposures = compile_exposures(plan, WarehouseSchema(), dialect)
    for text in (statistics.sql, exposures):
        assert sqlglot.parse_one(text, read=dialect) is not None
    assert statistics.metrics == syn.METRICS


def test_names_and_values_cannot_change_the_query(tmp_path: Path, target: Target) -> None:
    hostile = "x'); DROP TABLE events; --"
    experiment = syn.experiment(
        metrics=syn.choices("revenue"),
        exposure={
            "kind": "event",
            "event": 'Experiment "Viewed',
            "experiment_property": "exp'eriment",
            "variation_property": 'var"iation',
            "tracking_key": hostile,
        },
        analysis={"dimensions": ["property.br'owser"]},
    )
    outcome = run_analysis(build_plan(experiment, syn.catalog()), target)
    assert not outcome.succeeded and "no exposures" in (outcome.error or "")
    assert target.adapter.execute("SELECT count(*) AS n FROM events").rows[0][0] > 0
    del tmp_path
