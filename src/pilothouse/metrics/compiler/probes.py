"""Detecting filters and breakdowns on fields that never occur in the data.

Without a tracking plan a misspelt property cannot be caught when files are
validated; it silently matches nothing. When a series comes back empty (or always),
a caller runs the probe: for every property or trait that the metric (and the
metrics it is computed from) filters, groups or aggregates on, it counts the
selected events in the range and how many of them carry the field. A field that
never occurs is then reported with the metric that uses it.

Example:
    >>> from pilothouse.metrics.definitions import validate_sources
    >>> catalog = validate_sources({"m.yaml": '''
    ... metrics:
    ...   - {name: eur_orders, description: d, owner: a@b.co, product_area: x, type: count,
    ...      event: Order Completed, filters: [{property: curency, value: EUR}]}
    ... '''}).catalog
    >>> import datetime as dt
    >>> query = MetricQuery("eur_orders", dt.date(2024, 3, 1), dt.date(2024, 4, 1))
    >>> probe = compile_field_presence(query, catalog)
    >>> probe.columns
    ('metric', 'field', 'events', 'present')
    >>> missing_fields(  # doctest: +ELLIPSIS
    ...     probe, [("eur_orders", "property:curency", 120, 0)], query)
    ["metric 'eur_orders': property 'curency' is not set on any of its 120 events from ..."]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlglot import exp
from sqlglot.errors import ErrorLevel as SqlglotErrorLevel

from pilothouse.metrics.compiler.compile import _check_range, _zone, resolve_dimensions
from pilothouse.metrics.compiler.context import Context, ident
from pilothouse.metrics.compiler.dialects import rules_for
from pilothouse.metrics.compiler.query import CompiledQuery, MetricQuery
from pilothouse.metrics.compiler.rewrites import RULES, apply_rewrites
from pilothouse.metrics.compiler.schema import WarehouseSchema
from pilothouse.metrics.definitions.catalog import Catalog
from pilothouse.metrics.definitions.model import (
    AggregateSpec,
    EventSelection,
    FieldRef,
    FieldSource,
    Metric,
)

__all__ = ["compile_field_presence", "missing_fields"]

COLUMNS = ("metric", "field", "events", "present")


def _fields(ctx: Context, metric: Metric, selection: EventSelection) -> list[FieldRef]:
    found = [f.field for f in (*selection.filters, *ctx.query.filters)]
    found += [d.field for d in ctx.dimensions]
    if isinstance(metric.spec, AggregateSpec) and metric.spec.selection is selection:
        found.append(FieldRef(FieldSource.PROPERTY, metric.spec.property, metric.spec.value_type))
    unique: list[FieldRef] = []
    for ref in found:
        if all((r.source, r.key) != (ref.source, ref.key) for r in unique):
            unique.append(ref)
    return unique


def _branch(ctx: Context, metric: Metric, selection: EventSelection, ref: FieldRef) -> exp.Select:
    """One row: how many of the selection's events (by name, in range) carry ``ref``."""
    text = FieldRef(ref.source, ref.key)  # presence only: never cast
    columns = [
        ("metric", exp.Literal.string(metric.name)),
        ("field", exp.Literal.string(str(ref))),
        ("events", exp.Count(this=exp.Star())),
        ("present", exp.Count(this=ctx.field_value(text))),
    ]
    names_only = EventSelection(selection.events, ())
    return ctx.event_rows(
        names_only, columns, lo=ctx.lo, hi=ctx.hi, query_filters=False, fields=[ref]
    )


def _metrics(catalog: Catalog, name: str) -> list[Metric]:
    return [catalog.get(name), *(catalog.get(n) for n in catalog.dependencies(name))]


def compile_field_presence(
    query: MetricQuery,
    catalog: Catalog,
    schema: WarehouseSchema | None = None,
    dialect: str = "duckdb",
) -> CompiledQuery:
    """SQL returning ``(metric, field, events, present)`` per field the query reads.

    Filters of the metric's own selections are left out of ``events`` on purpose:
    the question is whether the field exists at all on those events.
    """
    metric = catalog.get(query.metric)
    _check_range(query)
    rules = rules_for(dialect)
    dims = resolve_dimensions(query, catalog, metric)
    ctx = Context(query, catalog, schema or WarehouseSchema(), rules, dims, _zone(query.time_zone))
    branches = [
        _branch(ctx, m, selection, ref)
        for m in _metrics(catalog, query.metric)
        for selection in m.selections
        for ref in _fields(ctx, m, selection)
    ]
    if not branches:
        empty = exp.select(*(exp.Null().as_(ident(c)) for c in COLUMNS)).where(exp.false())
        branches = [empty]
    tree: exp.Expression = branches[0]
    for branch in branches[1:]:
        tree = exp.union(tree, branch, distinct=False)
    tree = apply_rewrites(tree, rules.name, RULES)
    sql = tree.sql(
        dialect=rules.name, pretty=True, identify=True, unsupported_level=SqlglotErrorLevel.RAISE
    )
    return CompiledQuery(sql=sql, columns=COLUMNS, dialect=rules.name, metric=query.metric)


def missing_fields(
    probe: CompiledQuery, rows: Iterable[Sequence[Any]], query: MetricQuery
) -> list[str]:
    """Messages for fields never set on a metric's events (rows of the probe's result)."""
    del probe  # the columns are fixed; kept in the signature to pair it with its query
    messages = []
    for metric, field, events, present in rows:
        if events and not present:
            source, _, key = str(field).partition(":")
            kind = source.replace("_", " ")
            messages.append(
                f"metric {metric!r}: {kind} {key!r} is not set on any of its {events} events "
                f"from {query.start} to {query.end}"
            )
    return messages
