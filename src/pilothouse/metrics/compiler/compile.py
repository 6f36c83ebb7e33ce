"""Entry point: a :class:`MetricQuery` and a catalog in, SQL for one dialect out."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlglot import exp
from sqlglot.errors import ErrorLevel as SqlglotErrorLevel

from pilothouse.metrics.compiler.aggregates import (
    compile_aggregate,
    compile_cumulative,
    compile_rolling,
)
from pilothouse.metrics.compiler.context import PERIOD, Context, col, ident, table
from pilothouse.metrics.compiler.derived import compile_formula, compile_ratio
from pilothouse.metrics.compiler.dialects import rules_for
from pilothouse.metrics.compiler.funnels import compile_funnel, compile_retention
from pilothouse.metrics.compiler.query import MAX_DIMENSIONS, CompiledQuery, MetricQuery, QueryError
from pilothouse.metrics.compiler.rewrites import RULES, apply_rewrites
from pilothouse.metrics.compiler.schema import WarehouseSchema
from pilothouse.metrics.compiler.series import Series
from pilothouse.metrics.definitions.catalog import Catalog
from pilothouse.metrics.definitions.model import (
    AGGREGATE_TYPES,
    CumulativeSpec,
    Dimension,
    Metric,
    MetricType,
    RollingSpec,
)

__all__ = ["MAX_RANGE_DAYS", "build_tree", "compile_query", "output_columns", "resolve_dimensions"]

MAX_RANGE_DAYS = 3660


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError(f"unknown time zone {name!r}") from None


def _allowed(catalog: Catalog, metric: Metric, dimension: str, seen: set[str]) -> Metric | None:
    """The first metric (this one or a dependency) whose dimension list excludes ``dimension``."""
    if metric.name in seen:
        return None
    seen.add(metric.name)
    if metric.dimensions is not None and dimension not in metric.dimensions:
        return metric
    for name in metric.references:
        refusing = _allowed(catalog, catalog.get(name), dimension, seen)
        if refusing is not None:
            return refusing
    return None


def resolve_dimensions(
    query: MetricQuery, catalog: Catalog, metric: Metric
) -> tuple[Dimension, ...]:
    """Catalog dimensions by name (checked against each metric's list) or inline ones."""
    if len(query.dimensions) > MAX_DIMENSIONS:
        raise QueryError(f"at most {MAX_DIMENSIONS} dimensions can be combined")
    resolved: list[Dimension] = []
    for item in query.dimensions:
        dimension = catalog.dimension(item) if isinstance(item, str) else item
        if isinstance(item, str):
            refusing = _allowed(catalog, metric, item, set())
            if refusing is not None:
                allowed = ", ".join(refusing.dimensions or ()) or "none"
                message = f"metric {refusing.name!r} cannot be broken down by {item!r}"
                raise QueryError(f"{message} (allowed: {allowed})")
        if dimension.name in {d.name for d in resolved}:
            raise QueryError(f"dimension {dimension.name!r} is given twice")
        resolved.append(dimension)
    return tuple(resolved)


def _check_range(query: MetricQuery) -> None:
    if query.start >= query.end:
        raise QueryError(f"empty time range: from {query.start} must be before to {query.end}")
    if (query.end - query.start).days > MAX_RANGE_DAYS:
        raise QueryError(f"time range is longer than {MAX_RANGE_DAYS} days")


def _build(ctx: Context, metric: Metric, cache: dict[str, Series]) -> Series:
    if metric.name in cache:
        return cache[metric.name]

    def build(other: Metric) -> Series:
        return _build(ctx, other, cache)

    spec = metric.spec
    if metric.type in AGGREGATE_TYPES:
        series = compile_aggregate(ctx, metric)
    elif metric.type in (MetricType.CONVERSION, MetricType.FUNNEL):
        series = compile_funnel(ctx, metric)
    elif metric.type is MetricType.RETENTION:
        series = compile_retention(ctx, metric)
    elif isinstance(spec, RollingSpec):
        series = compile_rolling(ctx, metric, ctx.catalog.get(spec.of), spec.window_days)
    elif isinstance(spec, CumulativeSpec):
        series = compile_cumulative(ctx, metric, ctx.catalog.get(spec.of))
    elif metric.type is MetricType.RATIO:
        series = compile_ratio(ctx, metric, build)
    else:
        series = compile_formula(ctx, metric, build)
    cache[metric.name] = series
    return series


def build_tree(
    query: MetricQuery, catalog: Catalog, schema: WarehouseSchema, dialect: str
) -> tuple[exp.Select, tuple[str, ...]]:
    """The sqlglot tree of ``query`` (after rewrites) and its output column names."""
    metric = catalog.get(query.metric)
    _check_range(query)
    rules = rules_for(dialect)
    ctx = Context(
        query,
        catalog,
        schema,
        rules,
        resolve_dimensions(query, catalog, metric),
        _zone(query.time_zone),
    )
    series = _build(ctx, metric, {})
    names = [d.name for d in ctx.dimensions]
    outputs = [
        col(PERIOD),
        *(col(internal).as_(ident(name)) for internal, name in zip(ctx.dims, names, strict=True)),
        *(col(c) for c in series.columns),
    ]
    select = exp.select(*outputs).from_(table(series.cte))
    select = select.order_by(
        *(exp.Ordered(this=col(k), nulls_first=True) for k in (PERIOD, *ctx.dims))
    )
    for name, cte in ctx.ctes:
        select = select.with_(ident(name), as_=cte)
    tree = apply_rewrites(select, rules.name, RULES)
    assert isinstance(tree, exp.Select)
    return tree, (PERIOD, *names, *series.columns)


def output_columns(query: MetricQuery, catalog: Catalog) -> tuple[str, ...]:
    """The columns :func:`compile_query` would return, without building SQL."""
    return build_tree(query, catalog, WarehouseSchema(), "duckdb")[1]


def compile_query(
    query: MetricQuery,
    catalog: Catalog,
    schema: WarehouseSchema | None = None,
    dialect: str = "duckdb",
    *,
    pretty: bool = True,
) -> CompiledQuery:
    """Compile ``query`` to SQL for ``dialect``.

    Args:
        query: the metric, range, grain, zone, dimensions, filters and unit.
        catalog: a validated catalog (:func:`pilothouse.metrics.definitions.load_catalog`).
        schema: where the logical tables live; default is the embedded store's layout.
        dialect: duckdb, postgres (or postgresql), clickhouse, spark, trino, bigquery
            or snowflake.
        pretty: indent the SQL for people (the UI and ``metrics compile``).

    Returns:
        The SQL and its output columns; see :class:`CompiledQuery`.

    Raises:
        UnknownMetric, UnknownDimension: a name that is not in the catalog.
        QueryError: a query the metric cannot answer (empty range, bad zone...).
    """
    tree, columns = build_tree(query, catalog, schema or WarehouseSchema(), dialect)
    sql = tree.sql(
        dialect=rules_for(dialect).name,
        pretty=pretty,
        identify=True,
        unsupported_level=SqlglotErrorLevel.RAISE,
    )
    return CompiledQuery(
        sql=sql, columns=columns, dialect=rules_for(dialect).name, metric=query.metric
    )
