"""Warehouse adapters: read-only execution, timeouts and errors that name the connection."""

from __future__ import annotations

import datetime as dt
import decimal
import socket
from pathlib import Path

import pytest

from pilothouse.core.errors import PilothouseError
from pilothouse.metrics.compiler import JsonStorage
from pilothouse.metrics.warehouses import (
    DuckDBAdapter,
    PostgresAdapter,
    QueryResult,
    UnsupportedError,
    WarehouseAdapter,
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnreachable,
    adapter_class,
    create_adapter,
    known_kinds,
    redact_url,
)
from pilothouse.metrics.warehouses.base import ADAPTERS
from pilothouse.metrics.warehouses.duckdb import duckdb_path

SLOW_DUCKDB = "SELECT COUNT(*) FROM range(100000000000) AS a(x) WHERE x % 7 = 3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_duckdb_runs_read_only(duckdb_adapter: DuckDBAdapter) -> None:
    result = duckdb_adapter.execute("SELECT COUNT(*) AS n, 1.50::DECIMAL(4, 2) AS d FROM events")
    assert result.columns == ("n", "d") and result.rows[0][1] == decimal.Decimal("1.50")
    assert result.as_dicts()[0]["n"] > 0
    with pytest.raises(WarehouseError, match="query on 'fixture-duckdb' failed: .*read-only"):
        duckdb_adapter.execute("CREATE TABLE sneaky (x INTEGER)")


def test_duckdb_timeout_names_connection_and_seconds(duckdb_adapter: DuckDBAdapter) -> None:
    with pytest.raises(WarehouseTimeout) as raised:
        duckdb_adapter.execute(SLOW_DUCKDB, timeout_s=0.3)
    assert str(raised.value) == "query on 'fixture-duckdb' timed out after 0.3 s"
    assert raised.value.status == 504 and raised.value.connection == "fixture-duckdb"
    assert duckdb_adapter.execute("SELECT 1").rows == ((1,),)  # still usable


def test_duckdb_missing_file_is_unreachable(tmp_path: Path) -> None:
    adapter = DuckDBAdapter("embedded", f"duckdb:///{tmp_path}/nope.duckdb")
    with pytest.raises(WarehouseUnreachable, match="warehouse 'embedded' is unreachable") as raised:
        adapter.ping()
    assert raised.value.status == 502 and isinstance(raised.value, PilothouseError)


def test_duckdb_paths_follow_sqlalchemy_style() -> None:
    assert duckdb_path("duckdb:////data/events.duckdb") == Path("/data/events.duckdb")
    assert duckdb_path("duckdb:///events.duckdb") == Path("events.duckdb")
    assert duckdb_path("/data/x.duckdb") == Path("/data/x.duckdb")


def test_duckdb_shares_an_open_connection(tmp_path: Path) -> None:
    import duckdb

    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("CREATE TABLE t AS SELECT 42 AS x")
    adapter = DuckDBAdapter("in-process", "unused", connection=connection)
    assert adapter.execute("SELECT x FROM t").rows == ((42,),)
    connection.close()


def test_postgres_runs_read_only_with_normalised_values(postgres_adapter: PostgresAdapter) -> None:
    result = postgres_adapter.execute(
        "SELECT SUM(source_id) AS total, 2.5::numeric AS half, now() AS now FROM events"
    )
    total, half, now = result.rows[0]
    assert isinstance(total, int) and half == decimal.Decimal("2.5")
    assert isinstance(now, dt.datetime)
    with pytest.raises(WarehouseError, match="query on 'fixture-postgres' failed: .*read-only"):
        postgres_adapter.execute("CREATE TABLE sneaky (x integer)")


def test_postgres_timeout_is_enforced_by_the_server(postgres_adapter: PostgresAdapter) -> None:
    with pytest.raises(
        WarehouseTimeout, match=r"query on 'fixture-postgres' timed out after 0\.5 s"
    ):
        postgres_adapter.execute("SELECT pg_sleep(5)", timeout_s=0.5)
    assert postgres_adapter.execute("SHOW statement_timeout").rows[0][0] != "500ms"


def test_postgres_down_is_unreachable_and_hides_the_password() -> None:
    url = f"postgresql+psycopg://reader:s3cret@127.0.0.1:{free_port()}/warehouse"
    adapter = create_adapter("postgres", "finance-dwh", url)
    with pytest.raises(WarehouseUnreachable) as raised:
        adapter.execute("SELECT 1", timeout_s=2)
    assert str(raised.value).startswith("warehouse 'finance-dwh' is unreachable")
    assert "s3cret" not in str(raised.value) and "s3cret" not in repr(adapter)


def test_registry_kinds_aliases_and_sql_only_kinds() -> None:
    assert adapter_class("duckdb") is DuckDBAdapter
    assert adapter_class("postgres") is PostgresAdapter
    assert {"duckdb", "postgresql", "clickhouse", "spark", "trino", "bigquery", "snowflake"} <= set(
        known_kinds()
    )
    for kind in ("trino", "bigquery", "snowflake"):
        adapter = create_adapter(kind, "cloud", f"{kind}://host")
        assert not adapter.CAN_EXECUTE and adapter.dialect == kind
        with pytest.raises(UnsupportedError, match="warehouse 'cloud'"):
            adapter.execute("SELECT 1")
    with pytest.raises(UnsupportedError, match="unknown warehouse kind 'oracle'"):
        adapter_class("oracle")


def test_subclasses_register_themselves() -> None:
    class EchoAdapter(WarehouseAdapter):
        kind = "echo-test"
        dialect = "duckdb"
        JSON_STORAGE = JsonStorage.TEXT

        def _run(self, sql, timeout_s):  # type: ignore[no-untyped-def]
            return ["sql", "timeout"], [(sql, timeout_s)]

    try:
        adapter = create_adapter("echo-test", "echo", "echo://")
        assert adapter.execute("SELECT 1", 3) == QueryResult(
            ("sql", "timeout"), (("SELECT 1", 3.0),)
        )
        assert adapter.default_schema().json_storage is JsonStorage.TEXT
        with pytest.raises(ValueError):
            adapter.execute("SELECT 1", 0)
    finally:
        ADAPTERS.pop("echo-test")


def test_redact_url() -> None:
    assert redact_url("postgresql://u:p@h/db") == "postgresql://u:***@h/db"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("duckdb:///x.duckdb") == "duckdb:///x.duckdb"
