"""Where the plan store's data lives: the database address, its engine, tables and migrations.

SQLite (a file, no set-up) and PostgreSQL (by URL) are both reached through SQLAlchemy; the
tables are made by Alembic migrations (``dosecal db upgrade``), and :class:`dosecal.service.store.Store`
refuses a database whose schema is not the one :func:`head_revision` names.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from dosecal.errors import DatabaseBusy, DatabaseUnavailable, ForeignDatabaseError, StoreError
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


#: Migration 0009: each plan's printable PDF once made (:mod:`dosecal.service.pdfcache`), sealed
#: under a key derived from the feed key. ``pdf`` is NULL while one process renders it (a claim).
pdf_cache = sa.Table(
    "pdf_cache",
    metadata,
    sa.Column("plan_id", sa.String(32), sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("variant", sa.String(64), primary_key=True),
    sa.Column("pdf", sa.LargeBinary, nullable=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("made", sa.DateTime(timezone=True), nullable=False),
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


#: How long a read waits for a lock (ms). In WAL mode readers never wait for a writer; this only
#: bounds the rare waits (another process recovering the WAL), so a page or feed answers at once.
READ_WAIT_MS = 1000
#: How long a write waits for another process's write lock (ms) before :class:`DatabaseBusy`:
#: long enough for any write of dosecal's own (milliseconds), short enough that a lock held by a
#: stuck program answers the nurse within about 10 s instead of holding a worker thread.
WRITE_WAIT_MS = 10000
#: The execution option that gives a connection's writes another bound than :data:`WRITE_WAIT_MS`
#: (``connection.execution_options(**{WRITE_WAIT_OPTION: ms})``): the audit trail's record of a
#: page seen must not hold that page behind another program's lock (SQLite only).
WRITE_WAIT_OPTION = "dosecal_write_wait_ms"

#: The tables every revision of dosecal's schema has: a file or database with other tables and
#: not these is another program's.
OUR_TABLES = frozenset({"alembic_version", "plans"})
#: The first bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"

# SQLite result codes (the low byte of an extended code): https://sqlite.org/rescode.html
_SQLITE_BUSY = frozenset({5, 6})  # BUSY, LOCKED
_SQLITE_DOWN = frozenset(
    {7, 8, 10, 11, 13, 14, 15, 26}
)  # NOMEM READONLY IOERR CORRUPT FULL CANTOPEN PROTOCOL NOTADB
# PostgreSQL SQLSTATEs: lock_timeout, query cancelled, deadlock; then shutdown, crash, starting
# up, disk full, out of memory, too many connections.
_PG_BUSY = frozenset({"55P03", "57014", "40P01"})
_PG_DOWN = frozenset({"57P01", "57P02", "57P03", "53100", "53200", "53300"})

_WRITING = "dosecal.writing"


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url`` whose faults are :class:`DatabaseBusy` or :class:`DatabaseUnavailable`.

    SQLite: WAL, so that feeds and pages read while a nurse's ``store adjust`` writes; reads
    wait :data:`READ_WAIT_MS` at most, writes :data:`WRITE_WAIT_MS` (a lock held by another
    program costs one refused write, not every worker thread); foreign keys on, so that removing
    a plan removes its history. Call :func:`check_file` first: these pragmas are never set on
    a file that is not dosecal's.

    PostgreSQL: each connection is checked before use (``pool_pre_ping``), so the first request
    after a database restart gets a fresh connection instead of an error; a connection attempt
    gives up after 10 s and a write waits for a row or table lock :data:`WRITE_WAIT_MS` at most.

    Raises:
        StoreError: when the URL is not one SQLAlchemy can use.
    """
    try:
        parsed = sa.make_url(url)
        options: dict[str, Any] = {"pool_recycle": 1800}
        if parsed.get_backend_name() == "postgresql":
            connect_args: dict[str, Any] = {}
            if "connect_timeout" not in parsed.query:
                connect_args["connect_timeout"] = 10
            if "options" not in parsed.query:
                connect_args["options"] = f"-c lock_timeout={WRITE_WAIT_MS}"
            options.update(pool_pre_ping=True, connect_args=connect_args)
        engine = sa.create_engine(url, **options)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(msg("error.store.cannot_open", url=url, reason=str(exc))) from None
    where = shown(url)

    @sa.event.listens_for(engine, "handle_error")
    def _faults(context: sa.engine.ExceptionContext) -> None:
        if context.is_pre_ping:  # the pool draws a new connection: not an error yet
            return
        kind = fault_of(engine.dialect.name, context.original_exception, context.is_disconnect)
        if kind == "busy":
            raise DatabaseBusy(msg("error.store.busy", url=where))
        if kind == "down":
            reason = first_line(context.original_exception)
            raise DatabaseUnavailable(msg("error.store.cannot_open", url=where, reason=reason))

    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, record: Any) -> None:
            cursor = dbapi.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {READ_WAIT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()
            record.info[_WRITING] = False

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _wait_to_write(conn: sa.Connection, cursor: Any, statement: str, *_args: Any) -> None:
            # The first statement that writes (pysqlite opens its transaction there) may wait
            # for the write lock, as long as the connection's options say; the connection reads
            # again with the short wait once back in the pool.
            if _reads_only(statement):
                return
            wait = int(conn.get_execution_options().get(WRITE_WAIT_OPTION, WRITE_WAIT_MS))
            if conn.info.get(_WRITING) != wait:
                cursor.execute(f"PRAGMA busy_timeout = {wait}")
                conn.info[_WRITING] = wait

        @sa.event.listens_for(engine, "checkin")
        def _back_to_reading(dbapi: Any, record: Any) -> None:
            if dbapi is not None and record.info.get(_WRITING):
                try:
                    dbapi.execute(f"PRAGMA busy_timeout = {READ_WAIT_MS}")
                    record.info[_WRITING] = False
                except sqlite3.Error:
                    pass  # a broken connection: the pool drops it on its next use

    return engine


def _reads_only(statement: str) -> bool:
    return statement.lstrip()[:6].upper() in ("SELECT", "PRAGMA")


def fault_of(dialect: str, error: BaseException | None, disconnected: bool) -> str | None:
    """``"busy"`` (a lock held too long), ``"down"`` (unreachable, full, broken) or ``None`` (a bug or a constraint).

    Integrity errors and SQL mistakes stay what they are: the store relies on the former, and
    the latter are bugs, not faults around dosecal.
    """
    if dialect == "sqlite":
        code = getattr(error, "sqlite_errorcode", None)
        if code is None:
            return "busy" if "database is locked" in str(error) else None
        if code & 0xFF in _SQLITE_BUSY:
            return "busy"
        return "down" if code & 0xFF in _SQLITE_DOWN else None
    state = getattr(error, "sqlstate", None)
    if state in _PG_BUSY:
        return "busy"
    if disconnected or state in _PG_DOWN or (state or "").startswith("08"):
        return "down"
    if state is None and type(error).__name__ == "OperationalError":  # no server to answer
        return "down"
    return None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; ``None`` for an in-memory database or another backend."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_private_folder(folder: Path) -> None:
    """Make ``folder`` and any missing parent, each 0700 whatever the umask; existing ones stay as they are.

    The database holds password hashes, the cookie-signing key, plans and labels: no other
    local user may list or read what dosecal creates.
    """
    missing: list[Path] = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for made in reversed(missing):
        try:
            made.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process made it meanwhile: it chose its mode
        made.chmod(0o700)


def check_file(url: str, *, make: bool) -> str:
    """Make sure a SQLite file is dosecal's before anything writes to it or sets a pragma on it.

    Returns ``"dosecal"`` (a dosecal database, of any revision), ``"empty"`` (a file of zero
    bytes, or a SQLite file without a single table: ``db upgrade`` may make it one),
    ``"missing"``, or ``"other"`` for a database that is not a file (PostgreSQL, in memory).
    With ``make``, a missing file is created empty, 0600 in folders of 0700 (SQLite gives its
    -wal and -shm files the database's mode), and ``"empty"`` is returned.

    The file is looked at without SQLite's locks or journal (``immutable``), so that a
    foreign file is left byte for byte as it was, and nothing is created beside it; only when
    a -wal file beside it says that a program has it open is it read through that program's
    journal, read-only.

    Raises:
        ForeignDatabaseError: naming the file and what is wrong with it.
    """
    path = sqlite_file(url)
    if path is None:
        return "other"
    if not path.exists():
        if not make:
            return "missing"
        make_private_folder(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return check_file(url, make=False)  # another process made it meanwhile
        except OSError as exc:
            raise StoreError(msg("error.store.cannot_open", url=shown(url), reason=first_line(exc))) from None
        os.fchmod(fd, 0o600)
        os.close(fd)
        return "empty"
    try:
        with path.open("rb") as opened:
            header = opened.read(100)
    except OSError as exc:
        raise StoreError(msg("error.store.cannot_open", url=shown(url), reason=first_line(exc))) from None
    if not header:
        return "empty"
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        raise ForeignDatabaseError(msg("error.store.not_sqlite", path=str(path)))
    live = path.with_name(path.name + "-wal").exists()
    quoted = urllib.parse.quote(str(path.resolve()))
    address = f"file:{quoted}?mode=ro" + ("" if live else "&immutable=1")
    try:
        connection = sqlite3.connect(address, uri=True, timeout=READ_WAIT_MS / 1000)
        try:
            names = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            connection.close()
    except sqlite3.Error as exc:
        if fault_of("sqlite", exc, False) == "busy":
            raise DatabaseBusy(msg("error.store.busy", url=shown(url))) from None
        raise ForeignDatabaseError(
            msg("error.store.damaged", path=str(path), reason=first_line(exc))
        ) from None
    if not names:
        return "empty"
    if names >= OUR_TABLES:
        return "dosecal"
    raise ForeignDatabaseError(msg("error.store.foreign", database=str(path)))


def upgrade(url: str) -> str:
    """Apply every migration the database lacks (``dosecal db upgrade``); returns the revision.

    A missing SQLite file is made, private (:func:`check_file`), so that the default store needs
    no set-up; an empty one is made a database, as asked. A file or database that holds another
    program's tables, or is not a database, is refused and left as it was.

    Raises:
        ForeignDatabaseError: when the database is not dosecal's (nothing is written).
        StoreError: when the database cannot be reached.
    """
    check_file(url, make=True)
    engine = make_engine(url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            names = set(sa.inspect(connection).get_table_names())
            if names and not names >= OUR_TABLES:
                raise ForeignDatabaseError(msg("error.store.foreign", database=shown(url)))
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
