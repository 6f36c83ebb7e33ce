"""API shapes (Pydantic) of core objects: ``*Create`` in, ``*Read`` out, ``*List`` pages.

Input models forbid unknown fields, so a typo in a field name is an error rather
than a silently ignored value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from pilothouse.core.models import Role, TokenScope

__all__ = [
    "AreaCreate",
    "AreaList",
    "AreaRead",
    "AreaUpdate",
    "EventList",
    "EventRead",
    "PasswordChange",
    "TokenCreate",
    "TokenCreated",
    "TokenList",
    "TokenRead",
    "UserCreate",
    "UserList",
    "UserRead",
    "UserUpdate",
]

T = TypeVar("T")


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


class PageOf(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` to get the next page."""

    items: list[T]
    next_cursor: str | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    locked_until: datetime | None
    created_at: datetime


class UserCreate(StrictInput):
    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.viewer
    password: str | None = Field(default=None, max_length=1024)


class UserUpdate(StrictInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    is_active: bool | None = None


class UserList(PageOf[UserRead]):
    pass


class PasswordChange(StrictInput):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class AreaOwner(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str


class AreaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    description: str
    owner: AreaOwner | None
    created_at: datetime
    updated_at: datetime


class AreaCreate(StrictInput):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=64)
    description: str = Field(default="", max_length=5000)
    owner_id: StrictInt | None = Field(default=None, description="A user id (not `true`).")


class AreaUpdate(StrictInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=5000)
    owner_id: StrictInt | None = Field(default=None, description="A user id (not `true`).")


class AreaList(PageOf[AreaRead]):
    pass


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scope: TokenScope
    user_id: int
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreate(StrictInput):
    name: str = Field(min_length=1, max_length=200)
    scope: TokenScope = TokenScope.read
    expires_at: AwareDatetime | None = Field(
        default=None, description="With a time zone offset, e.g. 2027-01-01T00:00:00Z."
    )


class TokenCreated(TokenRead):
    token: str = Field(description="The secret. Shown only in this response; store it now.")


class TokenList(PageOf[TokenRead]):
    pass


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    action: str
    actor_id: int | None
    actor_label: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict[str, Any]
    client_address: str
    created_at: datetime


class EventList(PageOf[EventRead]):
    pass
