"""Reserved for saved dashboards (ops domain; issue 13).

Reserved in advance so that work on several domains in one session gets a stable
chain of revisions; a reserved step that ends up with no schema change stays empty
(databases migrated during development may be at it).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 23:10:00.000000
"""

from collections.abc import Sequence

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved


def downgrade() -> None:
    pass
