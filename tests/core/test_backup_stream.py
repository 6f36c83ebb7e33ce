"""The backup endpoint streams the archive it builds (no archive file, an exact
Content-Length, a tar that restores), and every backup — API or command line — leaves
an audit entry naming who, and the size; SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.models import Event, Role
from pilothouse.core.restore import restore_backup
from pilothouse.core.runtime import Runtime
from tests.conftest import test_settings as settings_for
from tests.support.accounts import Accounts


def _backup_events(runtime: Runtime) -> list[Event]:
    with runtime.database.session(reading=True) as session:
        query = select(Event).where(Event.object_type == "backup").order_by(Event.id)
        found = list(session.scalars(query))
        session.expunge_all()
    return found


def test_api_streams_a_restorable_archive_and_audits_it(
    runtime: Runtime, client: Any, accounts: Accounts, database_factory: Any, backend: str
) -> None:
    admin = accounts.person(Role.admin)
    folder = Path(tempfile.gettempdir())
    leftovers = set(folder.glob("pilothouse-backup*"))
    answer = client.post("/api/v1/backup", headers=accounts.bearer(admin))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-tar"
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert set(folder.glob("pilothouse-backup*")) == leftovers  # the staging is gone
    with tarfile.open(fileobj=io.BytesIO(answer.content)) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        for name, digest in manifest["members"].items():
            data = archive.extractfile(name).read()  # type: ignore[union-attr]
            assert hashlib.sha256(data).hexdigest() == digest, name
    assert "secret_key" not in json.dumps(manifest["members"])
    events = _backup_events(runtime)
    assert len(events) == 1 and events[0].actor_label == admin.email
    assert events[0].action == "created"
    assert json.dumps(events[0].changes).count(str(len(answer.content))) == 1
    saved = Path(runtime.settings.home).parent / "streamed.tar"
    saved.write_bytes(answer.content)
    settings = settings_for(saved.parent / "target", database_factory.new_url(backend))
    settings.ensure_home()
    from pilothouse.core.db import Database

    target = Runtime(settings=settings, database=Database(settings.effective_database_url))
    summary = restore_backup(target, saved)
    assert summary.tables["users"] >= 1
    target.close()


def test_viewer_gets_no_backup_and_no_audit_entry(
    runtime: Runtime, client: Any, accounts: Accounts
) -> None:
    viewer = accounts.person(Role.viewer)
    assert client.post("/api/v1/backup", headers=accounts.bearer(viewer)).status_code == 403
    assert _backup_events(runtime) == []


def test_cli_backup_is_audited(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    env = {
        "PILOTHOUSE_HOME": str(runtime.settings.home),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
    }
    file = tmp_path / "b.tar"
    done = CliRunner().invoke(cli_app, ["backup", str(file)], env=env)
    assert done.exit_code == 0, done.output
    events = _backup_events(runtime)
    assert len(events) == 1 and events[0].object_id == "b.tar"
    assert str(file.stat().st_size) in json.dumps(events[0].changes)
