"""The PDF cache (dosecal.service.pdfcache): each plan's printable PDF kept once made, shared by every server."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add pdf_cache (the background worker finds changed plans by index ix_plans_updated, of 0008)."""
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


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_pdf_cache_made", "pdf_cache")
    op.drop_table("pdf_cache")
