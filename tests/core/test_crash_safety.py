"""Crash safety: real server and CLI processes killed with SIGKILL in the middle of work.

- Tracking batches: clients send batches with unique message ids to ``pilothouse serve``
  while it is killed at a random point. Every batch that got a 2xx answer is stored
  exactly once (counted by message id in the DuckDB store); a batch without an answer is
  stored whole or not at all; after a restart, re-sending every batch duplicates nothing.
- Feedback import: ``pilothouse feedback import`` killed while its write transaction is
  open leaves all rows or none (with their audit entries); running it again (in the
  test's process) completes.

Both run on SQLite and PostgreSQL app databases. Nothing here measures time: the kill
point is chosen by counting acknowledgements or by seeing the open write transaction.
"""

from __future__ import annotations

import base64
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
from sqlalchemy import func, select, text

from pilothouse.core.actor import Actor
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.feedback.models import FeedbackItem
from pilothouse.metrics import sources
from tests.support.commands import run_command
from tests.support.served_app import _wait_healthy, free_port

BATCH_SIZE = 100
CLIENTS = 3
IMPORT_ROWS = 4000


def process_env(runtime: Runtime) -> dict[str, str]:
    """The environment of a server or command sharing the test's database and data folder."""
    settings = runtime.settings
    assert settings.secret_key is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env.update(
        PILOTHOUSE_HOME=str(settings.home),
        PILOTHOUSE_DATABASE_URL=runtime.database.url,
        PILOTHOUSE_SECRET_KEY=settings.secret_key.get_secret_value(),
        PILOTHOUSE_ARGON2_TIME_COST="1",
        PILOTHOUSE_ARGON2_MEMORY_KIB="8192",
        PILOTHOUSE_LOG_LEVEL="WARNING",
    )
    if "PILOTHOUSE_MODELS_DIR" in os.environ:  # the run's int8 embedder (tests/conftest.py)
        env["PILOTHOUSE_MODELS_DIR"] = os.environ["PILOTHOUSE_MODELS_DIR"]
    return env


@contextmanager
def server(runtime: Runtime, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``pilothouse serve`` on a free port; stopped (if still alive) on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "pilothouse", "serve", "--host", "127.0.0.1"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=process_env(runtime),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, process, log_path)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- tracking batches ---------------------------------------------------------------------------


def batch(n: int) -> dict[str, object]:
    return {
        "batch": [
            {
                "type": "track",
                "event": "Report Exported",
                "userId": f"u{n % 17}",
                "messageId": f"b{n}-m{i}",
                "timestamp": "2026-11-02T10:00:00Z",
                "properties": {"batch": n, "row": i},
            }
            for i in range(BATCH_SIZE)
        ]
    }


class Sender:
    """Clients that post numbered batches until told to stop; they note which got a 2xx."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        self.acked: set[int] = set()
        self.sent: set[int] = set()
        self.stop = threading.Event()
        self.ack = threading.Condition()
        self._next = 0
        self._lock = threading.Lock()

    def _take(self) -> int:
        with self._lock:
            self._next += 1
            return self._next

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, headers=self.auth, timeout=60) as client:
            while not self.stop.is_set():
                n = self._take()
                self.sent.add(n)
                try:
                    response = client.post("/api/v1/batch", json=batch(n))
                except httpx.TransportError:
                    continue  # the server is gone: this batch is unacknowledged
                if response.is_success:
                    with self.ack:
                        self.acked.add(n)
                        self.ack.notify_all()

    def wait_for_acks(self, count: int) -> None:
        with self.ack:
            assert self.ack.wait_for(lambda: len(self.acked) >= count, timeout=120)


def stored_message_ids(path: Path) -> list[str]:
    """Every message id in the store, read after the server is gone (one writer at a time)."""
    connection = duckdb.connect(str(path))
    try:
        return [row[0] for row in connection.execute("SELECT message_id FROM events").fetchall()]
    finally:
        connection.close()


def batches_in(ids: list[str]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for message_id in ids:
        n = int(message_id.split("-", 1)[0][1:])
        counts[n] = counts.get(n, 0) + 1
    return counts


def test_acknowledged_tracking_batches_survive_a_kill_exactly_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    with runtime.database.session() as session:
        _source, key = sources.create_source(session, Actor.command_line(), runtime.secrets, "web")
    seed = random.randrange(1_000_000)
    kill_after = random.Random(seed).randint(3, 30)  # acknowledgements before the kill
    log = tmp_path / "server.log"
    with server(runtime, log) as (base_url, process):
        sender = Sender(base_url, key)
        clients = [threading.Thread(target=sender.run) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        sender.wait_for_acks(kill_after)
        process.send_signal(signal.SIGKILL)
        process.wait()
        sender.stop.set()
        for client in clients:
            client.join()
    acked, sent = set(sender.acked), set(sender.sent)
    context = f"seed {seed}: {len(acked)} of {len(sent)} batches acknowledged\n{log.read_text()}"

    store = runtime.settings.effective_events_path
    ids = stored_message_ids(store)
    per_batch = batches_in(ids)
    assert len(ids) == len(set(ids)), context
    assert all(per_batch.get(n) == BATCH_SIZE for n in acked), context  # every one, once
    assert set(per_batch) <= sent and set(per_batch.values()) == {BATCH_SIZE}, context

    with server(runtime, log) as (base_url, _process):  # restarts on the store left behind
        again = Sender(base_url, key)
        with httpx.Client(base_url=base_url, headers=again.auth, timeout=60) as client:
            for n in sorted(sent):  # the unacknowledged ones, and the rest as duplicates
                response = client.post("/api/v1/batch", json=batch(n))
                assert response.status_code == 200, (response.text, context)
                expected_new = 0 if n in per_batch else BATCH_SIZE
                assert response.json()["stored"] == expected_new, context
    ids = stored_message_ids(store)
    assert len(ids) == len(set(ids)) == BATCH_SIZE * len(sent), context


# --- feedback import ----------------------------------------------------------------------------


def write_csv(path: Path) -> None:
    lines = ["external_id,text,author_email"]
    lines += [
        f"t{i},Exporting report {i} to PDF times out after a minute,c{i % 50}@acme.example"
        for i in range(IMPORT_ROWS)
    ]
    path.write_text("\n".join(lines) + "\n")


def writing(runtime: Runtime) -> bool:
    """True while another connection holds an open write transaction on the app database."""
    if runtime.database.is_sqlite:
        path = runtime.database.engine.url.database
        assert path is not None
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # "database is locked": a writer is mid-transaction
            return True
        finally:
            connection.close()
    with runtime.database.engine.connect() as connection:
        others = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
        )
        return bool(others.scalar())


def stored_feedback(runtime: Runtime) -> tuple[int, int, int]:
    """(items, item audit entries, import audit entries)."""
    with runtime.database.session() as session:
        items = session.scalar(select(func.count()).select_from(FeedbackItem)) or 0
        audits = dict(
            session.execute(
                select(Event.object_type, func.count())
                .where(Event.object_type.in_(["feedback_item", "feedback_import"]))
                .group_by(Event.object_type)
            ).all()
        )
    return int(items), int(audits.get("feedback_item", 0)), int(audits.get("feedback_import", 0))


def test_a_feedback_import_killed_mid_write_is_all_or_nothing_and_reruns(
    runtime: Runtime, tmp_path: Path
) -> None:
    export = tmp_path / "tickets.csv"
    write_csv(export)
    args = ["feedback", "import", str(export)]
    importing = subprocess.Popen(
        [sys.executable, "-m", "pilothouse", *args],
        env=process_env(runtime),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        while not writing(runtime):
            assert importing.poll() is None, importing.communicate()[0].decode()
            time.sleep(0.01)
        importing.send_signal(signal.SIGKILL)
    finally:
        output = importing.communicate(timeout=60)[0].decode()
    assert importing.returncode == -signal.SIGKILL, output

    after_kill = stored_feedback(runtime)
    assert after_kill in {(0, 0, 0), (IMPORT_ROWS, IMPORT_ROWS, 1)}, after_kill
    if runtime.database.is_sqlite:
        with runtime.database.engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    run_command(process_env(runtime), *args)  # the re-run (in this process) exits with 0
    items, item_audits, imports = stored_feedback(runtime)
    assert (items, item_audits) == (IMPORT_ROWS, IMPORT_ROWS)
    assert imports == after_kill[2] + 1  # the re-run is recorded too, and changed nothing twice
