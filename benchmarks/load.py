"""Mixed read/write load on a served Pilothouse: latency per endpoint at a fixed arrival rate.

Issue 14.3: drive the API and the main pages at 200 requests per second for 60 s on the
2-core machine, with reads and writes mixed (feedback creation, tracking batches,
roadmap edits), on SQLite and on PostgreSQL: 0 errors, no "database is locked", p50,
p95 and p99 per endpoint; goal p99 < 50 ms for reads.

The script makes a fresh data folder, loads the demo workspace (so pages show real
amounts of data), starts ``pilothouse serve`` (one uvicorn process, as the README runs
it), signs in through the login form for the page requests (a browser's session
cookie, not a token) and uses an API token for the API. Requests leave on a fixed
schedule (open loop): each latency is measured from the moment the request was *due*,
not from when a free connection sent it, so a slow server cannot hide its queue
(no coordinated omission). The client runs in the same machine as the server and
takes some of its CPU; the figures are therefore pessimistic.

    .venv/bin/python benchmarks/load.py                       # SQLite
    .venv/bin/python benchmarks/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

``--database-url`` is an admin URL: a throwaway database is created on that server
and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from load_client import LeanClient

READ_GOAL_MS = 50.0
EMAIL = "load-benchmark@example.com"
PASSWORD = "load-benchmark-password-1"


@dataclass(frozen=True)
class Request:
    """One kind of request in the mix."""

    label: str
    weight: int
    write: bool
    build: Callable[[random.Random], tuple[str, str, dict]]  # -> method, path, httpx kwargs


@dataclass
class Targets:
    """Keys of demo objects the requests refer to."""

    items: list[str]
    experiments: list[str]
    launches: list[str]
    write_keys: list[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pilothouse(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pilothouse", *args],
        env=env,
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def tracking_batch(rng: random.Random) -> bytes:
    user = f"load-{rng.randrange(5000)}"
    batch = [
        {
            "type": "track",
            "event": "Report Exported",
            "userId": user,
            "messageId": str(uuid.uuid4()),
            "properties": {"format": rng.choice(["csv", "pdf"]), "rows": rng.randrange(900)},
        }
        for _ in range(20)
    ]
    return json.dumps({"batch": batch}).encode()


def request_mix(targets: Targets) -> list[Request]:
    """The mix: about 70% reads (API and pages), 30% writes."""

    def get(path: str | Callable[[random.Random], str]) -> Callable:
        return lambda rng: ("GET", path(rng) if callable(path) else path, {})

    def item(rng: random.Random) -> str:
        return rng.choice(targets.items)

    def feedback(rng: random.Random) -> tuple[str, str, dict]:
        text = f"Load test: the export to CSV times out on large reports ({rng.random():.6f})"
        return "POST", "/api/v1/feedback", {"json": {"text": text}}

    def edit_item(rng: random.Random) -> tuple[str, str, dict]:
        body = {"description": f"Edited under load at {time.time():.3f}"}
        return "PATCH", f"/api/v1/roadmap/items/{item(rng)}", {"json": body}

    def track(rng: random.Random) -> tuple[str, str, dict]:
        headers = {"Content-Type": "application/json", "X-Load-Write-Key": "1"}
        return "POST", "/api/v1/batch", {"content": tracking_batch(rng), "headers": headers}

    return [
        Request("GET /api/v1/roadmap/items", 8, False, get("/api/v1/roadmap/items")),
        Request(
            "GET /api/v1/roadmap/items/{key}",
            8,
            False,
            get(lambda r: f"/api/v1/roadmap/items/{item(r)}"),
        ),
        Request("GET /api/v1/feedback", 8, False, get("/api/v1/feedback?limit=50")),
        Request(
            "GET /api/v1/experiments/{key}",
            4,
            False,
            get(lambda r: f"/api/v1/experiments/{r.choice(targets.experiments)}"),
        ),
        Request("GET /api/v1/launches", 4, False, get("/api/v1/launches")),
        Request("GET /api/v1/metrics", 4, False, get("/api/v1/metrics")),
        Request("GET / (home page)", 6, False, get("/")),
        Request("GET /roadmap (page)", 6, False, get("/roadmap")),
        Request("GET /feedback (page)", 6, False, get("/feedback")),
        Request(
            "GET /roadmap/items/{key} (page)", 6, False, get(lambda r: f"/roadmap/items/{item(r)}")
        ),
        Request(
            "GET /launches/{key} (page)",
            5,
            False,
            get(lambda r: f"/launches/{r.choice(targets.launches)}"),
        ),
        Request("POST /api/v1/feedback", 10, True, feedback),
        Request("POST /api/v1/batch (20 events)", 13, True, track),
        Request("PATCH /api/v1/roadmap/items/{key}", 6, True, edit_item),
    ]


def server_env() -> dict[str, str]:
    """The environment of the server and commands: no access log line per request (the
    log is read for "database is locked" and tracebacks), no ingestion limit."""
    return {
        **os.environ,
        "PILOTHOUSE_LOG_LEVEL": "WARNING",
        "PILOTHOUSE_INGEST_MAX_REQUESTS_PER_MINUTE": "1000000",  # measure, not limit
    }


def prepare(folder: Path, admin_url: str | None) -> tuple[dict[str, str], str | None]:
    """A migrated data folder with the demo loaded; returns the environment and the db name."""
    env = {**server_env(), "PILOTHOUSE_HOME": str(folder / "home")}
    database = None
    if admin_url:
        database = create_database(admin_url)
        env["PILOTHOUSE_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{database}"
    pilothouse(env, "db", "upgrade")
    started = time.perf_counter()
    pilothouse(env, "demo", "load")
    print(f"demo loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    pilothouse(
        env, "user", "create", EMAIL, "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    return env, database


def create_database(admin_url: str, template: str | None = None) -> str:
    """A new, uniquely named database, empty or a copy of ``template`` (which nobody may
    be connected to); returns its name."""
    import sqlalchemy as sa

    database = f"pilothouse_load_{uuid.uuid4().hex[:8]}"
    copied = f' TEMPLATE "{template}"' if template else ""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"{copied}'))
    engine.dispose()
    return database


def fresh_copy(folder: Path, tmp: Path, admin_url: str | None) -> tuple[dict[str, str], str | None]:
    """The environment of a run on a copy of the prepared state kept in ``folder``.

    Every run writes (feedback, edits, tracked events); run on the kept folder itself,
    each run started with the previous runs' writes and cost more than the one before
    (on PostgreSQL 9.4 ms of CPU per request at the first run, 28 ms fifteen runs later).
    """
    shutil.copytree(folder / "home", tmp / "home")
    env = {**server_env(), "PILOTHOUSE_HOME": str(tmp / "home")}
    kept_url = folder / "database-url"
    if not kept_url.exists():
        return env, None
    if not admin_url:
        raise SystemExit(f"{folder} keeps a PostgreSQL database: pass --database-url ADMIN_URL")
    kept = kept_url.read_text().strip()
    database = create_database(admin_url, template=kept.rsplit("/", 1)[1])
    env["PILOTHOUSE_DATABASE_URL"] = kept.rsplit("/", 1)[0] + f"/{database}"
    return env, database


def drop_database(admin_url: str, database: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    engine.dispose()


def postgres_cpu_seconds(admin_url: str) -> dict[int, float]:
    """CPU seconds so far of each process of the PostgreSQL server, by pid, when that
    server runs on this machine (its pids readable in ``/proc``); empty otherwise.

    Its processes share the cores with the app, so they belong in the budget. A backend
    that exits during the run takes its time with it (the app's pools keep theirs).
    """
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url)
    with engine.connect() as connection:
        pids = [int(p) for (p,) in connection.execute(sa.text("SELECT pid FROM pg_stat_activity"))]
    engine.dispose()
    found = {pid: _proc_stat(pid) for pid in pids}  # None: another machine, or gone
    return {pid: stat[2] for pid, stat in found.items() if stat and stat[0] != "Z"}


def _proc_stat(pid: int) -> tuple[str, int, float] | None:
    """State, parent and CPU seconds (user + system, all threads) of a process, from
    ``/proc`` (Linux); None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return fields[0], int(fields[1]), seconds


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system, all threads) used so far by ``root`` and its descendants.

    Read from ``/proc`` (Linux). Unlike the served rate, this hardly moves with what
    else the machine runs, so CPU per served request compares runs of different hours.
    """
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        stat = _proc_stat(int(entry)) if entry.isdigit() else None
        if stat is not None:  # None: not a process, or gone meanwhile
            parents[int(entry)], times[int(entry)] = stat[1], stat[2]
    tree, grown = {root}, True
    while grown:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grown = bool(found)
    return sum(times.get(pid, 0.0) for pid in tree)


def sign_in(base_url: str) -> str:
    """Signs in through the login form; returns the session cookie as a ``Cookie`` header.

    The cookies go back by hand: on loopback the app marks them ``Secure`` (browsers
    accept that on localhost), which httpx's cookie jar would withhold over http.
    """
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token, "no login_csrf field on /login"
        sent = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        done = client.post(
            "/login",
            data={"email": EMAIL, "password": PASSWORD, "login_csrf": token.group(1)},
            headers={"Cookie": sent},
        )
        assert done.status_code == 303, f"sign-in failed: {done.status_code}"
        return "; ".join(f"{c.name}={c.value}" for c in done.cookies.jar)


def find_targets(base_url: str, token: str, write_keys: list[str]) -> Targets:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers) as client:
        items = [i["key"] for i in client.get("/api/v1/roadmap/items").json()["items"]]
        experiments = [e["key"] for e in client.get("/api/v1/experiments").json()["items"]]
        launches = [launch["key"] for launch in client.get("/api/v1/launches").json()["items"]]
    return Targets(items, experiments, launches, write_keys)


async def drive(
    base_url: str,
    mix: list[Request],
    rate: float,
    seconds: float,
    auth: dict,
    seed: int = 7,
    client: str = "lean",
) -> dict[str, list[tuple[float, int, str]]]:
    """Sends ``rate`` requests per second for ``seconds``; latencies from each due time."""
    rng = random.Random(seed)
    weights = [r.weight for r in mix]
    results: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    send = await (_lean_sender if client == "lean" else _httpx_sender)(base_url, auth)

    async def one(kind: Request, due: float) -> None:
        method, path, kwargs = kind.build(rng)
        headers = dict(kwargs.pop("headers", {}))
        use_api = path.startswith("/api/")
        if headers.pop("X-Load-Write-Key", None):
            key = rng.choice(auth["write_keys"])
            headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        elif use_api:
            headers["Authorization"] = f"Bearer {auth['token']}"
        else:
            headers["Cookie"] = auth["cookies"]
        body = kwargs.get("content", b"")
        if "json" in kwargs:
            body = json.dumps(kwargs["json"]).encode()
            headers["Content-Type"] = "application/json"
        try:
            status, text = await send(method, path, headers, body)
            error = text[:200] if status >= 400 else ""
        except Exception as exc:  # a transport failure counts as an error, status 0
            status, error = 0, repr(exc)
        results[kind.label].append(((time.perf_counter() - due) * 1000, status, error))

    start = time.perf_counter() + 0.2
    tasks = []
    total = int(rate * seconds)
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        kind = rng.choices(mix, weights)[0]
        tasks.append(asyncio.create_task(one(kind, due)))
    await asyncio.gather(*tasks)
    await send.close()  # type: ignore[attr-defined]
    return results


async def _lean_sender(base_url: str, _auth: dict) -> Callable:
    """The lean client (``load_client.py``): little CPU per request, keep-alive."""
    host, port = base_url.removeprefix("http://").split(":")
    lean = LeanClient(host, int(port))

    async def send(method: str, path: str, headers: dict, body: bytes) -> tuple[int, str]:
        request = lean.request(method, path, headers, body)
        status, payload = await asyncio.wait_for(request, timeout=30)  # as httpx's timeout
        return status, payload.decode("utf-8", "replace")

    send.close = lean.close  # type: ignore[attr-defined]
    return send


async def _httpx_sender(base_url: str, _auth: dict) -> Callable:
    """httpx's async client, as earlier runs used (3-4 ms of client CPU per request)."""
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    client = httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits)

    async def send(method: str, path: str, headers: dict, body: bytes) -> tuple[int, str]:
        response = await client.request(method, path, headers=headers, content=body or None)
        return response.status_code, response.text

    send.close = client.aclose  # type: ignore[attr-defined]
    return send


def report(results: dict[str, list[tuple[float, int, str]]], mix: list[Request]) -> bool:
    """Prints the per-endpoint table; returns whether there were no errors."""
    print(
        f"{'endpoint':44} {'n':>6} {'errors':>6} {'503':>5} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    reads: list[float] = []
    ok = True
    for kind in mix:
        rows = results.get(kind.label, [])
        if not rows:
            continue
        latency = np.array([r[0] for r in rows])
        errors = [r for r in rows if not 200 <= r[1] < 400]
        ok = ok and not errors
        p50, p95, p99 = np.percentile(latency, [50, 95, 99])
        shed = sum(1 for r in errors if r[1] == 503)  # load shedding: busy, retry later
        print(
            f"{kind.label:44} {len(rows):6d} {len(errors):6d} {shed:5d} "
            f"{p50:8.1f} {p95:8.1f} {p99:8.1f}"
        )
        others = [r for r in errors if r[1] != 503]  # anything but load shedding first
        for error in (others + [r for r in errors if r[1] == 503])[:3]:
            print(f"    {error[1]}: {error[2]}")
        if not kind.write:
            reads.extend(latency.tolist())
    all_reads = np.array(reads)
    p99 = float(np.percentile(all_reads, 99))
    print(
        f"{'all reads':44} {len(all_reads):6d} {'':6} {'':5} "
        f"{np.percentile(all_reads, 50):8.1f} {np.percentile(all_reads, 95):8.1f} {p99:8.1f}"
    )
    print(
        f"reads p99 / {READ_GOAL_MS:.0f} ms goal: {p99 / READ_GOAL_MS:.2f}x "
        f"({'met' if p99 < READ_GOAL_MS else 'NOT met'})"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database-url", help="PostgreSQL admin URL (default: SQLite)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="prepare this folder (and PostgreSQL database) once; each run uses a copy",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (pilothouse serve --workers)"
    )
    parser.add_argument(
        "--client",
        choices=("lean", "httpx"),
        default="lean",
        help="HTTP client of the load (lean: benchmarks/load_client.py, little CPU)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        if not (args.keep and (folder / "home").exists()):
            folder.mkdir(parents=True, exist_ok=True)
            env, database = prepare(folder, args.database_url)
            if args.keep and database:  # kept for later runs: drop it by hand
                (folder / "database-url").write_text(env["PILOTHOUSE_DATABASE_URL"])
        if args.keep:  # every run starts from the prepared state, not from the last run's
            env, database = fresh_copy(folder, Path(tmp), args.database_url)
        token = pilothouse(env, "token", "create", "--user", EMAIL, "--scope", "write")
        # Several sources, as a product with web, iOS, Android and backend has: one key
        # may make PILOTHOUSE_INGEST_MAX_REQUESTS_PER_MINUTE calls (20 a second).
        write_keys = [
            pilothouse(env, "sources", "create", f"load-{name}-{uuid.uuid4().hex[:6]}")
            for name in ("web", "ios", "android", "backend")
        ]
        port = free_port()
        log = (folder / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "pilothouse", "serve", "--port", str(port)]
            + ["--workers", str(args.workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base_url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            auth = {
                "cookies": sign_in(base_url),
                "token": token,
                "write_keys": write_keys,
            }
            mix = request_mix(find_targets(base_url, token, write_keys))
            warm_up = drive(base_url, mix, args.rate, 3, auth, seed=1, client=args.client)
            asyncio.run(warm_up)
            run = drive(base_url, mix, args.rate, args.seconds, auth, client=args.client)
            cpu_before, server_before = time.process_time(), tree_cpu_seconds(server.pid)
            postgres_before = postgres_cpu_seconds(args.database_url) if args.database_url else {}
            results = asyncio.run(run)
            client_cpu = time.process_time() - cpu_before
            server_cpu = tree_cpu_seconds(server.pid) - server_before
            postgres_after = postgres_cpu_seconds(args.database_url) if args.database_url else {}
            postgres_cpu = sum(t - postgres_before.get(p, 0.0) for p, t in postgres_after.items())
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("the server did not stop within 30 s of SIGTERM", file=sys.stderr)
                server.kill()
                server.wait()
            log.close()
            if database:
                drop_database(args.database_url, database)
        on_postgres = "postgresql" in env.get("PILOTHOUSE_DATABASE_URL", "")
        backend = "PostgreSQL" if on_postgres else "SQLite"
        processes = "one uvicorn process" if args.workers == 1 else f"{args.workers} processes"
        print(f"{backend}: {args.rate:.0f} requests/s for {args.seconds:.0f} s, {processes}")
        print(
            f"load client ({args.client}): {client_cpu:.1f} s of CPU "
            f"({client_cpu / args.seconds * 100:.0f}% of a core)"
        )
        served = sum(1 for rows in results.values() for r in rows if 200 <= r[1] < 400)
        print(
            f"server: {server_cpu:.1f} s of CPU, all processes "
            f"({server_cpu / args.seconds * 100:.0f}% of a core); "
            f"{server_cpu * 1000 / max(served, 1):.2f} ms per request served ({served})"
        )
        if postgres_after:
            print(
                f"PostgreSQL server: {postgres_cpu:.1f} s of CPU "
                f"({postgres_cpu / args.seconds * 100:.0f}% of a core); "
                f"{postgres_cpu * 1000 / max(served, 1):.2f} ms per request served"
            )
        ok = report(results, mix)
        server_log = (folder / "server.log").read_text(errors="replace")
        locked = server_log.count("database is locked")
        tracebacks = server_log.count("Traceback")
        print(f"'database is locked' in the server log: {locked}; tracebacks: {tracebacks}")
        if not ok or locked or tracebacks:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
