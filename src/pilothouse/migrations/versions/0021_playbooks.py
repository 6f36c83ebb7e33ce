"""Playbooks with their revisions and search index, and onboarding checklists.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _playbooks() -> None:
    op.create_table(
        "playbooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("playbooks", "owner_id", "users", "SET NULL"),
        _fk("playbooks", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
        sa.UniqueConstraint("slug", name=op.f("uq_playbooks_slug")),
    )
    op.create_table(
        "playbook_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("playbook_revisions", "playbook_id", "playbooks", "CASCADE"),
        _fk("playbook_revisions", "actor_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_revisions")),
        sa.UniqueConstraint(
            "playbook_id", "version", name="uq_playbook_revisions_playbook_version"
        ),
    )
    op.create_table(
        "playbook_terms",
        sa.Column("playbook_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        _fk("playbook_terms", "playbook_id", "playbooks", "CASCADE"),
        sa.PrimaryKeyConstraint("playbook_id", "term", name=op.f("pk_playbook_terms")),
    )
    op.create_index("ix_playbook_terms_term", "playbook_terms", ["term"])


def _onboarding() -> None:
    op.create_table(
        "onboarding_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_templates")),
        sa.UniqueConstraint("role", name=op.f("uq_onboarding_templates_role")),
    )
    op.create_table(
        "onboarding_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("link_type", sa.String(length=64), nullable=True),
        sa.Column("link_id", sa.String(length=64), nullable=True),
        _fk("onboarding_steps", "template_id", "onboarding_templates", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_steps")),
        sa.UniqueConstraint(
            "template_id", "position", name="uq_onboarding_steps_template_position"
        ),
    )
    op.create_table(
        "onboarding_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("onboarding_assignments", "template_id", "onboarding_templates", "CASCADE"),
        _fk("onboarding_assignments", "person_id", "users", "CASCADE"),
        _fk("onboarding_assignments", "manager_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_assignments")),
        sa.UniqueConstraint("template_id", "person_id", name="uq_onboarding_assignments_person"),
    )
    op.create_index(
        "ix_onboarding_assignments_manager_id", "onboarding_assignments", ["manager_id"]
    )
    op.create_table(
        "onboarding_step_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        _fk("onboarding_step_done", "assignment_id", "onboarding_assignments", "CASCADE"),
        _fk("onboarding_step_done", "step_id", "onboarding_steps", "CASCADE"),
        _fk("onboarding_step_done", "done_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_step_done")),
        sa.UniqueConstraint("assignment_id", "step_id", name="uq_onboarding_step_done_step"),
    )


def upgrade() -> None:
    _playbooks()
    _onboarding()


def downgrade() -> None:
    op.drop_table("onboarding_step_done")
    op.drop_index("ix_onboarding_assignments_manager_id", table_name="onboarding_assignments")
    op.drop_table("onboarding_assignments")
    op.drop_table("onboarding_steps")
    op.drop_table("onboarding_templates")
    op.drop_index("ix_playbook_terms_term", table_name="playbook_terms")
    op.drop_table("playbook_terms")
    op.drop_table("playbook_revisions")
    op.drop_table("playbooks")
