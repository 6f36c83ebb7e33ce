"""Throughput of ``POST /api/v1/batch`` into the embedded store, over real HTTP.

Target (issue 3): at least 10,000 events per second on a 2-core machine. The
script starts ``pilothouse serve`` (one uvicorn process, SQLite app database,
DuckDB event store) in a fresh data folder, sends pre-encoded Segment batches of
500 track events from several client threads with keep-alive connections, then
stops the server and counts what was stored. It prints events per second and the
ratio to the 10,000/s target, plus DuckDB's own insert rate measured in the same
run as a ceiling.

    .venv/bin/python benchmarks/ingest_batch.py [--events 200000] [--threads 4]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import duckdb
import httpx

TARGET_PER_SECOND = 10_000
BATCH = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pilothouse(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pilothouse", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def make_bodies(total: int) -> list[bytes]:
    bodies = []
    for b in range(total // BATCH):
        batch = [
            {
                "type": "track",
                "event": "Report Exported",
                "userId": f"u{(b * BATCH + i) % 5000}",
                "messageId": str(uuid.uuid4()),
                "timestamp": "2026-11-20T12:00:00Z",
                "properties": {"format": "csv", "rows": i, "plan": "growth"},
            }
            for i in range(BATCH)
        ]
        bodies.append(json.dumps({"batch": batch}).encode())
    return bodies


def send_all(base_url: str, key: str, bodies: list[bytes], threads: int) -> float:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    chunks = [bodies[i::threads] for i in range(threads)]
    failures: list[str] = []

    def worker(chunk: list[bytes]) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            for body in chunk:
                response = client.post("/api/v1/batch", content=body)
                if response.status_code != 200:
                    failures.append(response.text[:200])

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    return elapsed


def duckdb_ceiling(folder: Path, total: int, *, bulk: bool = False) -> float:
    """Events per second DuckDB itself takes: same table, batches of 500, one commit each;
    with ``bulk``, every row in one INSERT and one commit (the limit of any ingestion)."""
    import pyarrow as pa

    if bulk:
        return _duckdb_bulk(folder, total)
    con = duckdb.connect(str(folder / "ceiling.duckdb"))
    con.execute(
        "CREATE TABLE e (message_id VARCHAR PRIMARY KEY, event VARCHAR, user_id VARCHAR,"
        " ts VARCHAR, properties JSON)"
    )
    batches = [
        pa.table(
            {
                "message_id": [str(uuid.uuid4()) for _ in range(BATCH)],
                "event": ["Report Exported"] * BATCH,
                "user_id": [f"u{i}" for i in range(BATCH)],
                "ts": ["2026-11-20 12:00:00"] * BATCH,
                "properties": ['{"format":"csv"}'] * BATCH,
            }
        )
        for _ in range(total // BATCH)
    ]
    started = time.perf_counter()
    for batch in batches:
        con.execute("BEGIN")
        con.register("b", batch)
        con.execute(
            "INSERT OR IGNORE INTO e SELECT message_id, event, user_id, ts, properties::JSON FROM b"
        ).fetchall()
        con.unregister("b")
        con.execute("COMMIT")
    return total / (time.perf_counter() - started)


def _duckdb_bulk(folder: Path, total: int) -> float:
    import pyarrow as pa

    con = duckdb.connect(str(folder / "bulk.duckdb"))
    con.execute(
        "CREATE TABLE e (message_id VARCHAR PRIMARY KEY, event VARCHAR, user_id VARCHAR,"
        " ts VARCHAR, properties JSON)"
    )
    rows = pa.table(
        {
            "message_id": [str(uuid.uuid4()) for _ in range(total)],
            "event": ["Report Exported"] * total,
            "user_id": [f"u{i % 5000}" for i in range(total)],
            "ts": ["2026-11-20 12:00:00"] * total,
            "properties": ['{"format":"csv"}'] * total,
        }
    )
    started = time.perf_counter()
    con.execute("BEGIN")
    con.register("b", rows)
    con.execute(
        "INSERT OR IGNORE INTO e SELECT message_id, event, user_id, ts, properties::JSON FROM b"
    ).fetchall()
    con.execute("COMMIT")
    return total / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (pilothouse serve --workers)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "PILOTHOUSE_HOME": str(folder / "home"),
            "PILOTHOUSE_LOG_LEVEL": "WARNING",
            "PILOTHOUSE_INGEST_MAX_REQUESTS_PER_MINUTE": "1000000",  # measure, not limit
        }
        pilothouse(env, "db", "upgrade")
        key = pilothouse(env, "sources", "create", "benchmark")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "pilothouse", "serve", "--port", str(port)]
            + ["--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base_url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            bodies = make_bodies(args.events)
            send_all(base_url, key, bodies[:10], args.threads)  # warm-up, not counted
            elapsed = send_all(base_url, key, bodies[10:], args.threads)
        finally:
            server.terminate()
            server.wait(timeout=30)
        sent = (len(bodies) - 10) * BATCH
        with duckdb.connect(str(folder / "home" / "events.duckdb"), read_only=True) as con:
            stored = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        rate = sent / elapsed
        ceiling = duckdb_ceiling(folder, 50_000)
        bulk = duckdb_ceiling(folder, sent, bulk=True)
        print(
            f"events sent over HTTP        {sent:,} in {elapsed:.2f} s "
            f"({args.threads} client threads, batches of {BATCH})"
        )
        print(f"events stored                {stored:,} (incl. {10 * BATCH:,} warm-up)")
        print(f"throughput                   {rate:,.0f} events/s")
        print(f"ratio to the 10,000/s target {rate / TARGET_PER_SECOND:.2f}x")
        print(f"DuckDB alone, 500-row commits {ceiling:,.0f} events/s (same run, for scale)")
        print(f"DuckDB alone, one bulk insert {bulk:,.0f} events/s (same rows: the limit)")
        print(f"HTTP / DuckDB bulk            {rate / bulk:.2f}x")
        if stored != sent + 10 * BATCH:
            raise SystemExit("stored count does not match what was sent")


if __name__ == "__main__":
    main()
