"""The JSON API under ``/api/v1``: one router per object family."""

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

__all__ = ["api_router"]

api_router = APIRouter(prefix="/api/v1")
for module in (me, users, areas, tokens, audit, signins):
    api_router.include_router(module.router)
api_router.include_router(accounts_router)
api_router.include_router(sources_router)
api_router.include_router(metrics_router)
api_router.include_router(experiments_router)
api_router.include_router(experiment_analysis_router)
api_router.include_router(experiment_templates_router)
api_router.include_router(roadmap_router)
api_router.include_router(roadmap_views_router)
api_router.include_router(feedback_theme_router)  # before feedback_router: /feedback/themes
api_router.include_router(feedback_router)
api_router.include_router(launches_router)
api_router.include_router(decisions_router)
api_router.include_router(playbooks_api)
api_router.include_router(onboarding_api)
api_router.include_router(tools_router)
api_router.include_router(feedback_reports_router)
api_router.include_router(ingest_router)
api_router.include_router(jobs_api.router)
api_router.include_router(schedules_api.router)
api_router.include_router(notifications_api.router)
api_router.include_router(workspace_api.router)
api_router.include_router(automations_router)
api_router.include_router(reports_router)
api_router.include_router(dashboards_router)
api_router.include_router(ops_health_router)
api_router.include_router(backup_api.router)
