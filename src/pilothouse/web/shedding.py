"""Load shedding: a saturated server answers 503 with ``Retry-After`` at once.

One server process has one interpreter lock: past about a few dozen requests per
second of CPU work (``benchmarks/request_cost.py``) requests queue. Without a bound
each queued request took a database connection and waited, the pool ran dry, and
clients got an error only after the pool's 30-second timeout (``benchmarks/load.py``).

:class:`LoadShedding` bounds both queues:

- at most ``max_concurrent`` requests are worked on at once; a request beyond that
  waits up to ``queue_seconds`` for a slot, then gets 503 without touching the
  database, so a client (or a proxy in front of several processes) can retry later;
- in a process that runs its requests one after another on the event loop
  (:mod:`pilothouse.web.inline`), requests wait in the loop's queue, unseen by any
  slot, so the bound is on that wait instead: a request that waited longer than
  ``queue_seconds`` since the process read it gets 503 (which takes well under a
  millisecond, so the queue drains);
- a request that waited for a database connection longer than the pool timeout
  (``sqlalchemy.exc.TimeoutError``) gets the same 503 instead of a 500;
- so does a request whose SQLite transaction waited past the busy timeout for the
  write lock ("database is locked": several server processes writing one file
  faster than it takes), since its transaction was rolled back whole.

Static assets bypass the limit: they cost no database work and pages need them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilothouse.web.inline import queued_seconds
from pilothouse.web.problems import PROBLEM_MEDIA_TYPE, problem_body

__all__ = ["LoadShedding", "overloaded_response"]

log = logging.getLogger("pilothouse.web")
EXEMPT_PREFIXES = ("/static/",)
#: At most one "shedding load" warning per this many seconds, with the count since.
LOG_EVERY_SECONDS = 10.0
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    "<title>Busy - Pilothouse</title></head><body><h1>Pilothouse is busy</h1>"
    "<p>{detail}</p></body></html>"
)


def overloaded_response(path: str, detail: str, retry_after: int) -> tuple[int, list, bytes]:
    """Status, headers and body of the 503: problem JSON for the API, a short page else."""
    if path.startswith("/api/") or path == "/healthz":
        body = json.dumps(problem_body(503, "overloaded", "Service overloaded", detail)).encode()
        media = PROBLEM_MEDIA_TYPE
    else:
        body, media = PAGE.format(detail=detail).encode(), "text/html; charset=utf-8"
    headers = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
        (b"cache-control", b"no-store"),
    ]
    return 503, headers, body


def _sqlite_busy(exc: OperationalError) -> bool:
    """SQLite's write lock stayed taken past its busy timeout (several server processes
    writing one file): the transaction was rolled back, so the request may be retried."""
    return "database is locked" in str(exc.orig)


class LoadShedding:
    """ASGI middleware: a bounded number of requests in flight, a bounded wait for a slot."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_concurrent: int,
        queue_seconds: float,
        retry_after: int = 0,
        inline: bool = False,
    ) -> None:
        """``inline``: requests run one after another on the event loop
        (:mod:`pilothouse.web.inline`); the bound is then on each request's wait in the
        loop's queue, and ``max_concurrent`` only turns shedding off when it is 0."""
        self.app = app
        self.inline = inline
        self.max_concurrent = max_concurrent
        self.queue_seconds = queue_seconds
        self.retry_after = retry_after or max(1, math.ceil(queue_seconds))
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shed = 0
        self._logged_at = 0.0

    def _semaphore(self) -> asyncio.Semaphore:
        """The slots of the running loop (a test client may start a loop per request)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(self.max_concurrent), loop
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self.inline:
            await self._inline(scope, receive, send)
            return
        if not self.max_concurrent:
            await self._guarded(scope, receive, send)
            return
        slots = self._semaphore()
        if not await self._acquire(slots):
            await self._refuse(scope, send, "the server is at capacity; retry shortly")
            return
        try:
            await self._guarded(scope, receive, send)
        finally:
            slots.release()

    async def _inline(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request unless it waited in the loop's queue past the bound."""
        waited = queued_seconds()
        if self.max_concurrent and waited is not None and waited > self.queue_seconds:
            await self._refuse(scope, send, "the server is at capacity; retry shortly")
            return
        await self._guarded(scope, receive, send)

    async def _acquire(self, slots: asyncio.Semaphore) -> bool:
        """A slot at once when one is free, else within ``queue_seconds``, else False."""
        if not slots.locked():
            await slots.acquire()  # returns without waiting
            return True
        if self.queue_seconds <= 0:
            return False
        try:
            await asyncio.wait_for(slots.acquire(), timeout=self.queue_seconds)
        except TimeoutError:
            return False
        return True

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Runs the request; a database pool timeout before the response began is a 503."""
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except PoolTimeout:
            if started:
                raise
            await self._refuse(scope, send, "no database connection was free in time; retry")
        except OperationalError as exc:
            if started or not _sqlite_busy(exc):
                raise
            await self._refuse(scope, send, "the database was busy with other writes; retry")

    async def _refuse(self, scope: Scope, send: Send, detail: str) -> None:
        self._note_shed()
        status, headers, body = overloaded_response(scope["path"], detail, self.retry_after)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _note_shed(self) -> None:
        self._shed += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            log.warning("shedding load: %d requests answered 503 (busy)", self._shed)
            self._shed, self._logged_at = 0, now
