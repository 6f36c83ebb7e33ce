"""No definition, filter value, key or table name can change the shape of the SQL.

Hostile strings go through sqlglot literals and quoted identifiers: the compiled SQL
parses back as exactly one SELECT in every dialect, the strings come back only as
literal values or identifier names, and the queries run on DuckDB and PostgreSQL
with the results the reference computes (the tables are still there afterwards).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot
from sqlglot import exp

from pilothouse.metrics.compiler import DIALECTS, MetricQuery, WarehouseSchema, compile_query
from pilothouse.metrics.definitions import (
    Catalog,
    Dimension,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    Grain,
    load_catalog,
    validate_sources,
)
from tests.metrics.conftest import CATALOG_DIR
from tests.metrics.fixture_data import HOSTILE
from tests.metrics.reference import Reference
from tests.metrics.test_metrics_execution import assert_same, run

HOSTILE_STRINGS = [
    HOSTILE,
    "x') OR 1=1 --",
    "a\"b`c\\d'e",
    "'; SELECT pg_sleep(10); --",
    "$$; DROP TABLE users; $$",
    "line\nbreak */ /* ",
]
START, END = dt.date(2024, 2, 26), dt.date(2024, 4, 16)

HOSTILE_YAML = """\
metrics:
  - name: hostile
    description: Every string here is an attack.
    owner: pm@example.com
    product_area: security
    type: count
    event: {event}
    filters:
      - property: {key}
        op: "!="
        value: {value}
"""


def hostile_catalog(text: str) -> Catalog:
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    report = validate_sources(
        {"hostile.yaml": HOSTILE_YAML.format(event=quoted, key=quoted, value=quoted)}
    )
    assert report.catalog is not None, report.problems
    return report.catalog


def strings_in(tree: exp.Expression) -> set[str]:
    literals = {node.this for node in tree.find_all(exp.Literal) if node.is_string}
    names = {node.this for node in tree.find_all(exp.Identifier)}
    return literals | names


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=range(len(HOSTILE_STRINGS)))
def test_hostile_strings_stay_values(dialect: str, text: str) -> None:
    catalog = hostile_catalog(text)
    dimension = Dimension("hostile_dim", FieldRef(FieldSource.USER_TRAIT, text))
    extra = Filter(FieldRef(FieldSource.ACCOUNT_TRAIT, text), FilterOp.IN, (text, "b"))
    schema = WarehouseSchema.from_mapping({"events": {"name": text, "columns": {"event": text}}})
    query = MetricQuery("hostile", START, END, Grain.DAY, "UTC", (dimension,), (extra,))
    sql = compile_query(query, catalog, schema, dialect).sql
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    tables = {t.name for t in statements[0].find_all(exp.Table)}
    assert text in tables and tables <= {text, "users", "accounts", "hostile_events", "hostile"}
    if dialect in ("duckdb", "postgres", "trino", "snowflake"):
        # Path-free JSON access: the key itself is a literal (or inside the JSON path).
        assert any(text in s for s in strings_in(statements[0]))


@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=range(len(HOSTILE_STRINGS)))
def test_hostile_queries_run_and_match_the_reference(engine, fixture_data, text: str) -> None:  # type: ignore[no-untyped-def]
    adapter, schema = engine
    catalog = hostile_catalog(text)
    events_before = adapter.execute("SELECT COUNT(*) FROM events").rows
    flt = Filter(FieldRef(FieldSource.PROPERTY, "platform"), FilterOp.NE, text)
    dimension = Dimension("hostile_dim", FieldRef(FieldSource.PROPERTY, text))
    # The hostile event never exists: query page views with the hostile key and value.
    for name, source in (("hostile", catalog), ("page_views", load_catalog(CATALOG_DIR))):
        query = MetricQuery(name, START, END, Grain.WEEK, "Europe/Paris", (dimension,), (flt,))
        got = run(adapter, schema, source, query)
        expected = Reference(fixture_data, source).series(query)
        if name == "hostile":
            assert got == expected == {}
        else:
            assert_same(got, expected)
    assert adapter.execute("SELECT COUNT(*) FROM events").rows == events_before
    assert adapter.execute("SELECT COUNT(*) FROM users").rows[0][0] == len(fixture_data.users)
