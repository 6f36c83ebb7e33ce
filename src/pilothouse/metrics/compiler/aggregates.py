"""Event aggregates (count, sum, average, min, max, distinct) and their windows.

Shapes (``e`` = events filtered by the selection and the UTC range)::

    aggregate:   SELECT period, dims, AGG(...) FROM e GROUP BY period, dims
    rolling:     daily partials -> CROSS JOIN offsets 0..W-1 -> regroup per shifted day
    cumulative:  per-period partials -> running window per dims
                 (distinct: each unit counted in the first period it appears)
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from pilothouse.metrics.compiler.context import MEASURE, PERIOD, UNIT, Context, col, ident, table
from pilothouse.metrics.compiler.query import QueryError
from pilothouse.metrics.compiler.series import (
    Series,
    count_distinct,
    grouped,
    running,
    safe_divide,
    to_bigint,
)
from pilothouse.metrics.definitions.model import (
    AggregateSpec,
    CountSpec,
    DistinctSpec,
    FieldRef,
    FieldSource,
    Grain,
    Metric,
    MetricType,
    ValueType,
)

__all__ = ["compile_aggregate", "compile_cumulative", "compile_rolling"]

DAY = "local_day"
ZERO_TYPES = frozenset({MetricType.COUNT, MetricType.SUM, MetricType.DISTINCT})


def _integer(metric: Metric) -> bool:
    return isinstance(metric.spec, AggregateSpec) and metric.spec.value_type is ValueType.INTEGER


def _event_columns(
    ctx: Context, metric: Metric
) -> tuple[list[tuple[str, exp.Expression]], exp.Expression | None]:
    """The unit or measure column a metric aggregates, and the unit if it must be set."""
    spec = metric.spec
    if isinstance(spec, DistinctSpec):
        unit = ctx.unit_id(metric)
        return [(UNIT, unit)], unit
    if isinstance(spec, AggregateSpec):
        ref = FieldRef(FieldSource.PROPERTY, spec.property, spec.value_type)
        return [(MEASURE, ctx.field_value(ref))], None
    return [], None


def _events_cte(
    ctx: Context, metric: Metric, time: tuple[str, exp.Expression], lo: dt.datetime
) -> str:
    assert isinstance(metric.spec, CountSpec | AggregateSpec | DistinctSpec)
    extra, unit = _event_columns(ctx, metric)
    columns = [time, *ctx.dimension_columns(), *extra]
    rows = ctx.event_rows(metric.spec.selection, columns, lo=lo, hi=ctx.hi, unit=unit)
    return ctx.add_cte(f"{metric.name}_events", rows)


def _direct(metric: Metric) -> list[tuple[str, exp.Expression]]:
    """Value columns computed straight from event rows."""
    measure = col(MEASURE)
    total: exp.Expression = exp.Sum(this=measure)
    if _integer(metric):
        total = to_bigint(total)
    kind = metric.type
    if kind is MetricType.COUNT:
        return [("value", exp.Count(this=exp.Star()))]
    if kind is MetricType.DISTINCT:
        return [("value", count_distinct(col(UNIT)))]
    if kind is MetricType.SUM:
        return [("value", total)]
    if kind is MetricType.AVERAGE:
        count = exp.Count(this=measure)
        return [("value", safe_divide(total, count)), ("numerator", total), ("denominator", count)]
    function = exp.Min if kind is MetricType.MIN else exp.Max
    return [("value", function(this=measure))]


def _combine(metric: Metric, over: list[str] | None) -> list[tuple[str, exp.Expression]]:
    """Re-aggregate partial rows (from :func:`_direct`) by group or by running window."""

    def agg(function: type[exp.Func], column: str) -> exp.Expression:
        inner = function(this=col(column))
        assert isinstance(inner, exp.Expression)
        return running(inner, over) if over is not None else inner

    kind = metric.type
    if kind is MetricType.AVERAGE:
        numerator, denominator = agg(exp.Sum, "numerator"), agg(exp.Sum, "denominator")
        if _integer(metric):
            numerator = to_bigint(numerator)
        return [
            ("value", safe_divide(numerator, denominator)),
            ("numerator", numerator),
            ("denominator", to_bigint(denominator)),
        ]
    if kind in (MetricType.MIN, MetricType.MAX):
        return [("value", agg(exp.Min if kind is MetricType.MIN else exp.Max, "value"))]
    total = agg(exp.Sum, "value")
    integer = kind is not MetricType.SUM or _integer(metric)
    return [("value", to_bigint(total) if integer else total)]


def compile_aggregate(ctx: Context, metric: Metric) -> Series:
    """One group-by over the selected events."""
    events = _events_cte(ctx, metric, (PERIOD, ctx.period(ctx.event_ts())), ctx.lo)
    values = _direct(metric)
    cte = ctx.add_cte(metric.name, grouped(events, [PERIOD, *ctx.dims], values))
    return Series(cte, tuple(n for n, _ in values), metric.type in ZERO_TYPES)


def _offsets(ctx: Context, days: int) -> str:
    values = exp.values([(k,) for k in range(days)], alias="o", columns=["k"])
    return ctx.add_cte("window_offsets", exp.select(col("k")).from_(values))


def _daily_partials(
    ctx: Context, metric: Metric, base: Metric, events: str
) -> tuple[str, list[str]]:
    """Per local day and dims: distinct units, or the partial aggregates of ``base``."""
    keys = [DAY, *ctx.dims]
    if base.type is MetricType.DISTINCT:
        select = exp.select(*(col(k) for k in (*keys, UNIT))).from_(table(events)).distinct()
        return ctx.add_cte(f"{metric.name}_daily", select), [UNIT]
    partial_values = [
        (n, e) for n, e in _direct(base) if not (base.type is MetricType.AVERAGE and n == "value")
    ]
    daily = ctx.add_cte(f"{metric.name}_daily", grouped(events, keys, partial_values))
    return daily, [n for n, _ in partial_values]


def _shifted(ctx: Context, metric: Metric, daily: str, partials: list[str], days: int) -> str:
    """Each daily row repeated on the ``days`` days whose window contains it."""
    offsets = _offsets(ctx, days)
    shifted_day = exp.DateAdd(this=col(DAY, "d"), expression=col("k", "o"), unit=exp.var("DAY"))
    select = (
        exp.select(
            exp.cast(shifted_day, "date").as_(ident(PERIOD)),
            *(col(c, "d").as_(ident(c)) for c in (*ctx.dims, *partials)),
        )
        .from_(table(daily, "d"))
        .join(table(offsets, "o"), join_type="cross")
    )
    return ctx.add_cte(f"{metric.name}_shifted", select)


def compile_rolling(ctx: Context, metric: Metric, base: Metric, window_days: int) -> Series:
    """Each day's value over the ``window_days`` local days ending that day (grain day)."""
    if ctx.query.grain is not Grain.DAY:
        raise QueryError(f"rolling metric {metric.name!r} can only be queried by day")
    first_day = ctx.query.start - dt.timedelta(days=window_days - 1)
    events = _events_cte(ctx, base, (DAY, ctx.local_date(ctx.event_ts())), ctx.utc(first_day))
    daily, partials = _daily_partials(ctx, metric, base, events)
    shifted = _shifted(ctx, metric, daily, partials, window_days)
    if base.type is MetricType.DISTINCT:
        values = [("value", count_distinct(col(UNIT)))]
    else:
        values = _combine(base, None)
    select = grouped(shifted, [PERIOD, *ctx.dims], values).where(
        exp.and_(
            exp.GTE(this=col(PERIOD), expression=ctx.date_literal(ctx.query.start)),
            exp.LT(this=col(PERIOD), expression=ctx.date_literal(ctx.query.end)),
        )
    )
    cte = ctx.add_cte(metric.name, select)
    return Series(cte, tuple(n for n, _ in values), base.type in ZERO_TYPES)


def _new_units_per_period(ctx: Context, metric: Metric, events: str) -> str:
    """Per (period, dims): how many units appear for the first time in the range.

    A window ``MIN(period) OVER (PARTITION BY dims, unit)`` finds each unit's first
    period without a self-join, so NULL dimension values group like any other.
    """
    keys = [PERIOD, *ctx.dims]
    units = ctx.add_cte(
        f"{metric.name}_units",
        exp.select(*(col(k) for k in (*keys, UNIT))).from_(table(events)).distinct(),
    )
    first = exp.Window(
        this=exp.Min(this=col(PERIOD)), partition_by=[col(k) for k in (*ctx.dims, UNIT)]
    )
    is_new = exp.Case(
        ifs=[exp.If(this=exp.EQ(this=col(PERIOD), expression=first), true=exp.Literal.number(1))],
        default=exp.Literal.number(0),
    )
    marked = ctx.add_cte(
        f"{metric.name}_marked",
        exp.select(*(col(k) for k in keys), is_new.as_(ident("is_new"))).from_(table(units)),
    )
    return ctx.add_cte(
        f"{metric.name}_new", grouped(marked, keys, [("value", exp.Sum(this=col("is_new")))])
    )


def compile_cumulative(ctx: Context, metric: Metric, base: Metric) -> Series:
    """Running totals from the start of the range, per dimension group."""
    events = _events_cte(ctx, base, (PERIOD, ctx.period(ctx.event_ts())), ctx.lo)
    keys = [PERIOD, *ctx.dims]
    if base.type is MetricType.DISTINCT:
        per_period = _new_units_per_period(ctx, metric, events)
        values = [("value", to_bigint(running(exp.Sum(this=col("value")), ctx.dims)))]
    else:
        per_period = ctx.add_cte(f"{metric.name}_periods", grouped(events, keys, _direct(base)))
        values = _combine(base, ctx.dims)
    select = exp.select(*(col(k) for k in keys), *(e.as_(ident(n)) for n, e in values))
    cte = ctx.add_cte(metric.name, select.from_(table(per_period)))
    return Series(cte, tuple(n for n, _ in values), base.type in ZERO_TYPES)
