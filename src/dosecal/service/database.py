"""Where the plan store's data lives: the database address, its engine, tables and migrations.

SQLite (a file, no set-up) and PostgreSQL (by URL) are both reached through SQLAlchemy; the
tables are made by Alembic migrations (``dosecal db upgrade``), and :class:`dosecal.service.store.Store`
refuses a database whose schema is not the one :func:`head_revision` names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from dosecal.errors import StoreError
from dosecal.words import msg

metadata = sa.MetaData()

#: The tables as migration 0001 makes them (src/dosecal/service/migrations/versions).
plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("schedule", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    # Migration 0004: the feed token's generation (see dosecal.service.feedtokens), and when
    # the plan was archived.
    sa.Column("feed_generation", sa.Integer, nullable=True),
    sa.Column("archived", sa.DateTime(timezone=True), nullable=True),
)
changes = sa.Table(
    "changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.String(32), sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
)


def default_database(environ: Mapping[str, str]) -> Path:
    """Where the SQLite file lives when neither ``--db`` nor ``$DOSECAL_DB`` says: the user's data dir.

    ``$XDG_DATA_HOME/dosecal/dosecal.db``, else ``~/.local/share/dosecal/dosecal.db``: one
    store per user, found again from any folder (a ``./dosecal.db`` would change with ``cd``).
    """
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dosecal" / "dosecal.db"


def database_url(given: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL of the store: ``--db``, else ``$DOSECAL_DB``, else the default file.

    A plain path means a SQLite file; ``postgresql://`` URLs use psycopg 3.
    """
    env = os.environ if environ is None else environ
    value = given or env.get("DOSECAL_DB") or str(default_database(env))
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value.removeprefix(prefix)
    return value


def shown(url: str) -> str:
    """A database URL as messages may show it: never with its password."""
    return sa.make_url(url).render_as_string(hide_password=True)


def alembic_config() -> Config:
    """Alembic's settings: the migrations that ship in the package, no ini file."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def head_revision() -> str:
    """The schema revision this dosecal needs."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``: SQLite waits for a writer instead of failing, and uses WAL.

    WAL lets the feed server read while a nurse's ``store adjust`` writes; foreign keys are
    switched on so that removing a plan removes its history.

    Raises:
        StoreError: when the URL is not one SQLAlchemy can use.
    """
    try:
        engine = sa.create_engine(url, pool_recycle=1800)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(msg("error.store.cannot_open", url=url, reason=str(exc))) from None
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

    return engine


def upgrade(url: str) -> str:
    """Apply every migration the database lacks (``dosecal db upgrade``); returns the revision.

    A SQLite file's folder is made if missing, so that the default store needs no set-up.

    Raises:
        StoreError: when the database cannot be reached.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except (sa.exc.OperationalError, CommandError) as exc:
        raise StoreError(msg("error.store.cannot_open", url=shown(url), reason=first_line(exc))) from None
    finally:
        engine.dispose()
    return head_revision()


def first_line(exc: BaseException) -> str:
    """The first line of a database error, for a one-line message."""
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: every time the store writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
