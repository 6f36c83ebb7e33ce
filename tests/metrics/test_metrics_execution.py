"""Every metric type, with filters, dimensions, grains and time zones, executed for real.

Each query is compiled, run on DuckDB (naive UTC timestamps, JSON) and on PostgreSQL
(timestamptz, jsonb, a Los Angeles session zone), and compared with the numbers
``tests/metrics/reference.py`` computes in plain Python from the same rows: counts
and money exactly, ratios to 1e-9.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from pilothouse.metrics.compiler import (
    MetricQuery,
    compile_field_presence,
    compile_query,
    missing_fields,
)
from pilothouse.metrics.definitions import (
    Catalog,
    Dimension,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    Grain,
    MetricType,
    Unit,
    ValueType,
    validate_sources,
)
from pilothouse.metrics.warehouses import WarehouseAdapter
from tests.metrics.conftest import CATALOG_DIR
from tests.metrics.fixture_data import HOSTILE
from tests.metrics.reference import Reference

START, END = dt.date(2024, 2, 26), dt.date(2024, 4, 16)
ROLE_FILTER = Filter(FieldRef(FieldSource.USER_TRAIT, "role"), FilterOp.IN, ("admin", "member"))
NOT_HOSTILE = Filter(FieldRef(FieldSource.PROPERTY, "platform"), FilterOp.NE, HOSTILE)
SEGMENT = Dimension("segment", FieldRef(FieldSource.ACCOUNT_TRAIT, "segment"))

# (grain, time zone, dimensions, extra filters): each metric runs under every variant.
VARIANTS: dict[str, tuple[Grain | None, str, tuple[Any, ...], tuple[Filter, ...]]] = {
    "day-utc": (Grain.DAY, "UTC", (), ()),
    "week-paris-plan": (Grain.WEEK, "Europe/Paris", ("plan",), ()),
    "month-newyork-2dims-role": (
        Grain.MONTH,
        "America/New_York",
        ("platform", "country"),
        (ROLE_FILTER,),
    ),
    "total-tokyo-inline-dim": (None, "Asia/Tokyo", (SEGMENT,), (NOT_HOSTILE,)),
    "day-kolkata-quote-key": (Grain.DAY, "Asia/Kolkata", ("quote_key",), ()),
}


def _metric_names() -> list[str]:
    from pilothouse.metrics.definitions import load_catalog

    return sorted(load_catalog(CATALOG_DIR).metrics)


def _query(catalog: Catalog, name: str, variant: str) -> MetricQuery:
    grain, zone, dims, filters = VARIANTS[variant]
    metric = catalog.get(name)
    if metric.type is MetricType.ROLLING:
        grain = Grain.DAY
    if metric.dimensions is not None:
        dims = tuple(d for d in dims if not isinstance(d, str) or d in metric.dimensions)
    return MetricQuery(name, START, END, grain, zone, dims, filters)


def close(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return left == right and type(left) is type(right)


def run(
    adapter: WarehouseAdapter, schema: Any, catalog: Catalog, query: MetricQuery
) -> dict[Any, Any]:
    compiled = compile_query(query, catalog, schema, adapter.dialect)
    result = adapter.execute(compiled.sql, timeout_s=60)
    assert result.columns == compiled.columns
    width = 1 + len(query.dimensions)
    return {tuple(row[:width]): tuple(row[width:]) for row in result.rows}


def assert_same(got: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert expected, "the reference produced no rows: the case proves nothing"
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    for key, values in expected.items():
        assert len(got[key]) == len(values), key
        for mine, theirs in zip(got[key], values, strict=True):
            assert close(mine, theirs), (key, got[key], values)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", _metric_names())
def test_metric_matches_reference(
    engine, catalog: Catalog, reference: Reference, name: str, variant: str
) -> None:
    adapter, schema = engine
    query = _query(catalog, name, variant)
    assert_same(run(adapter, schema, catalog, query), reference.series(query))


@pytest.mark.parametrize("name", ["active_users", "signup_to_export", "week_one_retention"])
def test_unit_override_counts_accounts(
    engine, catalog: Catalog, reference: Reference, name: str
) -> None:
    adapter, schema = engine
    query = MetricQuery(name, START, END, Grain.WEEK, "Europe/Paris", ("plan",), unit=Unit.ACCOUNT)
    assert_same(run(adapter, schema, catalog, query), reference.series(query))


@pytest.mark.parametrize(
    "flt",
    [
        Filter(FieldRef(FieldSource.PROPERTY, "rows", ValueType.NUMBER), FilterOp.GE, 250),
        Filter(FieldRef(FieldSource.PROPERTY, "rows", ValueType.NUMBER), FilterOp.LT, 101),
        Filter(FieldRef(FieldSource.PROPERTY, "rows", ValueType.NUMBER), FilterOp.LE, 101),
        Filter(FieldRef(FieldSource.PROPERTY, "format"), FilterOp.IS_NOT_SET),
        Filter(FieldRef(FieldSource.PROPERTY, "format"), FilterOp.CONTAINS, "s"),
        Filter(FieldRef(FieldSource.ACCOUNT_TRAIT, "plan"), FilterOp.NOT_IN, ("free", "pro")),
        Filter(
            FieldRef(FieldSource.ACCOUNT_TRAIT, "arr_cents", ValueType.INTEGER),
            FilterOp.GT,
            1_000_000,
        ),
        Filter(FieldRef(FieldSource.USER_TRAIT, "country"), FilterOp.IS_SET),
        Filter(FieldRef(FieldSource.PROPERTY, "platform"), FilterOp.EQ, HOSTILE),
    ],
    ids=lambda f: f"{f.field.key}-{f.op.value}",
)
def test_every_filter_operator(engine, catalog: Catalog, reference: Reference, flt: Filter) -> None:
    adapter, schema = engine
    name = "page_views" if flt.field.key == "platform" else "exporters"
    query = MetricQuery(name, START, END, Grain.MONTH, "UTC", ("country",), (flt,))
    assert_same(run(adapter, schema, catalog, query), reference.series(query))


def test_money_is_exact_integer_cents(engine, catalog: Catalog, reference: Reference) -> None:
    adapter, schema = engine
    query = MetricQuery("revenue_cents", START, END, None, "UTC")
    got = run(adapter, schema, catalog, query)
    ((value,),) = got.values()
    assert isinstance(value, int) and value == reference.series(query)[(START,)][0]


def test_time_zone_moves_events_between_days(engine, catalog: Catalog) -> None:
    adapter, schema = engine
    utc = run(adapter, schema, catalog, MetricQuery("page_views", START, END, Grain.DAY, "UTC"))
    tokyo = run(
        adapter, schema, catalog, MetricQuery("page_views", START, END, Grain.DAY, "Asia/Tokyo")
    )
    assert utc != tokyo


def test_probe_finds_a_filter_on_a_property_that_never_occurs(engine) -> None:  # type: ignore[no-untyped-def]
    adapter, schema = engine
    report = validate_sources(
        {
            "typo.yaml": """
metrics:
  - name: eur_orders
    description: Orders in euro, with a typo in the property.
    owner: pm@example.com
    product_area: revenue
    type: count
    event: Order Completed
    filters: [{property: curency, value: EUR}]
  - name: eur_share
    description: Share of orders in euro.
    owner: pm@example.com
    product_area: revenue
    type: ratio
    numerator: eur_orders
    denominator: orders
  - name: orders
    description: All orders.
    owner: pm@example.com
    product_area: revenue
    type: count
    event: Order Completed
"""
        }
    )
    assert report.catalog is not None
    query = MetricQuery("eur_share", START, END, Grain.MONTH, "UTC", (SEGMENT,), (ROLE_FILTER,))
    probe = compile_field_presence(query, report.catalog, schema, adapter.dialect)
    rows = adapter.execute(probe.sql).rows
    messages = missing_fields(probe, rows, query)
    assert messages == [
        f"metric 'eur_orders': property 'curency' is not set on any of its 63 events "
        f"from {START} to {END}"
    ]
    fine = {(r[0], r[1]) for r in rows if r[3]}
    assert ("orders", "account_trait:segment") in fine and ("orders", "user_trait:role") in fine
