"""Alembic environment: the URL comes from the bound Database, metadata from every model."""

from __future__ import annotations

from alembic import context

from pilothouse.core.db import Base, Database
from pilothouse.core.registry import import_all_models

import_all_models()

config = context.config
database: Database = config.attributes["database"]


def run_migrations_online() -> None:
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=database.is_sqlite,
            compare_type=True,
            transaction_per_migration=False,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
