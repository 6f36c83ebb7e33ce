"""Analysis SQL: exposures -> per-unit metric values -> per-variation sufficient statistics.

Built as a sqlglot tree with the metric compiler's :class:`Context` (physical names
from the :class:`WarehouseSchema`, JSON access and timestamps per dialect), so the
same plan compiles for every dialect the metrics layer supports, and no name or
value from a definition is ever pasted into SQL. Shape::

    exposure_rows   exposures of this experiment in [start, end)
    exposures       per unit: first exposure, smallest and largest variation seen
    units           units seen in exactly one variation, with their dimension values
    metric_events   the events every count/sum/distinct metric reads (UNION ALL, tagged
                    with a slot number), in [start - cuped_days, end)
    unit_metrics    per unit and slot: SUM/MAX(CASE WHEN slot = s AND ts in window ...)
                    for the window after first exposure and the pre-exposure window
    f_/r_ chains    conversions, funnels and retention per unit and window
    unit_values     every exposed unit with one value per metric (0 when it has no events)
    caps, capped    per-metric caps (a fixed value, or a percentile of the units' values)
    result          per variation (or per variation and dimension value): users, sums,
                    squares and cross-products with GrowthBook's column names, prefixed
                    ``m<i>_``; with dimensions, the overall rows are the first dimension's
                    rows summed (every unit has one value of each dimension)

Only the result rows (variations x dimension values) leave the warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlglot import exp
from sqlglot.errors import ErrorLevel

from pilothouse.experiments.analysis.expressions import (
    FIRST,
    TS,
    UNIT,
    Window,
    all_of,
    case,
    double,
    number,
    percentile,
    text,
)
from pilothouse.experiments.analysis.plan import (
    AnalysisPlan,
    DimensionPlan,
    EventExposure,
    MetricPlan,
    TableExposure,
)
from pilothouse.experiments.analysis.quantiles import (
    QUANTILE_FIELDS,
    quantile_aggregates,
    rank_columns,
)
from pilothouse.experiments.analysis.values import Requirement, UnitValues
from pilothouse.metrics.compiler.context import Context, col, ident, table
from pilothouse.metrics.compiler.dialects import rules_for
from pilothouse.metrics.compiler.query import MetricQuery
from pilothouse.metrics.compiler.rewrites import RULES, apply_rewrites
from pilothouse.metrics.compiler.schema import WarehouseSchema
from pilothouse.metrics.definitions.catalog import Catalog
from pilothouse.metrics.definitions.model import (
    EventSelection,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
)

__all__ = [
    "FIRST",
    "NOT_SET",
    "UNIT",
    "CompiledAnalysis",
    "overall_from_slices",
    "compile_exposures",
    "compile_statistics",
    "metric_fields",
    "render",
]

NOT_SET = "(not set)"
MAIN, DEN, PRE, DEN_PRE = "m", "d", "x", "e"


@dataclass(frozen=True)
class CompiledAnalysis:
    """The statistics SQL of a plan and how to read its columns.

    Attributes:
        sql: The query text for ``dialect``.
        dialect: The sqlglot dialect it was written for.
        metrics: Metric names in column order: metric ``i`` has columns ``m<i>_<field>``.
        columns: Every output column, in order.
    """

    sql: str
    dialect: str
    metrics: tuple[str, ...]
    columns: tuple[str, ...]


def metric_fields(metric: MetricPlan) -> tuple[str, ...]:
    """GrowthBook sufficient-statistic columns the SQL returns for ``metric``."""
    if metric.kind == "quantile":
        return QUANTILE_FIELDS
    fields = ["main_sum", "main_sum_squares"]
    if metric.kind == "ratio":
        fields += ["denominator_sum", "denominator_sum_squares", "main_denominator_sum_product"]
    if metric.cuped:
        fields += ["covariate_sum", "covariate_sum_squares", "main_covariate_sum_product"]
        if metric.kind == "ratio":
            fields += [
                "denominator_pre_sum",
                "denominator_pre_sum_squares",
                "main_post_denominator_pre_sum_product",
                "main_pre_denominator_post_sum_product",
                "main_pre_denominator_pre_sum_product",
                "denominator_post_denominator_pre_sum_product",
            ]
    return tuple(fields)


#: field -> the per-unit value columns whose product (or value) it sums.
_SUMS: dict[str, tuple[str, ...]] = {
    "main_sum": (MAIN,),
    "main_sum_squares": (MAIN, MAIN),
    "denominator_sum": (DEN,),
    "denominator_sum_squares": (DEN, DEN),
    "main_denominator_sum_product": (MAIN, DEN),
    "covariate_sum": (PRE,),
    "covariate_sum_squares": (PRE, PRE),
    "main_covariate_sum_product": (MAIN, PRE),
    "denominator_pre_sum": (DEN_PRE,),
    "denominator_pre_sum_squares": (DEN_PRE, DEN_PRE),
    "main_post_denominator_pre_sum_product": (MAIN, DEN_PRE),
    "main_pre_denominator_post_sum_product": (PRE, DEN),
    "main_pre_denominator_pre_sum_product": (PRE, DEN_PRE),
    "denominator_post_denominator_pre_sum_product": (DEN, DEN_PRE),
}


class _Builder:
    """Adds the CTEs of one analysis to a compiler :class:`Context`."""

    def __init__(self, plan: AnalysisPlan, schema: WarehouseSchema, dialect: str) -> None:
        self.plan = plan
        self.rules = rules_for(dialect)
        start = (plan.start or plan.end).date()
        query = MetricQuery(
            metric=plan.experiment,
            start=start,
            end=max(plan.end.date(), start + dt.timedelta(days=1)),
            time_zone=plan.time_zone,
        )
        self.ctx = Context(query, Catalog(), schema, self.rules, (), ZoneInfo(plan.time_zone))

    # -- exposures ----------------------------------------------------------------------

    def unit_column(self) -> exp.Expression:
        return self.ctx.column("events", "account_id" if self.plan.unit == "account" else "user_id")

    def _need_account(self) -> bool:
        return self.plan.unit == "user" and any(
            d.source is FieldSource.ACCOUNT_TRAIT for d in self.plan.dimensions
        )

    def _lo(self) -> dt.datetime:
        return self.plan.start or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

    def _event_exposure_rows(self, exposure: EventExposure) -> exp.Select:
        ctx = self.ctx
        variation = ctx.field_value(FieldRef(FieldSource.PROPERTY, exposure.variation_property))
        columns: list[tuple[str, exp.Expression]] = [
            (UNIT, self.unit_column()),
            ("exposed_variation", variation),
            (TS, ctx.event_ts()),
        ]
        if self._need_account():
            columns.append(("exposed_account", ctx.column("events", "account_id")))
        for index, dimension in enumerate(self.plan.dimensions):
            if dimension.source is FieldSource.PROPERTY:
                ref = FieldRef(FieldSource.PROPERTY, dimension.key)
                columns.append((f"exposed_dim_{index}", ctx.field_value(ref)))
        experiment = FieldRef(FieldSource.PROPERTY, exposure.experiment_property)
        selection = EventSelection(
            (exposure.event,),
            (
                Filter(experiment, FilterOp.EQ, exposure.tracking_key),
                Filter(
                    FieldRef(FieldSource.PROPERTY, exposure.variation_property), FilterOp.IS_SET
                ),
            ),
        )
        return ctx.event_rows(
            selection,
            columns,
            lo=self._lo(),
            hi=self.plan.end,
            unit=self.unit_column(),
            query_filters=False,
        )

    def _table_exposure_rows(self, exposure: TableExposure) -> exp.Select:
        parts = [exp.to_identifier(p, quoted=True) for p in exposure.table]
        source = exp.Table(
            this=parts[-1],
            db=parts[-2] if len(parts) > 1 else None,
            catalog=parts[-3] if len(parts) > 2 else None,
            alias=exp.TableAlias(this=ident("xt")),
        )
        unit, experiment = col(exposure.unit_column, "xt"), col(exposure.experiment_column, "xt")
        variation, ts = col(exposure.variation_column, "xt"), col(exposure.timestamp_column, "xt")
        where = [
            exp.EQ(this=text(experiment), expression=exp.Literal.string(exposure.tracking_key)),
            exp.GTE(this=ts, expression=self.ctx.ts_literal(self._lo())),
            exp.LT(this=ts, expression=self.ctx.ts_literal(self.plan.end)),
            exp.Not(this=exp.Is(this=unit, expression=exp.Null())),
            exp.Not(this=exp.Is(this=variation, expression=exp.Null())),
        ]
        return (
            exp.select(
                text(unit).as_(ident(UNIT)),
                text(variation).as_(ident("exposed_variation")),
                ts.as_(ident(TS)),
            )
            .from_(source)
            .where(all_of(*where))
        )

    def exposures(self) -> str:
        """CTE of one row per exposed unit: first exposure, min and max variation seen."""
        exposure = self.plan.exposure
        if isinstance(exposure, EventExposure):
            rows = self._event_exposure_rows(exposure)
        else:
            rows = self._table_exposure_rows(exposure)
        rows_cte = self.ctx.add_cte("exposure_rows", rows)
        # Output names differ from input names: ClickHouse resolves aliases before columns.
        extra = [("exposed_account", "account_id")] if self._need_account() else []
        extra += [
            (f"exposed_dim_{i}", f"xdim_{i}")
            for i, d in enumerate(self.plan.dimensions)
            if d.source is FieldSource.PROPERTY
        ]
        select = (
            exp.select(
                col(UNIT),
                exp.Min(this=col(TS)).as_(ident(FIRST)),
                exp.Min(this=col("exposed_variation")).as_(ident("min_variation")),
                exp.Max(this=col("exposed_variation")).as_(ident("max_variation")),
                *(exp.Min(this=col(source)).as_(ident(name)) for source, name in extra),
            )
            .from_(table(rows_cte))
            .group_by(col(UNIT))
        )
        return self.ctx.add_cte("exposures", select)

    def _dimension_value(self, index: int, dimension: DimensionPlan) -> exp.Expression:
        ctx = self.ctx
        if dimension.source is FieldSource.PROPERTY:
            value: exp.Expression = col(f"xdim_{index}", "g")
        else:
            logical = "users" if dimension.source is FieldSource.USER_TRAIT else "accounts"
            source = ctx.column(logical, "traits")
            value = self.rules.json_text(source, dimension.key, ctx.schema.json_storage)
        return exp.Coalesce(this=text(value), expressions=[exp.Literal.string(NOT_SET)])

    def units(self, exposures: str) -> str:
        """CTE of the analysed units: one variation only, with their dimension values."""
        ctx = self.ctx
        select = exp.select(
            col(UNIT, "g").as_(ident(UNIT)),
            col("min_variation", "g").as_(ident("variation")),
            col(FIRST, "g").as_(ident(FIRST)),
            *(
                self._dimension_value(i, d).as_(ident(f"dim_{i}"))
                for i, d in enumerate(self.plan.dimensions)
            ),
        ).from_(table(exposures, "g"))
        sources = {d.source for d in self.plan.dimensions}
        if FieldSource.USER_TRAIT in sources:
            on = exp.EQ(this=ctx.column("users", "user_id"), expression=col(UNIT, "g"))
            select = select.join(ctx.schema.users.table("u"), on=on, join_type="left")
        if FieldSource.ACCOUNT_TRAIT in sources:
            key = "account_id" if self._need_account() else UNIT
            on = exp.EQ(this=ctx.column("accounts", "account_id"), expression=col(key, "g"))
            select = select.join(ctx.schema.accounts.table("a"), on=on, join_type="left")
        single = exp.EQ(this=col("min_variation", "g"), expression=col("max_variation", "g"))
        return ctx.add_cte("units", select.where(single))


# -- assembling the statistics query ----------------------------------------------------


def _requirements(metrics: Sequence[MetricPlan]) -> list[Requirement]:
    """The per-unit value columns of every metric: ``m<i>_m`` (numerator), ``_d``
    (denominator), and with CUPED ``_x``/``_e`` (the same before exposure)."""
    out = []
    for index, metric in enumerate(metrics):
        windows: list[tuple[str, str, Window]] = [(MAIN, DEN, (False, metric.window_seconds))]
        if metric.cuped:
            windows.append((PRE, DEN_PRE, (True, None)))
        for main, den, window in windows:
            for role, component in ((main, metric.numerator), (den, metric.denominator)):
                if component is not None:
                    out.append(Requirement(f"m{index}_{role}", component, window))
    return out


def _unit_values(
    builder: _Builder, units: str, metrics: Sequence[MetricPlan]
) -> tuple[str, list[str]]:
    """CTE of every analysed unit with one value per metric column (0 without events)."""
    values = UnitValues(builder.ctx, builder.plan, builder.unit_column(), units)
    sources = values.build(_requirements(metrics))
    dims = [f"dim_{i}" for i in range(len(builder.plan.dimensions))]
    select = exp.select(
        col("variation", "un").as_(ident("variation")),
        *(col(d, "un").as_(ident(d)) for d in dims),
    ).from_(table(units, "un"))
    aliases: dict[str, str] = {}
    for cte in dict.fromkeys(s for _, s, _ in sources):
        alias = aliases.setdefault(cte, f"v{len(aliases)}")
        on = exp.EQ(this=col(UNIT, alias), expression=col(UNIT, "un"))
        select = select.join(table(cte, alias), on=on, join_type="left")
    columns = []
    for column, cte, source_column in sources:
        value = exp.Coalesce(this=col(source_column, aliases[cte]), expressions=[number(0)])
        select = select.select(double(value).as_(ident(column)))
        columns.append(column)
    return builder.ctx.add_cte("unit_values", select), columns


def _cap_limits(
    builder: _Builder, values: str, metrics: Sequence[MetricPlan]
) -> tuple[dict[int, exp.Expression], str | None]:
    """Each capped metric's cap: a literal, or a column of the ``caps`` CTE (percentiles)."""
    limits: dict[int, exp.Expression] = {}
    percentiles: list[exp.Expr] = []
    for index, metric in enumerate(metrics):
        cap = metric.cap
        if cap is None:
            continue
        if cap.type == "absolute":
            limits[index] = number(cap.value)
            continue
        main: exp.Expression = col(f"m{index}_{MAIN}")
        if cap.ignore_zeros:
            main = case(exp.NEQ(this=main, expression=number(0)), main)
        level = percentile(builder.rules.name, main, cap.value)
        percentiles.append(level.as_(ident(f"cap_{index}")))
        limits[index] = col(f"cap_{index}", "cp")
    if not percentiles:
        return limits, None
    caps = builder.ctx.add_cte("caps", exp.select(*percentiles).from_(table(values)))
    return limits, caps


def _capped(
    builder: _Builder, values: str, metrics: Sequence[MetricPlan], columns: list[str]
) -> str:
    """Winsorise each capped metric's numerator (after and before exposure) at its cap."""
    limits, caps = _cap_limits(builder, values, metrics)
    if not limits:
        return values
    keys = ["variation", *(f"dim_{i}" for i in range(len(builder.plan.dimensions)))]
    source = exp.select(*(col(k, "uv").as_(ident(k)) for k in keys)).from_(table(values, "uv"))
    if caps is not None:
        source = source.join(table(caps, "cp"), join_type="cross")
    for column in columns:
        position, role = column[1:].split("_", 1)
        value: exp.Expression = col(column, "uv")
        limit = limits.get(int(position))
        if limit is not None and role in (MAIN, PRE):
            value = case(exp.GT(this=value, expression=limit), limit.copy(), col(column, "uv"))
        source = source.select(value.as_(ident(column)))
    return builder.ctx.add_cte("capped_values", source)


def _aggregates(metrics: Sequence[MetricPlan]) -> list[exp.Expr]:
    out: list[exp.Expr] = [exp.Count(this=exp.Star()).as_(ident("users"))]
    for index, metric in enumerate(metrics):
        if metric.kind == "quantile":
            out.extend(quantile_aggregates(index, metric))
            continue
        for name in metric_fields(metric):
            parts = [col(f"m{index}_{p}") for p in _SUMS[name]]
            product = parts[0] if len(parts) == 1 else exp.Mul(this=parts[0], expression=parts[1])
            out.append(exp.Sum(this=product).as_(ident(f"m{index}_{name}")))
    return out


def _ranked(
    builder: _Builder,
    values: str,
    metrics: Sequence[MetricPlan],
    columns: Sequence[str],
    partition: list[str],
) -> str:
    """``values`` with each quantile metric's rank and count within ``partition``
    (the values CTE itself when no metric is a quantile)."""
    ranks = rank_columns(metrics, partition)
    if not ranks:
        return values
    keys = ["variation", *(f"dim_{i}" for i in range(len(builder.plan.dimensions)))]
    select = exp.select(*(col(c) for c in [*keys, *columns]), *ranks).from_(table(values))
    name = "quantile_ranks" if len(partition) == 1 else f"quantile_ranks_{partition[1]}"
    return builder.ctx.add_cte(name, select)


def _result(
    builder: _Builder, values: str, metrics: Sequence[MetricPlan], columns: Sequence[str]
) -> exp.Query:
    """Per-variation sums: one group of rows per dimension, stacked with UNION ALL.

    Without dimensions the rows are the overall ones (``dimension`` NULL). With
    dimensions the overall rows are not queried: every unit has exactly one value
    of each dimension, so the overall sums are the sums of the first dimension's
    rows (:func:`overall_from_slices`), which saves a pass over the units. Quantiles
    cannot be added up, so with a quantile metric the overall rows are queried too.
    """
    plan = builder.plan
    quantiles = any(m.kind == "quantile" for m in metrics)
    parts = []
    if not plan.dimensions or quantiles:
        source = _ranked(builder, values, metrics, columns, ["variation"])
        parts.append(
            exp.select(
                text(exp.Null()).as_(ident("dimension")),
                text(exp.Null()).as_(ident("dimension_value")),
                col("variation"),
                *_aggregates(metrics),
            )
            .from_(table(source))
            .group_by(col("variation"))
        )
    for index, dimension in enumerate(plan.dimensions):
        dim = col(f"dim_{index}")
        source = _ranked(builder, values, metrics, columns, ["variation", f"dim_{index}"])
        parts.append(
            exp.select(
                text(exp.Literal.string(dimension.name)).as_(ident("dimension")),
                dim.as_(ident("dimension_value")),
                col("variation"),
                *_aggregates(metrics),
            )
            .from_(table(source))
            .group_by(col("variation"), dim.copy())
        )
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query


def overall_from_slices(plan: AnalysisPlan, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The overall rows of a result that only has dimension rows: the first dimension's
    rows summed per variation (returned as extra rows with ``dimension`` NULL)."""
    if not plan.dimensions or any(r["dimension"] is None for r in rows):
        return []
    first = plan.dimensions[0].name
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["dimension"] != first:
            continue
        total = totals.setdefault(
            str(row["variation"]),
            {"dimension": None, "dimension_value": None, "variation": row["variation"]},
        )
        for name, value in row.items():
            if name not in ("dimension", "dimension_value", "variation"):
                total[name] = total.get(name, 0) + (value or 0)
    return list(totals.values())


def render(tree: exp.Expr, dialect: str, *, pretty: bool = True) -> str:
    """SQL text of a finished tree after the compiler's rewrites (quoting and the rest)."""
    name = rules_for(dialect).name
    rewritten = apply_rewrites(cast(exp.Expression, tree), name, RULES)
    return rewritten.sql(
        dialect=name, pretty=pretty, identify=True, unsupported_level=ErrorLevel.RAISE
    )


def _with(ctx: Context, query: exp.Query) -> exp.Query:
    for name, cte in ctx.ctes:
        query = query.with_(ident(name), as_=cte)
    return query


def compile_exposures(
    plan: AnalysisPlan, schema: WarehouseSchema, dialect: str, *, pretty: bool = True
) -> str:
    """SQL counting exposed units per variation; units seen in several variations
    are counted on a row whose ``variation`` is NULL.

    Args:
        plan: The analysis plan.
        schema: Physical layout of the warehouse.
        dialect: Target dialect.
        pretty: Indent the SQL.

    Returns:
        The query text; columns ``variation``, ``units``.
    """
    builder = _Builder(plan, schema, dialect)
    exposures = builder.exposures()
    single = exp.EQ(this=col("min_variation"), expression=col("max_variation"))
    variation = case(single, col("min_variation"))
    select = (
        exp.select(
            variation.as_(ident("variation")), exp.Count(this=exp.Star()).as_(ident("units"))
        )
        .from_(table(exposures))
        .group_by(variation.copy())
    )
    return render(_with(builder.ctx, select), dialect, pretty=pretty)


UnitsFactory = Callable[[_Builder], str]


def _default_units(builder: _Builder) -> str:
    return builder.units(builder.exposures())


def compile_statistics(
    plan: AnalysisPlan,
    schema: WarehouseSchema,
    dialect: str,
    *,
    pretty: bool = True,
    units: UnitsFactory = _default_units,
) -> CompiledAnalysis:
    """SQL returning per-variation (and per-dimension) sufficient statistics.

    Only the plan's runnable metrics are included (those without an error).

    Args:
        plan: The analysis plan.
        schema: Physical layout of the warehouse.
        dialect: Target dialect.
        pretty: Indent the SQL.
        units: Builds the ``units`` CTE (``unit_id``, ``variation``,
            ``first_exposure``, ``dim_<i>``); the default reads the exposures.

    Returns:
        The query and the metric of each ``m<i>_`` column prefix.
    """
    metrics = [m for m in plan.metrics if m.runnable]
    builder = _Builder(plan, schema, dialect)
    units_cte = units(builder)
    values, columns = _unit_values(builder, units_cte, metrics)
    final = _capped(builder, values, metrics, columns)
    query = _with(builder.ctx, _result(builder, final, metrics, columns))
    names = ["dimension", "dimension_value", "variation", "users"]
    names += [f"m{i}_{f}" for i, m in enumerate(metrics) for f in metric_fields(m)]
    return CompiledAnalysis(
        sql=render(query, dialect, pretty=pretty),
        dialect=rules_for(dialect).name,
        metrics=tuple(m.name for m in metrics),
        columns=tuple(names),
    )
