"""Server-rendered pages (Jinja2 + htmx)."""

from fastapi import APIRouter

from pilothouse.web.pages import account, admin, areas, auth, discussion, home, notifications
from pilothouse.web.pages import jobs as jobs_pages
from pilothouse.web.pages import schedules as schedules_pages
from pilothouse.web.pages import sso as sso_pages
from pilothouse.web.pages import workspace as workspace_pages

__all__ = ["page_routers"]

#: The app includes each of these itself, in this order, out of the schema. Not one
#: router including them: included without a prefix, a router that nests others has
#: all their routes analysed by FastAPI once more while the app is built.
page_routers: tuple[APIRouter, ...] = (
    *(module.router for module in (auth, home, areas, admin, account)),
    jobs_pages.router,
    schedules_pages.router,
    workspace_pages.router,
    notifications.router,
    discussion.router,
    sso_pages.router,
)
