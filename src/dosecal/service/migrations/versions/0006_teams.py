"""Teams: who may see which plans (dosecal.service.teams); everything so far joins the clinic team."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: dosecal.service.teams.DEFAULT_TEAM, written out: a migration never changes with the code.
DEFAULT_TEAM = "clinic"


def upgrade() -> None:
    """Add memberships, plan_teams and admins; put every user and plan in the default team."""
    op.create_table(
        "memberships",
        sa.Column("user", sa.String(64), primary_key=True),
        sa.Column("team", sa.String(64), primary_key=True),
    )
    op.create_table(
        "plan_teams",
        sa.Column("plan_id", sa.String(64), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
    )
    op.create_index("ix_plan_teams_team", "plan_teams", ["team"])
    op.create_table("admins", sa.Column("user", sa.String(64), primary_key=True))
    bind = op.get_bind()
    for (name,) in bind.execute(sa.text("SELECT name FROM users")).all():
        bind.execute(
            sa.text('INSERT INTO memberships ("user", team) VALUES (:u, :t)'), {"u": name, "t": DEFAULT_TEAM}
        )
    for (plan_id,) in bind.execute(sa.text("SELECT id FROM plans")).all():
        bind.execute(
            sa.text("INSERT INTO plan_teams (plan_id, team) VALUES (:p, :t)"),
            {"p": plan_id, "t": DEFAULT_TEAM},
        )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("admins")
    op.drop_index("ix_plan_teams_team", "plan_teams")
    op.drop_table("plan_teams")
    op.drop_table("memberships")
