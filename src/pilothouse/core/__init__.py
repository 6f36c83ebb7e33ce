"""Core: settings, database, people, roles, product areas, credentials, audit, links.

Nothing domain-specific lives here; every domain builds on these services.
"""

from pilothouse.core.actor import Actor
from pilothouse.core.config import Settings
from pilothouse.core.db import Base, Database, utcnow
from pilothouse.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PilothouseError,
    Unauthorized,
    ValidationFailed,
)
from pilothouse.core.models import Role, TokenScope
from pilothouse.core.runtime import Runtime

__all__ = [
    "Actor",
    "BadRequest",
    "Base",
    "Conflict",
    "Database",
    "Forbidden",
    "NotFound",
    "PilothouseError",
    "Role",
    "Runtime",
    "Settings",
    "TokenScope",
    "Unauthorized",
    "ValidationFailed",
    "utcnow",
]
