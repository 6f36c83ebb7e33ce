"""The app factory: one FastAPI app serving the JSON API, the pages and the static assets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from pilothouse import __version__
from pilothouse.automations.dispatcher import dispatcher_loop
from pilothouse.automations.pages import router as automations_pages
from pilothouse.core.config import Settings
from pilothouse.core.job_queue import inprocess_jobs
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedules import scheduler_loop
from pilothouse.core.schema_version import is_current
from pilothouse.decisions.pages import router as decisions_pages
from pilothouse.experiments.pages import router as experiments_pages
from pilothouse.feedback.pages import router as feedback_pages
from pilothouse.launches.pages import router as launches_pages
from pilothouse.launches.public_pages import router as public_changelog_pages
from pilothouse.launches.subscriber_pages import router as changelog_subscriber_pages
from pilothouse.metrics.pages import router as metrics_pages
from pilothouse.ops.dashboards.pages import router as dashboards_pages
from pilothouse.ops.health.routes import pages_router as ops_health_pages
from pilothouse.playbooks.pages import onboarding_pages
from pilothouse.playbooks.pages import router as playbooks_pages
from pilothouse.reports.routes import pages_router as reports_pages
from pilothouse.roadmap.pages import router as roadmap_pages
from pilothouse.tools.pages import router as tools_pages
from pilothouse.web import heap, warmup
from pilothouse.web.api import API_PREFIX, api_routers
from pilothouse.web.api.docs import router as docs_router
from pilothouse.web.api.health import router as health_router
from pilothouse.web.blas import use_one_blas_thread
from pilothouse.web.bounds import integers_in_range
from pilothouse.web.inline import InlineRequests
from pilothouse.web.middleware import BodySizeLimit, SecurityHeaders, route_body_caps
from pilothouse.web.openapi import install_openapi
from pilothouse.web.pages import page_routers
from pilothouse.web.problems import install_error_handlers
from pilothouse.web.route_guard import include_guarded
from pilothouse.web.shedding import LoadShedding
from pilothouse.web.templating import make_templates

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: Each domain keeps its pages' templates in ``<domain>/templates/<domain>/``.
DOMAIN_TEMPLATES = [
    PACKAGE_DIR / domain / "templates"
    for domain in (
        "metrics",
        "experiments",
        "feedback",
        "roadmap",
        "launches",
        "decisions",
        "playbooks",
        "tools",
        "automations",
        "reports",
        "ops/dashboards",
        "ops/health",
    )
]
API_DESCRIPTION = """\
The Pilothouse JSON API. Authenticate with a personal API token
(`Authorization: Bearer ph_...`, created under *Account → API tokens* or with
`pilothouse token create`). Lists are paged with `limit` and `cursor`; errors are
RFC 9457 `application/problem+json` documents.
"""


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    migrate: bool = True,
    settle_heap: bool = False,
    warm_up: bool = False,
) -> FastAPI:
    """Build the app for ``settings`` (read from the environment when not given).

    Args:
        runtime: an existing runtime to share (tests pass one); otherwise one is built.
        migrate: apply pending migrations at start-up, as ``pilothouse serve`` does.
        settle_heap: once started, exempt the start-up objects from garbage collection
            (:func:`pilothouse.web.heap.settle_heap`); for a served process only.
        warm_up: pay first-use costs before the first request (inline execution) or
            in a background thread (:mod:`pilothouse.web.warmup`); for a served
            process only.
    """
    runtime = runtime or Runtime.from_settings(settings or Settings())
    logging.getLogger("pilothouse").setLevel(runtime.settings.log_level)
    inline = runtime.settings.inline_requests  # see pilothouse.web.inline

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate and not await run_in_threadpool(is_current, runtime.database):
            from pilothouse.core.migrate import upgrade  # Alembic: a second of imports

            await run_in_threadpool(upgrade, runtime.database)
        async with inprocess_jobs(runtime):  # job threads, when jobs_mode is inprocess
            async with dispatcher_loop(runtime):  # automation rules, in the same mode
                async with scheduler_loop(runtime):  # periodic jobs, in the same mode
                    if warm_up and inline:  # takes no request cold: see web/warmup.py
                        await run_in_threadpool(warmup.warm_up, _app)
                    if settle_heap:
                        heap.settle_heap()
                    if warm_up and not inline:
                        warmup.start_warm_up(_app)
                    yield

    app = FastAPI(
        title="Pilothouse",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url=None,  # served by the docs router, which declares it public
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(integers_in_range)],  # integers that fit a column, or 422
    )
    app.state.runtime = runtime
    app.state.templates = make_templates(
        DOMAIN_TEMPLATES, reload_templates=runtime.settings.reload_templates
    )
    install_error_handlers(app)
    install_openapi(app)  # every operation's error responses, declared
    include_guarded(app, health_router)
    for router in api_routers:  # each once, with a prefix: see web/api/__init__.py
        include_guarded(app, router, prefix=API_PREFIX)
    include_guarded(app, docs_router)
    for router in page_routers:
        include_guarded(app, router, include_in_schema=False)
    include_guarded(app, metrics_pages)
    include_guarded(app, experiments_pages)
    include_guarded(app, feedback_pages)
    include_guarded(app, decisions_pages)
    include_guarded(app, playbooks_pages)
    include_guarded(app, onboarding_pages)
    include_guarded(app, tools_pages)
    include_guarded(app, launches_pages)
    include_guarded(app, public_changelog_pages)
    include_guarded(app, changelog_subscriber_pages)
    include_guarded(app, roadmap_pages)
    include_guarded(app, automations_pages)
    include_guarded(app, reports_pages)
    include_guarded(app, dashboards_pages)
    include_guarded(app, ops_health_pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(  # innermost: a 503 when saturated, before any database work
        LoadShedding,
        max_concurrent=runtime.settings.max_concurrent_requests,
        queue_seconds=runtime.settings.request_queue_seconds,
        inline=inline,
    )
    if inline:  # handlers run in place
        app.add_middleware(InlineRequests)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=runtime.settings.max_body_bytes,
        route_caps=route_body_caps(runtime.settings),
    )
    app.add_middleware(SecurityHeaders, hsts_max_age=runtime.settings.hsts_max_age_seconds)
    if settle_heap:
        app.add_middleware(heap.SettleAfterWarmUp)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: the app of ``pilothouse serve``, which also
    runs BLAS on one thread (:mod:`pilothouse.web.blas`)."""
    use_one_blas_thread()
    return create_app(settle_heap=True, warm_up=True)
