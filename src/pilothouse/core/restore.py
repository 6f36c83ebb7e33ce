"""``pilothouse restore``: a backup archive into an empty data folder and an empty database.

Everything is checked before anything is written: the manifest's format, every
member's sha256, that this version knows the backup's revision (a backup from a
newer Pilothouse is refused), and that the target is empty. Then the database
is migrated to the backup's revision, every table is loaded in one transaction
(on failure the tables are dropped again, so the database is empty as before),
and only after that commit are the event store and the files put in place. An
older backup is then migrated to the newest revision.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, inspect

from pilothouse.core.backup import FORMAT, SECRET_FILES, excluded_home_files, sha256_of
from pilothouse.core.backup_events import import_store
from pilothouse.core.backup_tables import (
    fill_references,
    load_table,
    reflect_tables,
    reset_sequences,
)
from pilothouse.core.errors import BadRequest, Conflict
from pilothouse.core.runtime import Runtime

__all__ = ["RestoreSummary", "read_archive", "restore_backup"]


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore put back, for the command's report."""

    revision: str
    upgraded_to: str | None
    tables: dict[str, int]
    event_store: dict[str, int] | None
    files: int


def read_archive(path: Path, into: Path) -> dict[str, Any]:
    """Unpack ``path`` into ``into`` and check it whole; returns the manifest."""
    if not path.is_file():
        raise BadRequest(f"{path}: no such backup file")
    try:
        with tarfile.open(path, "r:*") as archive:
            archive.extractall(into, filter="data")  # no absolute paths, links or devices
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BadRequest(f"{path} is not a readable backup archive: {exc}") from None
    try:
        manifest: dict[str, Any] = json.loads((into / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BadRequest(f"{path} has no readable manifest.json: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BadRequest(f"{path}: backup format {manifest.get('format')!r} is not {FORMAT}")
    missing = sorted({"revision", "tables", "members"} - set(manifest))
    if missing:
        raise BadRequest(f"{path}: manifest.json lacks {', '.join(missing)}")
    _check_members(path, into, manifest["members"])
    return manifest


def _check_members(path: Path, root: Path, members: dict[str, str]) -> None:
    found = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {
        "manifest.json"
    }
    if found != set(members):
        missing, extra = sorted(set(members) - found), sorted(found - set(members))
        raise BadRequest(f"{path} does not match its manifest: missing {missing}, extra {extra}")
    for name, expected in members.items():
        if sha256_of(root / name) != expected:
            raise BadRequest(
                f"{path} is damaged: {name} does not match the sha256 in the manifest; "
                "nothing was restored"
            )


def _check_revision(revision: str) -> None:
    from alembic.script import ScriptDirectory

    from pilothouse.core.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config(_NO_DATABASE()))
    if revision not in {s.revision for s in scripts.walk_revisions()}:
        raise BadRequest(
            f"the backup is at database revision {revision}, which this version of Pilothouse "
            f"does not know (newest here: {scripts.get_current_head()}); restore it with the "
            "version that made it, or a newer one"
        )


def _NO_DATABASE() -> Any:  # noqa: N802 - a stand-in the Alembic config needs, never connected
    from pilothouse.core.db import Database

    return Database("sqlite://")


def _check_target_empty(runtime: Runtime) -> None:
    tables = inspect(runtime.database.engine).get_table_names()
    if tables:
        raise Conflict(
            f"the target database already has {len(tables)} tables; restore only into an "
            "empty database (create a new one, or point PILOTHOUSE_HOME at a new folder)"
        )
    settings = runtime.settings
    home = settings.home.resolve()
    skipped = excluded_home_files(runtime)
    state = [
        p.relative_to(home).as_posix()
        for p in home.rglob("*")
        if p.is_file() and p not in skipped and p.name not in SECRET_FILES
    ]
    if settings.effective_events_path.exists():
        state.append(str(settings.effective_events_path))
    metrics = settings.effective_metrics_path
    if metrics.is_dir() and any(metrics.iterdir()):
        state.append(str(metrics))
    if settings.effective_connections_path.exists():
        state.append(str(settings.effective_connections_path))
    if state:
        raise Conflict(
            f"the data folder {home} already holds state ({', '.join(sorted(set(state))[:5])}); "
            "restore only into an empty data folder"
        )


def _load_database(connection: Connection, root: Path, manifest: dict[str, Any]) -> dict[str, int]:
    tables = reflect_tables(connection)
    expected: dict[str, Any] = manifest["tables"]
    names = {t.name for t in tables}
    if names != set(expected):
        raise BadRequest(
            "the backup's tables differ from the migrated schema: only in the backup "
            f"{sorted(set(expected) - names)}, only here {sorted(names - set(expected))}"
        )
    for table in reversed(tables):  # rows the migrations seeded come back from the backup
        connection.execute(table.delete())
    loaded: dict[str, int] = {}
    forward = []
    for table in tables:
        entry = expected[table.name]
        path = root / "db" / f"{table.name}.jsonl"
        count, deferred = load_table(connection, table, path, entry["columns"], set(loaded))
        loaded[table.name] = count
        forward.append((table, deferred))
        if count != entry["rows"]:
            raise BadRequest(
                f"{table.name}: {count} rows in the archive, manifest says {entry['rows']}"
            )
    for table, deferred in forward:
        fill_references(connection, table, deferred)
    if connection.dialect.name == "postgresql":
        reset_sequences(connection, tables)
    return loaded


def _drop_everything(runtime: Runtime) -> None:
    """Leave the database as empty as it was before a failed restore."""
    metadata = MetaData()
    with runtime.database.engine.begin() as connection:
        metadata.reflect(bind=connection)
        metadata.drop_all(bind=connection)


def _restore_database(runtime: Runtime, root: Path, manifest: dict[str, Any]) -> dict[str, int]:
    from pilothouse.core.migrate import upgrade

    upgrade(runtime.database, manifest["revision"])
    try:
        with runtime.database.engine.begin() as connection:
            return _load_database(connection, root, manifest)
    except BaseException:
        _drop_everything(runtime)
        raise


def _place_files(runtime: Runtime, root: Path) -> int:
    settings = runtime.settings
    targets = {
        "home": settings.home,
        "metrics": settings.effective_metrics_path,
    }
    count = 0
    for top, target in targets.items():
        source = root / top
        if not source.is_dir():
            continue
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            destination = target / file.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.name in SECRET_FILES:  # private from the first byte
                descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    out.write(file.read_bytes())
                destination.chmod(0o600)
            else:
                shutil.copyfile(file, destination)
            count += 1
    if (root / "connections.yaml").is_file():
        shutil.copyfile(root / "connections.yaml", settings.effective_connections_path)
        count += 1
    return count


def restore_backup(runtime: Runtime, path: Path) -> RestoreSummary:
    """Restore ``path`` into the runtime's (empty) database and data folder."""
    from pilothouse.core.migrate import head_revision, upgrade

    with tempfile.TemporaryDirectory(prefix="pilothouse-restore-") as scratch_name:
        root = Path(scratch_name) / "archive"
        manifest = read_archive(path, root)
        _check_revision(manifest["revision"])
        _check_target_empty(runtime)
        events_path = runtime.settings.effective_events_path
        staged_store = events_path.with_name(events_path.name + ".restoring")
        store = _stage_store(root, staged_store, manifest)
        try:
            tables = _restore_database(runtime, root, manifest)
        except BaseException:
            staged_store.unlink(missing_ok=True)
            raise
        if store is not None:
            staged_store.replace(events_path)
        files = _place_files(runtime, root)
    head = head_revision()
    upgraded = None
    if head and head != manifest["revision"]:
        upgrade(runtime.database)
        upgraded = head
    return RestoreSummary(manifest["revision"], upgraded, tables, store, files)


def _stage_store(root: Path, staged: Path, manifest: dict[str, Any]) -> dict[str, int] | None:
    """Build the event store next to its final place; checked against the manifest."""
    if manifest.get("event_store") is None:
        return None
    staged.unlink(missing_ok=True)
    staged.parent.mkdir(parents=True, exist_ok=True)
    counts = import_store(root / "events", staged)
    if counts != manifest["event_store"]:
        staged.unlink(missing_ok=True)
        raise BadRequest(
            f"the event store in the backup has {counts} rows, the manifest says "
            f"{manifest['event_store']}"
        )
    return counts
