"""Durable job records.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 23:30:00.000000
"""

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved; filled in by the domain that owns this revision


def downgrade() -> None:
    pass
