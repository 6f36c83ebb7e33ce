"""Inline request execution (issue 14.3): handlers run on the event loop, one after another.

A multi-process server runs every request's thread-pool work in place
(:mod:`pilothouse.web.inline`): no request is time-sliced against its neighbours
under the interpreter lock. These tests check where the work runs, that everything
outside a request keeps the thread pool, that a request's writes and refusals behave
as in a thread, and that load shedding still answers 503 once a process is busy
past its bound.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pilothouse.cli.admin import event_loop
from pilothouse.core.config import Settings
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.web import inline
from pilothouse.web.app import create_app
from pilothouse.web.shedding import LoadShedding
from tests.support.accounts import Accounts, sign_in
from tests.web.test_load_shedding import run_in_own_loop


class LoopThread:
    """ASGI middleware for the test: the thread each request's event loop runs on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.idents: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.idents.append(threading.get_ident())
        await self.app(scope, receive, send)


@pytest.fixture
def statement_threads(runtime: Runtime) -> Iterator[list[int]]:
    """The thread that sent each SQL statement, in order."""
    threads: list[int] = []

    def note(*_args: Any) -> None:
        threads.append(threading.get_ident())

    engine = runtime.database.engine
    event.listen(engine, "before_cursor_execute", note)
    yield threads
    event.remove(engine, "before_cursor_execute", note)


def _app(runtime: Runtime, execution: str) -> tuple[TestClient, LoopThread]:
    settings = runtime.settings.model_copy(update={"request_execution": execution})
    app = create_app(runtime=Runtime(settings=settings, database=runtime.database), migrate=False)
    probe = LoopThread(app)
    return TestClient(probe), probe


POSTGRES = "postgresql+psycopg://pilothouse@127.0.0.1:5432/pilothouse"


@pytest.mark.parametrize(
    ("execution", "workers", "database_url", "expected"),
    [
        ("auto", 1, None, False),
        ("auto", 4, None, True),
        ("auto", 4, POSTGRES, True),
        ("threads", 4, None, False),
        ("inline", 1, None, True),
        ("inline", 4, POSTGRES, True),
    ],
)
def test_auto_runs_inline_only_with_several_processes(
    execution: str, workers: int, database_url: str | None, expected: bool, tmp_path: Any
) -> None:
    settings = Settings(
        home=tmp_path, request_execution=execution, workers=workers, database_url=database_url
    )
    assert settings.inline_requests is expected


@pytest.mark.parametrize(
    ("execution", "workers", "loop"),
    [("inline", 1, "asyncio"), ("auto", 4, "asyncio"), ("threads", 4, "auto"), ("auto", 1, "auto")],
)
def test_inline_processes_run_on_asyncios_loop_which_accepts_every_waiting_connection(
    execution: str, workers: int, loop: str, tmp_path: Any
) -> None:
    """uvloop accepts one connection per turn of the loop; an inline turn can last a
    second under load (``pilothouse.cli.admin.event_loop``)."""
    settings = Settings(home=tmp_path, request_execution=execution, workers=workers)
    assert event_loop(settings) == loop


def test_inline_requests_send_every_statement_from_the_event_loop(
    runtime: Runtime, accounts: Accounts, statement_threads: list[int]
) -> None:
    client, probe = _app(runtime, "inline")
    headers = accounts.bearer(accounts.person(Role.editor))
    for method, path, body in (
        ("GET", "/api/v1/roadmap/items", None),
        ("POST", "/api/v1/feedback", {"text": "Inline: the export button does nothing"}),
        ("GET", "/api/v1/feedback?limit=5", None),
    ):
        statement_threads.clear()
        answer = client.request(method, path, headers=headers, json=body)
        assert answer.status_code in (200, 201), answer.text
        assert statement_threads, path
        assert set(statement_threads) == {probe.idents[-1]}, path


def test_inline_pages_and_the_sign_in_form_run_on_the_event_loop(
    runtime: Runtime, accounts: Accounts, statement_threads: list[int]
) -> None:
    client, probe = _app(runtime, "inline")
    person = accounts.person(Role.editor)
    statement_threads.clear()
    sign_in(client, person)  # a form POST that writes a session
    assert statement_threads
    assert set(statement_threads) <= set(probe.idents)
    for path in ("/", "/roadmap", "/feedback"):
        statement_threads.clear()
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert set(statement_threads) == {probe.idents[-1]}, path


def test_threaded_requests_send_their_statements_from_the_pool(
    runtime: Runtime, accounts: Accounts, statement_threads: list[int]
) -> None:
    """The same requests with ``threads``: the loop's thread sends none of them."""
    client, probe = _app(runtime, "threads")
    headers = accounts.bearer(accounts.person(Role.editor))
    answer = client.get("/api/v1/roadmap/items", headers=headers)
    assert answer.status_code == 200, answer.text
    assert statement_threads
    assert probe.idents[-1] not in set(statement_threads)


def test_a_refused_inline_write_rolls_back_and_stores_nothing(
    runtime: Runtime, accounts: Accounts
) -> None:
    client, _ = _app(runtime, "inline")
    headers = accounts.bearer(accounts.person(Role.editor))
    before = client.get("/api/v1/feedback", headers=headers).json()["items"]
    refused = client.post("/api/v1/feedback", headers=headers, json={"text": "  "})
    assert refused.status_code == 422, refused.text
    missing = client.patch("/api/v1/roadmap/items/NOPE-404", headers=headers, json={})
    assert missing.status_code == 404, missing.text
    assert client.get("/api/v1/feedback", headers=headers).json()["items"] == before


def test_work_outside_a_request_keeps_the_thread_pool() -> None:
    inline.install()
    loop_thread: list[int] = []

    async def scenario() -> None:
        loop_thread.append(threading.get_ident())
        elsewhere = await anyio.to_thread.run_sync(threading.get_ident)
        assert elsewhere != loop_thread[0]

    run_in_own_loop(scenario)


def test_inline_work_runs_in_a_copy_of_the_requests_context() -> None:
    """As in anyio's worker thread: a variable set by the work does not leak back."""
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="request")
    seen: list[str] = []

    def work() -> str:
        seen.append(marker.get())
        marker.set("work")
        return "done"

    async def handler(_request: Request) -> PlainTextResponse:
        done = await anyio.to_thread.run_sync(work)
        seen.append(marker.get())
        return PlainTextResponse(done)

    app = inline.InlineRequests(Starlette(routes=[Route("/", handler)]))
    answer = TestClient(app).get("/")
    assert answer.text == "done"
    assert seen == ["request", "request"]


async def _call(app: ASGIApp, path: str) -> tuple[int, dict[str, str], bytes]:
    """One GET straight into the ASGI app (as uvicorn calls it), with nothing in between."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0].get("headers", [])}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def _blocking_app(queue_seconds: float, block_seconds: float) -> ASGIApp:
    def block() -> str:
        time.sleep(block_seconds)
        return "slow"

    async def slow(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(await anyio.to_thread.run_sync(block))

    async def quick(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(await anyio.to_thread.run_sync(lambda: "quick"))

    routes = [Route("/api/v1/slow", slow), Route("/api/v1/quick", quick)]
    shedding = LoadShedding(
        Starlette(routes=routes), max_concurrent=8, queue_seconds=queue_seconds, inline=True
    )
    return inline.InlineRequests(shedding)


async def _busy_process_sheds() -> None:
    """Requests read together with one that blocks for 0.3 s (as uvicorn reads several
    at once and starts a task for each) waited past the 0.2 s bound: 503. A request
    read once the process is free again is served."""
    inline.stamp_tasks(asyncio.get_running_loop())
    app = _blocking_app(queue_seconds=0.2, block_seconds=0.3)
    slow, *queued = await asyncio.gather(
        _call(app, "/api/v1/slow"), _call(app, "/api/v1/quick"), _call(app, "/api/v1/quick")
    )
    assert (slow[0], slow[2]) == (200, b"slow")
    for status, headers, _body in queued:
        assert status == 503
        assert headers["retry-after"] == "1"
        assert headers["content-type"].startswith("application/problem+json")
    status, _, body = await _call(app, "/api/v1/quick")
    assert (status, body) == (200, b"quick")


def test_an_inline_process_busy_past_its_bound_answers_503_then_recovers() -> None:
    run_in_own_loop(_busy_process_sheds)


async def _short_waits_are_served() -> None:
    """Requests queued behind others for less than the bound are all served, and so is
    a task that carries no time (another loop's task factory, a test client)."""
    loop = asyncio.get_running_loop()
    app = _blocking_app(queue_seconds=0.5, block_seconds=0.05)
    unstamped = loop.create_task(_call(app, "/api/v1/slow"))
    inline.stamp_tasks(loop)
    answers = await asyncio.gather(*(_call(app, "/api/v1/slow") for _ in range(4)))
    assert [a[0] for a in answers] == [200] * 4
    assert (await unstamped)[0] == 200


def test_queued_requests_within_the_bound_are_served() -> None:
    run_in_own_loop(_short_waits_are_served)
