"""The signed-in person's own settings: API tokens and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pilothouse.core import tokens, users
from pilothouse.core.models import TokenScope
from pilothouse.core.pagination import PageRequest
from pilothouse.web.deps import OwnWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

router = APIRouter(prefix="/account", include_in_schema=False)


def _tokens_page(
    request: Request, principal: Viewer, session: SessionDep, new_token: str | None = None
) -> Response:
    page = tokens.list_tokens(session, PageRequest(limit=200), user_id=principal.user.id)
    return render(
        request,
        "account_tokens.html",
        {"tokens": page.items, "new_token": new_token, "scopes": list(TokenScope)},
    )


@router.get("/tokens")
def tokens_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    return _tokens_page(request, principal, session)


@router.post("/tokens")
def create_token_form(
    request: Request,
    principal: OwnWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=200)],
    scope: Annotated[TokenScope, Form()] = TokenScope.read,
) -> Response:
    _token, secret = tokens.create_token(
        session, principal.actor, runtime.secrets, user=principal.user, name=name, scope=scope
    )
    session.flush()
    # Shown once, on this response only; it is never stored in readable form.
    return _tokens_page(request, principal, session, new_token=secret)


@router.post("/tokens/{token_id}/revoke")
def revoke_token_form(token_id: int, principal: OwnWrite, session: SessionDep) -> Response:
    token = tokens.get_token(session, token_id)
    tokens.revoke_token(session, principal.actor, token)
    return flash_redirect("/account/tokens", f"Revoked “{token.name}”.")


@router.get("/password")
def password_page(request: Request, _principal: Viewer) -> Response:
    return render(request, "account_password.html")


@router.post("/password")
def change_password_form(
    principal: OwnWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    keep = principal.web_session.id_hash if principal.web_session else None
    users.change_password(
        session,
        principal.actor,
        runtime.passwords,
        principal.user,
        current_password=current_password,
        new_password=new_password,
        keep_session_hash=keep,
    )
    return flash_redirect("/account/password", "Your password was changed.")
