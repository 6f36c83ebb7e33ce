"""The caller's own account: who am I, and changing my password."""

from __future__ import annotations

from fastapi import APIRouter, Response

from pilothouse.core import users
from pilothouse.core.schemas import PasswordChange, UserRead
from pilothouse.web.deps import OwnWrite, RuntimeDep, SessionDep, Viewer

router = APIRouter(prefix="/me", tags=["account"])


@router.get("", response_model=UserRead, summary="The signed-in person")
def get_me(principal: Viewer) -> UserRead:
    return UserRead.model_validate(principal.user)


@router.post("/password", status_code=204, summary="Change your password")
def update_my_password(
    body: PasswordChange, principal: OwnWrite, session: SessionDep, runtime: RuntimeDep
) -> Response:
    keep = principal.web_session.id_hash if principal.web_session else None
    users.change_password(
        session,
        principal.actor,
        runtime.passwords,
        principal.user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_hash=keep,
    )
    return Response(status_code=204)
