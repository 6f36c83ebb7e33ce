"""Keep the garbage collector off the objects a served process builds once at start-up.

A started server holds a large, permanent heap (the route table, the OpenAPI schema,
compiled templates, SQLAlchemy's mappers and statement caches, imported modules).
CPython's collector walks every tracked object on each full collection, and a request
allocates enough to set off collections regularly: under ``benchmarks/load.py`` those
walks over objects that can never become garbage were a measurable share of each
request's CPU. :func:`gc.freeze` moves everything alive now into a permanent
generation the collector skips (what the Python documentation advises for servers);
objects made later are collected as before.

What a request then makes and keeps (lazily imported modules such as SciPy and the
embedding model, warmed caches: about 200,000 objects after the first requests of the
load mix) is not frozen, and a full collection over it still paused the process for
100-200 ms, about every 4 s at 40 requests/s: the reads' p99 under
``benchmarks/load.py``. Full collections are therefore made ten times rarer
(:data:`FULL_COLLECTION_EVERY`), and the heap is settled again once the first requests
have warmed it (:class:`SettleAfterWarmUp`), so that a full collection walks only what
requests made since. Reference cycles that reach the oldest generation wait a little
longer.

Young collections run every :data:`YOUNG_COLLECTION_AFTER` allocations net of frees
instead of CPython's 700: a request of the load mix allocated enough for about one
young collection each, and every tenth of those walked the middle generation too
(0.36 ms of a 16 ms request, 2.3%, measured with ``gc.callbacks`` over the mix of
``benchmarks/request_cost.py``; 0.13 ms at 10,000). A young generation of 10,000
objects is a few megabytes at most. Whatever a request in flight
holds when the heap settles again stays frozen: a few objects, three times per process.

Only a served process does this: a test run builds many apps in one process, and
freezing each would keep every earlier one alive.
"""

from __future__ import annotations

import gc
from typing import Any

__all__ = [
    "FULL_COLLECTION_EVERY",
    "SETTLE_AFTER_REQUESTS",
    "YOUNG_COLLECTION_AFTER",
    "SettleAfterWarmUp",
    "settle_heap",
]

#: Collections of the middle generation between two full ones (CPython's default: 10).
FULL_COLLECTION_EVERY = 100
#: Allocations (net of frees) between two young collections (CPython's default: 700).
YOUNG_COLLECTION_AFTER = 10_000


def settle_heap() -> int:
    """Collect what start-up left behind, freeze the rest, and space out full collections.

    Returns how many objects froze.
    """
    gc.collect()
    gc.freeze()
    _young, middle, _full = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, middle, FULL_COLLECTION_EVERY)
    return gc.get_freeze_count()


#: Settle the heap again after this many requests (the lazy imports and caches of the
#: first pages, then what rarer pages load).
SETTLE_AFTER_REQUESTS = (100, 1_000, 10_000)


class SettleAfterWarmUp:
    """ASGI middleware: count answered requests and settle the heap again at the marks."""

    def __init__(self, app: Any, marks: tuple[int, ...] = SETTLE_AFTER_REQUESTS) -> None:
        self.app = app
        self.marks = frozenset(marks)
        self.answered = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] != "http":
            return
        self.answered += 1  # one event loop per process: no lock needed
        if self.answered in self.marks:
            settle_heap()
