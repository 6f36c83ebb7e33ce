"""Add the feedback hub: feedback items.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-25 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "source_kind",
            sa.Enum(
                "support_ticket",
                "app_review",
                "survey",
                "sales_note",
                "cs_note",
                "interview",
                "in_app",
                "email",
                "internal",
                name="feedback_source_kind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source_name", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("nps_score", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("product_area_id", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "triaged",
                "linked",
                "closed",
                name="feedback_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "sentiment",
            sa.Enum(
                "positive",
                "neutral",
                "negative",
                name="feedback_sentiment",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["customer_accounts.id"],
            name=op.f("fk_feedback_items_account_id_customer_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_feedback_items_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_feedback_items_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["feedback_items.id"],
            name=op.f("fk_feedback_items_duplicate_of_id_feedback_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_area_id"],
            ["product_areas.id"],
            name=op.f("fk_feedback_items_product_area_id_product_areas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_items")),
        sa.UniqueConstraint("source_name", "external_id", name="uq_feedback_items_source_external"),
    )
    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_items_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_items_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_items_duplicate_of_id"), ["duplicate_of_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_items_product_area_id"), ["product_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_items_source_name"), ["source_name"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_items_status_created", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_items_status_created")
        batch_op.drop_index(batch_op.f("ix_feedback_items_source_name"))
        batch_op.drop_index(batch_op.f("ix_feedback_items_product_area_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_items_duplicate_of_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_items_contact_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_items_account_id"))

    op.drop_table("feedback_items")
