"""The event store part of a backup: DuckDB's own ``EXPORT DATABASE``, as Parquet files.

DuckDB lets one process open the file for writing, and no other process may
open it at all meanwhile. So a backup uses the store this process already has
open when there is one (its export runs in one DuckDB transaction, a consistent
snapshot while the writer thread keeps committing), opens the file read-only
when nobody holds it, and otherwise refuses with a message that says why: the
running server owns the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pilothouse.core.errors import Conflict

__all__ = ["STORE_TABLES", "export_store", "import_store", "store_counts"]

STORE_TABLES = ("events", "users", "accounts")


def _open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise Conflict(
            f"the event store {path} is in use by a running Pilothouse server, and DuckDB "
            "lets no other process read it meanwhile; let the server make the backup "
            "(pilothouse backup FILE --server URL --token-file PATH) or stop it first "
            f"({str(exc).splitlines()[0]})"
        ) from None


def store_counts(cursor: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per event store table (tables missing in an old store count as absent)."""
    present = {r[0] for r in cursor.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    counts = {}
    for table in STORE_TABLES:
        if table in present:
            row = cursor.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # fixed names
            counts[table] = int(row[0]) if row else 0
    return counts


def export_store(path: Path, target: Path, open_store: Any | None) -> dict[str, int] | None:
    """Export the store into folder ``target``; returns its row counts (None: no store yet).

    ``open_store`` is this process's :class:`EventStore` when it has one open, or the
    store another process owns (a worker of ``pilothouse serve --workers N``), which
    then writes the export itself.
    """
    if open_store is not None and hasattr(open_store, "export"):
        return open_store.export(target)
    if open_store is None and not path.exists():
        return None
    connection = open_store.cursor() if open_store is not None else _open_read_only(path)
    try:
        connection.begin()  # counts and export see the same snapshot
        counts = store_counts(connection)
        escaped = str(target).replace("'", "''")
        connection.execute(f"EXPORT DATABASE '{escaped}' (FORMAT parquet)")
        connection.commit()
        return counts
    finally:
        connection.close()


def import_store(source: Path, path: Path) -> dict[str, int]:
    """Build a new DuckDB file at ``path`` from an export folder; returns its row counts."""
    connection = duckdb.connect(str(path))
    try:
        escaped = str(source).replace("'", "''")
        connection.execute(f"IMPORT DATABASE '{escaped}'")
        return store_counts(connection)
    finally:
        connection.close()
