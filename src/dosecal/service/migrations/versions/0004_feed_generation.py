"""Feed links that can be shown again: each plan's feed generation, and archived plans."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``plans.feed_generation`` (NULL: a link drawn at random before, not shown again) and ``archived``."""
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("feed_generation", sa.Integer, nullable=True))
        batch.add_column(sa.Column("archived", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("archived")
        batch.drop_column("feed_generation")
