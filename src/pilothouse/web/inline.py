"""Requests run to completion on the event loop, one after another, in a multi-process server.

Why: a Pilothouse request is CPU work under one interpreter lock (SQLAlchemy, Jinja,
pydantic), and its waits (SQLite, a PostgreSQL on the same network) are short.
FastAPI runs every plain ``def`` handler and dependency in a thread pool, so one
process works on many requests at once and the lock hands them the CPU in slices:
a 3 ms API call beside a 15 ms page takes as long as the page, and each hand-over
costs CPU of its own. Run one after another, each request takes its own time; several
processes (``pilothouse serve --workers N``) use the cores, as the synchronous workers
of a pre-forking server do. ``benchmarks/load.py`` at 200 requests/s on two cores:
every request served instead of one in four refused (docs/benchmarks.md).

How: FastAPI, Starlette and our own session reach the thread pool through
``anyio.to_thread.run_sync``; :func:`install` wraps it once so that inside a request
marked by :class:`InlineRequests` the function runs right where it was awaited (in a
copy of the caller's context, as anyio's worker thread would). Everything outside a
request (job threads, the automation dispatcher, start-up and shutdown) keeps the
thread pool; work that takes long belongs in a job (a large feedback import already
places its items in one).

The price: a long request holds up the requests behind it in its process, while the
other processes take new ones. The requests held up wait where the load-shedding
slots cannot see them (uvicorn starts a task per request as it reads it), so the
loop's tasks carry the time they were made (:func:`queued_seconds`) and
:class:`pilothouse.web.shedding.LoadShedding` answers 503 to a request that waited
past its bound. A single-process server therefore keeps the thread pool
(``PILOTHOUSE_REQUEST_EXECUTION``, see docs/configuration.md). A turn of the loop
runs every request read so far, so such a process runs asyncio's loop, which
accepts every waiting connection each turn; uvloop accepts one
(:func:`pilothouse.cli.admin.event_loop`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["InlineRequests", "install", "queued_seconds", "stamp_tasks"]

T = TypeVar("T")

_inline: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pilothouse_inline_request", default=False
)
_pooled: Callable[..., Any] | None = None  # anyio's own run_sync, once wrapped


async def _run_sync(func: Callable[..., T], *args: Any, **options: Any) -> T:
    if _inline.get():
        return contextvars.copy_context().run(func, *args)
    assert _pooled is not None
    return await _pooled(func, *args, **options)


def install() -> None:
    """Wrap ``anyio.to_thread.run_sync`` (once per process; safe to repeat)."""
    global _pooled
    if _pooled is None:
        _pooled = anyio.to_thread.run_sync
        anyio.to_thread.run_sync = _run_sync


class _StampedTask(asyncio.Task):  # type: ignore[type-arg]
    """A task that knows when it was made (by the loop's clock)."""

    __slots__ = ("made_at",)


def _stamping_factory(previous: Any) -> Any:
    def make(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Future[Any]:
        if previous is not None:
            return previous(loop, coro, **options)
        task = _StampedTask(coro, loop=loop, **options)
        task.made_at = loop.time()
        return task

    make.stamps = True  # type: ignore[attr-defined]
    return make


def stamp_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Make the loop's new tasks carry their creation time (once per loop). Another
    task factory already set is left alone: its tasks then simply carry none."""
    factory = loop.get_task_factory()
    if not getattr(factory, "stamps", False):
        loop.set_task_factory(_stamping_factory(factory))


def queued_seconds() -> float | None:
    """How long ago the running task was made: for a request under uvicorn, how long
    it waited in its process since it was read. None when the task carries no time."""
    task = asyncio.current_task()
    made = getattr(task, "made_at", None)
    return None if made is None else asyncio.get_running_loop().time() - made


class InlineRequests:
    """ASGI middleware: the HTTP requests under it run their thread-pool work in place."""

    def __init__(self, app: ASGIApp) -> None:
        install()
        self.app = app
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # later requests' tasks carry their time
            stamp_tasks(loop)
            self._loop = loop
        token = _inline.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            _inline.reset(token)
