"""CPU cost per request of each endpoint in the load mix, measured in one process.

Issue 14.3: ``benchmarks/load.py`` measures latency under a fixed arrival rate, which
on a shared machine mixes our cost with everyone else's. This script measures what
one process spends: it builds the app in-process over a demo-loaded data folder (the
same set-up as ``load.py``), sends each kind of request of the load mix ``--calls``
times straight into the ASGI app (one event loop, the app's own thread pool, no HTTP
client in between) and divides the process's CPU time (``time.process_time``, all
threads) by the number of calls. CPU time does not grow
when other processes take the cores, so the figures compare across runs and machines
of the same speed. It also counts the SQL statements each request sends, which finds
N+1 queries without a profiler.

    .venv/bin/python benchmarks/request_cost.py                  # fresh temporary folder
    .venv/bin/python benchmarks/request_cost.py --keep /tmp/cost  # prepare once, run on copies
    .venv/bin/python benchmarks/request_cost.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/request_cost.py --keep /tmp/cost --profile "GET /launches/{key}"

The ``GET /healthz`` row is the harness's floor (routing and the middleware with no
database work); the other rows include it. Until 2026-12-07 the requests went through
Starlette's ``TestClient``, whose own thread hops and response handling added 5 ms or
more per call, growing with the response's size; figures in docs/benchmarks.md from
before then include that.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import json
import os
import pstats
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import EMAIL, PASSWORD, Request, Targets, pilothouse, prepare, request_mix  # noqa: E402


def sign_in(client: Any) -> str:
    """The session cookie from the login form, as a ``Cookie`` header (see load.py)."""
    page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token, "no login_csrf field on /login"
    sent = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
    done = client.post(
        "/login",
        data={"email": EMAIL, "password": PASSWORD, "login_csrf": token.group(1)},
        headers={"Cookie": sent},
        follow_redirects=False,
    )
    assert done.status_code == 303, f"sign-in failed: {done.status_code}"
    return "; ".join(f"{name}={value}" for name, value in done.cookies.items())


class Sender:
    """Sends one request of a kind the way ``load.py`` does (cookie, token or write key)."""

    def __init__(self, client: Any, cookie: str, token: str, write_keys: list[str]) -> None:
        self.client = client  # the test client, for setting up only
        self.asgi = AsgiCaller(client.app)
        self.cookie = cookie
        self.token = token
        self.write_keys = write_keys

    def headers(self, path: str, headers: dict[str, str], rng: random.Random) -> dict:
        """The credentials ``load.py`` sends: a write key, an API token or the cookie."""
        if headers.pop("X-Load-Write-Key", None):
            key = rng.choice(self.write_keys)
            headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        elif path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.token}"
        else:
            headers["Cookie"] = self.cookie
        return headers

    def send(self, kind: Request, rng: random.Random) -> int:
        method, path, kwargs = kind.build(rng)
        headers = self.headers(path, dict(kwargs.pop("headers", {})), rng)
        if "json" in kwargs:
            body = json.dumps(kwargs["json"]).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = kwargs.get("content", b"")
        return self.asgi.call(method, path, headers, body)


class AsgiCaller:
    """Sends a request straight into the ASGI app, as uvicorn would, on one event loop.

    No HTTP client sits between: the CPU time measured is the app's (its middleware,
    routing, thread-pool hops and work), not a client's.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def call(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        return self.loop.run_until_complete(self._call(method, path, headers, body))

    async def _call(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        route, _, query = path.partition("?")
        raw = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
        raw += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "https",
            "path": route,
            "raw_path": route.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 443),
            "state": {},
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        started: list[int] = []

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                started.append(int(message["status"]))

        await self.app(scope, receive, send)
        return started[0]


class StatementCounter:
    """Counts SQL statements sent through the app's engine."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def measure(sender: Sender, kind: Request, calls: int, counter: StatementCounter) -> tuple:
    """(ms CPU per call, ms wall per call, statements per call, statuses) after a warm-up."""
    rng = random.Random(11)
    for _ in range(calls):  # warm-up on the same requests: first-use imports and caches
        sender.send(kind, rng)
    rng = random.Random(11)
    statuses: set[int] = set()
    before_statements = counter.count
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        statuses.add(sender.send(kind, rng))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    statements = (counter.count - before_statements) / calls
    return cpu * 1000 / calls, wall * 1000 / calls, statements, statuses


def targets_of(sender: Sender, write_keys: list[str]) -> Targets:
    headers = {"Authorization": f"Bearer {sender.token}"}

    def keys(path: str) -> list[str]:
        return [row["key"] for row in sender.client.get(path, headers=headers).json()["items"]]

    return Targets(
        keys("/api/v1/roadmap/items"),
        keys("/api/v1/experiments"),
        keys("/api/v1/launches"),
        write_keys,
    )


def profile(sender: Sender, kind: Request, calls: int, top: int, dump: str | None = None) -> None:
    """cProfile of ``calls`` requests, with the app's thread hops run inline.

    cProfile sees only its own thread, and the app runs sync work in a thread pool;
    ``anyio.to_thread.run_sync`` is therefore replaced by a direct call for the duration.
    """
    import anyio.to_thread

    async def inline(func: Any, *args: Any, **_kwargs: Any) -> Any:
        return func(*args)

    original = anyio.to_thread.run_sync
    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    try:
        rng = random.Random(11)
        for _ in range(calls):  # warm-up on the same requests: imports, caches
            sender.send(kind, rng)
        rng.seed(11)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            sender.send(kind, rng)
        profiler.disable()
    finally:
        anyio.to_thread.run_sync = original
    if dump:  # for pstats' callers and callees, or snakeviz
        profiler.dump_stats(dump)
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def run(folder: Path, args: argparse.Namespace) -> None:
    os.environ["PILOTHOUSE_HOME"] = str(folder / "home")
    os.environ.setdefault("PILOTHOUSE_LOG_LEVEL", "WARNING")
    os.environ["PILOTHOUSE_INGEST_MAX_REQUESTS_PER_MINUTE"] = "1000000"
    env = dict(os.environ)
    token = pilothouse(env, "token", "create", "--user", EMAIL, "--scope", "write")
    write_keys = [
        pilothouse(env, "sources", "create", f"cost-{n}-{random.random():.6f}") for n in range(4)
    ]
    from fastapi.testclient import TestClient

    from pilothouse.web import heap
    from pilothouse.web.app import create_app
    from pilothouse.web.blas import use_one_blas_thread

    use_one_blas_thread()  # as `pilothouse serve` does (web/blas.py)
    # No lifespan: no job threads taking CPU meanwhile. The heap is settled by hand
    # below, and again after the warm-up marks, as a served process does (web/heap.py);
    # without that the first calls paid for full collections over the start-up heap.
    app = create_app(migrate=False, settle_heap=True)
    client = TestClient(app, base_url="https://testserver")
    sender = Sender(client, sign_in(client), token, write_keys)
    mix = request_mix(targets_of(sender, write_keys))
    heap.settle_heap()
    health = Request("GET /healthz (harness floor)", 0, False, lambda _r: ("GET", "/healthz", {}))
    chosen = [k for k in [health, *mix] if not args.only or args.only in k.label]
    if args.profile:
        kind = next(k for k in mix if args.profile in k.label)
        profile(sender, kind, args.calls, args.top, args.dump)
        return
    counter = StatementCounter(app.state.runtime.database.engine)
    print(
        f"{'endpoint':44} {'ms CPU':>8} {'ms wall':>8} {'SQL':>6}  status"
        f"   (per call, n={args.calls})"
    )
    weighted = total_weight = 0.0
    for kind in chosen:
        cpu, wall, statements, statuses = measure(sender, kind, args.calls, counter)
        codes = ",".join(str(s) for s in sorted(statuses))
        print(f"{kind.label:44} {cpu:8.1f} {wall:8.1f} {statements:6.1f}  {codes}")
        weighted += cpu * kind.weight
        total_weight += kind.weight
    if total_weight:
        mean = weighted / total_weight
        print(
            f"{'weighted mean of the mix':44} {mean:8.1f}   -> at most {1000 / mean:.0f} "
            "requests/s per process (one GIL)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="calls per endpoint")
    parser.add_argument(
        "--keep", type=Path, help="prepare this folder once; each run uses a copy (SQLite)"
    )
    parser.add_argument("--database-url", help="PostgreSQL admin URL (default: SQLite)")
    parser.add_argument("--only", help="only endpoints whose label contains this")
    parser.add_argument("--profile", help="cProfile this endpoint label instead")
    parser.add_argument("--top", type=int, default=30, help="rows of profile output")
    parser.add_argument("--dump", help="with --profile: also write the raw profile to this file")
    args = parser.parse_args()
    if args.dump and not args.profile:
        parser.error("--dump needs --profile (the profile of one endpoint)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.database_url else args.keep or Path(tmp)
        database = None
        if not (folder / "home").exists():
            folder.mkdir(parents=True, exist_ok=True)
            env, database = prepare(folder, args.database_url)
            if database:  # a throwaway database on that server, as load.py makes
                os.environ["PILOTHOUSE_DATABASE_URL"] = env["PILOTHOUSE_DATABASE_URL"]
        if folder != Path(tmp):  # kept: run on a copy, so that no run sees another's writes
            shutil.copytree(folder / "home", Path(tmp) / "home")
            folder = Path(tmp)
        try:
            run(folder, args)
        finally:
            if database:
                from load import drop_database

                drop_database(args.database_url, database)


if __name__ == "__main__":
    main()
