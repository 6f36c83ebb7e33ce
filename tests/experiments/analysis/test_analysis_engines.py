"""The same analysis SQL on embedded ClickHouse (chdb) and Spark gives the reference sums.

The seeded rows of ``synthetic.py`` go through Parquet files (JSON as text,
timestamps as UTC instants) into chdb tables and Spark views, laid out like the
metrics parity suite; every sufficient statistic of every metric kind, overall and
per dimension value, must equal the plain computation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from pilothouse.experiments.analysis import build_plan, compile_exposures, compile_statistics
from pilothouse.experiments.analysis.runner import StatisticsTable
from pilothouse.metrics.warehouses import WarehouseAdapter, create_adapter
from tests.experiments.analysis import synthetic as syn
from tests.metrics.parity.engines import CHDB_DDL, SPARK_DDL, SPARK_TEST_OPTIONS

UTC_US = pa.timestamp("us", tz="UTC")


@pytest.fixture(scope="module")
def data() -> syn.Data:
    return syn.generate(seed=5, units=800)


@pytest.fixture(scope="module")
def parquet(data: syn.Data, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("analysis-parquet")
    rows = [*syn.exposure_events(data), *data.events]
    nothing = pa.array([None] * len(rows), pa.string())
    events = pa.table(
        {
            "message_id": [f"m{i}" for i in range(len(rows))],
            "event": [r[0] for r in rows],
            "user_id": pa.array([r[1] for r in rows], pa.string()),
            "anonymous_id": nothing,
            "account_id": nothing,
            "timestamp": pa.array([r[2] for r in rows], UTC_US),
            "received_at": pa.array([r[2] for r in rows], UTC_US),
            "properties": [json.dumps(r[3]) for r in rows],
            "source_id": pa.array([0] * len(rows), pa.int32()),
        }
    )
    never = pa.array([None] * len(data.traits), UTC_US)
    users = pa.table(
        {
            "user_id": list(data.traits),
            "traits": [json.dumps(t) for t in data.traits.values()],
            "first_seen_at": never,
            "updated_at": never,
        }
    )
    paths = {"events": folder / "events.parquet", "users": folder / "users.parquet"}
    pq.write_table(events, paths["events"])
    pq.write_table(users, paths["users"])
    return paths


@pytest.fixture(scope="module")
def chdb(parquet: dict[str, Path]) -> Iterator[WarehouseAdapter]:
    adapter = create_adapter("clickhouse", "analysis-chdb", "chdb://")
    session = adapter.embedded_session()  # type: ignore[attr-defined]
    for table, path in parquet.items():
        session.query(
            f"CREATE TABLE {table} ({CHDB_DDL[table]}) ENGINE = MergeTree ORDER BY tuple()"
        )
        source = exp.Literal.string(str(path)).sql("clickhouse")
        session.query(f"INSERT INTO {table} SELECT * FROM file({source}, Parquet)")
    yield adapter
    adapter.close()
    session.close()


@pytest.fixture(scope="module")
def spark(
    parquet: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WarehouseAdapter]:
    warehouse = tmp_path_factory.mktemp("analysis-spark-warehouse")
    options = {**SPARK_TEST_OPTIONS, "spark.sql.warehouse.dir": str(warehouse)}
    adapter = create_adapter("spark", "analysis-spark", "local[2]", options)
    session = adapter.session()  # type: ignore[attr-defined]
    for table, path in parquet.items():
        session.read.schema(SPARK_DDL[table]).parquet(str(path)).createOrReplaceTempView(table)
    yield adapter
    adapter.close()


def _check(adapter: WarehouseAdapter, data: syn.Data) -> None:
    plan = build_plan(
        syn.experiment(metrics=syn.choices(*syn.METRICS), analysis=syn.SETTINGS), syn.catalog()
    )
    schema = adapter.default_schema()
    compiled = compile_statistics(plan, schema, adapter.dialect)
    table = StatisticsTable()
    table.add(compiled, plan, adapter.execute(compiled.sql, timeout_s=600).as_dicts())
    expected = syn.expected_sums(data, plan, syn.groups)
    assert set(table.users) == set(expected)
    for key, by_metric in expected.items():
        for name, fields in by_metric.items():
            assert table.users[key] == fields["users"], key
            for field_name, value in fields.items():
                if field_name != "users":
                    got = table.sums[name][key][field_name]
                    assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (key, name, field_name)
    counts = adapter.execute(compile_exposures(plan, schema, adapter.dialect)).as_dicts()
    units, multiple = syn.units(data)
    assert {r["variation"]: r["units"] for r in counts} == {
        None: multiple,
        "control": sum(1 for u in units if u.variation == "control"),
        "treatment": sum(1 for u in units if u.variation == "treatment"),
    }


def test_clickhouse_gives_the_reference_statistics(chdb: WarehouseAdapter, data: syn.Data) -> None:
    _check(chdb, data)


def _check_quantiles(adapter: WarehouseAdapter, data: syn.Data) -> None:
    from tests.experiments.analysis import test_analysis_quantiles as quantiles

    plan = quantiles._plan()
    compiled = compile_statistics(plan, adapter.default_schema(), adapter.dialect)
    table = StatisticsTable()
    table.add(compiled, plan, adapter.execute(compiled.sql, timeout_s=600).as_dicts())
    expected = quantiles._expected(data)
    assert set(table.users) == set(expected)
    for key, by_metric in expected.items():
        for name, want in by_metric.items():
            quantiles._assert_equal(table.sums[name][key], want, (key, name))


def test_clickhouse_quantiles_and_bounds_equal_numpy(
    chdb: WarehouseAdapter, data: syn.Data
) -> None:
    _check_quantiles(chdb, data)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_gives_the_reference_statistics(spark: WarehouseAdapter, data: syn.Data) -> None:
    _check(spark, data)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_quantiles_and_bounds_equal_numpy(spark: WarehouseAdapter, data: syn.Data) -> None:
    _check_quantiles(spark, data)
