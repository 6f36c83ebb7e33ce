"""Engines of the parity suite: DuckDB, PostgreSQL, chdb and Spark over the same rows.

DuckDB and PostgreSQL come from ``tests/metrics/conftest.py``. chdb and Spark are
loaded here from the same :class:`FixtureData`. No engine is ever skipped: a missing
package, Java or PostgreSQL server makes the tests fail with the reason.

Spark starts once per run (a JVM start takes seconds) in a worker thread, while
the other engines answer their queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilothouse.metrics.warehouses import create_adapter
from pilothouse.metrics.warehouses.clickhouse import ClickHouseAdapter
from pilothouse.metrics.warehouses.spark import SparkAdapter
from tests.metrics.fixture_data import FixtureData
from tests.metrics.parity.engines import (
    SPARK_TEST_OPTIONS,
    LazyEngine,
    load_chdb,
    load_spark,
    write_parquet,
)

#: pyspark warns at import that it is not tested with pandas 3; it does not use
#: pandas for anything the adapter does (collect() builds plain Rows).
PYSPARK_PANDAS_WARNING = "ignore:PySpark does not yet fully support pandas:FutureWarning"


def _require(module: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        pytest.fail(f"the parity suite needs {module}: {exc} (pip install -e '.[test]')")


@pytest.fixture(scope="session")
def parquet_files(fixture_data: FixtureData, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return write_parquet(fixture_data, tmp_path_factory.mktemp("parity-parquet"))


@pytest.fixture(scope="session")
def chdb_adapter(parquet_files: dict[str, Path]) -> Iterator[ClickHouseAdapter]:
    """Embedded ClickHouse with the fixture tables (JSON as String)."""
    _require("chdb")
    adapter = create_adapter("clickhouse", "fixture-chdb", "chdb://")
    assert isinstance(adapter, ClickHouseAdapter)
    sessions: list[object] = []
    load_chdb(adapter, parquet_files, sessions)
    yield adapter
    adapter.close()
    for session in sessions:
        session.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def spark_engine(
    parquet_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LazyEngine]:
    """Spark local[2] on 127.0.0.1, started and loaded on first use."""
    _require("pyspark")
    # Spark creates its (unused) warehouse folder at start: keep it out of the checkout.
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    options = {**SPARK_TEST_OPTIONS, "spark.sql.warehouse.dir": str(warehouse)}
    adapter = create_adapter("spark", "fixture-spark", "local[2]", options)
    assert isinstance(adapter, SparkAdapter)
    engine = LazyEngine(adapter, lambda: load_spark(adapter, parquet_files))
    yield engine
    adapter.close()


@pytest.fixture
def spark_adapter(spark_engine: LazyEngine) -> SparkAdapter:
    adapter = spark_engine.get()
    assert isinstance(adapter, SparkAdapter)
    return adapter
