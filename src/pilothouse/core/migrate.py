"""Apply Alembic migrations to the app database, from the CLI and at server start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from pilothouse.core.db import Database

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database: Database, *, version_locations: list[Path] | None = None) -> Config:
    """An Alembic config bound to ``database`` (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = version_locations or [MIGRATIONS_DIR / "versions"]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    config.attributes["database"] = database
    return config


def upgrade(database: Database, revision: str = "head", **kwargs: object) -> None:
    """Migrate to ``revision``; each migration runs in a transaction that rolls back on error."""
    command.upgrade(alembic_config(database, **kwargs), revision)  # type: ignore[arg-type]


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of Pilothouse."""
    return ScriptDirectory.from_config(alembic_config(Database("sqlite://"))).get_current_head()
