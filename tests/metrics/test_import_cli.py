"""``pilothouse sources`` and ``pilothouse events import`` as a user runs them."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DatabaseFactory


@pytest.fixture
def cli_env(tmp_path: Path, backend: str, database_factory: DatabaseFactory) -> dict[str, str]:
    """A data folder and a migrated database (a copy: the migrations are not under test)."""
    return {
        **os.environ,
        "PILOTHOUSE_HOME": str(tmp_path / "home"),
        "PILOTHOUSE_DATABASE_URL": database_factory.migrated_url(backend),
    }


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pilothouse", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"pilothouse {' '.join(args)} failed:\n{result.stderr}")
    return result


def event_count(env: dict[str, str]) -> int:
    path = Path(env["PILOTHOUSE_HOME"]) / "events.duckdb"
    if not path.exists():
        return 0
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["action", "uid", "ts", "plan"])
        for i in range(rows):
            writer.writerow(
                [
                    "Report Viewed",
                    f"u{i % 997}",
                    f"2026-10-{1 + i % 28:02d}T12:00:00Z",
                    "pro" if i % 3 else "free",
                ]
            )


def test_sources_create_prints_only_the_key(cli_env: dict[str, str]) -> None:
    created = run(cli_env, "sources", "create", "iOS app")
    assert created.stdout.count("\n") == 1 and created.stdout.startswith("phw_")
    listed = run(cli_env, "sources", "list", "--format", "csv").stdout
    assert "iOS app" in listed and created.stdout.strip() not in listed
    duplicate = run(cli_env, "sources", "create", "iOS app", check=False)
    assert duplicate.returncode != 0 and "exists already" in duplicate.stderr
    assert "Traceback" not in duplicate.stderr


def test_import_names_bad_rows_and_stores_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "action,uid,ts\nSigned Up,u1,2026-11-01T10:00:00Z\n"
        "Signed Up,,2026-11-01T10:00:00Z\nSigned Up,u2,last tuesday\n"
    )
    result = run(
        cli_env,
        "events",
        "import",
        str(path),
        "--map",
        "event=action",
        "--map",
        "user_id=uid",
        "--map",
        "timestamp=ts",
        check=False,
    )
    assert result.returncode == 1
    assert "row 3, column 'uid'" in result.stderr
    assert "row 4, column 'ts'" in result.stderr and "ISO-8601" in result.stderr
    assert event_count(cli_env) == 0


def test_import_is_idempotent_and_reads_jsonl_and_parquet(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.csv"
    write_csv(path, 100)
    mapping = ["--map", "event=action", "--map", "user_id=uid", "--map", "timestamp=ts"]
    assert "imported 100 new" in run(cli_env, "events", "import", str(path), *mapping).stderr
    assert "imported 0 new" in run(cli_env, "events", "import", str(path), *mapping).stderr
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text('{"event": "Signed Up", "user_id": "z1", "properties": {"plan": "pro"}}\n')
    run(cli_env, "events", "import", str(jsonl))
    table = pa.table({"event": ["Paid"], "user_id": ["z1"], "amount_cents": [1999]})
    pq.write_table(table, tmp_path / "pay.parquet")
    run(cli_env, "events", "import", str(tmp_path / "pay.parquet"))
    assert event_count(cli_env) == 102


@pytest.mark.slow
def test_killed_import_leaves_nothing_and_can_be_rerun(
    tmp_path: Path, database_factory: DatabaseFactory
) -> None:
    # The event store is DuckDB whatever the app database is: one backend is enough.
    cli_env = {
        **os.environ,
        "PILOTHOUSE_HOME": str(tmp_path / "home"),
        "PILOTHOUSE_DATABASE_URL": database_factory.migrated_url("sqlite"),
    }
    path = tmp_path / "big.csv"
    rows = 150_000
    write_csv(path, rows)
    mapping = ["--map", "event=action", "--map", "user_id=uid", "--map", "timestamp=ts"]
    store = Path(cli_env["PILOTHOUSE_HOME"]) / "events.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-m", "pilothouse", "events", "import", str(path), *mapping],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        wal = store.with_name(store.name + ".wal")
        if store.exists() and (
            wal.exists() and wal.stat().st_size > 0 or store.stat().st_size > 2_000_000
        ):
            break  # the store is being written: the insert has started
        time.sleep(0.005)
    assert process.poll() is None, "the import finished before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert event_count(cli_env) == 0
    run(cli_env, "events", "import", str(path), *mapping)
    assert event_count(cli_env) == rows
