"""Signing in and out in the browser.

The sign-in form is protected against cross-site posting with a double-submit
token: a random value in a SameSite=Strict cookie that the form must echo.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pilothouse.core import signin
from pilothouse.core.errors import PilothouseError, TooManyRequests
from pilothouse.core.security import SecretHasher, new_secret
from pilothouse.core.sso.service import note_sign_out
from pilothouse.web.deps import (
    SESSION_COOKIE,
    OwnWrite,
    Public,
    RuntimeDep,
    SessionDep,
    client_address,
)
from pilothouse.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "pilothouse_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in form cannot bounce people to another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"  # browsers read "/\\host" as "//host"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def cookie_is_secure(request: Request, mode: str, public_url: str | None = None) -> bool:
    """Whether to set the Secure flag: HTTPS (the request's scheme, or an ``https://``
    public URL, as behind a TLS proxy), or loopback where browsers accept it too."""
    if mode != "auto":
        return mode == "always"
    if request.url.scheme == "https" or (public_url or "").startswith("https://"):
        return True
    host = request.url.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _login_page(
    request: Request, *, error: str = "", email: str = "", next_url: str = "/", status: int = 200
) -> Response:
    token = new_secret(nbytes=24)
    response = render(
        request,
        "login.html",
        {"error": error, "email": email, "next": next_url, "login_csrf": token},
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=_secure(request),
    )
    return response


def _secure(request: Request) -> bool:
    settings = request.app.state.runtime.settings
    return cookie_is_secure(request, settings.session_cookie_secure, settings.public_url)


@router.get("/login", dependencies=[Public])
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    login_csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    next_url = _safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not SecretHasher.same(cookie, login_csrf):
        return _login_page(
            request,
            error="The form expired; please try again.",
            email=email,
            next_url=next_url,
            status=403,
        )
    failure: PilothouseError | None = None
    try:
        started = signin.sign_in(
            session,
            runtime.settings,
            runtime.passwords,
            runtime.secrets,
            email=email,
            password=password,
            client_address=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except PilothouseError as exc:  # the failed attempt is still committed, for throttling
        failure = exc
    if failure is not None:
        refused = _login_page(
            request, error=failure.detail, email=email, next_url=next_url, status=401
        )
        if isinstance(failure, TooManyRequests):
            refused.status_code = 429
            refused.headers["Retry-After"] = str(failure.retry_after_seconds)
        return refused
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # session fixation: whatever id the browser held before is void now
        signin.end_session(session, runtime.secrets, previous)
    response = RedirectResponse(next_url, status_code=303)
    settings = runtime.settings
    response.set_cookie(
        SESSION_COOKIE,
        started.cookie_value,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=settings.session_max_age_hours * 3600,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, principal: OwnWrite, session: SessionDep, runtime: RuntimeDep
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE, "")  # the dependency checked it and CSRF
    base = runtime.settings.public_url or str(request.base_url)
    provider_sign_out = note_sign_out(  # audits SSO sessions; may end the provider's too
        session, runtime, cookie, principal.actor, after=base.rstrip("/") + "/login"
    )
    signin.end_session(session, runtime.secrets, cookie)
    response: Response = RedirectResponse("/login", status_code=303)
    if provider_sign_out:  # a page that moves on, not a redirect: CSP form-action is 'self'
        request.state.principal = None
        response = render(
            request,
            "sso_signed_out.html",
            {"url": provider_sign_out, "provider_name": runtime.settings.oidc_display_name},
        )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
