"""``pilothouse backup``: one tar file with the app database, the event store and state files.

Layout of the archive (see docs/backup.md)::

    manifest.json          version, created_at, revision, row counts, sha256 of every member
    db/<table>.jsonl       every app table, one JSON object per row (core.backup_tables)
    events/...             the DuckDB event store, exported as Parquet (core.backup_events)
    home/...               state files of the data folder (metric definitions, connections.yaml)
    metrics/...            the metrics folder, when it lives outside the data folder

The app database is read from one snapshot: on SQLite a copy made with SQLite's
online backup API (readers and writers go on meanwhile), on PostgreSQL one
REPEATABLE READ, READ ONLY transaction. Secrets stay out unless asked for.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url

from pilothouse import __version__
from pilothouse.core.backup_events import export_store
from pilothouse.core.backup_tables import column_kinds, dump_table, reflect_tables
from pilothouse.core.runtime import Runtime

__all__ = [
    "FORMAT",
    "BackupSummary",
    "Prepared",
    "create_backup",
    "excluded_home_files",
    "prepare_backup",
    "sha256_of",
]

#: Version of the archive layout; restore refuses a layout it does not know.
FORMAT = 1
SECRET_FILES = frozenset({"secret_key"})


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds, for the command's report."""

    path: Path
    revision: str
    tables: dict[str, int]
    event_store: dict[str, int] | None
    files: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def excluded_home_files(runtime: Runtime) -> set[Path]:
    """Files of the data folder that are not copied as files: databases, queue, temp files."""
    settings = runtime.settings
    home = settings.home.resolve()
    names = {"pilothouse.db", "jobs-queue.db"}
    excluded = {home / f"{n}{s}" for n in names for s in ("", "-wal", "-shm", "-journal")}
    events = settings.effective_events_path.resolve()
    excluded |= {events, events.with_name(events.name + ".wal")}
    if runtime.database.is_sqlite:
        database = Path(make_url(runtime.database.url).database or "").resolve()
        excluded |= {database.with_name(database.name + s) for s in ("", "-wal", "-shm")}
    return excluded


@contextmanager
def _snapshot(runtime: Runtime, scratch: Path) -> Iterator[Connection]:
    """A connection that sees one consistent state of the app database."""
    if runtime.database.is_sqlite:
        copy = scratch / "snapshot.db"
        source = sqlite3.connect(make_url(runtime.database.url).database or "")
        target = sqlite3.connect(copy)
        try:
            source.backup(target)  # all pages in one step: one read transaction
        finally:
            target.close()
            source.close()
        engine = create_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()
        return
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with runtime.database.engine.connect().execution_options(**options) as connection:
        with connection.begin():
            yield connection


def _dump_database(runtime: Runtime, staging: Path, scratch: Path) -> dict[str, Any]:
    (staging / "db").mkdir()
    tables: dict[str, Any] = {}
    with _snapshot(runtime, scratch) as connection:
        revision = _revision(connection)
        for table in reflect_tables(connection):
            with (staging / "db" / f"{table.name}.jsonl").open("w", encoding="utf-8") as out:
                rows = dump_table(connection, table, out)
            tables[table.name] = {"rows": rows, "columns": column_kinds(table)}
    return {"revision": revision, "tables": tables}


def _revision(connection: Connection) -> str:
    from sqlalchemy import text

    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) != 1:
        raise ValueError("the database has no single Alembic revision; run: pilothouse db upgrade")
    return str(rows[0])


def _state_files(runtime: Runtime, include_secrets: bool) -> Iterator[tuple[Path, str]]:
    """(file, member name) for every state file to copy."""
    settings = runtime.settings
    home = settings.home.resolve()
    skipped = excluded_home_files(runtime)
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home)
        if not path.is_file() or path in skipped or relative.name.startswith(".secret_key."):
            continue
        if relative.parts[0] in SECRET_FILES and not include_secrets:
            continue
        if path.resolve().is_relative_to(settings.effective_events_path.resolve()):
            continue
        yield path, f"home/{relative.as_posix()}"
    metrics = settings.effective_metrics_path.resolve()
    if metrics.is_dir() and not metrics.is_relative_to(home):
        for path in sorted(p for p in metrics.rglob("*") if p.is_file()):
            yield path, f"metrics/{path.relative_to(metrics).as_posix()}"
    connections = settings.effective_connections_path.resolve()
    if connections.is_file() and not connections.is_relative_to(home):
        yield connections, "connections.yaml"


@dataclass(frozen=True)
class Prepared:
    """A backup's members staged on disk and its manifest, not yet archived."""

    manifest: dict[str, Any]
    members: dict[str, Path]
    summary: BackupSummary


def prepare_backup(
    runtime: Runtime, scratch: Path, path: Path, *, include_secrets: bool = False
) -> Prepared:
    """Dump the database and event store under ``scratch`` and build the manifest."""
    staging = scratch / "archive"
    staging.mkdir()
    database = _dump_database(runtime, staging, scratch)
    remote = runtime.settings.event_store_socket is not None
    store = runtime.event_store if remote else runtime.__dict__.get("event_store")
    events = export_store(runtime.settings.effective_events_path, staging / "events", store)
    members = {
        p.relative_to(staging).as_posix(): p for p in sorted(staging.rglob("*")) if p.is_file()
    }
    members.update({name: file for file, name in _state_files(runtime, include_secrets)})
    manifest = {
        "format": FORMAT,
        "version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "backend": "sqlite" if runtime.database.is_sqlite else "postgresql",
        "revision": database["revision"],
        "tables": database["tables"],
        "event_store": events,
        "secrets_included": include_secrets,
        "members": {name: sha256_of(file) for name, file in members.items()},
    }
    files = sum(1 for n in members if n.startswith(("home/", "metrics/", "connections")))
    summary = BackupSummary(
        path=path,
        revision=database["revision"],
        tables={n: t["rows"] for n, t in database["tables"].items()},
        event_store=events,
        files=files,
    )
    return Prepared(manifest, members, summary)


def create_backup(runtime: Runtime, path: Path, *, include_secrets: bool = False) -> BackupSummary:
    """Write the backup archive to ``path`` (written next to it, then renamed into place)."""
    with tempfile.TemporaryDirectory(prefix="pilothouse-backup-") as scratch_name:
        prepared = prepare_backup(
            runtime, Path(scratch_name), path, include_secrets=include_secrets
        )
        _write_archive(path, prepared.manifest, prepared.members)
    return prepared.summary


def _write_archive(path: Path, manifest: dict[str, Any], members: dict[str, Path]) -> None:
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest_file = partial.with_name(path.name + ".manifest")
    manifest_file.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    try:
        mode = "w:gz" if path.name.endswith((".gz", ".tgz")) else "w"
        with tarfile.open(partial, mode) as archive:  # type: ignore[call-overload]
            archive.add(manifest_file, arcname="manifest.json")
            for name, file in members.items():
                archive.add(file, arcname=name)
        partial.chmod(0o600)  # the workspace's data: readable by its owner only
        partial.replace(path)
    finally:
        manifest_file.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
