"""Sign-in protection, for admins: locked accounts and recent failed attempts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from pilothouse.core import signin
from pilothouse.web.deps import AdminRead, SessionDep

router = APIRouter(prefix="/signin-protection", tags=["users"])


class LockedAccountRead(BaseModel):
    email: str
    locked_until: datetime


class FailedAttemptRead(BaseModel):
    email: str
    client_address: str
    attempted_at: datetime


class SigninProtection(BaseModel):
    locked_accounts: list[LockedAccountRead]
    recent_failures: list[FailedAttemptRead]


@router.get("", response_model=SigninProtection, summary="Locked accounts and failed sign-ins")
def get_signin_protection(_principal: AdminRead, session: SessionDep) -> SigninProtection:
    return SigninProtection(
        locked_accounts=[
            LockedAccountRead(email=a.email, locked_until=a.locked_until)
            for a in signin.list_locked(session)
        ],
        recent_failures=[
            FailedAttemptRead(
                email=f.email, client_address=f.client_address, attempted_at=f.attempted_at
            )
            for f in signin.recent_failures(session)
        ],
    )
