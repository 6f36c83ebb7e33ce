"""No schema change (experiment templates and links use existing tables).

Kept as an empty step because databases migrated during development may be at this
revision; removing it would leave them at an unknown one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 23:30:00.000000
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # nothing to change


def downgrade() -> None:
    pass
