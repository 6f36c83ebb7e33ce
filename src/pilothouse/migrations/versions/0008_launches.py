"""Launch templates, launches, gates, approvals and release notes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 23:30:00.000000
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved; filled in by the domain that owns this revision


def downgrade() -> None:
    pass
