"""The app database part of a backup: every table as JSON lines, portable across backends.

Rows are read through tables *reflected* from the database (so a backup works at
any schema revision) and each value is written by the column's kind, not by the
backend's own spelling: timestamps as ISO 8601 in UTC, dates as ISO dates,
binary values (the feedback vectors) as base64, decimals as strings, JSON as
JSON. The same kinds read the lines back, so a SQLite backup loads into
PostgreSQL and back.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    func,
    select,
    text,
    update,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "column_kinds",
    "dump_table",
    "fill_references",
    "load_table",
    "reflect_tables",
    "reset_sequences",
]

#: Alembic's own table: its one row is the manifest's ``revision``, not data.
SKIPPED_TABLES = frozenset({"alembic_version"})
BATCH = 1000


def reflect_tables(connection: Connection) -> list[Table]:
    """The database's tables in dependency order (parents before children)."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return [t for t in metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def _kind(type_: TypeEngine[Any]) -> str:
    """How a column's values are written: json, bytes, datetime, date, decimal or plain."""
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, LargeBinary):
        return "bytes"
    if isinstance(type_, DateTime):
        return "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, Numeric) and not isinstance(type_, Float | Integer):
        return "decimal"
    return "plain"


def column_kinds(table: Table) -> dict[str, str]:
    """Each column's kind, recorded in the manifest so restore needs no guessing."""
    return {column.name: _kind(column.type) for column in table.columns}


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        # Every app timestamp is UTC; SQLite hands them back without a zone.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if isinstance(value, str) and kind == "json":
        return json.loads(value)  # a JSON column read as text on some drivers
    return value


def _decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return Decimal(value)
    return value


def _ordered(table: Table) -> Any:
    """Rows in primary-key order, so a parent row comes before its children in one table."""
    order = list(table.primary_key.columns) or list(table.columns)
    return select(table).order_by(*order)


def dump_table(connection: Connection, table: Table, out: IO[str]) -> int:
    """Write the table as one JSON object per line; returns the number of rows."""
    kinds = column_kinds(table)
    count = 0
    for row in connection.execute(_ordered(table)).mappings():
        line = {name: _encode(row[name], kind) for name, kind in kinds.items()}
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def _read_lines(path: Path, kinds: dict[str, str], columns: set[str]) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            row = json.loads(line)
            unknown = set(row) - columns
            if unknown:
                raise ValueError(f"{path.name} line {number}: unknown columns {sorted(unknown)}")
            yield {name: _decode(value, kinds.get(name, "plain")) for name, value in row.items()}


def _later_references(table: Table, loaded: set[str]) -> set[str]:
    """Nullable columns that point into this table or one not loaded yet (a cycle).

    Their rows may point forward (a decision superseded by a later one), which a
    foreign key checked at each statement refuses; they are filled in afterwards.
    """
    return {
        fk.parent.name
        for fk in table.foreign_keys
        if fk.parent.nullable and (fk.column.table is table or fk.column.table.name not in loaded)
    }


def load_table(
    connection: Connection, table: Table, path: Path, kinds: dict[str, str], loaded: set[str]
) -> tuple[int, list[dict[str, Any]]]:
    """Insert the rows of one JSON-lines file, in batches.

    Returns the number of rows and the forward references left out (primary key
    and the left-out values), for :func:`fill_references` once every table is in.
    """
    later = _later_references(table, loaded)
    keys = [c.name for c in table.primary_key.columns]
    count, batch, deferred = 0, [], []
    for row in _read_lines(path, kinds, {c.name for c in table.columns}):
        held = {c: row[c] for c in later if row.get(c) is not None}
        if held and keys:
            deferred.append({**{f"pk_{k}": row[k] for k in keys}, **held})
            row = {**row, **dict.fromkeys(held)}
        batch.append(row)
        if len(batch) >= BATCH:
            connection.execute(table.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        connection.execute(table.insert(), batch)
        count += len(batch)
    return count, deferred


def fill_references(connection: Connection, table: Table, deferred: list[dict[str, Any]]) -> None:
    """Set the forward references :func:`load_table` left out, now that their rows exist."""
    keys = [c.name for c in table.primary_key.columns]
    for row in deferred:
        values = {k: v for k, v in row.items() if not k.startswith("pk_")}
        where = [table.c[k] == row[f"pk_{k}"] for k in keys]
        connection.execute(update(table).where(*where).values(**values))


def reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Move PostgreSQL's id sequences past the restored rows, so new rows get fresh ids."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": f'"{table.name}"', "c": column.name},
            ).scalar()
            if sequence is None:
                continue
            highest = connection.execute(select(func.max(column))).scalar()
            if highest is not None:
                connection.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})
