"""DuckDB: the embedded event store, or any DuckDB file, opened read-only.

DuckDB has no statement timeout, so the adapter interrupts the cursor from a timer.
One read-only connection is opened lazily and kept; each query runs on its own
cursor, so several threads may query at once. A process that already holds the
store open for writing (the ingestion server) passes its connection instead, since
DuckDB lets only one process open a file for writing.

URLs: ``duckdb:////absolute/path.duckdb``, ``duckdb:///relative.duckdb`` or a path.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from pilothouse.metrics.warehouses.base import WarehouseAdapter
from pilothouse.metrics.warehouses.errors import (
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnreachable,
)

__all__ = ["DuckDBAdapter", "duckdb_path"]


def duckdb_path(url: str) -> Path:
    """The file a ``duckdb://`` URL (SQLAlchemy style) or a bare path names.

    ``duckdb:///events.duckdb`` is relative, ``duckdb:////data/events.duckdb`` absolute.
    """
    if url.startswith("duckdb://"):
        rest = url.removeprefix("duckdb://")
        return Path(rest[1:] if rest.startswith("/") else rest)
    return Path(url)


class DuckDBAdapter(WarehouseAdapter):
    kind = "duckdb"
    dialect = "duckdb"

    def __init__(
        self,
        name: str,
        url: str,
        options: Mapping[str, Any] | None = None,
        *,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        super().__init__(name, url, options)
        self._connection = connection
        self._lock = threading.Lock()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._connection is None:
                path = duckdb_path(self.url)
                if not path.is_file():
                    raise WarehouseUnreachable(
                        f"warehouse {self.name!r} is unreachable: {path} does not exist",
                        connection=self.name,
                    )
                config: dict[str, str | bool | int | float | list[str]] = {
                    k: str(v) for k, v in self.options.items() if k in ("threads", "memory_limit")
                }
                try:
                    self._connection = duckdb.connect(str(path), read_only=True, config=config)
                except duckdb.Error as exc:
                    message = f"warehouse {self.name!r} is unreachable: {exc}"
                    raise WarehouseUnreachable(message, connection=self.name) from None
            return self._connection

    def _run(self, sql: str, timeout_s: float) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        cursor = self._connect().cursor()
        timer = threading.Timer(timeout_s, cursor.interrupt)
        timer.start()
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
            columns = [column[0] for column in cursor.description or ()]
        except duckdb.InterruptException:
            message = f"query on {self.name!r} timed out after {timeout_s:g} s"
            raise WarehouseTimeout(message, connection=self.name, timeout_s=timeout_s) from None
        except duckdb.Error as exc:
            raise WarehouseError(
                f"query on {self.name!r} failed: {exc}", connection=self.name
            ) from None
        finally:
            timer.cancel()
            cursor.close()
        return columns, rows

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
