"""The JSON API under ``/api/v1``: one router per object family.

The app includes each router of ``api_routers`` itself, in order, with the prefix
``API_PREFIX`` (``web/app.py``), rather than through one ``/api/v1`` router that
includes them all. FastAPI, to include a router without a prefix, first checks
that no path comes out empty, and so analyses every route of the routers nested
in it (signatures, dependencies, body and response models); those analyses are
thrown away, since each inclusion analyses its routes again for itself when they
are first used. Through one intermediate router the API's ~240 routes were
analysed twice more at start-up, about 0.7 s of CPU (docs/benchmarks.md,
"Start-up"); included once with a prefix, they are analysed when first used.
"""

from fastapi import APIRouter

from pilothouse.accounts.routes import router as accounts_router
from pilothouse.automations.routes import router as automations_router
from pilothouse.decisions.routes import router as decisions_router
from pilothouse.experiments.analysis_routes import router as experiment_analysis_router
from pilothouse.experiments.routes import router as experiments_router
from pilothouse.experiments.template_routes import router as experiment_templates_router
from pilothouse.feedback.report_routes import router as feedback_reports_router
from pilothouse.feedback.routes import router as feedback_router
from pilothouse.feedback.theme_routes import router as feedback_theme_router
from pilothouse.launches.routes import api_router as launches_router
from pilothouse.metrics.api import router as metrics_router
from pilothouse.metrics.routes import ingest_router, sources_router
from pilothouse.ops.dashboards.routes import router as dashboards_router
from pilothouse.ops.health.routes import api_router as ops_health_router
from pilothouse.playbooks.routes import onboarding_router as onboarding_api
from pilothouse.playbooks.routes import router as playbooks_api
from pilothouse.reports.routes import api_router as reports_router
from pilothouse.roadmap.routes import router as roadmap_router
from pilothouse.roadmap.view_routes import router as roadmap_views_router
from pilothouse.tools.routes import router as tools_router
from pilothouse.web.api import areas, audit, me, signins, tokens, users
from pilothouse.web.api import backup as backup_api
from pilothouse.web.api import jobs as jobs_api
from pilothouse.web.api import notifications as notifications_api
from pilothouse.web.api import schedules as schedules_api
from pilothouse.web.api import workspace as workspace_api

__all__ = ["API_PREFIX", "api_routers"]

API_PREFIX = "/api/v1"
#: In matching order: the first route that matches a request answers it.
api_routers: tuple[APIRouter, ...] = (
    # Tracking calls first: every SDK call is one, the busiest endpoints by far, and
    # FastAPI checks the routes one by one (about 5 microseconds each; 190 of them came
    # before these). No other route matches their paths (tests/web/test_route_table.py).
    ingest_router,
    *(module.router for module in (me, users, areas, tokens, audit, signins)),
    accounts_router,
    sources_router,
    metrics_router,
    experiments_router,
    experiment_analysis_router,
    experiment_templates_router,
    roadmap_router,
    roadmap_views_router,
    feedback_theme_router,  # before feedback_router: /feedback/themes
    feedback_router,
    launches_router,
    decisions_router,
    playbooks_api,
    onboarding_api,
    tools_router,
    feedback_reports_router,
    jobs_api.router,
    schedules_api.router,
    notifications_api.router,
    workspace_api.router,
    automations_router,
    reports_router,
    dashboards_router,
    ops_health_router,
    backup_api.router,
)
