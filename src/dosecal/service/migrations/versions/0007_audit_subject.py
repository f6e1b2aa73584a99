"""The audit trail says whom or what an action was about (the command line's user and team actions)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``audit.subject``."""
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("subject", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("subject")
