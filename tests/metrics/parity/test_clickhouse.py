"""The ClickHouse adapter: exact distinct counts, read-only queries, timeouts, errors.

Embedded ClickHouse (chdb) is the same engine as a server, so read-only mode,
``max_execution_time`` and distinct-count settings are checked for real. The server
path (clickhouse-connect over HTTP) runs against an HTTP endpoint backed by that
engine (``clickhouse_http.py``), a closed port and a server that never answers.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pilothouse.metrics.compiler import MetricQuery, compile_query
from pilothouse.metrics.compiler.schema import TableMap, WarehouseSchema
from pilothouse.metrics.definitions import Catalog, Grain
from pilothouse.metrics.warehouses import (
    UnsupportedError,
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnreachable,
    create_adapter,
)
from pilothouse.metrics.warehouses.clickhouse import ClickHouseAdapter, clickhouse_error_code
from tests.metrics.parity.clickhouse_http import clickhouse_http_server
from tests.metrics.parity.engines import CHDB_DDL

DISTINCT_USERS = 200_000
SLOW_QUERY = "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3"


@pytest.fixture(scope="module")
def many_users(chdb_adapter: ClickHouseAdapter) -> Iterator[str]:
    """A database ``exact_distinct`` whose events have 200,000 distinct user ids."""
    session = chdb_adapter.embedded_session()
    session.query("CREATE DATABASE exact_distinct")
    for table, ddl in CHDB_DDL.items():
        session.query(
            f"CREATE TABLE exact_distinct.{table} ({ddl}) ENGINE = MergeTree ORDER BY tuple()"
        )
    session.query(
        "INSERT INTO exact_distinct.events SELECT concat('m_', toString(number)), 'Page Viewed', "
        "concat('u_', toString(number)), NULL, NULL, "
        "toDateTime64('2024-03-01 12:00:00', 6, 'UTC') + toIntervalSecond(number % 3600), "
        "toDateTime64('2024-03-01 13:00:00', 6, 'UTC'), '{}', 1 "
        f"FROM numbers({DISTINCT_USERS})"
    )
    yield "exact_distinct"
    session.query("DROP DATABASE exact_distinct")
    session.close()


def test_distinct_users_are_exact_where_uniq_is_approximate(
    chdb_adapter: ClickHouseAdapter, many_users: str, catalog: Catalog
) -> None:
    sql = f"SELECT uniq(user_id) AS n FROM {many_users}.events"
    ((approximate,),) = chdb_adapter.execute(sql).rows
    assert approximate != DISTINCT_USERS, "uniq is exact on this data: the test proves nothing"

    schema = WarehouseSchema(
        events=TableMap("events", schema=many_users),
        users=TableMap("users", schema=many_users),
        accounts=TableMap("accounts", schema=many_users),
        json_storage=chdb_adapter.JSON_STORAGE,
    )
    query = MetricQuery("active_users", dt.date(2024, 3, 1), dt.date(2024, 3, 2), None, "UTC")
    compiled = compile_query(query, catalog, schema, "clickhouse")
    assert "uniqExact" in compiled.sql and "uniq(" not in compiled.sql
    assert chdb_adapter.execute(compiled.sql).rows == ((dt.date(2024, 3, 1), DISTINCT_USERS),)


def test_count_distinct_is_exact_whatever_the_server_default(
    chdb_adapter: ClickHouseAdapter, many_users: str
) -> None:
    sql = f"SELECT count(DISTINCT user_id) AS n FROM {many_users}.events"
    session = chdb_adapter.embedded_session()
    try:
        session.query("SET count_distinct_implementation = 'uniq'")  # a server set up that way
        approximate = int(session.query(sql, "CSV").bytes())
    finally:
        session.close()
    assert approximate != DISTINCT_USERS
    assert chdb_adapter.execute(sql).rows == ((DISTINCT_USERS,),)


def test_every_query_carries_the_enforced_settings() -> None:
    adapter = create_adapter(
        "clickhouse",
        "ch",
        "chdb://",
        {"settings": {"readonly": 0, "max_threads": 3, "count_distinct_implementation": "uniq"}},
    )
    sql = (
        "SELECT getSetting('readonly') AS readonly, "
        "getSetting('count_distinct_implementation') AS distinct_impl, "
        "getSetting('join_use_nulls') AS join_nulls, getSetting('max_threads') AS threads, "
        "getSetting('max_execution_time') AS max_time, timezone() AS zone"
    )
    (row,) = adapter.execute(sql, timeout_s=7.5).rows
    assert row[:4] == (1, "uniqExact", 1, 3)
    assert float(row[4]) == 8 and row[5] == "UTC"


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO events (message_id, event) VALUES ('x', 'y')",
        "CREATE TABLE sneaky (x Int32) ENGINE = Memory",
        "DROP TABLE events",
        "SELECT 1 SETTINGS readonly = 0",
    ],
)
def test_writes_are_refused_by_the_engine(chdb_adapter: ClickHouseAdapter, sql: str) -> None:
    before = chdb_adapter.execute("SELECT count() AS n FROM events").rows
    with pytest.raises(WarehouseError, match="fixture-chdb") as caught:
        chdb_adapter.execute(sql)
    assert "READONLY" in str(caught.value) or "readonly" in str(caught.value)
    assert chdb_adapter.execute("SELECT count() AS n FROM events").rows == before


def test_timeout_is_enforced_by_the_engine(chdb_adapter: ClickHouseAdapter) -> None:
    started = time.monotonic()
    with pytest.raises(WarehouseTimeout) as caught:
        chdb_adapter.execute(SLOW_QUERY, timeout_s=1)
    assert time.monotonic() - started < 10
    assert caught.value.connection == "fixture-chdb" and caught.value.timeout_s == 1
    assert caught.value.detail == "query on 'fixture-chdb' timed out after 1 s"
    assert caught.value.status == 504
    assert chdb_adapter.execute("SELECT 1 AS one").rows == ((1,),)


def test_query_errors_name_the_connection(chdb_adapter: ClickHouseAdapter) -> None:
    with pytest.raises(WarehouseError, match=r"query on 'fixture-chdb' failed: .*UNKNOWN_TABLE"):
        chdb_adapter.execute("SELECT * FROM no_such_table")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_server_names_the_connection_and_hides_the_password() -> None:
    port = _closed_port()
    adapter = create_adapter("clickhouse", "prod_ch", f"http://reader:s3cret@127.0.0.1:{port}/db")
    with pytest.raises(WarehouseUnreachable) as caught:
        adapter.execute("SELECT 1", timeout_s=5)
    message = caught.value.detail
    assert message == (
        f"warehouse 'prod_ch' is unreachable at http://127.0.0.1:{port}: Connection refused"
    )
    assert caught.value.connection == "prod_ch" and "s3cret" not in repr(adapter)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_silent_server_gives_a_clear_error(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ClickHouseAdapter, "RESPONSE_GRACE_S", 0.5)
    adapter = create_adapter("clickhouse", "slow_ch", f"http://127.0.0.1:{silent_server}")
    started = time.monotonic()
    where = f"http://127.0.0.1:{silent_server}"
    expected = f"'slow_ch' is unreachable at {where}: no answer within 1.5 s"
    with pytest.raises(WarehouseUnreachable, match=expected):
        adapter.execute("SELECT 1", timeout_s=1)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("ftp://host/db", {}, "must start with http://"),
        ("chdb://", {"passwd": "x"}, "unknown clickhouse option 'passwd'"),
        ("chdb://", {"settings": "readonly=0"}, "'settings' must be a mapping"),
    ],
)
def test_bad_urls_and_options_are_refused(url: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UnsupportedError, match=message):
        create_adapter("clickhouse", "ch", url, options).execute("SELECT 1")


def test_embedded_session_is_only_for_chdb() -> None:
    with pytest.raises(UnsupportedError, match="not embedded"):
        ClickHouseAdapter("ch", "https://host:8443").embedded_session()


def test_error_codes_are_read_from_messages() -> None:
    assert clickhouse_error_code("Code: 164. DB::Exception: readonly") == 164
    assert clickhouse_error_code("Connection refused") is None


@pytest.fixture(scope="module")
def http_server(chdb_adapter: ClickHouseAdapter) -> Iterator[tuple[str, list[dict[str, str]]]]:
    del chdb_adapter  # the endpoint serves the fixture tables loaded there
    with clickhouse_http_server() as served:
        yield served


@pytest.fixture
def server_adapter(http_server: tuple[str, list[dict[str, str]]]) -> Iterator[ClickHouseAdapter]:
    adapter = ClickHouseAdapter("http-ch", f"{http_server[0]}/default")
    yield adapter
    adapter.close()


@pytest.mark.parametrize(
    ("name", "grain", "dimensions"),
    [
        ("activation_funnel", Grain.WEEK, ("plan",)),
        ("week_one_retention", Grain.MONTH, ("country",)),
        ("average_order_cents", None, ("platform",)),
        ("rolling_active_users", Grain.DAY, ()),
    ],
)
def test_server_path_gives_the_embedded_numbers(
    server_adapter: ClickHouseAdapter,
    chdb_adapter: ClickHouseAdapter,
    catalog: Catalog,
    name: str,
    grain: Grain | None,
    dimensions: tuple[str, ...],
) -> None:
    query = MetricQuery(
        name, dt.date(2024, 2, 26), dt.date(2024, 4, 16), grain, "Europe/Paris", dimensions
    )
    sql = compile_query(query, catalog, chdb_adapter.default_schema(), "clickhouse").sql
    over_http, embedded = server_adapter.execute(sql), chdb_adapter.execute(sql)
    assert over_http.rows and over_http.columns == embedded.columns
    assert [tuple(map(type, row)) for row in over_http.rows] == [
        tuple(map(type, row)) for row in embedded.rows
    ]
    assert over_http.rows == embedded.rows


def test_server_requests_carry_the_enforced_settings(
    server_adapter: ClickHouseAdapter, http_server: tuple[str, list[dict[str, str]]]
) -> None:
    sql = "SELECT getSetting('readonly') AS r, getSetting('max_execution_time') AS t"
    (row,) = server_adapter.execute(sql, timeout_s=7).rows
    assert row[0] == 1 and float(row[1]) == 7
    params = http_server[1][-1]
    assert params["readonly"] == "1" and params["max_execution_time"] == "7"
    assert params["count_distinct_implementation"] == "uniqExact"
    assert params["session_timezone"] == "UTC" and params["database"] == "default"
    ours = [key for key in params if key in ClickHouseAdapter.QUERY_SETTINGS]
    assert ours[-1] == "readonly"


def test_server_refuses_writes(server_adapter: ClickHouseAdapter) -> None:
    with pytest.raises(WarehouseError) as caught:
        server_adapter.execute("CREATE TABLE sneaky (x Int32) ENGINE = Memory")
    assert caught.value.detail == (
        "query on 'http-ch' failed: refused in read-only mode: Code: 164. DB::Exception: "
        "default: Cannot execute query in readonly mode. (READONLY)"
    )


def test_server_timeout_is_a_warehouse_timeout(server_adapter: ClickHouseAdapter) -> None:
    started = time.monotonic()
    with pytest.raises(WarehouseTimeout, match="query on 'http-ch' timed out after 1 s"):
        server_adapter.execute(SLOW_QUERY, timeout_s=1)
    assert time.monotonic() - started < 10
    assert server_adapter.execute("SELECT 1 AS one").rows == ((1,),)
