"""``dosecal db``: the plan store's database, made or brought up to date (Alembic migrations)."""

from __future__ import annotations

import click

from dosecal.cli.common import with_exit_codes
from dosecal.cli.database import Db, db_option, require_server
from dosecal.words import say


@click.group("db", epilog="\b\nExample:\n  dosecal db --db dosecal.db upgrade")
@db_option
def db(db: str | None) -> None:
    """Manage the plan store's database schema."""
    click.get_current_context().obj = Db(db)


@db.command("upgrade", epilog="\b\nExample:\n  dosecal db upgrade --db /var/lib/dosecal/dosecal.db")
@click.option(
    "--db",
    "url",
    metavar="URL",
    help="The plan store, a SQLite file path or a database URL (over 'dosecal db --db' and $DOSECAL_DB).",
)
@with_exit_codes
def db_upgrade(url: str | None) -> None:
    """Create the plan store's tables, or bring them to this version of dosecal.

    Safe to run again: migrations already applied are skipped. Back the database up first
    (docs/deploy.md).
    """
    given = click.get_current_context().find_object(Db)
    require_server()
    from dosecal.service.database import database_url, shown, upgrade

    url = database_url(url or (given.url if given else None))
    revision = upgrade(url)
    click.echo(say("db.upgraded", url=shown(url), revision=revision), err=True)
