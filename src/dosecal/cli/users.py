"""``dosecal users``: who may sign in to the clinic's pages; passwords never on the command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from dosecal.cli.common import with_exit_codes
from dosecal.cli.database import Db, db_option, record, store_of
from dosecal.words import say


def _accounts() -> Any:
    """The accounts of the store that ``--db`` names."""
    from dosecal.service.accounts import Accounts

    return Accounts(store_of())


def _new_password() -> str:
    """A password from the prompt (typed twice, hidden), or the first line of standard input.

    Never an option: a password in argv shows in ``ps`` and in the shell's history.
    """
    if sys.stdin.isatty():
        value: str = click.prompt(say("users.prompt"), hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


@click.group(
    "users",
    epilog="\b\nExamples:\n  dosecal users --db dosecal.db add mtremblay\n  dosecal users --db dosecal.db list",
)
@db_option
def users(db: str | None) -> None:
    """Manage who may sign in to the clinic's web pages ('dosecal serve').

    Passwords are asked at a prompt (or read from the first line of standard input), never
    given as options, and kept as scrypt hashes.
    """
    click.get_current_context().obj = Db(db)


@users.command(
    "add",
    epilog="\b\nExamples:\n  dosecal users --db dosecal.db add mtremblay --team hematology\n"
    "  dosecal users --db dosecal.db add jchen --team hematology --team oncology --admin",
)
@click.argument("name")
@click.option(
    "--team",
    "teams",
    metavar="TEAM",
    multiple=True,
    help="A team whose plans the user sees and makes plans in (repeat for several; default: clinic).",
)
@click.option("--admin", is_flag=True, help="The user sees every team's plans.")
@with_exit_codes
def users_add(name: str, teams: tuple[str, ...], admin: bool) -> None:
    """Make an account NAME in its teams; its password is asked for."""
    accounts = _accounts()
    from dosecal.service.accounts import check_name
    from dosecal.service.teams import DEFAULT_TEAM, check_team

    check_name(name)
    for team in teams:
        check_team(team)
    accounts.add(name, _new_password(), teams=teams or (DEFAULT_TEAM,), admin=admin)
    record(accounts.store, "user-add", subject=name)
    click.echo(say("users.added", name=name), err=True)


@users.command("list", epilog="\b\nExample:\n  dosecal users --db dosecal.db list")
@with_exit_codes
def users_list() -> None:
    """List the accounts: name, when each was made, its teams ('*' after one who sees all)."""
    from dosecal.service.teams import Teams

    accounts = _accounts()
    everyone = Teams(accounts.engine).everyone()
    for user in accounts.list():
        teams, admin = everyone.get(user.name, ([], False))
        when = user.created.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"{user.name:<24}{when}  {','.join(teams)}{' *' if admin else ''}".rstrip())


@users.command(
    "teams",
    epilog="\b\nExamples:\n  dosecal users --db dosecal.db teams mtremblay --join oncology --leave clinic\n"
    "  dosecal users --db dosecal.db teams jchen --no-admin",
)
@click.argument("name")
@click.option(
    "--join", "joins", metavar="TEAM", multiple=True, help="Put the user in TEAM (repeat for several)."
)
@click.option("--leave", "leaves", metavar="TEAM", multiple=True, help="Take the user out of TEAM.")
@click.option(
    "--admin/--no-admin",
    "admin",
    default=None,
    help="Let the user see every team's plans, or only her teams' again.",
)
@with_exit_codes
def users_teams(name: str, joins: tuple[str, ...], leaves: tuple[str, ...], admin: bool | None) -> None:
    """Show the teams of NAME, or change them; a nurse sees and makes plans only in her teams."""
    from dosecal.errors import StoreError
    from dosecal.service.teams import Teams, check_team
    from dosecal.words import msg

    accounts = _accounts()
    if name not in {user.name for user in accounts.list()}:
        raise StoreError(msg("error.users.no_user", name=name))
    for team in (*joins, *leaves):
        check_team(team)
    memberships = Teams(accounts.engine)
    for team in joins:
        memberships.join(name, team)
    for team in leaves:
        memberships.leave(name, team)
    if admin is not None:
        memberships.make_admin(name, admin)
    if joins or leaves or admin is not None:
        record(accounts.store, "user-teams", subject=name)
    teams = memberships.teams_of(name)
    if memberships.sees_all(name):
        click.echo(say("users.teams_all", name=name, teams=", ".join(teams) or "-"))
    elif teams:
        click.echo(say("users.teams", name=name, teams=", ".join(teams)))
    else:
        click.echo(say("users.no_team", name=name))


@users.command("remove", epilog="\b\nExample:\n  dosecal users --db dosecal.db remove mtremblay")
@click.argument("name")
@with_exit_codes
def users_remove(name: str) -> None:
    """Delete the account NAME and end its sessions (plans' history keeps the name)."""
    accounts = _accounts()
    accounts.remove(name)
    record(accounts.store, "user-remove", subject=name)
    click.echo(say("users.removed", name=name), err=True)


@users.command("passwd", epilog="\b\nExample:\n  dosecal users --db dosecal.db passwd mtremblay")
@click.argument("name")
@with_exit_codes
def users_passwd(name: str) -> None:
    """Set a new password for NAME; every session of NAME is signed out."""
    accounts = _accounts()
    accounts.set_password(name, _new_password())
    record(accounts.store, "user-password", subject=name)
    click.echo(say("users.changed", name=name), err=True)
