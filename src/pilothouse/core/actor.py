"""Who is acting: passed to every service call so audit and events know who did it."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from pilothouse.core.errors import Forbidden
from pilothouse.core.models import Role, User

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """A signed-in person, an API token's owner, or the command line."""

    user_id: int | None
    label: str
    role: Role
    client_address: str = ""
    can_write: bool = True

    @classmethod
    def for_user(cls, user: User, *, client_address: str = "", can_write: bool = True) -> Actor:
        return cls(user.id, user.email, user.role, client_address, can_write)

    @classmethod
    def command_line(cls) -> Actor:
        """The operator at the server's shell, who has full rights by owning the data folder."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls(None, f"cli:{name}", Role.admin)

    def require(self, role: Role, *, write: bool = False) -> None:
        """Raise :class:`Forbidden` unless this actor has ``role`` (and may write)."""
        if not self.role.allows(role):
            raise Forbidden(f"this needs the {role.value} role; you are {self.role.value}")
        if write and not self.can_write:
            raise Forbidden("this API token has read scope; writing needs a write token")
