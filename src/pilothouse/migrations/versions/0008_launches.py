"""Launch templates, launches, gates, approvals and release notes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "launch_key_counters",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_launch_key_counters")),
    )
    op.create_table(
        "launch_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_launch_templates_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_launch_templates_name")),
    )
    op.create_index(
        op.f("ix_launch_templates_created_by_id"),
        "launch_templates",
        ["created_by_id"],
        unique=False,
    )
    op.create_table(
        "launch_template_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["launch_templates.id"],
            name=op.f("fk_launch_template_stages_template_id_launch_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_template_stages")),
    )
    op.create_index(
        op.f("ix_launch_template_stages_template_id"),
        "launch_template_stages",
        ["template_id"],
        unique=False,
    )
    op.create_table(
        "launches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("template_name", sa.String(length=200), nullable=False),
        sa.Column("product_area_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "launched",
                "cancelled",
                name="launch_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("current_stage", sa.Integer(), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes_draft", sa.Text(), nullable=False),
        sa.Column("notes_published", sa.Text(), nullable=False),
        sa.Column("notes_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_launches_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_launches_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["product_area_id"],
            ["product_areas.id"],
            name=op.f("fk_launches_product_area_id_product_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["launch_templates.id"],
            name=op.f("fk_launches_template_id_launch_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launches")),
        sa.UniqueConstraint("key", name=op.f("uq_launches_key")),
    )
    op.create_index(op.f("ix_launches_created_by_id"), "launches", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_launches_owner_id"), "launches", ["owner_id"], unique=False)
    op.create_index(
        op.f("ix_launches_product_area_id"), "launches", ["product_area_id"], unique=False
    )
    op.create_index(op.f("ix_launches_status"), "launches", ["status"], unique=False)
    op.create_index(op.f("ix_launches_target_date"), "launches", ["target_date"], unique=False)
    op.create_index(op.f("ix_launches_template_id"), "launches", ["template_id"], unique=False)
    op.create_table(
        "launch_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("launch_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["launch_id"],
            ["launches.id"],
            name=op.f("fk_launch_stages_launch_id_launches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_stages")),
        sa.UniqueConstraint("launch_id", "position", name="uq_launch_stages_launch_position"),
    )
    op.create_table(
        "launch_template_gates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("approver_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["launch_template_stages.id"],
            name=op.f("fk_launch_template_gates_stage_id_launch_template_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_template_gates")),
    )
    op.create_index(
        op.f("ix_launch_template_gates_stage_id"),
        "launch_template_gates",
        ["stage_id"],
        unique=False,
    )
    op.create_table(
        "launch_template_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_role", sa.String(length=64), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["launch_template_stages.id"],
            name=op.f("fk_launch_template_items_stage_id_launch_template_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_template_items")),
    )
    op.create_index(
        op.f("ix_launch_template_items_stage_id"),
        "launch_template_items",
        ["stage_id"],
        unique=False,
    )
    op.create_table(
        "launch_gates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["launch_stages.id"],
            name=op.f("fk_launch_gates_stage_id_launch_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_gates")),
    )
    op.create_index(op.f("ix_launch_gates_stage_id"), "launch_gates", ["stage_id"], unique=False)
    op.create_table(
        "launch_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_role", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["done_by_id"],
            ["users.id"],
            name=op.f("fk_launch_items_done_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_launch_items_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["launch_stages.id"],
            name=op.f("fk_launch_items_stage_id_launch_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_items")),
    )
    op.create_index(op.f("ix_launch_items_due_date"), "launch_items", ["due_date"], unique=False)
    op.create_index(op.f("ix_launch_items_owner_id"), "launch_items", ["owner_id"], unique=False)
    op.create_index(op.f("ix_launch_items_stage_id"), "launch_items", ["stage_id"], unique=False)
    op.create_table(
        "launch_gate_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="approval_decision",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["approver_id"],
            ["users.id"],
            name=op.f("fk_launch_gate_approvals_approver_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["launch_gates.id"],
            name=op.f("fk_launch_gate_approvals_gate_id_launch_gates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_gate_approvals")),
        sa.UniqueConstraint(
            "gate_id", "approver_id", name="uq_launch_gate_approvals_gate_approver"
        ),
    )
    op.create_index(
        op.f("ix_launch_gate_approvals_approver_id"),
        "launch_gate_approvals",
        ["approver_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("launch_gate_approvals")
    op.drop_table("launch_items")
    op.drop_table("launch_gates")
    op.drop_table("launch_template_items")
    op.drop_table("launch_template_gates")
    op.drop_table("launch_stages")
    op.drop_table("launches")
    op.drop_table("launch_template_stages")
    op.drop_table("launch_templates")
    op.drop_table("launch_key_counters")
