"""Single sign-on in the browser: off to the OpenID provider and back.

``/auth/oidc/login`` records a pending sign-in and sends the browser to the
provider; ``/auth/oidc/callback`` receives the code, which the core service checks
and trades for a session. The pending sign-in is bound to this browser by a cookie
that only these two addresses see (``SameSite=Lax``: the provider's redirect back
is a top-level navigation from another site).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from pilothouse.core import signin
from pilothouse.core.sso import service
from pilothouse.web.deps import (
    SESSION_COOKIE,
    Public,
    RuntimeDep,
    WriteSessionDep,
    client_address,
)
from pilothouse.web.pages.auth import _safe_next, cookie_is_secure

__all__ = ["BROWSER_COOKIE", "router"]

router = APIRouter(include_in_schema=False)
BROWSER_COOKIE = "pilothouse_sso"
COOKIE_PATH = "/auth/oidc"
CALLBACK_PATH = "/auth/oidc/callback"


def _redirect_uri(request: Request, public_url: str | None) -> str:
    """The callback address registered at the provider: the public URL, else this host."""
    base = public_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK_PATH


@router.get("/auth/oidc/login", dependencies=[Public])
def sso_login(
    request: Request,
    session: WriteSessionDep,
    runtime: RuntimeDep,
    next: Annotated[str | None, Query(max_length=2000)] = None,  # noqa: A002
) -> Response:
    settings = runtime.settings
    started = service.start_sign_in(
        session,
        settings,
        runtime.secrets,
        redirect_uri=_redirect_uri(request, settings.public_url),
        next_url=_safe_next(next),
    )
    response = RedirectResponse(started.redirect_url, status_code=303)
    response.set_cookie(
        BROWSER_COOKIE,
        started.browser_cookie,
        max_age=service.LOGIN_REQUEST_MINUTES * 60,
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request, settings.session_cookie_secure),
        path=COOKIE_PATH,
    )
    return response


@router.get(CALLBACK_PATH, dependencies=[Public])
def sso_callback(
    request: Request,
    session: WriteSessionDep,
    runtime: RuntimeDep,
    state: Annotated[str, Query(max_length=500)] = "",
    code: Annotated[str, Query(max_length=4000)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    error_description: Annotated[str, Query(max_length=1000)] = "",
    iss: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    finished = service.finish_sign_in(
        session,
        runtime,
        service.Callback(state, code, error, error_description, iss),
        browser_cookie=request.cookies.get(BROWSER_COOKIE, ""),
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # session fixation: whatever id the browser held before is void now
        signin.end_session(session, runtime.secrets, previous)
    settings = runtime.settings
    response = RedirectResponse(finished.next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        finished.started.cookie_value,
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request, settings.session_cookie_secure),
        max_age=settings.session_max_age_hours * 3600,
        path="/",
    )
    response.delete_cookie(BROWSER_COOKIE, path=COOKIE_PATH)
    return response
