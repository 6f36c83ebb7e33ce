"""Several server processes (``pilothouse serve --workers 2``), one event-store owner.

Tracking batches reach both workers; each worker hands its events to the serving
process, which owns the DuckDB file. One worker is killed with SIGKILL in the middle
of the stream; uvicorn starts a new one. Every batch that got a 2xx answer is stored
exactly once, and a batch sent again (a client's retry) is not stored twice. Runs on
SQLite and PostgreSQL app databases; nothing here measures time.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.restore import restore_backup
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import sources
from tests.core.test_crash_safety import (
    BATCH_SIZE,
    Sender,
    batch,
    batches_in,
    process_env,
    stored_message_ids,
)
from tests.support.served_app import _wait_healthy, free_port

WORKERS = 2
CLIENTS = 4


@contextmanager
def served_by_workers(
    runtime: Runtime, log_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """``pilothouse serve --workers 2``; stopped with SIGTERM (a clean shutdown) on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "pilothouse", "serve", "--host", "127.0.0.1"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", str(WORKERS)],
            env={**process_env(runtime), **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, process, log_path)
        wait_for_workers(process.pid, WORKERS)
        yield base_url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"serve did not stop on SIGTERM\n{log_path.read_text()}") from None


def runs_uvloop(pid: int) -> bool:
    """Whether the process has uvloop's extension loaded (uvicorn imports it only to run it)."""
    return "uvloop" in Path(f"/proc/{pid}/maps").read_text()


def worker_pids(parent: int) -> list[int]:
    """The server processes uvicorn started (children running the spawned app)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == parent and b"spawn_main" in command and state not in "ZX":
            found.append(int(entry.name))
    return sorted(found)


def wait_for_workers(parent: int, count: int, gone: int | None = None) -> list[int]:
    """The workers once there are ``count`` of them and ``gone`` (a killed one) is not
    among them: SIGKILL is delivered after ``os.kill`` returns, so right after it the
    victim can still be listed (this test once read the old pair back that way)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = worker_pids(parent)
        if len(pids) >= count and gone not in pids:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"{count} workers did not start: {worker_pids(parent)}")


def test_batches_through_several_workers_survive_a_worker_kill_exactly_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    with runtime.database.session() as session:
        _source, key = sources.create_source(session, Actor.command_line(), runtime.secrets, "web")
    seed = random.randrange(1_000_000)
    kill_after = random.Random(seed).randint(5, 30)
    log = tmp_path / "server.log"
    with served_by_workers(runtime, log) as (base_url, parent):
        victims = worker_pids(parent)
        inline = runtime.settings.model_copy(update={"workers": WORKERS}).inline_requests
        assert [runs_uvloop(pid) for pid in victims] == [not inline] * WORKERS  # event_loop
        sender = Sender(base_url, key)
        clients = [threading.Thread(target=sender.run) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        sender.wait_for_acks(kill_after)
        os.kill(victims[0], signal.SIGKILL)
        replaced = wait_for_workers(parent, WORKERS, gone=victims[0])
        sender.wait_for_acks(kill_after + 20)  # the other worker and the new one go on
        sender.stop.set()
        for client in clients:
            client.join()
        context = f"seed {seed}: workers {victims} -> {replaced}\n{log.read_text()}"
        assert victims[0] not in replaced, context
        acked, sent = set(sender.acked), set(sender.sent)
        with httpx.Client(base_url=base_url, headers=sender.auth, timeout=60) as client:
            for n in sorted(acked)[:5]:  # a client's retry of acknowledged batches
                response = client.post("/api/v1/batch", json=batch(n))
                assert response.status_code == 200 and response.json()["stored"] == 0, context
    ids = stored_message_ids(runtime.settings.effective_events_path)  # after a clean stop
    per_batch = batches_in(ids)
    assert len(ids) == len(set(ids)), context
    assert all(per_batch.get(n) == BATCH_SIZE for n in acked), context
    assert set(per_batch) <= sent and set(per_batch.values()) == {BATCH_SIZE}, context
    assert "Traceback" not in log.read_text(), context


def test_reload_and_several_workers_are_refused_with_the_option_named(runtime: Runtime) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pilothouse", "serve", "--workers", "2", "--reload"],
        env=process_env(runtime),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "--workers" in result.stderr and "--reload" in result.stderr


def test_a_worker_makes_a_backup_whose_events_the_owner_exported(
    runtime: Runtime, database_factory: Any, tmp_path: Path
) -> None:
    """``pilothouse backup --server`` reaches a worker, which cannot open the DuckDB file;
    the owner writes the export, and the archive restores with every event."""
    from tests.core.test_backup import _fresh
    from tests.support.accounts import Accounts

    with runtime.database.session() as session:
        _source, key = sources.create_source(session, Actor.command_line(), runtime.secrets, "web")
    admin = tmp_path / "admin-token"
    accounts = Accounts(runtime)
    admin.write_text(accounts.token(accounts.person(Role.admin)))
    threads = {"PILOTHOUSE_REQUEST_EXECUTION": "threads"}  # the other way to run requests
    with served_by_workers(runtime, tmp_path / "server.log", threads) as (base_url, parent):
        assert all(runs_uvloop(pid) for pid in worker_pids(parent))  # uvicorn's own choice
        sender = Sender(base_url, key)
        with httpx.Client(base_url=base_url, headers=sender.auth, timeout=60) as client:
            for n in range(4):
                assert client.post("/api/v1/batch", json=batch(n)).status_code == 200
        env = {"PILOTHOUSE_HOME": str(runtime.settings.home)}
        remote = ["backup", str(tmp_path / "b.tar"), "--server", base_url, "--token-file"]
        done = CliRunner().invoke(cli_app, [*remote, str(admin)], env=env)
        assert done.exit_code == 0, done.output
    target = _fresh(database_factory, tmp_path / "target")
    summary = restore_backup(target, tmp_path / "b.tar")
    assert summary.event_store == {"events": 4 * BATCH_SIZE, "users": 0, "accounts": 0}
    target.close()
