"""Personal API tokens: people manage their own; admins may list and revoke anyone's."""

from __future__ import annotations

from fastapi import APIRouter

from pilothouse.core import tokens, users
from pilothouse.core.models import Role
from pilothouse.core.schemas import TokenCreate, TokenCreated, TokenList, TokenRead
from pilothouse.web.deps import OwnWrite, PageParams, RuntimeDep, SessionDep, Viewer

router = APIRouter(prefix="/tokens", tags=["API tokens"])


@router.get("", response_model=TokenList, summary="List API tokens (your own; admins: any)")
def list_tokens(
    principal: Viewer, session: SessionDep, page: PageParams, user_id: int | None = None
) -> TokenList:
    if user_id is None or user_id != principal.user.id:
        if principal.user.role is not Role.admin:
            user_id = principal.user.id
    result = tokens.list_tokens(session, page, user_id=user_id)
    return TokenList(
        items=[TokenRead.model_validate(t) for t in result.items], next_cursor=result.next_cursor
    )


@router.post("", response_model=TokenCreated, status_code=201, summary="Create an API token")
def create_token(
    body: TokenCreate, principal: OwnWrite, session: SessionDep, runtime: RuntimeDep
) -> TokenCreated:
    user = users.get_user(session, principal.user.id)
    token, secret = tokens.create_token(
        session,
        principal.actor,
        runtime.secrets,
        user=user,
        name=body.name,
        scope=body.scope,
        expires_at=body.expires_at,
    )
    return TokenCreated.model_validate(
        {**TokenRead.model_validate(token).model_dump(), "token": secret}
    )


@router.delete("/{token_id}", response_model=TokenRead, summary="Revoke an API token")
def revoke_token(token_id: int, principal: OwnWrite, session: SessionDep) -> TokenRead:
    token = tokens.get_token(session, token_id)
    tokens.revoke_token(session, principal.actor, token)
    return TokenRead.model_validate(token)
