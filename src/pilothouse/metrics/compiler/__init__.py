"""The metric compiler: a typed query -> a sqlglot expression tree -> SQL per dialect.

Pure: no database, web or environment access. The public entry point is::

    compile_query(query: MetricQuery, catalog: Catalog,
                  schema: WarehouseSchema | None = None, dialect: str = "duckdb",
                  *, pretty: bool = True) -> CompiledQuery(sql, columns, dialect, metric)

``columns`` are ``period_start``, one column per dimension (named after it),
``value``, and for ratio-like metrics ``numerator``/``denominator`` (plus
``step_1..step_n`` for conversions and funnels). Dialects: duckdb, postgres,
clickhouse, spark, trino, bigquery, snowflake. The SQL shape of every metric type
is described in ``docs/metrics.md``; rewrites applied to every tree are listed in
:data:`RULES`.
"""

from pilothouse.metrics.compiler.compile import (
    MAX_RANGE_DAYS,
    build_tree,
    compile_query,
    output_columns,
    resolve_dimensions,
)
from pilothouse.metrics.compiler.dialects import DIALECTS, DialectRules, rules_for
from pilothouse.metrics.compiler.probes import compile_field_presence, missing_fields
from pilothouse.metrics.compiler.query import MAX_DIMENSIONS, CompiledQuery, MetricQuery, QueryError
from pilothouse.metrics.compiler.rewrites import RULES, apply_rewrites
from pilothouse.metrics.compiler.schema import (
    LOGICAL_COLUMNS,
    JsonStorage,
    SchemaError,
    TableMap,
    WarehouseSchema,
)

__all__ = [
    "DIALECTS",
    "LOGICAL_COLUMNS",
    "MAX_DIMENSIONS",
    "MAX_RANGE_DAYS",
    "RULES",
    "CompiledQuery",
    "DialectRules",
    "JsonStorage",
    "MetricQuery",
    "QueryError",
    "SchemaError",
    "TableMap",
    "WarehouseSchema",
    "apply_rewrites",
    "build_tree",
    "compile_field_presence",
    "compile_query",
    "missing_fields",
    "output_columns",
    "resolve_dimensions",
    "rules_for",
]
