"""Migrations: they build the schema the models describe, and a failure rolls back whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from pilothouse.core.db import Base, Database
from pilothouse.core.migrate import MIGRATIONS_DIR, current_revision, head_revision, upgrade
from pilothouse.core.registry import import_all_models
from pilothouse.core.schema_version import HEAD_REVISION, is_current, stored_revision
from tests.conftest import DatabaseFactory

FAILING_MIGRATION = '''"""A migration that creates a table, changes a column, then fails."""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("nickname", sa.String(50), nullable=True))
    op.execute("INSERT INTO no_such_table VALUES (1)")


def downgrade():
    pass
'''


@pytest.fixture
def empty_database(backend: str, database_factory: DatabaseFactory):  # type: ignore[no-untyped-def]
    database = Database(database_factory.new_url(backend))
    yield database
    database.dispose()


def test_upgrade_reaches_head_and_is_repeatable(empty_database: Database) -> None:
    assert current_revision(empty_database) is None
    upgrade(empty_database)
    assert current_revision(empty_database) == head_revision()
    upgrade(empty_database)  # a second run changes nothing and does not fail
    assert current_revision(empty_database) == head_revision()


def test_migrated_schema_matches_the_models(empty_database: Database) -> None:
    upgrade(empty_database)
    import_all_models()
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "models and migrations disagree; write a migration"


def test_failed_migration_leaves_the_previous_revision(
    empty_database: Database, tmp_path: Path
) -> None:
    upgrade(empty_database)
    before = current_revision(empty_database)
    versions = tmp_path / "versions"
    shutil.copytree(MIGRATIONS_DIR / "versions", versions)
    (versions / "9999_failing.py").write_text(FAILING_MIGRATION.format(head=before))
    with pytest.raises(Exception, match="no_such_table"):
        upgrade(empty_database, version_locations=[versions])
    assert current_revision(empty_database) == before
    inspector = inspect(empty_database.engine)
    assert "half_done" not in inspector.get_table_names()
    assert "nickname" not in {c["name"] for c in inspector.get_columns("users")}


def test_the_quick_schema_check_agrees_with_alembic(empty_database: Database) -> None:
    """Commands check the schema without Alembic; the pinned head must be Alembic's head."""
    assert HEAD_REVISION == head_revision()
    assert stored_revision(empty_database) is None and not is_current(empty_database)
    upgrade(empty_database, "0011")
    assert stored_revision(empty_database) == current_revision(empty_database) == "0011"
    assert not is_current(empty_database)
    upgrade(empty_database)
    assert stored_revision(empty_database) == current_revision(empty_database) == HEAD_REVISION
    assert is_current(empty_database)
