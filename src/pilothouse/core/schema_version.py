"""Whether the app database has the schema this version of Pilothouse ships.

Every command checks this before it touches the database. Asking Alembic costs
about half a second of imports per command; the answer is one ``SELECT`` from
Alembic's own ``alembic_version`` table compared with :data:`HEAD_REVISION`,
which ``tests/core/test_migrations.py`` holds equal to the head Alembic finds
in ``migrations/versions`` (a new migration that forgets to bump it fails there).
"""

from __future__ import annotations

from sqlalchemy import inspect, text

from pilothouse.core.db import Database

__all__ = ["HEAD_REVISION", "is_current", "stored_revision"]

#: The newest migration shipped with this version (``migrations/versions``).
HEAD_REVISION = "0024"


def stored_revision(database: Database) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        found = sorted(rows)
    return found[0] if len(found) == 1 else (",".join(found) or None)


def is_current(database: Database) -> bool:
    """Whether the database is migrated to :data:`HEAD_REVISION`."""
    return stored_revision(database) == HEAD_REVISION
