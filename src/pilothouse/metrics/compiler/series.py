"""The unit of composition: a CTE holding one metric's series, and shared SQL helpers.

Every metric type compiles to a CTE with the columns ``period_start``,
``dim_0..dim_n`` and its value columns. Ratios and formulas combine such CTEs;
the final select renames the dimension columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from pilothouse.metrics.compiler.context import PERIOD, col, ident, table

__all__ = [
    "Series",
    "as_double",
    "count_distinct",
    "grouped",
    "running",
    "safe_divide",
    "to_bigint",
]


@dataclass(frozen=True)
class Series:
    """A compiled metric: its CTE, value columns (``value`` first) and empty-period meaning.

    ``zero_when_empty`` is true when a period with no rows means 0 (counts, sums),
    so ratios and formulas may treat a missing side as zero rather than unknown.
    """

    cte: str
    columns: tuple[str, ...]
    zero_when_empty: bool


def as_double(expression: exp.Expression) -> exp.Expression:
    return exp.cast(expression, "double")


def to_bigint(expression: exp.Expression) -> exp.Expression:
    """Exact integers come back as BIGINT everywhere (PostgreSQL sums return NUMERIC)."""
    return exp.cast(expression, "bigint")


def safe_divide(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    """``CAST(n AS DOUBLE) / NULLIF(d, 0)``: float division, NULL rather than an error on 0."""
    divisor = exp.Nullif(this=denominator, expression=exp.Literal.number(0))
    return exp.Div(this=as_double(numerator), expression=divisor, typed=False, safe=False)


def count_distinct(expression: exp.Expression) -> exp.Expression:
    """An exact distinct count (rewritten to ``uniqExact`` for ClickHouse)."""
    return exp.Count(this=exp.Distinct(expressions=[expression]))


def grouped(
    source: str,
    keys: Sequence[str],
    values: Sequence[tuple[str, exp.Expression]],
) -> exp.Select:
    """``SELECT keys, values FROM source GROUP BY keys``."""
    select = exp.select(*(col(k) for k in keys), *(e.as_(ident(n)) for n, e in values))
    select = select.from_(table(source))
    return select.group_by(*(col(k) for k in keys)) if keys else select


def running(aggregate: exp.Expression, dims: Sequence[str]) -> exp.Expression:
    """``aggregate OVER (PARTITION BY dims ORDER BY period_start ROWS UNBOUNDED PRECEDING)``."""
    return exp.Window(
        this=aggregate,
        partition_by=[col(d) for d in dims] or None,
        order=exp.Order(expressions=[exp.Ordered(this=col(PERIOD), nulls_first=True)]),
        spec=exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
        ),
    )
