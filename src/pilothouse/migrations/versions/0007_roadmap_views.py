"""Roadmap views: item rank, saved views, stakeholder share links.

Adds the board placement of items (an explicit Now/Next/Later horizon and a
fractional rank within it), saved views (board, timeline, table with filters and
columns) and read-only share links to a view (token stored as a keyed hash).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("horizon", _enum("horizon", "now", "next", "later"), nullable=True)
        )
        batch_op.add_column(sa.Column("board_rank", sa.Float(), nullable=True))

    op.create_table(
        "roadmap_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", _enum("view_kind", "board", "timeline", "table"), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("formula", sa.String(length=64), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_roadmap_views_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_views")),
    )
    with op.batch_alter_table("roadmap_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_views_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "roadmap_share_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_roadmap_share_links_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["view_id"],
            ["roadmap_views.id"],
            name=op.f("fk_roadmap_share_links_view_id_roadmap_views"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_share_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_roadmap_share_links_token_hash")),
    )
    with op.batch_alter_table("roadmap_share_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_share_links_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roadmap_share_links_view_id"), ["view_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("roadmap_share_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_share_links_view_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_share_links_created_by_id"))
    op.drop_table("roadmap_share_links")
    with op.batch_alter_table("roadmap_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_views_owner_id"))
    op.drop_table("roadmap_views")
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.drop_column("board_rank")
        batch_op.drop_column("horizon")
