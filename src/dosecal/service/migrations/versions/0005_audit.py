"""Who saw what: the audit trail of the clinic's pages (dosecal.service.audit)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the ``audit`` table, indexed by time and by plan."""
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=True),
        sa.Column("client", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_plan_id", "audit", ["plan_id"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_audit_plan_id", "audit")
    op.drop_index("ix_audit_at", "audit")
    op.drop_table("audit")
