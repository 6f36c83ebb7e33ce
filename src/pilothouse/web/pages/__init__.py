"""Server-rendered pages (Jinja2 + htmx)."""

from fastapi import APIRouter

from pilothouse.web.pages import account, admin, areas, auth, home

__all__ = ["pages_router"]

pages_router = APIRouter(include_in_schema=False)
for module in (auth, home, areas, admin, account):
    pages_router.include_router(module.router)
