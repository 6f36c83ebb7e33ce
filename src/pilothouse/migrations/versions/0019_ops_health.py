"""Pilothouse's own use for process health: one row per person and day they used it
(``ops_activity_days``), for weekly active users by role.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ops_activity_days",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ops_activity_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_ops_activity_days")),
    )
    op.create_index("ix_ops_activity_days_day", "ops_activity_days", ["day"])


def downgrade() -> None:
    op.drop_index("ix_ops_activity_days_day", table_name="ops_activity_days")
    op.drop_table("ops_activity_days")
