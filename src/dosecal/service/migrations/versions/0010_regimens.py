"""Local regimens (dosecal.service.regimens): definitions a clinic imported, each version kept."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``regimens``: one row per version of a local regimen, the newest its current one."""
    op.create_table(
        "regimens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("canonical", sa.Text, nullable=True),
        sa.Column("part", sa.Integer, nullable=True),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("who", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop it (plans made of a local regimen keep their snapshots; their upgrade then finds none)."""
    op.drop_table("regimens")
