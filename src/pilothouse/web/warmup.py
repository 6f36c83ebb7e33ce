"""A served process pays its first-use costs up front, not in its first requests.

Why: a fresh process compiles each page template, imports ``scipy.stats``, the event
store's client and the embedding model on the first request that needs them. Measured
on the demo workspace (one process, CPU of the first call against the second): home
page 640 against 8 ms (``scipy.stats`` for the spike alerts), new feedback 290
against 17 ms (the embedding model), tracking call 420 against 7 ms (Arrow's
conversions), roadmap page 200 against 5 ms (FastAPI analyses a router's routes when
the first request reaches them). With requests run one after another
(:mod:`pilothouse.web.inline`) the requests behind such a first call waited
for it, in every process after every start: the load benchmark's first seconds set
its 99th percentile.

A process that runs requests inline warms up before it takes any (uvicorn accepts
once start-up is done; the other processes serve meanwhile, and a server of several
processes answers ``/healthz`` a few seconds later). A single process, which serves
in threads and whose start-up time people notice, warms up in a background thread
instead: ``/healthz`` answers as soon as before, and a request that needs a module
the thread is importing waits for that import only. Warming up costs about 2.5 s of
CPU per process, more than a process's first requests would have spent (it compiles
every template, analyses every route): the price of never making a request wait.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

from fastapi import FastAPI
from jinja2 import Environment, TemplateError

from pilothouse.core.runtime import Runtime
from pilothouse.feedback import embeddings, insights
from pilothouse.web import heap, route_guard

__all__ = ["compile_templates", "start_warm_up", "warm_up"]

log = logging.getLogger("pilothouse.web")


def warm_up(app: FastAPI) -> None:
    """Have FastAPI analyse the routes, compile the templates, import what requests
    import on first use, and load the embedder when the workspace uses it. A step that
    fails is logged and skipped: the request that needs it then pays for it as before."""
    runtime: Runtime = app.state.runtime
    started = time.perf_counter()
    steps = (
        ("routes", lambda: route_guard.prepare_routes(app.router.routes)),
        ("templates", lambda: compile_templates(app.state.templates.env)),
        ("statistics", insights.import_statistics),
        ("event store", lambda: _import_event_store(runtime)),
        ("metric catalog", lambda: runtime.metrics),
        ("embedder", lambda: _load_embedder(runtime)),
    )
    for name, step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - warming up never stops a server
            log.warning(
                "warm-up step %r failed; its first request pays instead", name, exc_info=True
            )
    log.info("warmed up in %.1f s", time.perf_counter() - started)


def compile_templates(env: Environment) -> int:
    """Compile every template the environment can load; returns how many. A few
    templates belong to other environments (e-mail and report renderers with filters of
    their own) and do not compile here; they are skipped."""
    compiled = 0
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        try:
            env.get_template(name)
        except TemplateError:
            continue
        compiled += 1
    return compiled


def _import_event_store(runtime: Runtime) -> None:
    """Import the store's modules without opening it: a server that never reads events
    leaves the DuckDB file to other commands, as before."""
    if runtime.settings.event_store_socket is not None:  # the serving process stores
        importlib.import_module("pilothouse.metrics.store_client")
        return
    from pilothouse.metrics.store import prime_staging

    prime_staging()


def _load_embedder(runtime: Runtime) -> None:
    with runtime.database.session(reading=True) as session:
        embeddings.load_if_in_use(session)


def _warm_up_and_settle(app: FastAPI) -> None:
    warm_up(app)
    # What warming up made (modules, templates, the model) stays for the process's
    # life: frozen now, full collections never walk it (pilothouse.web.heap).
    heap.settle_heap()


def start_warm_up(app: FastAPI) -> threading.Thread:
    """:func:`warm_up` in a daemon thread (it never holds up a shutdown), then settle the
    heap once more (:func:`pilothouse.web.heap.settle_heap`)."""
    thread = threading.Thread(target=_warm_up_and_settle, args=(app,), name="warm-up", daemon=True)
    thread.start()
    return thread
