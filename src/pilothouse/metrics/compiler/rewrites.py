"""Rewrites applied to the finished tree, in order: pure ``(tree, dialect) -> tree``.

As in sqlglot's optimizer ``RULES``, each rule does one thing and the tuple order is
the contract. Rules never mutate their input.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

__all__ = [
    "RULES",
    "Rewrite",
    "apply_rewrites",
    "exact_distinct_counts",
    "iso_weeks",
    "quote_identifiers",
]

Rewrite = Callable[[exp.Expression, str], exp.Expression]


def quote_identifiers(tree: exp.Expression, dialect: str) -> exp.Expression:  # noqa: ARG001
    """Quote every identifier, so no name can be read as a keyword or as SQL."""

    def quote(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Identifier) and not node.quoted:
            return exp.Identifier(this=node.this, quoted=True)
        return node

    return tree.transform(quote)


def exact_distinct_counts(tree: exp.Expression, dialect: str) -> exp.Expression:
    """ClickHouse: ``COUNT(DISTINCT x)`` -> ``uniqExact(x)``.

    ClickHouse maps ``COUNT(DISTINCT)`` through the ``count_distinct_implementation``
    setting, which a server may set to the approximate ``uniq``; ``uniqExact`` is
    exact whatever the settings. Other engines' ``COUNT(DISTINCT)`` is always exact.
    """
    if dialect != "clickhouse":
        return tree

    def exact(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct):
            return exp.Anonymous(this="uniqExact", expressions=list(node.this.expressions))
        return node

    return tree.transform(exact)


def iso_weeks(tree: exp.Expression, dialect: str) -> exp.Expression:
    """BigQuery: weeks start on Monday like everywhere else (``WEEK`` means Sunday there)."""
    if dialect != "bigquery":
        return tree

    def monday(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.DateTrunc) and node.unit and node.unit.name.upper() == "WEEK":
            return exp.DateTrunc(this=node.this, unit=exp.var("ISOWEEK"))  # type: ignore[no-untyped-call]
        return node

    return tree.transform(monday)


RULES: tuple[Rewrite, ...] = (quote_identifiers, exact_distinct_counts, iso_weeks)


def apply_rewrites(
    tree: exp.Expression, dialect: str, rules: tuple[Rewrite, ...] = RULES
) -> exp.Expression:
    for rule in rules:
        tree = rule(tree, dialect)
    return tree
