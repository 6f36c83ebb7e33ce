"""Loading the fixture data into chdb and Spark, and engines that load on first use.

DuckDB and PostgreSQL are loaded by ``tests/metrics/fixture_data.py``. Here the same
rows go through one Parquet file per table (JSON as text, timestamps as UTC
instants), which chdb and Spark both read natively, so no value is ever pasted into
SQL text.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from pilothouse.metrics.warehouses.base import WarehouseAdapter
from pilothouse.metrics.warehouses.clickhouse import ClickHouseAdapter
from pilothouse.metrics.warehouses.spark import SparkAdapter
from tests.metrics.fixture_data import COLUMNS, FixtureData

__all__ = [
    "CHDB_DDL",
    "SPARK_DDL",
    "SPARK_TEST_OPTIONS",
    "LazyEngine",
    "load_chdb",
    "load_spark",
    "write_parquet",
]

_TIMESTAMP_COLUMNS = frozenset({"timestamp", "received_at", "first_seen_at", "updated_at"})
_UTC = "DateTime64(6, 'UTC')"

#: ClickHouse tables: JSON as String, timestamps as UTC DateTime64, nullable ids.
CHDB_DDL = {
    "events": (
        "message_id String, event String, user_id Nullable(String), "
        "anonymous_id Nullable(String), account_id Nullable(String), "
        f"timestamp {_UTC}, received_at {_UTC}, properties String, source_id Int32"
    ),
    "users": f"user_id String, traits String, first_seen_at {_UTC}, updated_at {_UTC}",
    "accounts": f"account_id String, traits String, updated_at {_UTC}",
}

#: A small, quick local Spark for tests. On a few thousand rows the time goes into
#: per-query overhead, not data: one shuffle partition, no adaptive planning and no
#: code generation (compiling Java for every query costs more than interpreting it;
#: measured 2x faster on the parity cases), and a C1-only JIT for a faster start.
SPARK_TEST_OPTIONS = {
    "spark.sql.shuffle.partitions": 1,
    "spark.default.parallelism": 2,
    "spark.sql.adaptive.enabled": False,
    "spark.sql.codegen.wholeStage": False,
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "log_level": "FATAL",
}


def write_parquet(data: FixtureData, folder: Path) -> dict[str, Path]:
    """One Parquet file per table; returns their paths by table name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table, columns in COLUMNS.items():
        fields = [
            pa.field(
                name,
                pa.timestamp("us", tz="UTC")
                if name in _TIMESTAMP_COLUMNS
                else pa.int32()
                if name == "source_id"
                else pa.string(),
            )
            for name in columns
        ]
        rows = data.table_rows(table)
        arrays = [[_utc(row[index]) for row in rows] for index in range(len(columns))]
        paths[table] = folder / f"{table}.parquet"
        pq.write_table(pa.table(arrays, schema=pa.schema(fields)), paths[table])
    return paths


def _utc(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC)
    return value


def load_chdb(adapter: ClickHouseAdapter, parquet: dict[str, Path], keep: list[object]) -> None:
    """Create and fill the tables in the adapter's embedded database.

    The writable session is appended to ``keep``: an in-memory chdb database lives
    only while one of its sessions is open.
    """
    session = adapter.embedded_session()
    keep.append(session)
    for table, ddl in CHDB_DDL.items():
        session.query(f"CREATE TABLE {table} ({ddl}) ENGINE = MergeTree ORDER BY tuple()")
        source = exp.Literal.string(str(parquet[table])).sql("clickhouse")
        session.query(f"INSERT INTO {table} SELECT * FROM file({source}, Parquet)")


#: Spark tables: JSON as string, timestamps as instants (shown in the UTC session zone).
SPARK_DDL = {
    "events": (
        "message_id STRING, event STRING, user_id STRING, anonymous_id STRING, "
        "account_id STRING, timestamp TIMESTAMP, received_at TIMESTAMP, properties STRING, "
        "source_id INT"
    ),
    "users": "user_id STRING, traits STRING, first_seen_at TIMESTAMP, updated_at TIMESTAMP",
    "accounts": "account_id STRING, traits STRING, updated_at TIMESTAMP",
}


def load_spark(adapter: SparkAdapter, parquet: dict[str, Path]) -> None:
    """Register each table as a temporary view of its Parquet file (schema given, not inferred)."""
    spark = adapter.session()
    for table, path in parquet.items():
        spark.read.schema(SPARK_DDL[table]).parquet(str(path)).createOrReplaceTempView(table)


class LazyEngine:
    """An adapter whose data is loaded on first use, once, from any thread.

    Spark takes seconds to start, so the parity suite starts it in a worker thread
    while the other engines run; a failure to start or load is raised on every use.
    """

    def __init__(self, adapter: WarehouseAdapter, load: Callable[[], None]) -> None:
        self.adapter = adapter
        self._load = load
        self._lock = threading.Lock()
        self._loaded = False
        self._error: BaseException | None = None

    def get(self) -> WarehouseAdapter:
        with self._lock:
            if self._error is not None:
                raise self._error
            if not self._loaded:
                try:
                    self._load()
                except BaseException as exc:
                    self._error = exc
                    raise
                self._loaded = True
        return self.adapter
