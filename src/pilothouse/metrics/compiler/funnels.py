"""Conversions, funnels and retention: per-unit sequences of events.

Shapes (``unit`` = user or account; only equality joins, so every engine can run them)::

    funnel:     step_1  = first step-1 event per (period, dims, unit)   -> t_1
                step_k  = LEFT JOIN step-k events on unit,
                          MIN(ts) where t_{k-1} < ts <= t_1 + window    -> t_k
                result  = COUNT(*) started, COUNT(t_k) reached each step
    retention:  cohort  = first start event per (period, dims, unit)    -> start day
                returns = distinct (unit, local day) of return events
                result  = share of the cohort with a return on day N (or on/after N)

Dimensions are read from the first step's (the start) event.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from pilothouse.metrics.compiler.context import PERIOD, TS, UNIT, Context, col, ident, table
from pilothouse.metrics.compiler.series import Series, grouped, safe_divide, to_bigint
from pilothouse.metrics.definitions.model import (
    EventSelection,
    FunnelSpec,
    Metric,
    RetentionMode,
    RetentionSpec,
)

__all__ = ["compile_funnel", "compile_retention"]


def _first_events(ctx: Context, metric: Metric, selection: EventSelection, label: str) -> str:
    """Per (period, dims, unit), the first qualifying event time in the range: ``t_1``."""
    unit = ctx.unit_id(metric)
    columns = [
        (PERIOD, ctx.period(ctx.event_ts())),
        *ctx.dimension_columns(),
        (UNIT, unit),
        (TS, ctx.event_ts()),
    ]
    rows = ctx.event_rows(selection, columns, lo=ctx.lo, hi=ctx.hi, unit=unit)
    events = ctx.add_cte(f"{metric.name}_{label}_events", rows)
    keys = [PERIOD, *ctx.dims, UNIT]
    return ctx.add_cte(
        f"{metric.name}_{label}", grouped(events, keys, [("t_1", exp.Min(this=col(TS)))])
    )


def _later_events(
    ctx: Context, metric: Metric, selection: EventSelection, label: str, hi: dt.datetime | None
) -> str:
    unit = ctx.unit_id(metric)
    columns = [(UNIT, unit), (TS, ctx.event_ts())]
    rows = ctx.event_rows(selection, columns, lo=ctx.lo, hi=hi, unit=unit)
    return ctx.add_cte(f"{metric.name}_{label}_events", rows)


def _next_step(
    ctx: Context, metric: Metric, previous: str, events: str, step: int, within: int
) -> str:
    """Earliest step-``step`` event after ``t_{step-1}`` and within the window of ``t_1``."""
    carried = [PERIOD, *ctx.dims, UNIT, *(f"t_{i}" for i in range(1, step))]
    ts = col(TS, "x")
    in_window = exp.and_(
        exp.GT(this=ts, expression=col(f"t_{step - 1}", "s")),
        exp.LTE(this=ts, expression=ctx.rules.add_seconds(col("t_1", "s"), within)),
    )
    reached = exp.Min(this=exp.Case(ifs=[exp.If(this=in_window, true=ts)]))
    select = (
        exp.select(*(col(c, "s").as_(ident(c)) for c in carried), reached.as_(ident(f"t_{step}")))
        .from_(table(previous, "s"))
        .join(
            table(events, "x"),
            on=exp.EQ(this=col(UNIT, "x"), expression=col(UNIT, "s")),
            join_type="left",
        )
        .group_by(*(col(c, "s") for c in carried))
    )
    return ctx.add_cte(f"{metric.name}_step_{step}", select)


def compile_funnel(ctx: Context, metric: Metric) -> Series:
    """Conversion (two steps) or funnel: share of units reaching the last step in time."""
    spec = metric.spec
    assert isinstance(spec, FunnelSpec)
    current = _first_events(ctx, metric, spec.steps[0], "step_1")
    horizon = ctx.hi + dt.timedelta(seconds=spec.within_seconds)
    for index, selection in enumerate(spec.steps[1:], start=2):
        events = _later_events(ctx, metric, selection, f"step_{index}", horizon)
        current = _next_step(ctx, metric, current, events, index, spec.within_seconds)
    count = len(spec.steps)
    started = exp.Count(this=exp.Star())
    finished = exp.Count(this=col(f"t_{count}"))
    values = [
        ("value", safe_divide(finished, started)),
        ("numerator", finished),
        ("denominator", started),
        ("step_1", exp.Count(this=exp.Star())),
        *((f"step_{i}", exp.Count(this=col(f"t_{i}"))) for i in range(2, count + 1)),
    ]
    cte = ctx.add_cte(metric.name, grouped(current, [PERIOD, *ctx.dims], values))
    return Series(cte, tuple(n for n, _ in values), False)


def _return_days(ctx: Context, metric: Metric, spec: RetentionSpec) -> str:
    """Distinct (unit, local day) of return events; bounded when only day N matters."""
    hi = None
    if spec.mode is RetentionMode.ON_DAY:
        hi = ctx.utc(ctx.query.end + dt.timedelta(days=spec.days + 1))
    unit = ctx.unit_id(metric)
    columns = [(UNIT, unit), ("day", ctx.local_date(ctx.event_ts()))]
    rows = ctx.event_rows(spec.returning, columns, lo=ctx.lo, hi=hi, unit=unit, distinct=True)
    return ctx.add_cte(f"{metric.name}_returns", rows)


def _retained(ctx: Context, spec: RetentionSpec, cohort: str, returns: str) -> exp.Select:
    """Per cohort unit: 1 when a return day matches day N (or is on/after it), else 0."""
    keys = [PERIOD, *ctx.dims, UNIT]
    days = exp.Literal.number(spec.days)
    start_day = col("start_day", "c")
    target = exp.cast(exp.DateAdd(this=start_day, expression=days, unit=exp.var("DAY")), "date")
    compare = exp.EQ if spec.mode is RetentionMode.ON_DAY else exp.GTE
    matched = compare(this=col("day", "r"), expression=target)
    hit = exp.Case(
        ifs=[exp.If(this=matched, true=exp.Literal.number(1))], default=exp.Literal.number(0)
    )
    return (
        exp.select(*(col(k, "c").as_(ident(k)) for k in keys), exp.Max(this=hit).as_("retained"))
        .from_(table(cohort, "c"))
        .join(
            table(returns, "r"),
            on=exp.EQ(this=col(UNIT, "r"), expression=col(UNIT, "c")),
            join_type="left",
        )
        .group_by(*(col(k, "c") for k in keys))
    )


def compile_retention(ctx: Context, metric: Metric) -> Series:
    """N-day retention of the units whose first start event falls in each period."""
    spec = metric.spec
    assert isinstance(spec, RetentionSpec)
    start = _first_events(ctx, metric, spec.start, "cohort")
    keys = [PERIOD, *ctx.dims, UNIT]
    start_day = ctx.local_date(col("t_1")).as_(ident("start_day"))
    cohort_select = exp.select(*(col(k) for k in keys), start_day).from_(table(start))
    cohort = ctx.add_cte(f"{metric.name}_cohort_days", cohort_select)
    returns = _return_days(ctx, metric, spec)
    per_unit = ctx.add_cte(f"{metric.name}_retained", _retained(ctx, spec, cohort, returns))
    numerator = to_bigint(exp.Sum(this=col("retained")))
    denominator = exp.Count(this=exp.Star())
    values = [
        ("value", safe_divide(numerator, denominator)),
        ("numerator", numerator),
        ("denominator", denominator),
    ]
    cte = ctx.add_cte(metric.name, grouped(per_unit, [PERIOD, *ctx.dims], values))
    return Series(cte, tuple(n for n, _ in values), False)
