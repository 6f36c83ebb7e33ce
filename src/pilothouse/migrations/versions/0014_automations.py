"""Add automation rules, the outbox dispatch cursor, rule firings and webhook deliveries.

The dispatch cursor starts at the newest event that exists when the step runs, so an
existing workspace does not replay its history through rules created later.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "queued", "running", "retrying", "succeeded", "failed")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _rules() -> None:
    op.create_table(
        "automation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("trigger", sa.String(length=100), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("since_event_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_automation_rules_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_automation_rules_name")),
    )
    with op.batch_alter_table("automation_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_rules_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_automation_rules_trigger"), ["trigger"], unique=False)


def _cursor_and_firings() -> None:
    op.create_table(
        "automation_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_automation_cursors")),
    )
    op.execute(
        "INSERT INTO automation_cursors (name, last_event_id, updated_at) "
        "SELECT 'dispatcher', COALESCE(MAX(id), 0), CURRENT_TIMESTAMP FROM events"
    )
    op.create_table(
        "automation_firings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("chain_root_id", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rules.id"],
            name=op.f("fk_automation_firings_rule_id_automation_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_firings")),
        sa.UniqueConstraint("rule_id", "chain_root_id", name=op.f("uq_automation_firings_rule_id")),
    )
    with op.batch_alter_table("automation_firings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_firings_rule_id"), ["rule_id"], unique=False
        )


def _deliveries() -> None:
    op.create_table(
        "automation_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("chain_root_id", sa.Integer(), nullable=True),
        sa.Column("action_index", sa.Integer(), nullable=False),
        sa.Column("action_kind", sa.String(length=32), nullable=False),
        sa.Column("action", sa.JSON(), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="delivery_status", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rules.id"],
            name=op.f("fk_automation_deliveries_rule_id_automation_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_deliveries")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_automation_deliveries_idempotency_key")
        ),
    )
    with op.batch_alter_table("automation_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_automation_deliveries_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_automation_deliveries_rule_id_id", ["rule_id", "id"], unique=False
        )


def _attempts() -> None:
    op.create_table(
        "automation_delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        _when("started_at"),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["automation_deliveries.id"],
            name=op.f("fk_automation_delivery_attempts_delivery_id_automation_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_delivery_attempts")),
    )
    with op.batch_alter_table("automation_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_delivery_attempts_delivery_id"),
            ["delivery_id"],
            unique=False,
        )


def upgrade() -> None:
    _rules()
    _cursor_and_firings()
    _deliveries()
    _attempts()


def downgrade() -> None:
    op.drop_table("automation_delivery_attempts")
    op.drop_table("automation_deliveries")
    op.drop_table("automation_firings")
    op.drop_table("automation_cursors")
    op.drop_table("automation_rules")
