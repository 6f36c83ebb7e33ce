"""Backup and restore (docs/backup.md): the demo, restored, is the same row for row.

A copy of the demo loaded on SQLite once per test run (tests/support/demo_workspace.py)
is backed up and restored into fresh data folders and databases: SQLite, PostgreSQL,
and from that PostgreSQL copy back into SQLite. Every table of the models is then
compared row by row through the models' own column types, the event store
table by table, and the state files byte for byte. Refusals (a damaged archive,
a backup from a newer version, a target that is not empty, an event store held
by another process) are checked to write nothing.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.backup import create_backup
from pilothouse.core.db import Base, Database
from pilothouse.core.errors import BadRequest, Conflict
from pilothouse.core.migrate import head_revision, upgrade
from pilothouse.core.models import Event
from pilothouse.core.registry import import_all_models
from pilothouse.core.restore import restore_backup
from pilothouse.core.runtime import Runtime
from pilothouse.feedback.models import FeedbackItem
from pilothouse.feedback.service import FEEDBACK_OBJECT_TYPE, create_feedback
from tests.conftest import test_settings as settings_for_tests
from tests.support.demo_workspace import demo_copy

pytestmark = pytest.mark.slow


def _fresh(database_factory: Any, tmp: Path, backend: str = "sqlite") -> Runtime:
    """An empty data folder and an empty (never migrated) database."""
    settings = settings_for_tests(tmp / "home", database_factory.new_url(backend))
    settings.ensure_home()
    return Runtime(settings=settings, database=Database(settings.effective_database_url))


@pytest.fixture(scope="module")
def demo(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A copy of the whole demo loaded on SQLite (tests/support/demo_workspace.py)."""
    loaded = demo_copy(database_factory, tmp_path_factory, "demo-home")
    yield loaded.runtime
    loaded.close()


@pytest.fixture(scope="module")
def archive(demo: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "demo.tar"
    create_backup(demo, path)
    return path


def _rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model table, all columns, read through the models' types."""
    import_all_models()
    found = {}
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [
                tuple(row) for row in connection.execute(select(table).order_by(*order))
            ]
    return found


def _store_rows(runtime: Runtime) -> dict[str, pa.Table]:
    """Every row of the event store's tables, in key order, as Arrow tables.

    Arrow tables are equal when their column names, types and values are (stricter than
    Python values: 1 and 1.0 differ), and reading the demo's 185,000 events so takes a
    fifth of the time Python tuples take.
    """
    keys = {"events": "message_id", "users": "user_id", "accounts": "account_id"}
    cursor = runtime.event_store.cursor()
    try:
        return {
            t: cursor.sql(f'SELECT * FROM "{t}" ORDER BY {k}').to_arrow_table()
            for t, k in keys.items()
        }
    finally:
        cursor.close()


def _files(runtime: Runtime) -> dict[str, bytes]:
    home = runtime.settings.home
    skipped = {"pilothouse.db", "events.duckdb", "secret_key", "jobs-queue.db"}
    return {
        p.relative_to(home).as_posix(): p.read_bytes()
        for p in home.rglob("*")
        if p.is_file() and not any(p.name.startswith(s) for s in skipped)
    }


@dataclass(frozen=True)
class Snapshot:
    """What a restore must reproduce: model rows, event store rows and state files."""

    rows: dict[str, list[tuple[Any, ...]]]
    store: dict[str, pa.Table]
    files: dict[str, bytes]


def _snapshot(runtime: Runtime) -> Snapshot:
    return Snapshot(_rows(runtime.database), _store_rows(runtime), _files(runtime))


def _assert_same(original: Snapshot, restored: Runtime) -> None:
    expected, actual = original.rows, _rows(restored.database)
    assert sum(len(r) for r in expected.values()) > 10_000  # the demo, not an empty shell
    for name, rows in expected.items():
        assert actual[name] == rows, f"table {name} differs after restore"
    store = _store_rows(restored)
    for name, table in original.store.items():
        assert store[name].equals(table), f"event store table {name} differs after restore"
    assert store.keys() == original.store.keys()
    assert _files(restored) == original.files


@pytest.fixture(scope="module")
def demo_snapshot(demo: Runtime, archive: Path) -> Snapshot:
    """The demo as it is after the backup, read once: no test here writes to the demo."""
    del archive  # taken after the backup, as each test compares after it
    return _snapshot(demo)


@pytest.fixture(scope="module")
def restored_sqlite(
    archive: Path, database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    runtime = _fresh(database_factory, tmp_path_factory.mktemp("restore-sqlite"))
    restore_backup(runtime, archive)
    yield runtime
    runtime.close()


def test_demo_restored_into_sqlite_is_identical(
    demo_snapshot: Snapshot, restored_sqlite: Runtime
) -> None:
    assert demo_snapshot.files, "the demo leaves state files (metric definitions) in the folder"
    _assert_same(demo_snapshot, restored_sqlite)


def _manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return dict(json.load(member))


def test_manifest_counts_rows_and_leaves_the_secret_key_out(
    demo: Runtime, demo_snapshot: Snapshot, archive: Path
) -> None:
    manifest = _manifest(archive)
    assert manifest["revision"] == head_revision()
    rows = demo_snapshot.rows
    assert {n: t["rows"] for n, t in manifest["tables"].items()} == {
        n: len(r) for n, r in rows.items()
    }
    assert manifest["event_store"] == demo.event_store.counts()
    assert manifest["tables"]["feedback_embeddings"]["columns"]["vector"] == "bytes"
    assert manifest["secrets_included"] is False
    assert not any("secret_key" in name for name in manifest["members"])


@pytest.mark.postgresql
def test_demo_crosses_to_postgresql_and_back(
    demo_snapshot: Snapshot, archive: Path, database_factory: Any, tmp_path: Path
) -> None:
    on_postgres = _fresh(database_factory, tmp_path / "pg", "postgresql")
    try:
        restore_backup(on_postgres, archive)
        _assert_same(demo_snapshot, on_postgres)
        # Sequences moved past the restored ids: a new audit event gets a fresh id.
        with on_postgres.database.session() as session:
            before = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
            create_feedback(
                session, Actor.command_line(), {"text": "after restore", "source_kind": "survey"}
            )
            after = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        assert after is not None and before is not None and after > before
        second = tmp_path / "from-postgres.tar"
        create_backup(on_postgres, second)
        back = _fresh(database_factory, tmp_path / "back")
        try:
            restore_backup(back, second)
            _assert_same(_snapshot(on_postgres), back)
        finally:
            back.close()
    finally:
        on_postgres.close()


def _nothing_written(runtime: Runtime) -> None:
    assert inspect(runtime.database.engine).get_table_names() == []
    assert [p.name for p in runtime.settings.home.iterdir() if p.name != "pilothouse.db"] == []


def test_damaged_archive_is_refused(archive: Path, database_factory: Any, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.tar"
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        member = tar.getmember("db/feedback_items.jsonl")
    data[member.offset_data + 100] ^= 0x01
    damaged.write_bytes(bytes(data))
    target = _fresh(database_factory, tmp_path)
    with pytest.raises(BadRequest, match="damaged: db/feedback_items.jsonl does not match"):
        restore_backup(target, damaged)
    _nothing_written(target)
    target.close()


def _rewrite_manifest(archive: Path, out: Path, **changes: Any) -> None:
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        for member in source.getmembers():
            handle = source.extractfile(member)
            assert handle is not None
            payload = handle.read()
            if member.name == "manifest.json":
                payload = json.dumps({**json.loads(payload), **changes}).encode()
                member.size = len(payload)
            target.addfile(member, io.BytesIO(payload))


def test_backup_from_a_newer_version_is_refused(
    archive: Path, database_factory: Any, tmp_path: Path
) -> None:
    newer = tmp_path / "newer.tar"
    _rewrite_manifest(archive, newer, revision="9999")
    target = _fresh(database_factory, tmp_path)
    with pytest.raises(BadRequest, match="revision 9999, which this version of Pilothouse"):
        restore_backup(target, newer)
    _nothing_written(target)
    target.close()


def test_restore_into_a_database_with_data_is_refused(
    archive: Path, restored_sqlite: Runtime, database_factory: Any, tmp_path: Path
) -> None:
    before = _rows(restored_sqlite.database)
    with pytest.raises(Conflict, match="already has .* tables; restore only into an empty"):
        restore_backup(restored_sqlite, archive)
    assert _rows(restored_sqlite.database) == before
    # An empty database but a data folder with state is refused too.
    target = _fresh(database_factory, tmp_path)
    (target.settings.home / "connections.yaml").write_text("connections: {}\n")
    with pytest.raises(Conflict, match="already holds state .*connections.yaml"):
        restore_backup(target, archive)
    assert inspect(target.database.engine).get_table_names() == []
    target.close()


def _keep_writing(runtime: Runtime, stop: threading.Event, written: list[int]) -> None:
    actor = Actor.command_line()
    while not stop.is_set():
        with runtime.database.session() as session:
            item = create_feedback(
                session, actor, {"text": f"note {len(written)}", "source_kind": "survey"}
            )
        written.append(item.id)  # counted once committed


def test_backup_while_a_writer_inserts_is_consistent(
    runtime: Runtime, database_factory: Any, tmp_path: Path
) -> None:
    """On both backends: every restored feedback item has its audit event; counts match."""
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_keep_writing, args=(runtime, stop, written))
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        path = tmp_path / "live.tar"
        create_backup(runtime, path)
    finally:
        stop.set()
        writer.join()
    target = _fresh(database_factory, tmp_path / "target")
    summary = restore_backup(target, path)
    with target.database.session() as session:
        items = set(session.scalars(select(FeedbackItem.id)))
        audited = {
            int(i)
            for i in session.scalars(
                select(Event.object_id).where(
                    Event.object_type == FEEDBACK_OBJECT_TYPE, Event.action == "created"
                )
            )
        }
    target.close()
    assert 20 <= len(items) <= len(written)
    assert items == audited
    assert summary.tables["feedback_items"] == len(items)


def test_cli_refuses_while_another_process_holds_the_event_store(
    database_factory: Any, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = database_factory.new_url("sqlite")
    upgrade(Database(url))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_STORE, str(home / "events.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        env = {"PILOTHOUSE_HOME": str(home), "PILOTHOUSE_DATABASE_URL": url}
        result = CliRunner().invoke(cli_app, ["backup", str(tmp_path / "b.tar")], env=env)
    finally:
        holder.communicate("")
    assert result.exit_code == 1
    assert "in use by a running Pilothouse server" in result.output
    assert not (tmp_path / "b.tar").exists()
    assert not list(tmp_path.glob("b.tar*"))


_HOLD_STORE = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
    "sys.stdin.read()"
)


def test_cli_backup_and_restore(database_factory: Any, tmp_path: Path) -> None:
    source = _fresh(database_factory, tmp_path / "a")
    upgrade(source.database)
    (source.settings.home / "metrics").mkdir()
    (source.settings.home / "metrics" / "signups.yaml").write_text("name: signups\n")
    store = source.event_store  # an event store with a table to carry
    store.close()
    del source.__dict__["event_store"]
    env_a = {
        "PILOTHOUSE_HOME": str(source.settings.home),
        "PILOTHOUSE_DATABASE_URL": source.database.url,
    }
    runner = CliRunner()
    done = runner.invoke(cli_app, ["backup", str(tmp_path / "b.tar")], env=env_a)
    assert done.exit_code == 0, done.output
    assert "The secret key is not in the backup" in done.output
    again = runner.invoke(cli_app, ["backup", str(tmp_path / "b.tar")], env=env_a)
    assert again.exit_code == 1 and "exists already" in again.output
    target = _fresh(database_factory, tmp_path / "b")
    env_b = {
        "PILOTHOUSE_HOME": str(target.settings.home),
        "PILOTHOUSE_DATABASE_URL": target.database.url,
    }
    back = runner.invoke(cli_app, ["restore", str(tmp_path / "b.tar")], env=env_b)
    assert back.exit_code == 0, back.output
    assert (target.settings.home / "metrics" / "signups.yaml").read_text() == "name: signups\n"
    expected = _rows(source.database)  # all but the audit entry written after the backup
    assert [e[1] for e in expected["events"]] == ["backup.created"]
    expected["events"] = []
    assert _rows(target.database) == expected
    refused = runner.invoke(cli_app, ["restore", str(tmp_path / "b.tar")], env=env_b)
    assert refused.exit_code == 1 and "restore only into an empty database" in refused.output
    source.close()
    target.close()


def test_running_server_holds_the_store_and_makes_the_backup(
    served: Any, database_factory: Any, tmp_path: Path
) -> None:
    """Over real HTTP, per backend: local backup refused, ``--server`` backup restores."""
    import base64

    import httpx

    from pilothouse.core.models import Role
    from pilothouse.metrics import sources
    from tests.support.accounts import Accounts

    runtime: Runtime = served.runtime
    with runtime.database.session() as session:
        _source, key = sources.create_source(session, Actor.command_line(), runtime.secrets, "web")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    for i in range(3):
        event = {"type": "track", "event": "Report Exported", "userId": f"u{i}"}
        sent = httpx.post(f"{served.base_url}/api/v1/track", json=event, headers=basic)
        assert sent.status_code == 200, sent.text
    env = {
        "PILOTHOUSE_HOME": str(runtime.settings.home),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
    }
    runner = CliRunner()
    local = runner.invoke(cli_app, ["backup", str(tmp_path / "local.tar")], env=env)
    assert local.exit_code == 1 and "--server URL --token-file PATH" in local.output
    accounts = Accounts(runtime)
    viewer = tmp_path / "viewer-token"
    viewer.write_text(accounts.token(accounts.person(Role.viewer)))
    admin = tmp_path / "admin-token"
    admin.write_text(accounts.token(accounts.person(Role.admin)))
    remote = ["backup", str(tmp_path / "b.tar"), "--server", served.base_url, "--token-file"]
    refused = runner.invoke(cli_app, [*remote, str(viewer)], env=env)
    assert refused.exit_code == 1 and "the server refused the backup: 403" in refused.output
    assert not list(tmp_path.glob("b.tar*"))
    done = runner.invoke(cli_app, [*remote, str(admin)], env=env)
    assert done.exit_code == 0, done.output
    assert "3 events" in done.output
    target = _fresh(database_factory, tmp_path / "target")
    summary = restore_backup(target, tmp_path / "b.tar")
    assert summary.event_store == {"events": 3, "users": 0, "accounts": 0}
    expected, actual = _rows(runtime.database), _rows(target.database)
    assert actual["event_sources"] == expected["event_sources"]
    assert actual["users"] == expected["users"]
    target.close()


def test_backup_from_an_older_revision_is_restored_then_migrated(
    database_factory: Any, tmp_path: Path
) -> None:
    """A backup made at the previous revision loads at that revision, then reaches head."""
    from alembic.script import ScriptDirectory

    from pilothouse.core.migrate import alembic_config
    from pilothouse.core.schema_version import stored_revision

    head = head_revision()
    script = ScriptDirectory.from_config(alembic_config(Database("sqlite://")))
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    source = _fresh(database_factory, tmp_path / "old")
    upgrade(source.database, previous)
    path = tmp_path / "old.tar"
    create_backup(source, path)
    assert _manifest(path)["revision"] == previous
    target = _fresh(database_factory, tmp_path / "new")
    summary = restore_backup(target, path)
    assert (summary.revision, summary.upgraded_to) == (previous, head)
    assert stored_revision(target.database) == head
    seeded = _rows(target.database)["roadmap_statuses"]
    assert len(seeded) == 6  # the migrations' seed rows, once: from the backup, not doubled
    source.close()
    target.close()


def test_secret_key_only_with_include_secrets(database_factory: Any, tmp_path: Path) -> None:
    source = _fresh(database_factory, tmp_path / "a")
    upgrade(source.database)
    key = source.settings.home / "secret_key"
    key.write_text("k" * 48 + "\n")
    key.chmod(0o600)
    create_backup(source, tmp_path / "plain.tar")
    assert "home/secret_key" not in _manifest(tmp_path / "plain.tar")["members"]
    create_backup(source, tmp_path / "with.tar", include_secrets=True)
    manifest = _manifest(tmp_path / "with.tar")
    assert manifest["secrets_included"] is True and "home/secret_key" in manifest["members"]
    assert (tmp_path / "with.tar").stat().st_mode & 0o777 == 0o600
    target = _fresh(database_factory, tmp_path / "b")
    restore_backup(target, tmp_path / "with.tar")
    restored = target.settings.home / "secret_key"
    assert restored.read_text() == key.read_text()
    assert restored.stat().st_mode & 0o777 == 0o600
    source.close()
    target.close()
