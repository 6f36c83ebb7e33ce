"""Subscribing to the public changelog by e-mail (no sign-in), and the admins' list.

The subscribe form is protected by a signed per-day form token instead of a session
(readers have none); confirming and unsubscribing take a signed token in the URL.
A GET only shows a button (link scanners in mail systems follow GETs); the POST acts,
and the unsubscribe POST is also what RFC 8058 one-click mail clients send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pilothouse.core.errors import FieldError, Forbidden, PilothouseError, TooManyRequests
from pilothouse.launches import public_changelog as public
from pilothouse.launches import subscribers
from pilothouse.launches.subscriber_mail import request_subscription
from pilothouse.launches.subscriber_tokens import read_token, valid_form_token
from pilothouse.web.deps import AdminRead, Public, RuntimeDep, SessionDep, client_address
from pilothouse.web.templating import render

__all__ = [
    "confirm_form",
    "confirm_page",
    "limiter_of",
    "router",
    "subscribe_form",
    "subscribers_page",
    "unsubscribe_form",
    "unsubscribe_page",
]

router = APIRouter(include_in_schema=False)
RESULT = "launches/public_subscription.html"


def limiter_of(request: Request) -> subscribers.RateLimiter:
    """The app's limits (its counts live in the app database, shared by every worker)."""
    state = request.app.state
    if not hasattr(state, "changelog_limiter"):
        state.changelog_limiter = subscribers.RateLimiter()
    return state.changelog_limiter  # type: ignore[no-any-return]


def _result(request: Request, session: SessionDep, status: int = 200, **values: object) -> Response:
    context = {"product": public.title(session), **values}
    return render(request, RESULT, context, status=status)


def _failure(request: Request, session: SessionDep, exc: PilothouseError) -> Response:
    fields = ", ".join(e.field for e in exc.errors) if exc.errors else ""
    response = _result(request, session, exc.status, error=exc.detail, field=fields)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


@router.post("/public/changelog/subscribe", dependencies=[Public])
def subscribe_form(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=400)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    public.require_enabled(session)
    secret = runtime.settings.resolved_secret_key()
    try:
        if not valid_form_token(secret, form_token):
            raise Forbidden(
                "the form expired or did not come from this page; please reload and try again",
                errors=[FieldError("form_token", "missing or invalid")],
            )
        address = request_subscription(
            session, runtime.settings, limiter_of(request), email, client_address(request)
        )
    except PilothouseError as exc:
        return _failure(request, session, exc)
    return _result(request, session, 202, requested=address)


@router.get("/public/changelog/confirm/{token}", dependencies=[Public])
def confirm_page(
    request: Request, token: str, session: SessionDep, runtime: RuntimeDep
) -> Response:
    public.require_enabled(session)
    try:
        address = read_token(runtime.settings.resolved_secret_key(), "confirm", token)
    except PilothouseError as exc:
        return _failure(request, session, exc)
    return _result(request, session, confirm_address=address, token=token)


@router.post("/public/changelog/confirm/{token}", dependencies=[Public])
def confirm_form(
    request: Request, token: str, session: SessionDep, runtime: RuntimeDep
) -> Response:
    try:
        address = subscribers.confirm(session, runtime.settings.resolved_secret_key(), token)
    except PilothouseError as exc:
        return _failure(request, session, exc)
    return _result(request, session, confirmed=address)


@router.get("/public/changelog/unsubscribe/{token}", dependencies=[Public])
def unsubscribe_page(
    request: Request, token: str, session: SessionDep, runtime: RuntimeDep
) -> Response:
    try:
        address = read_token(runtime.settings.resolved_secret_key(), "unsubscribe", token)
    except PilothouseError as exc:
        return _failure(request, session, exc)
    return _result(request, session, unsubscribe_address=address, token=token)


@router.post("/public/changelog/unsubscribe/{token}", dependencies=[Public])
def unsubscribe_form(
    request: Request, token: str, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The page's button and RFC 8058 one-click POSTs (``List-Unsubscribe=One-Click``)."""
    try:
        address = subscribers.unsubscribe(session, runtime.settings.resolved_secret_key(), token)
    except PilothouseError as exc:
        return _failure(request, session, exc)
    return _result(request, session, unsubscribed=address)


@router.get("/changelog/subscribers")
def subscribers_page(request: Request, principal: AdminRead, session: SessionDep) -> Response:
    rows = subscribers.list_subscribers(session, principal.actor)
    context = {"subscribers": rows, "enabled": public.is_enabled(session)}
    return render(request, "launches/changelog_subscribers.html", context)
