"""``pilothouse serve --workers 2`` running requests inline (issue 14.3) serves a
concurrent mix of reads and writes over real HTTP on both app databases.

``serve`` tells its workers how many there are, which is what makes ``auto`` run
them inline (:mod:`pilothouse.web.inline`), on asyncio's event loop
(:func:`pilothouse.cli.admin.event_loop`). Nothing here measures time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.core.test_crash_safety_workers import (
    WORKERS,
    runs_uvloop,
    served_by_workers,
    worker_pids,
)
from tests.support import served_app
from tests.support.accounts import Accounts

CLIENTS = 4
ROUNDS = 6


def test_several_inline_workers_serve_concurrent_reads_and_writes(
    runtime: Runtime, tmp_path: Path
) -> None:
    accounts = Accounts(runtime)
    headers = accounts.bearer(accounts.person(Role.editor))
    log = tmp_path / "server.log"
    failures: list[str] = []
    with served_by_workers(runtime, log) as (base_url, parent):
        for pid in worker_pids(parent):  # what makes "auto" inline
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert f"PILOTHOUSE_WORKERS={WORKERS}".encode() in environ, pid
            assert not runs_uvloop(pid), pid  # asyncio's loop: see cli.admin.event_loop

        def client(n: int) -> None:
            with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
                for r in range(ROUNDS):
                    text = f"Client {n}, round {r}: the CSV export times out"
                    for answer in (
                        http.post("/api/v1/feedback", json={"text": text}),
                        http.get("/api/v1/feedback?limit=5"),
                        http.get("/api/v1/roadmap/items"),
                        http.get("/api/v1/metrics"),
                    ):
                        if answer.status_code not in (200, 201):
                            failures.append(f"{answer.request.url}: {answer.status_code}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            stored = http.get("/api/v1/feedback?limit=200").json()["items"]
    assert failures == [], failures
    assert len(stored) == CLIENTS * ROUNDS
    assert len({item["text"] for item in stored}) == CLIENTS * ROUNDS
    server_log = log.read_text()
    assert "Traceback" not in server_log and "database is locked" not in server_log, server_log


def test_workers_1_keeps_threads_whatever_the_environment_says(runtime: Runtime) -> None:
    """``--workers 1`` beside ``PILOTHOUSE_WORKERS=4`` (a default for the option): one
    process, so ``auto`` keeps the thread pool and uvicorn's own loop."""
    home, url = runtime.settings.home, runtime.settings.effective_database_url
    four = {"PILOTHOUSE_WORKERS": "4"}
    with served_app.serve(home, url, four, ("--workers", "1")) as server:
        assert runs_uvloop(server.pid)
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
