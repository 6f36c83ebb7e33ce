"""The Spark adapter: the read-only guard, timeouts, errors, options and time zones.

These reuse the parity suite's Spark session (one JVM per test run).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pilothouse.metrics.warehouses import (
    UnsupportedError,
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnreachable,
    create_adapter,
)
from pilothouse.metrics.warehouses.spark import SparkAdapter, check_read_only
from tests.metrics.parity.conftest import PYSPARK_PANDAS_WARNING

pytestmark = [pytest.mark.filterwarnings(PYSPARK_PANDAS_WARNING), pytest.mark.slow]

SLOW_QUERY = "SELECT count(*) AS n FROM range(100000000000) WHERE hash(id) % 7 = 3"


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("INSERT INTO events SELECT * FROM events", "got INSERT"),
        ("DROP VIEW events", "got DROP"),
        ("CREATE TABLE t AS SELECT 1", "got CREATE"),
        ("SET spark.sql.ansi.enabled = false", "got SET"),
        ("SELECT 1; DROP VIEW events", "got 2 statements"),
        ("SELECT reflect('java.lang.System', 'exit', 0)", "reflect() is not allowed"),
        ("SELECT java_method('java.lang.System', 'exit', 0)", "java_method() is not allowed"),
    ],
)
def test_only_single_select_queries_pass_the_guard(sql: str, reason: str) -> None:
    assert reason in (check_read_only(sql) or "")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 AS x",
        "WITH a AS (SELECT 1 AS x) SELECT x FROM a UNION ALL SELECT 2",
        "SELECT get_json_object(properties, '$.plan') FROM events",
    ],
)
def test_read_queries_pass_the_guard(sql: str) -> None:
    assert check_read_only(sql) is None


def test_refused_query_never_reaches_spark(spark_adapter: SparkAdapter) -> None:
    before = spark_adapter.execute("SELECT count(*) AS n FROM events").rows
    with pytest.raises(WarehouseError, match="query on 'fixture-spark' refused: .*got DROP"):
        spark_adapter.execute("DROP VIEW events")
    assert spark_adapter.execute("SELECT count(*) AS n FROM events").rows == before


def test_timeout_cancels_the_query(spark_adapter: SparkAdapter) -> None:
    started = time.monotonic()
    with pytest.raises(WarehouseTimeout) as caught:
        spark_adapter.execute(SLOW_QUERY, timeout_s=2)
    assert time.monotonic() - started < 30
    assert caught.value.detail == "query on 'fixture-spark' timed out after 2 s"
    assert caught.value.connection == "fixture-spark" and caught.value.timeout_s == 2
    assert spark_adapter.execute("SELECT 1 AS one").rows == ((1,),)


def test_errors_name_the_connection_without_a_stack_trace(spark_adapter: SparkAdapter) -> None:
    with pytest.raises(WarehouseError) as caught:
        spark_adapter.execute("SELECT * FROM no_such_table")
    message = caught.value.detail
    assert message.startswith("query on 'fixture-spark' failed: [TABLE_OR_VIEW_NOT_FOUND]")
    assert "\n" not in message and "at org.apache" not in message


def test_session_runs_in_utc_with_ansi_errors(spark_adapter: SparkAdapter) -> None:
    rows = spark_adapter.execute("SELECT current_timezone() AS zone").rows
    assert rows == (("UTC",),)
    with pytest.raises(WarehouseError, match="CAST_INVALID_INPUT"):
        spark_adapter.execute("SELECT CAST('abc' AS BIGINT) AS n")


@pytest.fixture
def new_york_process_zone() -> Iterator[None]:
    """The Python process's local zone set to New York (pyspark converts through it)."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


def test_timestamps_come_back_as_naive_utc(
    spark_adapter: SparkAdapter, new_york_process_zone: None
) -> None:
    del new_york_process_zone
    sql = (
        "SELECT TIMESTAMP'2024-03-10 06:30:00' AS instant, "
        "TIMESTAMP_NTZ'2024-03-10 06:30:00' AS wall_clock, DATE'2024-03-10' AS day"
    )
    moment = dt.datetime(2024, 3, 10, 6, 30)
    assert spark_adapter.execute(sql).rows == ((moment, moment, dt.date(2024, 3, 10)),)


def test_a_second_spark_configuration_is_refused(spark_adapter: SparkAdapter) -> None:
    del spark_adapter  # the test run's session is up
    other = create_adapter("spark", "other", "local[1]")
    with pytest.raises(WarehouseUnreachable, match="already runs a Spark session"):
        other.execute("SELECT 1")


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("local[2]", {"spark.jars.packages": "org.x:y:1.0"}, "would download jars"),
        ("local[2]", {"spark.jars.repositories": "https://repo"}, "would download jars"),
        ("local[2]", {"executor_memory": "4g"}, "unknown spark option 'executor_memory'"),
        ("http://spark:7077", {}, "a spark url is a master"),
    ],
)
def test_bad_masters_and_options_are_refused(
    url: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UnsupportedError, match=message):
        create_adapter("spark", "lake", url, options)


def test_local_driver_binds_to_loopback() -> None:
    adapter = create_adapter("spark", "lake", "local[*]", {"spark.sql.shuffle.partitions": 4})
    assert isinstance(adapter, SparkAdapter)
    assert adapter.conf["spark.driver.host"] == "127.0.0.1"
    assert adapter.conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert adapter.conf["spark.ui.enabled"] == "false"
    assert adapter.conf["spark.sql.session.timeZone"] == "UTC"
    assert adapter.conf["spark.sql.shuffle.partitions"] == "4"
    assert not any(key.startswith("spark.jars") for key in adapter.conf)
