"""Feedback synthesis: embeddings, themes, membership, proposals.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feedback_embeddings",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("processed", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["feedback_items.id"],
            name=op.f("fk_feedback_embeddings_item_id_feedback_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "model_id", name=op.f("pk_feedback_embeddings")),
    )
    op.create_table(
        "feedback_themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("label_is_custom", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("quote_item_ids", sa.JSON(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("steered", sa.Boolean(), nullable=False),
        sa.Column("example_item_ids", sa.JSON(), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("model_id", sa.String(length=100), nullable=True),
        sa.Column(
            "origin", _enum("feedback_theme_origin", "auto", "manual", "steered"), nullable=False
        ),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_themes")),
    )
    op.create_table(
        "feedback_theme_members",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by", _enum("feedback_assigned_by", "auto", "person"), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        _when("assigned_at"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["feedback_items.id"],
            name=op.f("fk_feedback_theme_members_item_id_feedback_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["feedback_themes.id"],
            name=op.f("fk_feedback_theme_members_theme_id_feedback_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_feedback_theme_members")),
    )
    with op.batch_alter_table("feedback_theme_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_theme_members_theme_id"), ["theme_id"], unique=False
        )
    op.create_table(
        "feedback_synthesis_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("started_at"),
        _when("finished_at", nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("embedded", sa.Integer(), nullable=False),
        sa.Column("themes_created", sa.Integer(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("proposals", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("durations", sa.JSON(), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_synthesis_runs")),
    )
    op.create_table(
        "feedback_theme_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("feedback_proposal_kind", "new", "merge", "split"), nullable=False),
        sa.Column(
            "status",
            _enum("feedback_proposal_status", "open", "accepted", "rejected", "superseded"),
            nullable=False,
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        _when("created_at"),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_label", sa.String(length=200), nullable=True),
        _when("decided_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_feedback_theme_proposals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["feedback_synthesis_runs.id"],
            name=op.f("fk_feedback_theme_proposals_run_id_feedback_synthesis_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_theme_proposals")),
    )
    with op.batch_alter_table("feedback_theme_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_theme_proposals_status"), ["status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_theme_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_theme_proposals_status"))
    op.drop_table("feedback_theme_proposals")
    op.drop_table("feedback_synthesis_runs")
    with op.batch_alter_table("feedback_theme_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_theme_members_theme_id"))
    op.drop_table("feedback_theme_members")
    op.drop_table("feedback_themes")
    op.drop_table("feedback_embeddings")
