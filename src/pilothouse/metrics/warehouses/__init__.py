"""Warehouse adapters: read-only query execution on the embedded store and warehouses.

``create_adapter(kind, name, url, options)`` returns a :class:`WarehouseAdapter`;
``adapter.execute(sql, timeout_s) -> QueryResult(columns, rows)``. Failures raise
:class:`WarehouseError` subclasses naming the connection. DuckDB and PostgreSQL run
queries; ClickHouse (chdb) and Spark adapters live in ``clickhouse.py``/``spark.py``
and load on first use; Trino, BigQuery and Snowflake are SQL-generation only.
"""

from pilothouse.metrics.warehouses.base import (
    QueryResult,
    SqlOnlyAdapter,
    WarehouseAdapter,
    redact_url,
)
from pilothouse.metrics.warehouses.duckdb import DuckDBAdapter
from pilothouse.metrics.warehouses.errors import (
    UnsupportedError,
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnreachable,
)
from pilothouse.metrics.warehouses.postgres import PostgresAdapter
from pilothouse.metrics.warehouses.registry import adapter_class, create_adapter, known_kinds

__all__ = [
    "DuckDBAdapter",
    "PostgresAdapter",
    "QueryResult",
    "SqlOnlyAdapter",
    "UnsupportedError",
    "WarehouseAdapter",
    "WarehouseError",
    "WarehouseTimeout",
    "WarehouseUnreachable",
    "adapter_class",
    "create_adapter",
    "known_kinds",
    "redact_url",
]
