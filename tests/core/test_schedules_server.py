"""``pilothouse schedules run NAME --now`` while a server runs hands the job to it.

A running server keeps the embedded event store (DuckDB, one process at a time) open,
so a job run in the CLI's own process could not read one metric: the daily anomaly
check would report every certified metric as failed (and a weekly review would be
published with none). A real ``pilothouse serve`` process holds the store here; the
command queues the job for the server's job threads through the shared queue, waits,
and prints the outcome. SQLite only: this is about processes, not the app database.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.errors import Conflict
from pilothouse.core.jobs import get_job
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.metrics.segment import TrackedEvent
from tests.support.accounts import Accounts
from tests.support.served_app import free_port

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
CATALOG = """
metrics:
  - {name: signups, description: Sign-ups., owner: pm@example.com, product_area: growth,
     type: count, event: Signed Up, certified: true}
"""


def _env(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    assert settings.secret_key is not None
    return {
        "PILOTHOUSE_HOME": str(settings.home),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "PILOTHOUSE_SECRET_KEY": settings.secret_key.get_secret_value(),
        "PILOTHOUSE_LOG_LEVEL": "WARNING",
    }


def _metric_with_events(runtime: Runtime) -> None:
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "signups.yaml").write_text(CATALOG)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    events = [
        TrackedEvent(f"s{i}", "Signed Up", f"u{i}", None, None, start + dt.timedelta(hours=i), {})
        for i in range(200)
    ]
    runtime.event_store.write(events=events, received_at=dt.datetime.now(dt.UTC))
    runtime.event_store.close()  # the server opens it next
    del runtime.__dict__["event_store"]


@pytest.fixture
def server(runtime: Runtime, accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real server process that has opened the event store; yields its base URL."""
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    _metric_with_events(runtime)
    token = accounts.bearer(accounts.person(Role.admin))
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "pilothouse", "serve", "--port", str(port)],
        env={**clean, **_env(runtime)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "no server"
            time.sleep(0.2)
        series = httpx.get(f"{base}/api/v1/metrics/signups/series", headers=token, timeout=30)
        assert series.status_code == 200, series.text  # the server has the store open now
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.usefixtures("server")
def test_a_schedule_run_by_hand_is_run_by_the_server_that_holds_the_event_store(
    runtime: Runtime,
) -> None:
    with pytest.raises(Conflict):  # as the command finds it: the store is the server's
        Runtime(settings=runtime.settings, database=runtime.database).event_store  # noqa: B018

    result = CliRunner().invoke(
        cli_app, ["schedules", "run", "metrics.anomaly_check", "--now"], env=_env(runtime)
    )

    assert result.exit_code == 0, (result.output, result.exception)
    found = re.search(r"job (\d+) succeeded: .* \(run by the server\)", result.stdout)
    assert found, result.output
    job = get_job(runtime, int(found.group(1)))
    assert job.result["checked"] == 1 and job.result["failed"] == [], job.result
