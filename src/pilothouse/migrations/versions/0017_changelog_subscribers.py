"""Public changelog: confirmed e-mail subscribers (address, confirmation time, source).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "changelog_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changelog_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_changelog_subscribers_email")),
    )


def downgrade() -> None:
    op.drop_table("changelog_subscribers")
