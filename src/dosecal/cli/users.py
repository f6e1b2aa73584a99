"""``dosecal users``: who may sign in to the clinic's pages; passwords never on the command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from dosecal.cli.common import with_exit_codes
from dosecal.cli.database import Db, db_option, store_of
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
    from dosecal.service.teams import DEFAULT_TEAM, Teams, check_team

    check_name(name)
    for team in teams:
        check_team(team)
    accounts.add(name, _new_password())
    memberships = Teams(accounts.engine)
    for team in teams or (DEFAULT_TEAM,):
        memberships.join(name, team)
    if admin:
        memberships.make_admin(name)
    click.echo(say("users.added", name=name), err=True)


@users.command("list", epilog="\b\nExample:\n  dosecal users --db dosecal.db list")
@with_exit_codes
def users_list() -> None:
    """List the accounts: name and when each was made."""
    for user in _accounts().list():
        click.echo(f"{user.name:<24}{user.created.strftime('%Y-%m-%d %H:%M UTC')}")


@users.command("remove", epilog="\b\nExample:\n  dosecal users --db dosecal.db remove mtremblay")
@click.argument("name")
@with_exit_codes
def users_remove(name: str) -> None:
    """Delete the account NAME and end its sessions (plans' history keeps the name)."""
    _accounts().remove(name)
    click.echo(say("users.removed", name=name), err=True)


@users.command("passwd", epilog="\b\nExample:\n  dosecal users --db dosecal.db passwd mtremblay")
@click.argument("name")
@with_exit_codes
def users_passwd(name: str) -> None:
    """Set a new password for NAME; every session of NAME is signed out."""
    _accounts().set_password(name, _new_password())
    click.echo(say("users.changed", name=name), err=True)
