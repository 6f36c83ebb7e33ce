"""Add the roadmap: statuses, objectives and key results, items, custom fields, formulas.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The default workflow (a copy, so that this migration never changes with the code).
DEFAULT_STATUSES = (
    ("new", "New", "backlog"),
    ("discovery", "Discovery", "discovery"),
    ("planned", "Planned", "planned"),
    ("in-progress", "In progress", "in_progress"),
    ("launched", "Launched", "done"),
    ("declined", "Declined", "declined"),
)


def upgrade() -> None:
    op.create_table(
        "roadmap_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "text",
                "number",
                "single_select",
                "multi_select",
                "date",
                "user",
                "url",
                name="field_type",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_fields")),
        sa.UniqueConstraint("key", name=op.f("uq_roadmap_fields_key")),
        sa.UniqueConstraint("name", name=op.f("uq_roadmap_fields_name")),
    )
    op.create_table(
        "roadmap_formulas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("expression", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_formulas")),
        sa.UniqueConstraint("key", name=op.f("uq_roadmap_formulas_key")),
    )
    op.create_table(
        "roadmap_key_counters",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_roadmap_key_counters")),
    )
    op.create_table(
        "roadmap_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "backlog",
                "discovery",
                "planned",
                "in_progress",
                "done",
                "declined",
                name="status_category",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_statuses")),
        sa.UniqueConstraint("key", name=op.f("uq_roadmap_statuses_key")),
        sa.UniqueConstraint("name", name=op.f("uq_roadmap_statuses_name")),
    )
    op.create_table(
        "roadmap_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "initiative", "feature", "idea", name="item_kind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("product_area_id", sa.Integer(), nullable=True),
        sa.Column("target_quarter", sa.String(length=7), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("reach", sa.Float(), nullable=True),
        sa.Column("impact", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("effort", sa.Float(), nullable=True),
        sa.Column("ease", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("business_value", sa.Float(), nullable=True),
        sa.Column("time_criticality", sa.Float(), nullable=True),
        sa.Column("risk_reduction", sa.Float(), nullable=True),
        sa.Column("job_size", sa.Float(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_roadmap_items_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_roadmap_items_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_items_parent_id_roadmap_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_area_id"],
            ["product_areas.id"],
            name=op.f("fk_roadmap_items_product_area_id_product_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["roadmap_statuses.id"],
            name=op.f("fk_roadmap_items_status_id_roadmap_statuses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_items")),
        sa.UniqueConstraint("key", name=op.f("uq_roadmap_items_key")),
    )
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.create_index("ix_roadmap_items_kind_status", ["kind", "status_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roadmap_items_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roadmap_items_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roadmap_items_product_area_id"), ["product_area_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_roadmap_items_status_id"), ["status_id"], unique=False)

    op.create_table(
        "roadmap_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "achieved",
                "missed",
                "dropped",
                name="objective_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("product_area_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_roadmap_objectives_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_area_id"],
            ["product_areas.id"],
            name=op.f("fk_roadmap_objectives_product_area_id_product_areas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_objectives")),
        sa.UniqueConstraint("key", name=op.f("uq_roadmap_objectives_key")),
    )
    with op.batch_alter_table("roadmap_objectives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_objectives_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roadmap_objectives_product_area_id"), ["product_area_id"], unique=False
        )

    op.create_table(
        "roadmap_external_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=32), nullable=False),
        sa.Column("external_key", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_external_refs_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_external_refs")),
        sa.UniqueConstraint("system", "external_key", name="uq_roadmap_external_refs_system_key"),
    )
    with op.batch_alter_table("roadmap_external_refs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_external_refs_item_id"), ["item_id"], unique=False
        )

    op.create_table(
        "roadmap_field_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("text_value", sa.String(length=2000), nullable=True),
        sa.Column("number_value", sa.Float(), nullable=True),
        sa.Column("date_value", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["roadmap_fields.id"],
            name=op.f("fk_roadmap_field_values_field_id_roadmap_fields"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_field_values_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_field_values")),
        sa.UniqueConstraint("item_id", "field_id", name="uq_roadmap_field_values_item_field"),
    )
    with op.batch_alter_table("roadmap_field_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_field_values_field_id"), ["field_id"], unique=False
        )

    op.create_table(
        "roadmap_item_keys",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_item_keys_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_roadmap_item_keys")),
    )
    with op.batch_alter_table("roadmap_item_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_item_keys_item_id"), ["item_id"], unique=False)

    op.create_table(
        "roadmap_item_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_item_objectives_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["roadmap_objectives.id"],
            name=op.f("fk_roadmap_item_objectives_objective_id_roadmap_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_item_objectives")),
        sa.UniqueConstraint(
            "item_id", "objective_id", name="uq_roadmap_item_objectives_item_objective"
        ),
    )
    with op.batch_alter_table("roadmap_item_objectives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_item_objectives_objective_id"), ["objective_id"], unique=False
        )

    op.create_table(
        "roadmap_item_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_item_tags_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_item_tags")),
        sa.UniqueConstraint("item_id", "tag", name="uq_roadmap_item_tags_item_tag"),
    )
    with op.batch_alter_table("roadmap_item_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_item_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "roadmap_key_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("metric_slug", sa.String(length=100), nullable=True),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=False),
        sa.Column("current_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["roadmap_objectives.id"],
            name=op.f("fk_roadmap_key_results_objective_id_roadmap_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_key_results")),
    )
    with op.batch_alter_table("roadmap_key_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_key_results_metric_slug"), ["metric_slug"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roadmap_key_results_objective_id"), ["objective_id"], unique=False
        )

    statuses = sa.table(
        "roadmap_statuses",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("category", sa.String),
        sa.column("position", sa.Integer),
        sa.column("color", sa.String),
        sa.column("is_default", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        statuses,
        [
            {
                "key": key,
                "name": name,
                "category": category,
                "position": position,
                "color": "",
                "is_default": position == 0,
                "created_at": now,
                "updated_at": now,
            }
            for position, (key, name, category) in enumerate(DEFAULT_STATUSES)
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("roadmap_key_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_key_results_objective_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_key_results_metric_slug"))

    op.drop_table("roadmap_key_results")
    with op.batch_alter_table("roadmap_item_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_item_tags_tag"))

    op.drop_table("roadmap_item_tags")
    with op.batch_alter_table("roadmap_item_objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_item_objectives_objective_id"))

    op.drop_table("roadmap_item_objectives")
    with op.batch_alter_table("roadmap_item_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_item_keys_item_id"))

    op.drop_table("roadmap_item_keys")
    with op.batch_alter_table("roadmap_field_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_field_values_field_id"))

    op.drop_table("roadmap_field_values")
    with op.batch_alter_table("roadmap_external_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_external_refs_item_id"))

    op.drop_table("roadmap_external_refs")
    with op.batch_alter_table("roadmap_objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_objectives_product_area_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_objectives_owner_id"))

    op.drop_table("roadmap_objectives")
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_items_status_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_items_product_area_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_items_parent_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_items_owner_id"))
        batch_op.drop_index("ix_roadmap_items_kind_status")

    op.drop_table("roadmap_items")
    op.drop_table("roadmap_statuses")
    op.drop_table("roadmap_key_counters")
    op.drop_table("roadmap_formulas")
    op.drop_table("roadmap_fields")
