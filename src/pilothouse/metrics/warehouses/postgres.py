"""PostgreSQL through psycopg 3: a read-only transaction with a statement timeout.

Each query opens a connection, sets the transaction read-only and
``statement_timeout`` (``SET LOCAL``, so nothing leaks to a pooled session), runs,
and rolls back. The server cancels a query at the timeout itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pilothouse.metrics.warehouses.base import WarehouseAdapter, redact_url
from pilothouse.metrics.warehouses.errors import (
    UnsupportedError,
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnreachable,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresAdapter"]


def _driver() -> ModuleType:
    """psycopg, imported on the first query: it is the ``pilothouse[postgresql]`` extra."""
    try:
        import psycopg
    except ImportError:
        raise UnsupportedError(
            "warehouse kind 'postgresql' needs the psycopg driver, which is not installed: "
            "pip install 'pilothouse[postgresql]'"
        ) from None
    return psycopg


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class PostgresAdapter(WarehouseAdapter):
    kind = "postgresql"
    dialect = "postgres"
    SERVER_SIDE_TIMEOUT = True
    TIMESTAMPS_WITH_TIME_ZONE = True

    CONNECT_TIMEOUT_S: float = 10
    """Seconds to wait for a connection before calling the warehouse unreachable."""

    def _dsn(self) -> str:
        scheme, sep, rest = self.url.partition("://")
        return f"{scheme.split('+', 1)[0]}{sep}{rest}"

    def _connect(self, timeout_s: float) -> psycopg.Connection[Any]:
        wait = max(1, int(min(self.CONNECT_TIMEOUT_S, timeout_s)))
        psycopg = _driver()
        try:
            return psycopg.connect(self._dsn(), connect_timeout=wait, autocommit=False)
        except psycopg.Error as exc:
            detail = _first_line(exc).replace(self.url, redact_url(self.url))
            message = f"warehouse {self.name!r} is unreachable: {detail}"
            raise WarehouseUnreachable(message, connection=self.name) from None

    def _run(self, sql: str, timeout_s: float) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        connection = self._connect(timeout_s)
        psycopg = _driver()
        try:
            connection.read_only = True
            with connection.cursor() as cursor:
                milliseconds = f"{max(1, int(timeout_s * 1000))}ms"
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", (milliseconds,))
                cursor.execute(sql)  # compiled by sqlglot: no user text is formatted in
                rows = cursor.fetchall()
                columns = [column.name for column in cursor.description or ()]
            return columns, rows
        except psycopg.errors.QueryCanceled:
            message = f"query on {self.name!r} timed out after {timeout_s:g} s"
            raise WarehouseTimeout(message, connection=self.name, timeout_s=timeout_s) from None
        except psycopg.OperationalError as exc:
            message = f"warehouse {self.name!r} is unreachable: {_first_line(exc)}"
            raise WarehouseUnreachable(message, connection=self.name) from None
        except psycopg.Error as exc:
            message = f"query on {self.name!r} failed: {_first_line(exc)}"
            raise WarehouseError(message, connection=self.name) from None
        finally:
            if not connection.closed:
                connection.rollback()
                connection.close()
