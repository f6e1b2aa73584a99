"""The plans list's stored facts (dosecal.service.listing): next events, horizon, search words.

Filled here for every plan already stored, by this dosecal's own expansion of each plan; a
plan that no longer expands is left out and moved on when a list first shows it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add plan_list, plan_upcoming and plan_words, the plans' order index, and fill them."""
    op.create_table(
        "plan_list",
        sa.Column("plan_id", sa.String(32), primary_key=True),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("horizon", sa.Date, nullable=True),
    )
    op.create_index("ix_plan_list_horizon", "plan_list", ["horizon"])
    op.create_table(
        "plan_upcoming",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(32), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visit", sa.Boolean, nullable=False),
        sa.Column("words", sa.Text, nullable=False),
    )
    op.create_index("ix_plan_upcoming_plan_day", "plan_upcoming", ["plan_id", "day"])
    op.create_table(
        "plan_words",
        sa.Column("plan_id", sa.String(32), primary_key=True),
        sa.Column("word", sa.String(64), primary_key=True),
    )
    op.create_index("ix_plan_words_word", "plan_words", ["word", "plan_id"])
    # The list's order: newest change first, archived or not.
    op.create_index("ix_plans_archived_updated", "plans", ["archived", "updated", "id"])
    op.create_index("ix_plans_updated", "plans", ["updated", "id"])

    from dosecal.errors import DosecalError
    from dosecal.service import listing
    from dosecal.service.courses import course_of

    bind = op.get_bind()
    now = datetime.now(UTC)
    for row in bind.execute(sa.text("SELECT id, label, schedule, content, definition FROM plans")).all():
        try:
            course = course_of(row.id, row.content, row.definition)
        except DosecalError:
            continue
        listing.write(bind, row.id, course, row.label, row.schedule, now)


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_plans_updated", "plans")
    op.drop_index("ix_plans_archived_updated", "plans")
    op.drop_index("ix_plan_words_word", "plan_words")
    op.drop_table("plan_words")
    op.drop_index("ix_plan_upcoming_plan_day", "plan_upcoming")
    op.drop_table("plan_upcoming")
    op.drop_index("ix_plan_list_horizon", "plan_list")
    op.drop_table("plan_list")
