"""Small sqlglot builders shared by the analysis SQL modules.

Every value becomes a sqlglot literal and every name a quoted identifier (through
the metric compiler's ``col``/``ident``/``table``), never text pasted into SQL.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

__all__ = [
    "FIRST",
    "TS",
    "UNIT",
    "Bounds",
    "Window",
    "all_of",
    "any_of",
    "case",
    "double",
    "number",
    "percentile",
    "text",
    "window_tag",
]

UNIT, TS, FIRST = "unit_id", "ts", "first_exposure"

#: A unit's window: (pre-exposure?, seconds after first exposure, or None for "until the end").
Window = tuple[bool, int | None]
#: A window's bounds for one unit: (lower, upper or None when unbounded).
Bounds = tuple[exp.Expression, exp.Expression | None]


def window_tag(window: Window) -> str:
    """``pre``, ``post`` or ``post_<seconds>``: part of column names."""
    pre, seconds = window
    if pre:
        return "pre"
    return "post" if seconds is None else f"post_{seconds}"


def number(value: float | int) -> exp.Expression:
    literal: exp.Expression = exp.Literal.number(
        repr(value) if isinstance(value, float) else str(value)
    )
    return literal


def all_of(*conditions: exp.Expr) -> exp.Expression:
    """``a AND b AND ...`` (typed as an expression: sqlglot declares a ``Condition``)."""
    return cast(exp.Expression, exp.and_(*conditions))


def any_of(*conditions: exp.Expr) -> exp.Expression:
    """``a OR b OR ...``."""
    return cast(exp.Expression, exp.or_(*conditions))


def double(expression: exp.Expression) -> exp.Expression:
    return exp.cast(expression, "double")


def text(expression: exp.Expression) -> exp.Expression:
    return exp.cast(expression, "text")


def case(
    condition: exp.Expression, then: exp.Expression, default: exp.Expression | None = None
) -> exp.Case:
    """``CASE WHEN condition THEN then [ELSE default] END``."""
    return exp.Case(ifs=[exp.If(this=condition, true=then)], default=default)


def percentile(dialect: str, value: exp.Expression, level: float) -> exp.Expression:
    """The ``level`` quantile of ``value`` over the rows, in each engine's own function.

    Exact where the engine has it (DuckDB ``QUANTILE_CONT``, PostgreSQL and Snowflake
    ``PERCENTILE_CONT``, ClickHouse ``quantileExactInclusive``, Spark ``PERCENTILE``,
    all linear interpolation between order statistics); Trino and
    BigQuery only have approximate quantiles, which is fine for a cap.
    """
    p = number(level)
    if dialect in ("postgres", "snowflake"):
        order = exp.Order(expressions=[exp.Ordered(this=value)])
        return exp.WithinGroup(this=exp.PercentileCont(this=p), expression=order)
    if dialect == "clickhouse":
        return exp.ParameterizedAgg(this="quantileExactInclusive", expressions=[p], params=[value])
    if dialect == "spark":
        return exp.Anonymous(this="PERCENTILE", expressions=[value, p])
    if dialect == "trino":
        return exp.Anonymous(this="APPROX_PERCENTILE", expressions=[value, p])
    if dialect == "bigquery":
        quantiles = exp.Anonymous(this="APPROX_QUANTILES", expressions=[value, number(1000)])
        offset = exp.Anonymous(this="OFFSET", expressions=[number(round(level * 1000))])
        return exp.Bracket(this=quantiles, expressions=[offset])
    return exp.PercentileCont(this=value, expression=p)  # DuckDB: QUANTILE_CONT(x, p)
