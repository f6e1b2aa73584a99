"""Teams: a nurse sees and opens only the plans of her teams.

A plan belongs to the team it was made in; a user may be in several teams; an administrator
sees every team's plans. Plans and users from before teams are in :data:`DEFAULT_TEAM` (the
migration puts them there). The command line's ``store`` commands, run by the server's
operator, see every plan.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from dosecal.errors import StoreError
from dosecal.words import msg

_meta = sa.MetaData()

memberships = sa.Table(
    "memberships",
    _meta,
    sa.Column("user", sa.String(64), primary_key=True),
    sa.Column("team", sa.String(64), primary_key=True),
)
plan_teams = sa.Table(
    "plan_teams",
    _meta,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("team", sa.String(64), nullable=False, index=True),
)
admins = sa.Table(
    "admins",
    _meta,
    sa.Column("user", sa.String(64), primary_key=True),
)
#: The accounts (:mod:`dosecal.service.accounts` owns the table): an administrator counts while
#: her account exists.
_users = sa.table("users", sa.column("name"))

#: The team of plans and users from before teams, and of plans made on the command line.
DEFAULT_TEAM = "clinic"

#: What a team's name may be: as a user name.
_TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_team(name: str) -> str:
    """``name`` if it can name a team.

    Raises:
        StoreError: when it cannot.
    """
    if not _TEAM.match(name):
        raise StoreError(msg("error.teams.name", name=name[:70]))
    return name


class Teams:
    """The teams of one plan store's database."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def join(self, user: str, team: str) -> None:
        """Put ``user`` in ``team`` (again: nothing changes)."""
        check_team(team)
        with self.engine.begin() as c:
            found = c.execute(
                sa.select(memberships).where(memberships.c.user == user, memberships.c.team == team)
            ).first()
            if found is None:
                c.execute(memberships.insert().values(user=user, team=team))

    def leave(self, user: str, team: str) -> None:
        """Take ``user`` out of ``team`` (not in it: nothing changes)."""
        with self.engine.begin() as c:
            c.execute(memberships.delete().where(memberships.c.user == user, memberships.c.team == team))

    def make_admin(self, user: str, admin: bool = True, *, keep_one: bool = False) -> None:
        """Let ``user`` see every team's plans (or, with ``admin`` false, only her teams' again).

        With ``keep_one`` (the pages), taking the rights of the last administrator is refused:
        nobody could then reach the administrator's pages. The command line, whose operator can
        always give them again, does not ask it.

        Raises:
            StoreError: with ``keep_one``, when ``user`` is the last administrator (nothing changes).
        """
        with self.engine.begin() as c:
            if not admin:
                if keep_one:
                    lock_admins(c)
                gone = c.execute(admins.delete().where(admins.c.user == user)).rowcount
                if keep_one and gone and not has_admin(c):
                    raise StoreError(msg("error.teams.last_admin", name=user))
            elif c.execute(sa.select(admins).where(admins.c.user == user)).first() is None:
                c.execute(admins.insert().values(user=user))

    def administrators(self) -> list[str]:
        """The administrators whose account exists, by name."""
        with self.engine.connect() as c:
            return [str(name) for name in c.execute(_admin_accounts().order_by(admins.c.user)).scalars()]

    def known(self) -> list[str]:
        """Every team a user is in or a plan belongs to, and :data:`DEFAULT_TEAM`, by name."""
        with self.engine.connect() as c:
            named = set(c.execute(sa.select(memberships.c.team).distinct()).scalars())
            named |= set(c.execute(sa.select(plan_teams.c.team).distinct()).scalars())
        return sorted(named | {DEFAULT_TEAM})

    def everyone(self) -> dict[str, tuple[list[str], bool]]:
        """Each user's teams and whether she sees all, by name (users in no team are absent)."""
        with self.engine.connect() as c:
            found: dict[str, tuple[list[str], bool]] = {}
            for row in c.execute(sa.select(memberships).order_by(memberships.c.user, memberships.c.team)):
                found.setdefault(row.user, ([], False))[0].append(row.team)
            for name in c.execute(sa.select(admins.c.user)).scalars():
                found[name] = (found.get(name, ([], False))[0], True)
        return found

    def teams_of(self, user: str) -> list[str]:
        """The teams ``user`` is in, by name."""
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(memberships.c.team).where(memberships.c.user == user).order_by(memberships.c.team)
            ).scalars()
            return list(rows)

    def sees_all(self, user: str) -> bool:
        """Whether ``user`` is an administrator (every team's plans)."""
        with self.engine.connect() as c:
            return c.execute(sa.select(admins).where(admins.c.user == user)).first() is not None

    def assign(self, plan_id: str, team: str) -> None:
        """Make ``plan_id`` belong to ``team``."""
        check_team(team)
        with self.engine.begin() as c:
            c.execute(plan_teams.delete().where(plan_teams.c.plan_id == plan_id))
            c.execute(plan_teams.insert().values(plan_id=plan_id, team=team))

    def team_of(self, plan_id: str) -> str:
        """The team ``plan_id`` belongs to (:data:`DEFAULT_TEAM` for one made on the command line)."""
        with self.engine.connect() as c:
            team = c.execute(sa.select(plan_teams.c.team).where(plan_teams.c.plan_id == plan_id)).scalar()
        return team or DEFAULT_TEAM

    def teams_by_plan(self) -> dict[str, str]:
        """Every plan's team, by plan id (plans made on the command line are not listed)."""
        with self.engine.connect() as c:
            return {row.plan_id: row.team for row in c.execute(sa.select(plan_teams)).all()}

    def may_open(self, user: str, plan_id: str) -> bool:
        """Whether ``user`` may see and open ``plan_id``: one of her teams', or she sees all."""
        return self.sees_all(user) or self.team_of(plan_id) in self.teams_of(user)


def _admin_accounts() -> sa.Select[Any]:
    return sa.select(admins.c.user).join(_users, _users.c.name == admins.c.user)


def lock_admins(connection: sa.Connection) -> None:
    """Lock the administrators' rows until ``connection``'s transaction ends (PostgreSQL).

    Two administrators taken away at once then wait for each other, and the second sees
    the first gone (:func:`has_admin`). SQLite has no row locks: its one writer at a time,
    holding the lock from its first change, sees every change committed before it.
    """
    connection.execute(sa.select(admins.c.user).with_for_update()).all()


def has_admin(connection: sa.Connection) -> bool:
    """Whether an administrator with an account is left, as ``connection``'s transaction sees it."""
    return connection.execute(_admin_accounts().limit(1)).first() is not None
