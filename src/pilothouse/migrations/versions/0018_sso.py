"""Single sign-on: OIDC identities linked to people, pending sign-ins, SSO web sessions.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oidc_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oidc_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_oidc_identities_issuer")),
    )
    with op.batch_alter_table("oidc_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_identities_user_id"), ["user_id"], unique=False)
    op.create_table(
        "oidc_login_requests",
        sa.Column("state_hash", sa.String(length=128), nullable=False),
        sa.Column("browser_hash", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("next_url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oidc_login_requests")),
    )
    with op.batch_alter_table("oidc_login_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oidc_login_requests_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "oidc_web_sessions",
        sa.Column("web_session_hash", sa.String(length=128), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["oidc_identities.id"],
            name=op.f("fk_oidc_web_sessions_identity_id_oidc_identities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["web_session_hash"],
            ["web_sessions.id_hash"],
            name=op.f("fk_oidc_web_sessions_web_session_hash_web_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("web_session_hash", name=op.f("pk_oidc_web_sessions")),
    )
    with op.batch_alter_table("oidc_web_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oidc_web_sessions_identity_id"), ["identity_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("oidc_web_sessions")
    op.drop_table("oidc_login_requests")
    op.drop_table("oidc_identities")
