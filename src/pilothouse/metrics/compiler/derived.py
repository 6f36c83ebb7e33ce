"""Ratios and formulas: series computed from other metrics' series.

Shape: each input metric compiles to its own CTE; their values are stacked with
``UNION ALL`` into one column per input (``NULL`` in the others), regrouped by
period and dimensions with ``MAX`` (one row per input per group), then combined.
Stacking instead of a FULL JOIN keeps groups whose dimension value is NULL, on
every engine, without null-safe join conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from pilothouse.metrics.compiler.context import PERIOD, Context, col, ident, table
from pilothouse.metrics.compiler.series import Series, as_double, grouped, safe_divide
from pilothouse.metrics.definitions.formula import BinaryOp, FormulaNode, MetricRef, Negate, Number
from pilothouse.metrics.definitions.model import FormulaSpec, Metric, RatioSpec

__all__ = ["compile_formula", "compile_ratio"]

Build = Callable[[Metric], Series]


def _stack(ctx: Context, metric: Metric, inputs: Sequence[Series], *, as_float: bool) -> str:
    """One row per (period, dims) with column ``input_i`` holding input i's value.

    With ``as_float`` every slot is DOUBLE: with three or more branches PostgreSQL
    types an all-NULL column as text before it meets the numbers. A ratio keeps
    its inputs' own types (exact counts) and has two branches, which resolve fine.
    """
    keys = [PERIOD, *ctx.dims]
    names = [f"input_{i}" for i in range(len(inputs))]
    branches = []
    for i, series in enumerate(inputs):
        value: exp.Expression = as_double(col("value")) if as_float else col("value")
        empty: exp.Expression = exp.cast(exp.Null(), "double") if as_float else exp.Null()
        slots = [(value if j == i else empty).as_(ident(name)) for j, name in enumerate(names)]
        branches.append(exp.select(*(col(k) for k in keys), *slots).from_(table(series.cte)))
    union: exp.Query = branches[0]
    for branch in branches[1:]:
        union = exp.union(union, branch, distinct=False)
    stacked = ctx.add_cte(f"{metric.name}_inputs", union)  # type: ignore[arg-type]
    values = [(name, exp.Max(this=col(name))) for name in names]
    return ctx.add_cte(f"{metric.name}_joined", grouped(stacked, keys, values))


def _input(series: Series, index: int) -> exp.Expression:
    value = col(f"input_{index}")
    if series.zero_when_empty:
        return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
    return value


def compile_ratio(ctx: Context, metric: Metric, build: Build) -> Series:
    spec = metric.spec
    assert isinstance(spec, RatioSpec)
    numerator = build(ctx.catalog.get(spec.numerator))
    denominator = build(ctx.catalog.get(spec.denominator))
    joined = _stack(ctx, metric, [numerator, denominator], as_float=False)
    top, bottom = _input(numerator, 0), _input(denominator, 1)
    values = [("value", safe_divide(top, bottom)), ("numerator", top), ("denominator", bottom)]
    select = exp.select(
        *(col(k) for k in (PERIOD, *ctx.dims)), *(e.as_(ident(n)) for n, e in values)
    )
    cte = ctx.add_cte(metric.name, select.from_(table(joined)))
    return Series(cte, tuple(n for n, _ in values), False)


def _formula_sql(node: FormulaNode, inputs: dict[str, exp.Expression]) -> exp.Expression:
    if isinstance(node, Number):
        return exp.Literal.number(
            repr(node.value) if isinstance(node.value, float) else str(node.value)
        )
    if isinstance(node, MetricRef):
        return inputs[node.name]
    if isinstance(node, Negate):
        return exp.Neg(this=exp.paren(_formula_sql(node.operand, inputs), copy=False))
    assert isinstance(node, BinaryOp)
    left, right = _formula_sql(node.left, inputs), _formula_sql(node.right, inputs)
    if node.op == "/":
        return exp.paren(safe_divide(left, right), copy=False)
    operator = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.op]
    return exp.paren(operator(this=as_double(left), expression=right), copy=False)


def compile_formula(ctx: Context, metric: Metric, build: Build) -> Series:
    spec = metric.spec
    assert isinstance(spec, FormulaSpec)
    series = [build(ctx.catalog.get(name)) for name in spec.references]
    joined = _stack(ctx, metric, series, as_float=True)
    inputs = {
        name: _input(s, i) for i, (name, s) in enumerate(zip(spec.references, series, strict=True))
    }
    value = as_double(_formula_sql(spec.tree, inputs))  # type: ignore[arg-type]
    select = exp.select(*(col(k) for k in (PERIOD, *ctx.dims)), value.as_(ident("value")))
    cte = ctx.add_cte(metric.name, select.from_(table(joined)))
    return Series(cte, ("value",), False)
