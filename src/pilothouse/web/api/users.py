"""People: everyone may list them (to pick owners); only admins create or change them."""

from __future__ import annotations

from fastapi import APIRouter, Query

from pilothouse.core import signin, users
from pilothouse.core.models import Role
from pilothouse.core.schemas import UserCreate, UserList, UserRead, UserUpdate
from pilothouse.web.deps import AdminWrite, PageParams, RuntimeDep, SessionDep, Viewer

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=UserList, summary="List people")
def list_users(
    _principal: Viewer,
    session: SessionDep,
    page: PageParams,
    role: Role | None = None,
    active: bool | None = Query(default=None),
) -> UserList:
    result = users.list_users(session, page, role=role, active=active)
    return UserList(
        items=[UserRead.model_validate(u) for u in result.items], next_cursor=result.next_cursor
    )


@router.get("/{user_id}", response_model=UserRead, summary="One person")
def get_user(user_id: int, _principal: Viewer, session: SessionDep) -> UserRead:
    return UserRead.model_validate(users.get_user(session, user_id))


@router.post("", response_model=UserRead, status_code=201, summary="Create a person")
def create_user(
    body: UserCreate, principal: AdminWrite, session: SessionDep, runtime: RuntimeDep
) -> UserRead:
    user = users.create_user(
        session,
        principal.actor,
        runtime.passwords,
        email=body.email,
        name=body.name,
        role=body.role,
        password=body.password,
    )
    return UserRead.model_validate(user)


@router.patch("/{user_id}", response_model=UserRead, summary="Change name, role or active flag")
def update_user(
    user_id: int, body: UserUpdate, principal: AdminWrite, session: SessionDep
) -> UserRead:
    user = users.get_user(session, user_id)
    users.update_user(
        session, principal.actor, user, name=body.name, role=body.role, is_active=body.is_active
    )
    return UserRead.model_validate(user)


@router.post("/{user_id}/unlock", response_model=UserRead, summary="Lift a sign-in lock")
def unlock_user(user_id: int, principal: AdminWrite, session: SessionDep) -> UserRead:
    user = users.get_user(session, user_id)
    signin.unlock_account(session, principal.actor, user)
    return UserRead.model_validate(user)
