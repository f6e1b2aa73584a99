"""The PDF cache (dosecal.service.pdfcache): each plan's printable PDF kept once made, shared by every server."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add pdf_cache, and an index on plans.updated for the background worker's poll."""
    op.create_table(
        "pdf_cache",
        sa.Column("plan_id", sa.String(32), sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("variant", sa.String(64), primary_key=True),
        sa.Column("pdf", sa.LargeBinary, nullable=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("made", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_pdf_cache_made", "pdf_cache", ["made"])
    op.create_index("ix_plans_updated", "plans", ["updated"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_plans_updated", "plans")
    op.drop_index("ix_pdf_cache_made", "pdf_cache")
    op.drop_table("pdf_cache")
