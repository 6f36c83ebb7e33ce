"""The adapter base class: one small subclass per kind of warehouse.

A subclass sets ``kind`` and ``dialect``, overrides the capability constants that
differ, and implements :meth:`WarehouseAdapter._run`. The base class does the rest:
argument checks, timing, turning driver errors into :class:`WarehouseError` that
name the connection, and normalising values (exact ``Decimal`` integers -> ``int``).
Defining a subclass with a ``kind`` registers it (see :mod:`.registry`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pilothouse.metrics.compiler.schema import JsonStorage, WarehouseSchema
from pilothouse.metrics.warehouses.errors import UnsupportedError

__all__ = [
    "ADAPTERS",
    "BigQueryAdapter",
    "QueryResult",
    "SnowflakeAdapter",
    "SqlOnlyAdapter",
    "TrinoAdapter",
    "WarehouseAdapter",
    "redact_url",
]

ADAPTERS: dict[str, type[WarehouseAdapter]] = {}


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of one query, values already normalised."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    elapsed_s: float = field(default=0.0, compare=False)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def redact_url(url: str) -> str:
    """``scheme://user:secret@host/db`` -> ``scheme://user:***@host/db`` for messages and the UI."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def _normalise(value: Any) -> Any:
    """Exact integers from DECIMAL/NUMERIC become ``int``; other decimals stay exact."""
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    return value


class WarehouseAdapter(ABC):
    """Read-only access to one named warehouse connection."""

    kind: ClassVar[str] = ""
    """Registry key used in connection settings (``duckdb``, ``postgresql``...)."""

    dialect: ClassVar[str] = ""
    """sqlglot dialect the compiler targets for this warehouse."""

    CAN_EXECUTE: ClassVar[bool] = True
    """False for kinds Pilothouse only generates SQL for (Trino, BigQuery, Snowflake)."""

    ENFORCES_READ_ONLY: ClassVar[bool] = True
    """The adapter opens the warehouse so that writes are refused by the engine itself."""

    SERVER_SIDE_TIMEOUT: ClassVar[bool] = False
    """The engine cancels a query at the timeout itself (else the adapter interrupts it)."""

    JSON_STORAGE: ClassVar[JsonStorage] = JsonStorage.NATIVE
    """How this kind usually stores ``properties``/``traits``; the default schema uses it."""

    TIMESTAMPS_WITH_TIME_ZONE: ClassVar[bool] = False
    """Whether this kind's usual timestamp columns carry a zone (timestamptz)."""

    DEFAULT_TIMEOUT_S: ClassVar[float] = 60.0
    """Timeout used when the caller gives none."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            ADAPTERS[cls.kind] = cls

    def __init__(self, name: str, url: str, options: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.url = url
        self.options = dict(options or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, url={redact_url(self.url)!r})"

    def default_schema(self) -> WarehouseSchema:
        """The logical schema with this kind's usual JSON and timestamp storage."""
        return WarehouseSchema(
            json_storage=self.JSON_STORAGE,
            timestamps_with_time_zone=self.TIMESTAMPS_WITH_TIME_ZONE,
        )

    def execute(self, sql: str, timeout_s: float | None = None) -> QueryResult:
        """Run one read-only query and return every row.

        Raises:
            WarehouseUnreachable: the warehouse cannot be reached or opened.
            WarehouseTimeout: the query ran longer than ``timeout_s`` seconds.
            WarehouseError: the warehouse rejected or failed the query.
            UnsupportedError: this kind only generates SQL.
        """
        if not self.CAN_EXECUTE:
            raise UnsupportedError(f"warehouse {self.name!r} ({self.kind}) cannot run queries")
        timeout = self.DEFAULT_TIMEOUT_S if timeout_s is None else float(timeout_s)
        if timeout <= 0:
            raise ValueError("timeout_s must be positive")
        started = dt.datetime.now(dt.UTC)
        columns, rows = self._run(sql, timeout)
        elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
        normalised = tuple(tuple(_normalise(v) for v in row) for row in rows)
        return QueryResult(tuple(columns), normalised, elapsed)

    def ping(self, timeout_s: float = 10.0) -> None:
        """Check the connection with ``SELECT 1``; raises like :meth:`execute`."""
        self.execute("SELECT 1", timeout_s)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release held connections; adapters without any keep the default."""

    @abstractmethod
    def _run(self, sql: str, timeout_s: float) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        """Execute ``sql`` read-only within ``timeout_s``; raise warehouse errors."""


class SqlOnlyAdapter(WarehouseAdapter):
    """Kinds Pilothouse compiles SQL for but does not connect to (yet)."""

    CAN_EXECUTE = False

    def _run(self, sql: str, timeout_s: float) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        raise UnsupportedError(f"warehouse {self.name!r} ({self.kind}) cannot run queries")


class TrinoAdapter(SqlOnlyAdapter):
    kind = "trino"
    dialect = "trino"


class BigQueryAdapter(SqlOnlyAdapter):
    kind = "bigquery"
    dialect = "bigquery"
    TIMESTAMPS_WITH_TIME_ZONE = True


class SnowflakeAdapter(SqlOnlyAdapter):
    kind = "snowflake"
    dialect = "snowflake"
