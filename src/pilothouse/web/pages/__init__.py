"""Server-rendered pages (Jinja2 + htmx)."""

from fastapi import APIRouter

from pilothouse.web.pages import account, admin, areas, auth, discussion, home, notifications
from pilothouse.web.pages import jobs as jobs_pages
from pilothouse.web.pages import schedules as schedules_pages
from pilothouse.web.pages import sso as sso_pages
from pilothouse.web.pages import workspace as workspace_pages

__all__ = ["pages_router"]

pages_router = APIRouter(include_in_schema=False)
for module in (auth, home, areas, admin, account):
    pages_router.include_router(module.router)
pages_router.include_router(jobs_pages.router)
pages_router.include_router(schedules_pages.router)
pages_router.include_router(workspace_pages.router)
pages_router.include_router(notifications.router)
pages_router.include_router(discussion.router)
pages_router.include_router(sso_pages.router)
