"""Where the logical event schema (docs/event-store.md) lives in one warehouse.

The compiler only ever speaks of the logical tables ``events``, ``users`` and
``accounts`` and their logical columns; a :class:`WarehouseSchema` maps those onto
physical tables and columns, and says how JSON and timestamps are stored, so one
definition compiles against the embedded store and any team's warehouse alike.

Example:
    >>> schema = WarehouseSchema.from_mapping(
    ...     {"events": {"name": "tracks", "schema": "segment", "columns": {"event": "event_text"}}}
    ... )
    >>> schema.events.column("event"), schema.events.column("user_id")
    ('event_text', 'user_id')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlglot import exp

from pilothouse.core.errors import BadRequest

__all__ = ["LOGICAL_COLUMNS", "JsonStorage", "SchemaError", "TableMap", "WarehouseSchema"]

LOGICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": (
        "message_id",
        "event",
        "user_id",
        "anonymous_id",
        "account_id",
        "timestamp",
        "received_at",
        "properties",
        "source_id",
    ),
    "users": ("user_id", "traits", "first_seen_at", "updated_at"),
    "accounts": ("account_id", "traits", "updated_at"),
}


class SchemaError(BadRequest):
    code = "warehouse-schema-error"
    title = "Invalid warehouse schema"


class JsonStorage(StrEnum):
    """How ``properties``/``traits`` are stored."""

    NATIVE = "native"  # JSON / JSONB / VARIANT / JSON column type
    TEXT = "text"  # a string column holding JSON text (ClickHouse String, Spark string)


@dataclass(frozen=True)
class TableMap:
    """One logical table's physical name and its renamed columns (the rest keep their name)."""

    name: str
    schema: str | None = None
    catalog: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)

    def column(self, logical: str) -> str:
        return self.columns.get(logical, logical)

    def table(self, alias: str) -> exp.Table:
        """A fully quoted table reference with ``alias``."""
        return exp.Table(
            this=exp.to_identifier(self.name, quoted=True),
            db=exp.to_identifier(self.schema, quoted=True) if self.schema else None,
            catalog=exp.to_identifier(self.catalog, quoted=True) if self.catalog else None,
            alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
        )


@dataclass(frozen=True)
class WarehouseSchema:
    """The physical layout of the logical event schema in one warehouse.

    The default is the embedded DuckDB store: tables ``events``/``users``/``accounts``,
    native JSON, and timestamps stored as UTC without a time zone.
    """

    events: TableMap = TableMap("events")
    users: TableMap = TableMap("users")
    accounts: TableMap = TableMap("accounts")
    json_storage: JsonStorage = JsonStorage.NATIVE
    timestamps_with_time_zone: bool = False

    def table(self, logical: str) -> TableMap:
        return {"events": self.events, "users": self.users, "accounts": self.accounts}[logical]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WarehouseSchema:
        """Build from connection options; unknown tables or columns raise :class:`SchemaError`."""
        unknown = set(data) - {*LOGICAL_COLUMNS, "json_storage", "timestamps_with_time_zone"}
        if unknown:
            raise SchemaError(f"unknown warehouse schema keys: {', '.join(sorted(unknown))}")
        tables = {name: _table_map(name, data.get(name) or {}) for name in LOGICAL_COLUMNS}
        try:
            storage = JsonStorage(data.get("json_storage", JsonStorage.NATIVE))
        except ValueError:
            raise SchemaError("json_storage must be 'native' or 'text'") from None
        aware = data.get("timestamps_with_time_zone", False)
        if not isinstance(aware, bool):
            raise SchemaError("timestamps_with_time_zone must be true or false")
        return cls(**tables, json_storage=storage, timestamps_with_time_zone=aware)


def _table_map(logical: str, data: Mapping[str, Any]) -> TableMap:
    unknown = set(data) - {"name", "schema", "catalog", "columns"}
    if unknown:
        raise SchemaError(f"unknown keys for table {logical!r}: {', '.join(sorted(unknown))}")
    columns = dict(data.get("columns") or {})
    bad = set(columns) - set(LOGICAL_COLUMNS[logical])
    if bad:
        raise SchemaError(f"table {logical!r} has no logical column {sorted(bad)[0]!r}")
    for key in ("name", "schema", "catalog"):
        if key in data and not isinstance(data[key], str):
            raise SchemaError(f"{logical}.{key} must be a string")
    return TableMap(
        name=data.get("name", logical),
        schema=data.get("schema"),
        catalog=data.get("catalog"),
        columns=columns,
    )
