"""Keep the garbage collector off the objects a served process builds once at start-up.

A started server holds a large, permanent heap (the route table, the OpenAPI schema,
compiled templates, SQLAlchemy's mappers and statement caches, imported modules).
CPython's collector walks every tracked object on each full collection, and a request
allocates enough to set off collections regularly: under ``benchmarks/load.py`` those
walks over objects that can never become garbage were a measurable share of each
request's CPU. :func:`gc.freeze` moves everything alive now into a permanent
generation the collector skips (what the Python documentation advises for servers);
objects made later are collected as before.

Only a served process does this: a test run builds many apps in one process, and
freezing each would keep every earlier one alive.
"""

from __future__ import annotations

import gc

__all__ = ["settle_heap"]


def settle_heap() -> int:
    """Collect what start-up left behind, then freeze the rest; returns how many froze."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
