"""Quantile metrics in SQL: the sample quantile of per-unit values and its 95% bounds.

GrowthBook's approach, computed exactly in the warehouse. For ``n`` units in a
variation (or a variation and dimension value), level ``ν`` and
``z = z_0.975``::

    quantile        = x_(k(ν))
    quantile_lower  = x_(k(ν − z·sqrt(ν(1 − ν)/n*)))
    quantile_upper  = x_(k(ν + z·sqrt(ν(1 − ν)/n*)))
    k(p)            = min(n, max(1, ceil(n·p)))

where ``x_(k)`` is the k-th smallest value: the inverse of the empirical CDF
(NumPy's ``method="inverted_cdf"``, SQL's ``PERCENTILE_DISC``). The bounds are the
order statistics at the normal approximation of the ranks that cover the
quantile with 95% probability (the distribution-free interval for a quantile).
Each unit contributes one value, so the values are independent and ``n* = n``;
event-level quantiles, where a unit's events are correlated and ``n*`` would need
the clustering correction, are not offered.

The order statistics are picked with ``ROW_NUMBER()`` over the variation (and
dimension) partition, not with the engines' quantile functions: those differ in
interpolation between engines, several are approximate (Trino, BigQuery), and the
level of the bounds depends on ``n``, which most engines refuse inside a
``PERCENTILE`` argument. Ranks and window functions are the same everywhere, so
DuckDB, PostgreSQL, ClickHouse and Spark return identical numbers. With
``ignore_zeros``, units whose value is 0 sort last and are not counted in ``n``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlglot import exp

from pilothouse.experiments.analysis.expressions import all_of, case, double, number
from pilothouse.experiments.analysis.plan import MetricPlan
from pilothouse.experiments.stats.distributions import norm
from pilothouse.metrics.compiler.context import col, ident

__all__ = [
    "QUANTILE_FIELDS",
    "Z_95",
    "bound_levels",
    "quantile_aggregates",
    "rank_columns",
]

QUANTILE_FIELDS = ("quantile_n", "quantile_nstar", "quantile", "quantile_lower", "quantile_upper")
#: The bounds are 95% bounds whatever alpha the analysis uses (the stats engine
#: reads the standard error back from them).
Z_95 = float(norm.ppf(0.975))


def bound_levels(level: float, nstar: float) -> tuple[float, float]:
    """``ν ∓ z·sqrt(ν(1 − ν)/n*)``: the levels of the lower and upper bounds.

    >>> [round(x, 4) for x in bound_levels(0.9, 100)]
    [0.8412, 0.9588]
    """
    half = Z_95 * math.sqrt(level * (1 - level) / max(nstar, 1.0))
    return level - half, level + half


def rank_columns(metrics: Sequence[MetricPlan], partition: Sequence[str]) -> list[exp.Expr]:
    """``q<i>_rn`` (rank of the unit's value) and ``q<i>_n`` (units counted) per quantile metric.

    Args:
        metrics: The runnable metrics, in column order (``m<i>_m`` is metric i's value).
        partition: Columns the ranks restart on: ``variation`` and a dimension.

    Returns:
        Window expressions aliased ``q<i>_rn`` and ``q<i>_n``.
    """
    out: list[exp.Expr] = []
    for index, metric in enumerate(metrics):
        if metric.quantile is None:
            continue
        value = col(f"m{index}_m")
        order: list[exp.Expression] = [exp.Ordered(this=value.copy())]
        counted: exp.Expression = number(1)
        if metric.quantile.ignore_zeros:
            is_zero = exp.EQ(this=value.copy(), expression=number(0))
            order.insert(0, exp.Ordered(this=case(is_zero, number(1), number(0))))
            counted = case(exp.NEQ(this=value.copy(), expression=number(0)), number(1))
        else:
            counted = case(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())), counted)
        parts = [col(p) for p in partition]
        row_number = exp.Window(
            this=exp.RowNumber(), partition_by=parts, order=exp.Order(expressions=order)
        )
        count = exp.Window(this=exp.Count(this=counted), partition_by=[p.copy() for p in parts])
        out.append(row_number.as_(ident(f"q{index}_rn")))
        out.append(count.as_(ident(f"q{index}_n")))
    return out


def _rank(n: exp.Expression, level: exp.Expression) -> exp.Expression:
    """``min(n, max(1, ceil(n·p)))`` computed in double precision, as NumPy does.

    Every operand is a double (whole numbers are exact in a double): ClickHouse finds
    no common type for ``LEAST`` of an unsigned count and a float.
    """
    ceil = exp.Ceil(this=exp.Mul(this=double(n.copy()), expression=exp.Paren(this=level)))
    least = exp.Least(this=double(n.copy()), expressions=[ceil])
    return exp.Greatest(this=double(number(1)), expressions=[least])


def _order_statistic(index: int, level: exp.Expression) -> exp.Expression:
    """``MAX(CASE WHEN rank = k(level) AND n > 0 THEN value END)`` over the partition."""
    n, rank = col(f"q{index}_n"), col(f"q{index}_rn")
    hit = all_of(
        exp.EQ(this=rank, expression=_rank(n, level)),
        exp.GT(this=n.copy(), expression=number(0)),
    )
    return exp.Max(this=case(hit, col(f"m{index}_m")))


def quantile_aggregates(index: int, metric: MetricPlan) -> list[exp.Expr]:
    """The five quantile columns of metric ``index``, aggregated from the ranked rows."""
    assert metric.quantile is not None
    nu = metric.quantile.level
    n = col(f"q{index}_n")
    # z·sqrt(ν(1 − ν)/n*), with n* = n (one value per unit); max(n, 1) avoids 0/0.
    nstar = double(exp.Greatest(this=n.copy(), expressions=[number(1)]))
    spread = exp.Div(this=double(number(nu * (1 - nu))), expression=nstar)  # already a cast
    half = exp.Mul(this=double(number(Z_95)), expression=exp.Sqrt(this=spread))
    levels = {
        "quantile": double(number(nu)),
        "quantile_lower": exp.Sub(this=double(number(nu)), expression=half),
        "quantile_upper": exp.Add(this=double(number(nu)), expression=half.copy()),
    }
    out: list[exp.Expr] = [
        exp.Max(this=n.copy()).as_(ident(f"m{index}_quantile_n")),
        exp.Max(this=n.copy()).as_(ident(f"m{index}_quantile_nstar")),
    ]
    for name, level in levels.items():
        out.append(_order_statistic(index, level).as_(ident(f"m{index}_{name}")))
    return out
