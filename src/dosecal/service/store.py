"""The plan store: each patient's plan file, its history and its definition snapshot, in a database.

A stored plan keeps three things together so that its calendar never changes behind anyone's
back: the plan file's text (adjustments appended as ``dosecal adjust`` appends them), the text
of the schedule definition it was made from (a later change to a built-in reaches it only
through :meth:`Store.upgrade`), and a version number that every change raises, so that two
changes made from the same version cannot both win (optimistic concurrency). Who recorded each
change, when, and why is kept in the ``changes`` table.

Feed tokens are never stored: only their SHA-256, so that a copy of the database does not
give anyone a working link. SQLite (a file, no set-up) and PostgreSQL (by URL) are both
reached through SQLAlchemy; the tables are made by Alembic migrations (``dosecal db upgrade``)
and a store refuses to open a database whose schema is not the one it expects.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from dosecal.core.expand import expand
from dosecal.errors import (
    ConflictError,
    DefinitionError,
    InputFileError,
    OutputError,
    PlanError,
    Problem,
    SchemaError,
    StoreError,
    reason,
)
from dosecal.inputs import definitions, planfile
from dosecal.inputs.overrides import Overrides, Recorded, record_text
from dosecal.inputs.tomlfile import read_text
from dosecal.model import limits
from dosecal.model.course import Course
from dosecal.model.occurrence import Occurrence
from dosecal.render import RenderOptions, render
from dosecal.words import ENGLISH, Value, languages, msg

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

#: Bytes of randomness in a feed token: 256 bits, well over the 128 the issue asks for.
TOKEN_BYTES = 32


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


def token_hash(token: str) -> str:
    """What the store keeps of a feed token: its SHA-256, hex (a leaked database opens no feed)."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_token() -> str:
    """A fresh feed token: 256 random bits from :mod:`secrets`, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _alembic() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def head_revision() -> str:
    """The schema revision this dosecal needs."""
    head = ScriptDirectory.from_config(_alembic()).get_current_head()
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
    config = _alembic()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except (sa.exc.OperationalError, CommandError) as exc:
        raise StoreError(msg("error.store.cannot_open", url=shown(url), reason=_first_line(exc))) from None
    finally:
        engine.dispose()
    return head_revision()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: every time the store writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """One plan as the store holds it.

    Attributes:
        id: the store's id (12 hex digits), also the plan's id (and so its UIDs') unless the
            file had one.
        label: a label for the clinic (a name, a record number), kept in the database only.
        schedule: the schedule the plan file names.
        origin: where its definition came from (a built-in id or a file's absolute path),
            where ``store upgrade`` looks for a newer one.
        content: the plan file, with its adjustments.
        definition: the text of the definition the calendar is made from.
        version: raised by every change of ``content`` or ``definition``.
        feed: whether a feed token is in force.
        created, updated: when it was stored, when its calendar last changed (UTC).
    """

    id: str
    label: str | None
    schedule: str
    origin: str
    content: str
    definition: str
    version: int
    feed: bool
    created: datetime
    updated: datetime

    def course(self) -> Course:
        """The plan expanded against its own definition snapshot."""
        return course_of(self.id, self.content, self.definition)


@dataclass(frozen=True, slots=True)
class Change:
    """One line of a stored plan's history.

    Attributes:
        version: the plan's version after the change.
        at: when (UTC).
        who: who recorded it (``--by``, else the login name).
        action: ``add``, ``adjust``, ``upgrade``, ``rotate`` or ``revoke``.
        note: the reason given, if any.
        detail: what changed, in English words.
    """

    version: int
    at: datetime
    who: str
    action: str
    note: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the feed server needs to answer a request: which plan and version, since when."""

    plan_id: str
    version: int
    updated: datetime


#: The message for each kind of change but a move (which says where from and where to).
_KEYS = {
    "added": "store.upgrade.added",
    "removed": "store.upgrade.removed",
    "changed": "store.upgrade.changed",
}


@dataclass(frozen=True, slots=True)
class Move:
    """One event that a definition upgrade moves, adds, removes or changes.

    Attributes:
        kind: ``moved`` (another start), ``added``, ``removed`` or ``changed`` (same start; another
            end, words, dose or status).
        before, after: the occurrence before and after (``None`` when added or removed).
    """

    kind: str
    before: Occurrence | None
    after: Occurrence | None

    def describe(self) -> Value:
        """The move in words: which event, and its date before and after."""
        o = self.after or self.before
        assert o is not None
        if self.kind == "moved":
            assert self.before is not None and self.after is not None
            return msg(
                "store.upgrade.moved",
                label=o.span_label_text,
                title=o.title_text,
                before=_when(self.before.start),
                after=_when(self.after.start),
            )
        return msg(_KEYS[self.kind], label=o.span_label_text, title=o.title_text, when=_when(o.start))


def _when(moment: date) -> Value:
    if isinstance(moment, datetime):
        return msg("store.when", date=moment.date(), time=moment.time())
    return moment


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What ``store upgrade`` found: the events that move, and whether anything changed at all."""

    plan: StoredPlan
    moves: tuple[Move, ...]
    changed: bool


def _raised(before: Course, after: Course, moves: tuple[Move, ...]) -> dict[str, int]:
    """The plan's ``revisions`` after an upgrade: each moved or changed event's SEQUENCE goes up.

    A calendar that subscribed takes a moved event as an update only when its SEQUENCE is
    higher than the one it holds; the plan's own history does not know about definitions.
    """
    revisions = dict(after.plan.revisions)
    old = {o.uid: o.sequence for o in before}
    new = {o.uid: o.sequence for o in after}
    for move in moves:
        if move.kind in ("moved", "changed") and move.after is not None:
            uid = move.after.uid
            if new[uid] <= old[uid]:
                revisions[uid] = revisions.get(uid, 0) + old[uid] - new[uid] + 1
    return revisions


def course_of(plan_id: str, content: str, definition: str) -> Course:
    """A stored plan's course: its file expanded against its definition snapshot.

    Raises:
        InputFileError: when either text no longer reads (it was checked when stored).
    """
    schedule = definitions.loads(definition, f"<definition of plan {plan_id}>")
    plan = planfile.loads(content, f"<plan {plan_id}>")
    return expand(schedule, plan)


def calendar_of(course: Course) -> bytes:
    """The feed's calendar: what ``dosecal generate --feed`` writes for the same plan and definition."""
    return render("ics", course, RenderOptions(lang=languages(course.plan.language)[0], feed=True))


def diff(before: Course, after: Course) -> tuple[Move, ...]:
    """The events that differ between two expansions of one plan, matched by UID, in date order."""
    old = {o.uid: o for o in before}
    new = {o.uid: o for o in after}
    moves: list[Move] = []
    for uid, o in new.items():
        was = old.get(uid)
        if was is None:
            moves.append(Move("added", None, o))
        elif was.start != o.start:
            moves.append(Move("moved", was, o))
        elif (was.end, was.title, was.dose, was.notes, was.status) != (
            o.end,
            o.title,
            o.dose,
            o.notes,
            o.status,
        ):
            moves.append(Move("changed", was, o))
    moves.extend(Move("removed", o, None) for uid, o in old.items() if uid not in new)
    return tuple(sorted(moves, key=_move_order))


def _move_order(move: Move) -> tuple[date, str]:
    o = move.after or move.before
    assert o is not None
    return o.start_date, o.uid


class Store:
    """A plan store on one database; every method is one transaction.

    Args:
        url: a SQLAlchemy URL (see :func:`database_url`).
        check: refuse a database whose schema is not this dosecal's (everything but
            ``db upgrade`` opens the store this way).

    Raises:
        SchemaError: when ``check`` and the schema is missing or another revision.
        StoreError: when the database cannot be reached.
    """

    def __init__(self, url: str, *, check: bool = True) -> None:
        self.url = url
        parsed = sa.make_url(url)
        # Connecting to a missing SQLite file would create an empty one; say what to run instead.
        database = parsed.database or ":memory:"
        sqlite_file = parsed.get_backend_name() == "sqlite" and database != ":memory:"
        if check and sqlite_file and not Path(database).exists():
            raise SchemaError(msg("error.store.schema_empty", url=shown(url)))
        self.engine = make_engine(url)
        if check:
            try:
                self.check_schema()
            except BaseException:
                self.engine.dispose()
                raise

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    def check_schema(self) -> None:
        """Refuse to work on tables another revision of dosecal made (or on none).

        Raises:
            SchemaError: naming the revision found, the one needed, and the command that fixes it.
            StoreError: when the database cannot be reached.
        """
        try:
            with self.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except sa.exc.OperationalError as exc:
            raise StoreError(
                msg("error.store.cannot_open", url=shown(self.url), reason=_first_line(exc))
            ) from None
        head = head_revision()
        if current is None:
            raise SchemaError(msg("error.store.schema_empty", url=shown(self.url)))
        if current != head:
            raise SchemaError(
                msg("error.store.schema_other", url=shown(self.url), current=current, head=head)
            )

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except sa.exc.OperationalError as exc:
            raise StoreError(
                msg("error.store.cannot_open", url=shown(self.url), reason=_first_line(exc))
            ) from None

    # Reading

    def get(self, plan_id: str) -> StoredPlan:
        """The stored plan ``plan_id``.

        Raises:
            StoreError: when there is none.
        """
        with self._begin() as connection:
            row = connection.execute(sa.select(plans).where(plans.c.id == plan_id)).one_or_none()
        if row is None:
            raise StoreError(msg("error.store.no_plan", id=plan_id))
        return _plan(row)

    def plans(self) -> list[StoredPlan]:
        """Every stored plan, oldest first."""
        with self._begin() as connection:
            rows = connection.execute(sa.select(plans).order_by(plans.c.created, plans.c.id)).all()
        return [_plan(row) for row in rows]

    def history(self, plan_id: str) -> list[Change]:
        """The changes of ``plan_id``, in the order they were made."""
        with self._begin() as connection:
            rows = connection.execute(
                sa.select(changes).where(changes.c.plan_id == plan_id).order_by(changes.c.id)
            ).all()
        return [
            Change(row.version, _aware(row.at), row.who, row.action, row.note, row.detail) for row in rows
        ]

    def feed_state(self, token: str) -> FeedState | None:
        """Which plan a feed token opens, at which version; ``None`` for an unknown or revoked one.

        One indexed lookup by the token's hash: the feed server calls this on every request, so
        that a change made by any server (or the command line) shows at the next poll.
        """
        query = sa.select(plans.c.id, plans.c.version, plans.c.updated).where(
            plans.c.token_hash == token_hash(token)
        )
        for attempt in (1, 2):
            try:
                with self.engine.connect() as connection:
                    row = connection.execute(query).one_or_none()
                break
            except sa.exc.DBAPIError as exc:
                # A connection the database closed (a restart): SQLAlchemy drops the pool, so
                # one more try gets a fresh one. This costs nothing on the common path, where
                # a ping before every query would cost a round trip on every poll.
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        return None if row is None else FeedState(row.id, row.version, _aware(row.updated))

    def calendar(self, plan_id: str, version: int) -> bytes | None:
        """The feed calendar of ``plan_id`` as it is at ``version`` (``None`` if it moved on since)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(plans.c.content, plans.c.definition).where(
                    plans.c.id == plan_id, plans.c.version == version
                )
            ).one_or_none()
        if row is None:
            return None
        return calendar_of(course_of(plan_id, row.content, row.definition))

    # Changing

    def add(self, plan_file: Path, *, label: str | None, who: str) -> tuple[StoredPlan, str]:
        """Store the plan in ``plan_file`` with a snapshot of its definition; returns it and its feed token.

        The plan must name its schedule and its time zone (a server's own zone must never
        decide a patient's hours). If the file has no ``id``, the store's id is written into
        it, so that the calendar's UIDs are this patient's alone.

        Raises:
            PlanError: when the plan does not name its schedule or zone, or does not expand.
            UnknownScheduleError, DefinitionError: when its schedule cannot be loaded.
        """
        planfile.load(plan_file)  # a file that cannot be read is reported as a plan file
        return self.add_text(read_text(plan_file), source=str(plan_file), label=label, who=who)

    def add_text(self, text: str, *, source: str, label: str | None, who: str) -> tuple[StoredPlan, str]:
        """Store the plan whose file text is ``text`` (see :meth:`add`); ``source`` names it in messages.

        The clinic's web pages write the plan file from their form and store it through here,
        so that a plan made in a browser is the same kind of plan file as one made by hand.
        """
        if label is not None:
            try:
                limits.check_text(label, limits.MAX_LABEL)
            except ValueError as exc:
                raise PlanError([Problem("--label", "", reason(exc))]) from None
        plan = planfile.loads(text, source)
        if plan.schedule is None:
            raise PlanError([Problem(source, "schedule", msg("error.overrides.plan_file_must_name"))])
        if not plan.timezone:
            raise PlanError([Problem(source, "timezone", msg("error.store.needs_zone"))])
        path = definitions.path_of(plan.schedule)
        builtin = plan.schedule in definitions.builtin_ids()
        origin = plan.schedule if builtin else str(path.resolve())
        try:
            definition = read_text(path)
        except InputFileError as exc:
            raise DefinitionError(exc.problems) from None
        for attempt in (1, 2, 3):
            # 48 random bits: short enough to type, and a collision (one in millions at
            # 10,000 plans) only means drawing again.
            plan_id = secrets.token_hex(6)
            content = text if plan.id is not None else f'id = "{plan_id}"\n' + text
            course_of(plan_id, content, definition)  # refuses what would not expand, before storing
            token = new_token()
            now = datetime.now(UTC)
            try:
                with self._begin() as connection:
                    connection.execute(
                        plans.insert().values(
                            id=plan_id,
                            label=label,
                            schedule=plan.schedule,
                            origin=origin,
                            content=content,
                            definition=definition,
                            version=1,
                            token_hash=token_hash(token),
                            created=now,
                            updated=now,
                        )
                    )
                    _log(connection, plan_id, 1, now, who, "add", None, source)
                break
            except sa.exc.IntegrityError:
                if attempt == 3:
                    raise
        return self.get(plan_id), token

    def adjust(
        self,
        plan_id: str,
        given: Overrides,
        *,
        who: str,
        expect_version: int | None = None,
        dry_run: bool = False,
    ) -> tuple[StoredPlan, Recorded]:
        """Record adjustments as ``dosecal adjust`` does, checked against the plan's own definition.

        Args:
            plan_id: the stored plan.
            given: the adjustments, as typed on the command line.
            who: who records them.
            expect_version: the version the caller last saw; by default the one read here.
            dry_run: check only; store nothing.

        Raises:
            ConflictError: when the plan is not at ``expect_version``, or changed while this ran.
            PlanError: when an adjustment contradicts the plan (nothing is written).
        """
        current = self.get(plan_id)
        if expect_version is not None and current.version != expect_version:
            raise ConflictError(
                msg("error.store.conflict", id=plan_id, expected=expect_version, actual=current.version)
            )
        schedule = definitions.loads(current.definition, f"<definition of plan {plan_id}>")
        change = record_text(current.content, f"<plan {plan_id}>", given, schedule=schedule)
        if dry_run:
            return current, change
        detail = "; ".join(change.describe())
        self._write(current, {"content": change.text}, who, "adjust", given.note, detail)
        return self.get(plan_id), change

    def upgrade(
        self, plan_id: str, *, who: str, source: Path | None = None, dry_run: bool = False
    ) -> Upgrade:
        """Apply the definition found now at the plan's origin (or ``source``), showing what moves.

        Raises:
            ConflictError: when the plan changed while this ran.
            InputFileError: when the new definition is invalid or the plan does not fit it.
        """
        current = self.get(plan_id)
        path = source if source is not None else definitions.path_of(current.origin)
        try:
            definition = read_text(path)
        except InputFileError as exc:
            raise DefinitionError(exc.problems) from None
        definitions.loads(definition, str(path))  # its problems name the file, not the plan
        old_course = current.course()
        new_course = course_of(plan_id, current.content, definition)
        moves = diff(old_course, new_course)
        changed = definition != current.definition
        if changed and not dry_run:
            detail = ENGLISH.text(msg("store.upgrade.detail", path=str(path), count=len(moves)))
            raised = _raised(old_course, new_course, moves)
            content = planfile.with_revisions(current.content, raised)
            reread = course_of(plan_id, content, definition).plan  # the new text reads back and expands
            if (reread.revisions, reread.adjustments) != (raised, old_course.plan.adjustments):
                raise OutputError(
                    msg("error.overrides.plan_file_adjustment_would", plan_file=f"<plan {plan_id}>")
                )
            values: dict[str, str] = {"definition": definition, "content": content}
            if source is not None:
                values["origin"] = str(source.resolve())
            self._write(current, values, who, "upgrade", None, detail)
        return Upgrade(self.get(plan_id), moves, changed)

    def rotate(self, plan_id: str, *, who: str) -> str:
        """Give the plan a new feed token; the old link stops working. Returns the new token."""
        token = new_token()
        self._set_token(plan_id, token_hash(token), who, "rotate")
        return token

    def revoke(self, plan_id: str, *, who: str) -> None:
        """Stop the plan's feed: its link answers 404, like any unknown link."""
        self._set_token(plan_id, None, who, "revoke")

    def remove(self, plan_id: str) -> None:
        """Delete the plan and its history (its feed stops with it).

        Raises:
            StoreError: when there is no such plan.
        """
        with self._begin() as connection:
            connection.execute(changes.delete().where(changes.c.plan_id == plan_id))
            if connection.execute(plans.delete().where(plans.c.id == plan_id)).rowcount != 1:
                raise StoreError(msg("error.store.no_plan", id=plan_id))

    def _set_token(self, plan_id: str, digest: str | None, who: str, action: str) -> None:
        now = datetime.now(UTC)
        with self._begin() as connection:
            row = connection.execute(
                plans.update()
                .where(plans.c.id == plan_id)
                .values(token_hash=digest)
                .returning(plans.c.version)
            ).one_or_none()
            if row is None:
                raise StoreError(msg("error.store.no_plan", id=plan_id))
            _log(connection, plan_id, row.version, now, who, action, None, "")

    def _write(
        self,
        current: StoredPlan,
        values: dict[str, str],
        who: str,
        action: str,
        note: str | None,
        detail: str,
    ) -> None:
        """Replace the plan's text if, and only if, it is still at the version read.

        The version test is in the UPDATE itself, so that it holds across processes and
        servers: of two writers that read the same version, exactly one changes a row.
        """
        now = datetime.now(UTC)
        version = current.version + 1
        with self._begin() as connection:
            updated = connection.execute(
                plans.update()
                .where(plans.c.id == current.id, plans.c.version == current.version)
                .values(version=version, updated=now, **values)
            ).rowcount
            if updated != 1:
                actual = connection.execute(
                    sa.select(plans.c.version).where(plans.c.id == current.id)
                ).scalar_one_or_none()
                if actual is None:
                    raise StoreError(msg("error.store.no_plan", id=current.id))
                raise ConflictError(
                    msg("error.store.conflict", id=current.id, expected=current.version, actual=actual)
                )
            _log(connection, current.id, version, now, who, action, note, detail)


def _log(
    connection: sa.Connection,
    plan_id: str,
    version: int,
    at: datetime,
    who: str,
    action: str,
    note: str | None,
    detail: str,
) -> None:
    connection.execute(
        changes.insert().values(
            plan_id=plan_id, version=version, at=at, who=who, action=action, note=note, detail=detail
        )
    )


def _plan(row: sa.Row[Any]) -> StoredPlan:
    return StoredPlan(
        id=row.id,
        label=row.label,
        schedule=row.schedule,
        origin=row.origin,
        content=row.content,
        definition=row.definition,
        version=row.version,
        feed=row.token_hash is not None,
        created=_aware(row.created),
        updated=_aware(row.updated),
    )


__all__ = [
    "Change",
    "FeedState",
    "Move",
    "Store",
    "StoredPlan",
    "Upgrade",
    "database_url",
    "upgrade",
]
