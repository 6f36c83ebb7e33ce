"""Golden SQL per dialect, checked by each dialect's parser, and dialect-specific meaning.

The expected SQL lives in ``fixtures/sql/<dialect>/<case>.sql`` (sqlglot-style fixture
files). After an intended change to the compiler, regenerate them with
``PILOTHOUSE_UPDATE_GOLDEN=1`` and review the diff like code.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from pilothouse.metrics.compiler import (
    DIALECTS,
    MetricQuery,
    QueryError,
    TableMap,
    WarehouseSchema,
    compile_query,
)
from pilothouse.metrics.definitions import (
    Catalog,
    Dimension,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    Grain,
    UnknownDimension,
    UnknownMetric,
)
from tests.metrics.conftest import FIXTURES

GOLDEN = FIXTURES / "sql"
START, END = dt.date(2024, 3, 1), dt.date(2024, 4, 1)
PRO = Filter(FieldRef(FieldSource.ACCOUNT_TRAIT, "plan"), FilterOp.EQ, "pro")

CASES: dict[str, MetricQuery] = {
    "count_day_utc": MetricQuery("page_views", START, END, Grain.DAY, "UTC"),
    "count_filters_day": MetricQuery("web_page_views", START, END, Grain.DAY, "UTC", ("country",)),
    "distinct_week_paris": MetricQuery(
        "active_users", START, END, Grain.WEEK, "Europe/Paris", ("plan",)
    ),
    "sum_month_newyork": MetricQuery(
        "eur_revenue_cents", START, END, Grain.MONTH, "America/New_York", ("country",)
    ),
    "average_total": MetricQuery("average_order_cents", START, END, None, "UTC", (), (PRO,)),
    "max_day": MetricQuery("largest_order_cents", START, END, Grain.DAY, "UTC"),
    "ratio_day_paris": MetricQuery("views_per_user", START, END, Grain.DAY, "Europe/Paris"),
    "conversion_week": MetricQuery(
        "signup_to_export", START, END, Grain.WEEK, "UTC", ("platform",)
    ),
    "funnel_month_paris": MetricQuery("activation_funnel", START, END, Grain.MONTH, "Europe/Paris"),
    "retention_week_tokyo": MetricQuery("week_one_retention", START, END, Grain.WEEK, "Asia/Tokyo"),
    "rolling_day_paris": MetricQuery("rolling_active_users", START, END, Grain.DAY, "Europe/Paris"),
    "cumulative_month": MetricQuery("cumulative_users", START, END, Grain.MONTH, "UTC", ("plan",)),
    "formula_day": MetricQuery("net_engagement", START, END, Grain.DAY, "UTC"),
}


def schema_for(dialect: str) -> WarehouseSchema:
    """Each warehouse's usual storage: zoned timestamps on PostgreSQL/BigQuery, JSON text on
    ClickHouse/Spark; a renamed, schema-qualified events table on Snowflake."""
    if dialect in ("postgres", "bigquery"):
        return WarehouseSchema(timestamps_with_time_zone=True)
    if dialect in ("clickhouse", "spark"):
        return WarehouseSchema.from_mapping({"json_storage": "text"})
    if dialect == "snowflake":
        return WarehouseSchema(
            events=TableMap(
                "TRACKS", schema="SEGMENT", catalog="PROD", columns={"event": "EVENT_TEXT"}
            )
        )
    return WarehouseSchema()


PARAMS = [(dialect, case) for dialect in DIALECTS for case in CASES]


@pytest.mark.parametrize(("dialect", "case"), PARAMS, ids=[f"{d}-{c}" for d, c in PARAMS])
def test_golden_sql(catalog: Catalog, dialect: str, case: str) -> None:
    compiled = compile_query(CASES[case], catalog, schema_for(dialect), dialect)
    path = GOLDEN / dialect / f"{case}.sql"
    if os.environ.get("PILOTHOUSE_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(compiled.sql + "\n")
    assert compiled.sql + "\n" == path.read_text(), f"regenerate {path} if the change is intended"
    validate(compiled.sql, dialect)


def validate(sql: str, dialect: str) -> None:
    """The dialect's own sqlglot parser reads one SELECT back (tests/dialects style)."""
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)


def test_golden_files_have_no_orphans() -> None:
    expected = {Path(d) / f"{c}.sql" for d, c in PARAMS}
    found = {p.relative_to(GOLDEN) for p in GOLDEN.rglob("*.sql")}
    assert found == expected


def test_clickhouse_distinct_counts_are_exact(catalog: Catalog) -> None:
    for case in ("distinct_week_paris", "rolling_day_paris", "ratio_day_paris"):
        sql = compile_query(CASES[case], catalog, dialect="clickhouse").sql
        assert "uniqExact(" in sql
        assert "COUNT(DISTINCT" not in sql.upper() and "uniq(" not in sql


def test_week_starts_on_monday_everywhere(catalog: Catalog) -> None:
    query = CASES["distinct_week_paris"]
    assert "ISOWEEK" in compile_query(query, catalog, dialect="bigquery").sql
    for dialect in ("duckdb", "postgres", "trino", "snowflake"):
        assert "'WEEK'" in compile_query(query, catalog, dialect=dialect).sql


@pytest.mark.parametrize(
    ("dialect", "fragment"),
    [
        ("duckdb", "AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Paris'"),
        ("postgres", "AT TIME ZONE 'Europe/Paris'"),
        ("clickhouse", "toTimeZone("),
        ("spark", "FROM_UTC_TIMESTAMP("),
        ("trino", "AT_TIMEZONE(WITH_TIMEZONE("),
        ("bigquery", "DATETIME("),
        ("snowflake", "CONVERT_TIMEZONE('UTC', 'Europe/Paris'"),
    ],
)
def test_time_zone_conversion_per_dialect(catalog: Catalog, dialect: str, fragment: str) -> None:
    sql = compile_query(CASES["distinct_week_paris"], catalog, schema_for(dialect), dialect).sql
    assert fragment in sql


def test_utc_on_naive_timestamps_needs_no_conversion(catalog: Catalog) -> None:
    sql = compile_query(CASES["count_day_utc"], catalog, dialect="duckdb").sql
    assert "AT TIME ZONE" not in sql
    assert 'CAST("e"."timestamp" AS DATE)' in sql


def test_range_uses_utc_instants_of_local_midnight(catalog: Catalog) -> None:
    query = MetricQuery(
        "page_views", dt.date(2024, 3, 31), dt.date(2024, 4, 1), Grain.DAY, "Europe/Paris"
    )
    sql = compile_query(query, catalog, dialect="duckdb").sql
    # Paris changes to summer time on 31 March: that day starts at 23:00 UTC, ends at 22:00.
    assert "'2024-03-30 23:00:00'" in sql and "'2024-03-31 22:00:00'" in sql


def test_mapped_schema_names_appear_quoted(catalog: Catalog) -> None:
    sql = compile_query(CASES["count_day_utc"], catalog, schema_for("snowflake"), "snowflake").sql
    assert '"PROD"."SEGMENT"."TRACKS" AS "e"' in sql and '"e"."EVENT_TEXT" = \'Page Viewed\'' in sql


def test_output_columns_per_type(catalog: Catalog) -> None:
    def columns(case: str) -> tuple[str, ...]:
        return compile_query(CASES[case], catalog).columns

    assert columns("count_day_utc") == ("period_start", "value")
    assert columns("distinct_week_paris") == ("period_start", "plan", "value")
    assert columns("ratio_day_paris") == ("period_start", "value", "numerator", "denominator")
    assert columns("average_total") == ("period_start", "value", "numerator", "denominator")
    assert columns("conversion_week") == (
        "period_start",
        "platform",
        "value",
        "numerator",
        "denominator",
        "step_1",
        "step_2",
    )
    assert columns("funnel_month_paris")[-3:] == ("step_1", "step_2", "step_3")


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        (MetricQuery("page_veiws", START, END), UnknownMetric, "did you mean 'page_views'"),
        (
            MetricQuery("page_views", START, END, dimensions=("colour",)),
            UnknownDimension,
            "'colour'",
        ),
        (
            MetricQuery("activation_funnel", START, END, dimensions=("quote_key",)),
            QueryError,
            "cannot be broken down by 'quote_key' (allowed: plan, platform, country)",
        ),
        (
            MetricQuery("rolling_active_users", START, END, Grain.WEEK),
            QueryError,
            "only be queried by day",
        ),
        (MetricQuery("page_views", END, START), QueryError, "empty time range"),
        (
            MetricQuery("page_views", START, END, time_zone="Mars/Olympus"),
            QueryError,
            "unknown time zone",
        ),
        (
            MetricQuery("page_views", START, END, dimensions=("plan", "plan")),
            QueryError,
            "given twice",
        ),
        (
            MetricQuery(
                "page_views", START, END, dimensions=("plan", "country", "platform", "quote_key")
            ),
            QueryError,
            "at most 3",
        ),
    ],
)
def test_query_errors_name_the_problem(
    catalog: Catalog, query: MetricQuery, error: type, message: str
) -> None:
    with pytest.raises(error) as raised:
        compile_query(query, catalog)
    assert message in str(raised.value)


def test_unknown_dialect(catalog: Catalog) -> None:
    with pytest.raises(QueryError, match="unsupported SQL dialect 'oracle'"):
        compile_query(CASES["count_day_utc"], catalog, dialect="oracle")
    assert (
        compile_query(CASES["count_day_utc"], catalog, dialect="postgresql").dialect == "postgres"
    )


def test_spark_json_paths_have_no_escapes(catalog: Catalog) -> None:
    query = MetricQuery("page_views", START, END, Grain.DAY, "UTC", ("quote_key", "platform"))
    sql = compile_query(query, catalog, dialect="spark").sql
    assert "GET_JSON_OBJECT(`e`.`properties`, '$.it\\'s')" in sql
    assert "GET_JSON_OBJECT(`e`.`properties`, '$.platform')" in sql
    dotted = Dimension("dotted", FieldRef(FieldSource.PROPERTY, "a.b"))
    sql = compile_query(
        MetricQuery("page_views", START, END, dimensions=(dotted,)), catalog, dialect="spark"
    ).sql
    assert "'$[\\'a.b\\']'" in sql
    impossible = Dimension("impossible", FieldRef(FieldSource.PROPERTY, "it's.x"))
    with pytest.raises(QueryError, match="Spark cannot read the JSON key"):
        compile_query(
            MetricQuery("page_views", START, END, dimensions=(impossible,)),
            catalog,
            dialect="spark",
        )
