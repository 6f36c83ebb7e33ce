"""Rendering pages: one Jinja environment, shared context, flash messages.

Every page gets the signed-in person, their CSRF token (for forms and the
``<meta>`` tag htmx reads), the menu they may see and any flash message. htmx
requests can ask for a fragment instead of the whole page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from pilothouse import __version__
from pilothouse.web.labels import enum_label, setting_label
from pilothouse.web.nav import current_href, visible_nav

__all__ = ["FLASH_COOKIE", "flash_redirect", "make_templates", "render", "render_error"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
FLASH_COOKIE = "pilothouse_flash"


def make_templates(
    extra_dirs: list[Path] | None = None, *, reload_templates: bool = False
) -> Jinja2Templates:
    """The template loader: ``web/templates`` plus each domain's ``templates`` folder.

    Templates ship inside the package and change only with it, so by default each one is
    compiled once per process: Jinja's ``auto_reload`` would otherwise look up the file's
    modification time on every page (a ``stat`` per template per request, about 2% of a
    busy server's CPU). ``reload_templates`` (development) turns the check back on.
    """
    environment = Environment(
        loader=FileSystemLoader([TEMPLATE_DIR, *(extra_dirs or [])]),
        autoescape=True,  # as Starlette's own default environment
        auto_reload=reload_templates,
    )
    templates = Jinja2Templates(env=environment)
    templates.env.globals["version"] = __version__
    templates.env.filters["when"] = _format_when
    templates.env.filters["label"] = enum_label
    templates.env.filters["setting_label"] = setting_label
    return templates


def _format_when(value: datetime | None, tz: str = "UTC") -> str:
    """A moment in the workspace time zone as a ``<time>`` element, which never wraps
    (app.css), with the exact UTC instant in ``datetime`` for machines."""
    if value is None:
        return "—"
    shown = value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return Markup(f'<time datetime="{value.astimezone(UTC).isoformat()}">{shown}</time>')


def _base_context(request: Request) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    runtime = request.app.state.runtime
    flash = request.cookies.get(FLASH_COOKIE)
    nav = visible_nav(principal.identity.role if principal else None)
    kind, _, text = unquote(flash).partition(":") if flash else ("", "", "")
    return {
        "request": request,
        "principal": principal,
        "user": principal.identity if principal else None,
        "csrf_token": principal.csrf_token if principal else "",
        "nav": nav,
        "nav_current": current_href(nav, request.url.path),
        "flash": {"kind": kind, "text": text} if text else None,
        "timezone": runtime.settings.timezone,
        "current_path": request.url.path,
    }


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render ``template`` with the shared context; clears a shown flash message."""
    templates: Jinja2Templates = request.app.state.templates
    full = _base_context(request) | (context or {})
    response = templates.TemplateResponse(request, template, full, status_code=status)
    if full.get("flash"):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def render_error(request: Request, *, status: int, title: str, detail: str) -> HTMLResponse:
    return render(
        request, "error.html", {"status": status, "title": title, "detail": detail}, status=status
    )


def flash_redirect(url: str, text: str, *, kind: str = "success") -> Response:
    """Redirect after a successful form post, carrying a one-time message (POST/redirect/GET)."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE, quote(f"{kind}:{text}"), max_age=60, httponly=True, samesite="lax", path="/"
    )
    return response
