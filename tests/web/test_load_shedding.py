"""Load shedding (issue 14.3): a saturated server answers 503 + Retry-After quickly.

Two ways a request can find the server saturated: every request slot taken (the
middleware's own limit), or every database connection taken (the pool). Both must
answer at once, or after the configured bound, instead of after the 30 s pool
timeout that clients saw under ``benchmarks/load.py`` before.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pilothouse.core.db import Database, PoolLimits
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.web.app import create_app
from pilothouse.web.shedding import LoadShedding
from tests.conftest import test_settings as settings_for_tests
from tests.support.accounts import Accounts

#: Generous: the configured bounds are well under a second; the old failure took 30 s.
WELL_UNDER_POOL_TIMEOUT = 10.0


def run_in_own_loop(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run ``scenario`` on a new event loop in its own thread: a Chromium test earlier in
    the same worker leaves Playwright's loop running in this one, where ``asyncio.run``
    refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def blocking_app(limit: int, queue_seconds: float) -> tuple[LoadShedding, asyncio.Event]:
    """An app whose requests wait for ``release``, behind the load-shedding middleware."""
    release = asyncio.Event()

    async def slow(_request: Request) -> PlainTextResponse:
        await release.wait()
        return PlainTextResponse("done")

    routes = [Route("/api/v1/slow", slow), Route("/page", slow), Route("/static/x.css", slow)]
    app = LoadShedding(Starlette(routes=routes), max_concurrent=limit, queue_seconds=queue_seconds)
    return app, release


async def _saturated_then_free() -> None:
    app, release = blocking_app(limit=1, queue_seconds=0.2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        first = asyncio.create_task(client.get("/api/v1/slow"))
        await asyncio.sleep(0.05)  # the first request holds the one slot
        started = time.monotonic()
        refused = await client.get("/api/v1/slow")
        assert time.monotonic() - started < WELL_UNDER_POOL_TIMEOUT
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:pilothouse:problem:overloaded"
        page = await client.get("/page")
        assert page.status_code == 503 and page.headers["retry-after"] == "1"
        assert "busy" in page.text
        release.set()
        assert (await first).status_code == 200
        assert (await client.get("/api/v1/slow")).status_code == 200  # the slot is back


def test_a_request_beyond_the_limit_gets_503_with_retry_after() -> None:
    run_in_own_loop(_saturated_then_free)


async def _queued_within_bound() -> None:
    app, release = blocking_app(limit=1, queue_seconds=5.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        first = asyncio.create_task(client.get("/api/v1/slow"))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(client.get("/api/v1/slow"))  # waits for the slot
        await asyncio.sleep(0.05)
        assert not second.done()
        release.set()
        assert (await first).status_code == 200
        assert (await second).status_code == 200


def test_a_request_that_finds_a_slot_within_the_wait_is_served() -> None:
    run_in_own_loop(_queued_within_bound)


async def _static_exempt() -> None:
    app, release = blocking_app(limit=1, queue_seconds=0.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        first = asyncio.create_task(client.get("/api/v1/slow"))
        await asyncio.sleep(0.05)
        asset = asyncio.create_task(client.get("/static/x.css"))  # not counted, not refused
        await asyncio.sleep(0.05)
        assert (await client.get("/api/v1/slow")).status_code == 503  # no wait at all
        release.set()
        assert (await first).status_code == 200
        assert (await asset).status_code == 200


def test_static_assets_bypass_the_limit_and_a_zero_wait_refuses_at_once() -> None:
    run_in_own_loop(_static_exempt)


def test_an_exhausted_database_pool_answers_503_not_a_30_second_hang(
    runtime: Runtime, accounts: Accounts
) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    # Two connections: a token request reads in one and notes the token's use beside it.
    tiny = Database(runtime.database.url, pool=PoolLimits(size=2, max_overflow=0, timeout=0.5))
    app = create_app(runtime=Runtime(settings=runtime.settings, database=tiny), migrate=False)
    client = TestClient(app)  # no lifespan: no job threads taking connections
    try:
        held = [tiny.engine.connect(), tiny.engine.connect()]  # all the pool has
        try:
            for path, media in [
                ("/api/v1/roadmap/items", "application/problem+json"),
                ("/roadmap", "text/html; charset=utf-8"),
            ]:
                started = time.monotonic()
                response = client.get(path, headers=headers)
                assert time.monotonic() - started < WELL_UNDER_POOL_TIMEOUT
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == "1"  # the default 0.5 s wait, rounded up
                assert response.headers["content-type"] == media
        finally:
            for connection in held:
                connection.close()
        assert client.get("/api/v1/roadmap/items", headers=headers).status_code == 200
    finally:
        tiny.dispose()


def test_a_sqlite_write_that_waits_past_the_busy_timeout_answers_503_and_writes_nothing(
    database_factory: Any, tmp_path: Path
) -> None:
    """Several server processes share one SQLite file: a writer that cannot get the
    write lock within the busy timeout is refused with 503 (retry), not a 500, and its
    transaction leaves nothing behind. SQLite only: PostgreSQL has row locks, not one
    write lock per file."""
    settings = settings_for_tests(tmp_path / "home", database_factory.migrated_url("sqlite"))
    runtime = Runtime(settings=settings, database=Database(settings.effective_database_url))
    accounts = Accounts(runtime)
    headers = accounts.bearer(accounts.person(Role.editor))
    impatient = Database(runtime.database.url, sqlite_busy_timeout_s=0.3)
    app = create_app(runtime=Runtime(settings=runtime.settings, database=impatient), migrate=False)
    client = TestClient(app)
    body = {"title": "Written while another process held the lock"}
    try:
        other_process = sqlite3.connect(runtime.database.engine.url.database, isolation_level=None)
        try:
            other_process.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
            started = time.monotonic()
            refused = client.post("/api/v1/roadmap/items", json=body, headers=headers)
            assert time.monotonic() - started < WELL_UNDER_POOL_TIMEOUT
            other_process.execute("ROLLBACK")
        finally:
            other_process.close()
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["type"] == "urn:pilothouse:problem:overloaded"
        titles = [
            i["title"] for i in client.get("/api/v1/roadmap/items", headers=headers).json()["items"]
        ]
        assert body["title"] not in titles
        assert client.post("/api/v1/roadmap/items", json=body, headers=headers).status_code == 201
    finally:
        impatient.dispose()
        runtime.close()
