"""The plan store: each patient's plan file, its history and its definition snapshot, in a database.

A stored plan keeps three things together so that its calendar never changes behind anyone's
back: the plan file's text (adjustments appended as ``dosecal adjust`` appends them), the text
of the schedule definition it was made from (a later change to a built-in reaches it only
through :meth:`Store.upgrade`), and a version number that every change raises, so that two
changes made from the same version cannot both win (optimistic concurrency). Who recorded each
change, when, and why is kept in the ``changes`` table.

Feed tokens are never stored: only their SHA-256, so that a copy of the database does not
give anyone a working link. Where the data lives (SQLite or PostgreSQL, the tables, the
migrations) is :mod:`dosecal.service.database`; the courses of stored plans and what a change
moves are :mod:`dosecal.service.courses`.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

from dosecal.errors import (
    ConflictError,
    DefinitionError,
    InputFileError,
    OutputError,
    PlanError,
    Problem,
    SchemaError,
    StoreError,
    UnknownScheduleError,
    reason,
)
from dosecal.inputs import definitions, planfile
from dosecal.inputs.overrides import Overrides, Recorded, record_text
from dosecal.inputs.tomlfile import read_text
from dosecal.model import limits
from dosecal.model.course import Course
from dosecal.service import listing
from dosecal.service.courses import calendar_of, course_of, diff, raised_revisions, withdrawn_drugs
from dosecal.service.database import (
    aware,
    changes,
    check_file,
    first_line,
    head_revision,
    make_engine,
    plans,
    shown,
)
from dosecal.service.feedtokens import derive, load_key, token_hash
from dosecal.service.records import (
    Change,
    FeedLink,
    FeedState,
    ListedPlan,
    Page,
    StoredPlan,
    Upgrade,
    stored_plan,
)
from dosecal.service.regimens import Regimens, definition_of, may_name, regimen_of
from dosecal.service.teams import DEFAULT_TEAM, plan_teams
from dosecal.words import ENGLISH, msg


class Store:
    """A plan store on one database; every method is one transaction.

    Args:
        url: a SQLAlchemy URL (see :func:`database_url`).
        check: refuse a database whose schema is not this dosecal's (everything but
            ``db upgrade`` opens the store this way).
        feed_key: the clinic's feed key (:mod:`dosecal.service.feedtokens`); by default read
            from its file when a link is first made or shown.
        clock: what time it is (UTC), for the list's next events; tests set their own.

    Raises:
        SchemaError: when ``check`` and the schema is missing or another revision.
        ForeignDatabaseError: when a SQLite file is not dosecal's (it is left as it was).
        DatabaseBusy, DatabaseUnavailable: from any method, when the database is locked by
            another program for too long, or cannot be reached (see :func:`make_engine`).
        StoreError: when the database cannot be reached.
    """

    def __init__(
        self,
        url: str,
        *,
        check: bool = True,
        feed_key: bytes | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.url = url
        self._feed_key = feed_key
        self.clock = clock or (lambda: datetime.now(UTC))
        # Before any connection (which would create a missing file, or set WAL on a foreign
        # one): a SQLite file must be dosecal's; a missing or empty one says what to run.
        if check_file(url, make=not check) in ("missing", "empty") and check:
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

    @property
    def feed_key(self) -> bytes:
        """The feed key, read once, when a link is first made or shown (listing plans needs none)."""
        if self._feed_key is None:
            self._feed_key = load_key()
        return self._feed_key

    @property
    def regimens(self) -> Regimens:
        """The local regimens of this store's database (:mod:`dosecal.service.regimens`)."""
        return Regimens(self.engine)

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
                msg("error.store.cannot_open", url=shown(self.url), reason=first_line(exc))
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
                msg("error.store.cannot_open", url=shown(self.url), reason=first_line(exc))
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
        return stored_plan(row)

    def plans(self, *, archived: bool = False) -> list[StoredPlan]:
        """The stored plans in use (or, with ``archived``, the archived ones), oldest first."""
        shown_now = plans.c.archived.is_not(None) if archived else plans.c.archived.is_(None)
        with self._begin() as connection:
            rows = connection.execute(
                sa.select(plans).where(shown_now).order_by(plans.c.created, plans.c.id)
            ).all()
        return [stored_plan(row) for row in rows]

    def page(
        self,
        *,
        archived: bool = False,
        teams: Sequence[str] | None = None,
        query: str = "",
        after: tuple[datetime, str] | None = None,
        size: int = 50,
    ) -> Page:
        """One page of the plans list, most recently changed first, with each plan's next events.

        Args:
            archived: the archived plans instead of those in use.
            teams: only these teams' plans (``None``: every plan).
            query: words the label, schedule or title must have words starting with; or a
                plan's id, whole.
            after: the last row of the page before (its last change and id): the page after it.
            size: rows a page.

        Every condition is an index: a page costs the same at 1,000 plans as at 100,000. Plans
        whose stored events no longer reach today are moved on first (at most ``size``).
        """
        team = sa.func.coalesce(plan_teams.c.team, DEFAULT_TEAM)
        select = (
            sa.select(
                plans.c.id,
                plans.c.label,
                plans.c.schedule,
                plans.c.version,
                plans.c.updated,
                plans.c.archived,
                (plans.c.token_hash.is_not(None)).label("feed"),
            )
            .select_from(plans.outerjoin(plan_teams, plan_teams.c.plan_id == plans.c.id))
            .where(plans.c.archived.is_not(None) if archived else plans.c.archived.is_(None))
            .order_by(plans.c.updated.desc(), plans.c.id.desc())
            .limit(size + 1)
        )
        if teams is not None:
            select = select.where(team.in_(list(teams)))
        if after is not None:
            moment, last_id = after
            # A row value: one index range on (updated, id) on both databases.
            select = select.where(sa.tuple_(plans.c.updated, plans.c.id) < sa.tuple_(moment, last_id))
        now = self.clock()
        words = query.strip()
        with self._begin() as connection:
            if words:
                by_id = plans.c.id == words.casefold()
                found_ids = listing.matching(connection, words)
                if found_ids is not None:  # few plans match: fetch those, not the list in order
                    select = select.where(plans.c.id.in_([*found_ids, words.casefold()]))
                else:
                    conditions = listing.words_query(plans.c.id, words)
                    select = select.where(sa.or_(by_id, sa.and_(*conditions)) if conditions else by_id)
            rows = connection.execute(select).all()
            ids = [r.id for r in rows[:size]]
            due = listing.stale(connection, ids, now)
        if due:
            self._move_on(due, now)
        with self._begin() as connection:
            found = listing.next_of(connection, ids, now)
        listed = [
            ListedPlan(r.id, r.label, r.schedule, r.version, aware(r.updated), bool(r.feed), found[r.id])
            for r in rows[:size]
        ]
        more = (aware(rows[size - 1].updated), rows[size - 1].id) if len(rows) > size else None
        return Page(listed, more)

    def move_on(self, limit: int = 20) -> int:
        """Move on the stored events of up to ``limit`` plans whose horizon has come; how many.

        The server calls it when idle, so that a list rarely has a plan to expand.
        """
        now = self.clock()
        # The latest local day anywhere: a plan is due when its horizon is no later.
        latest = (now + timedelta(days=1)).date()
        with self._begin() as connection:
            due = connection.execute(
                sa.select(listing.plan_list.c.plan_id)
                .where(listing.plan_list.c.horizon <= latest)
                .order_by(listing.plan_list.c.horizon)
                .limit(limit)
            ).scalars()
            ids = listing.stale(connection, list(due), now)
        return self._move_on(ids, now)

    def _move_on(self, plan_ids: list[str], now: datetime) -> int:
        """Expand each plan (outside any transaction), then store its next events in a short one.

        Each write first locks the plan's row and checks that it is still the version expanded:
        a change made meanwhile (on any server) has written newer rows, which stay.
        """
        done = 0
        for plan_id in plan_ids:
            try:
                p = self.get(plan_id)
                course = p.course()
            except (StoreError, InputFileError):
                continue  # removed meanwhile, or no longer expands: the list shows nothing next
            with self._begin() as connection:
                version = connection.execute(
                    sa.select(plans.c.version).where(plans.c.id == plan_id).with_for_update()
                ).scalar_one_or_none()
                if version != p.version:
                    continue
                listing.write(connection, plan_id, course, p.label, p.schedule, now)
            done += 1
        return done

    def feed_link(self, plan_id: str) -> FeedLink:
        """The plan's feed token in force, to show and print again; or why there is none to show.

        ``off``: the feed is stopped (revoked or archived). ``hidden``: the link in force was
        drawn before links could be shown again, or under another feed key: "New link" makes
        one that can be. Never a token that does not open the feed.
        """
        with self._begin() as connection:
            row = connection.execute(
                sa.select(plans.c.token_hash, plans.c.feed_generation).where(plans.c.id == plan_id)
            ).one_or_none()
        if row is None:
            raise StoreError(msg("error.store.no_plan", id=plan_id))
        if row.token_hash is None:
            return FeedLink("off")
        if row.feed_generation is None:
            return FeedLink("hidden")
        token = derive(self.feed_key, plan_id, row.feed_generation)
        return FeedLink("on", token) if token_hash(token) == row.token_hash else FeedLink("hidden")

    def history(self, plan_id: str) -> list[Change]:
        """The changes of ``plan_id``, in the order they were made."""
        with self._begin() as connection:
            rows = connection.execute(
                sa.select(changes).where(changes.c.plan_id == plan_id).order_by(changes.c.id)
            ).all()
        return [Change(row.version, aware(row.at), row.who, row.action, row.note, row.detail) for row in rows]

    def feed_state(self, token: str) -> FeedState | None:
        """Which plan a feed token opens, at which version; ``None`` for an unknown or revoked one.

        One indexed lookup by the token's hash: the feed server calls this on every request, so
        that a change made by any server (or the command line) shows at the next poll.
        """
        query = sa.select(plans.c.id, plans.c.version, plans.c.updated).where(
            plans.c.token_hash == token_hash(token)
        )
        # A connection the database closed (a restart) is found by the pool's ping before use
        # (dosecal.service.database.make_engine); a database that does not answer raises
        # DatabaseUnavailable, which the feed turns into its last calendar or a 503.
        with self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else FeedState(row.id, row.version, aware(row.updated))

    def calendar(self, plan_id: str, version: int, as_of: date | None = None) -> bytes | None:
        """The feed calendar of ``plan_id`` as it is at ``version`` (``None`` if it moved on since).

        ``as_of``: the day it is served, for the feed's window (see :func:`calendar_of`).
        """
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(plans.c.content, plans.c.definition).where(
                    plans.c.id == plan_id, plans.c.version == version
                )
            ).one_or_none()
        if row is None:
            return None
        return calendar_of(course_of(plan_id, row.content, row.definition), as_of)

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

    def add_text(
        self,
        text: str,
        *,
        source: str,
        label: str | None,
        who: str,
        plan_id: str | None = None,
        regimen_version: int | None = None,
    ) -> tuple[StoredPlan, str]:
        """Store the plan whose file text is ``text`` (see :meth:`add`); ``source`` names it in messages.

        The clinic's web pages write the plan file from their form and store it through here,
        so that a plan made in a browser is the same kind of plan file as one made by hand.

        ``plan_id``, when given, is the new plan's id instead of a random one: the pages derive
        it from a one-time form key, so that a form sent twice (a double click, on any server)
        makes one plan. The database's primary key decides, in one transaction: the second
        insert fails and raises ConflictError, and nothing else is written.

        The plan's ``schedule`` is a built-in id, else the id of a local regimen of this database
        (:mod:`dosecal.service.regimens`: the plan's origin is then ``regimen:ID``, and its
        snapshot the regimen's current version, or ``regimen_version``, the one a form showed),
        else a definition file's path.

        Raises:
            ConflictError: when ``plan_id`` is given and a plan already has it.
            StoreError: when ``regimen_version`` is not a version of the local regimen named.
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
        origin, definition = self._definition_for(plan.schedule, regimen_version)
        given = plan_id
        for attempt in (1, 2, 3):
            # 48 random bits: short enough to type, and a collision (one in millions at
            # 10,000 plans) only means drawing again.
            ident = given or secrets.token_hex(6)
            content = text if plan.id is not None else f'id = "{ident}"\n' + text
            course = course_of(ident, content, definition)  # refuses what would not expand, before storing
            token = derive(self.feed_key, ident, 1)
            now = datetime.now(UTC)
            try:
                with self._begin() as connection:
                    connection.execute(
                        plans.insert().values(
                            id=ident,
                            label=label,
                            schedule=plan.schedule,
                            origin=origin,
                            content=content,
                            definition=definition,
                            version=1,
                            token_hash=token_hash(token),
                            feed_generation=1,
                            created=now,
                            updated=now,
                        )
                    )
                    _log(connection, ident, 1, now, who, "add", None, source)
                    listing.write(connection, ident, course, label, plan.schedule, self.clock())
                break
            except sa.exc.IntegrityError:
                if given is not None:
                    raise ConflictError(msg("error.store.exists", id=given)) from None
                if attempt == 3:
                    raise
        return self.get(ident), token

    def _definition_for(self, name: str, regimen_version: int | None = None) -> tuple[str, str]:
        """The origin and text of the definition a plan file's ``schedule`` names (see :meth:`add_text`)."""
        local = self.regimens.find(name) if may_name(name) else None
        if local is not None:
            if regimen_version is not None:
                local = self.regimens.get(name, regimen_version)
            return local.origin, local.definition
        if regimen_version is not None:
            raise StoreError(msg("error.regimens.unknown", id=name))
        path = definitions.path_of(name)
        origin = name if name in definitions.builtin_ids() else str(path.resolve())
        try:
            return origin, read_text(path)
        except InputFileError as exc:
            raise DefinitionError(exc.problems) from None

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
        if current.archived is not None:
            raise StoreError(msg("error.store.archived", id=plan_id))
        if expect_version is not None and current.version != expect_version:
            raise ConflictError(
                msg("error.store.conflict", id=plan_id, expected=expect_version, actual=current.version)
            )
        schedule = definitions.loads(current.definition, f"<definition of plan {plan_id}>")
        change = record_text(current.content, f"<plan {plan_id}>", given, schedule=schedule)
        if dry_run:
            return current, change
        detail = "; ".join(change.describe())
        course = course_of(plan_id, change.text, current.definition)
        self._write(current, {"content": change.text}, who, "adjust", given.note, detail, course)
        return self.get(plan_id), change

    def upgrade(
        self,
        plan_id: str,
        *,
        who: str,
        source: Path | None = None,
        dry_run: bool = False,
        expect_version: int | None = None,
        expect_definition: str | None = None,
    ) -> Upgrade:
        """Apply the definition found now at the plan's origin (or ``source``), showing what moves.

        Args:
            plan_id: the stored plan.
            who: who records the upgrade.
            source: a definition file to apply instead of the one at the plan's origin (it
                becomes the plan's origin).
            dry_run: find what would move and what would be taken out; store nothing.
            expect_version: the version the caller reviewed; by default the one read here.
            expect_definition: the :attr:`Upgrade.digest` of the definition the caller
                reviewed; by default whatever is found now.

        Raises:
            ConflictError: when the plan is not at ``expect_version``, the definition found is
                not the one reviewed, or the plan changed while this ran.
            UnknownScheduleError: when the plan's origin names a file that is gone.
            InputFileError: when the new definition is invalid or the plan does not fit it.
            StoreError: when the plan is archived.
        """
        current = self.get(plan_id)
        if current.archived is not None:
            raise StoreError(msg("error.store.archived", id=plan_id))
        if expect_version is not None and current.version != expect_version:
            raise ConflictError(
                msg("error.store.conflict", id=plan_id, expected=expect_version, actual=current.version)
            )
        path, definition = definition_at(current.origin, source, self.engine)
        definitions.loads(definition, path)  # its problems name the file (or regimen), not the plan
        digest = hashlib.sha256(definition.encode("utf-8")).hexdigest()
        if expect_definition is not None and digest != expect_definition:
            raise ConflictError(msg("error.store.definition_changed", id=plan_id))
        old_course = current.course()
        new_course = course_of(plan_id, current.content, definition)
        moves = diff(old_course, new_course)
        changed = definition != current.definition
        withdrawn = withdrawn_drugs(old_course, new_course)
        taken_out = {k: v for k, v in withdrawn.items() if k not in old_course.plan.withdrawn}
        if changed and not dry_run:
            detail = ENGLISH.text(msg("store.upgrade.detail", path=path, count=len(moves)))
            raised = raised_revisions(old_course, new_course, moves)
            content = planfile.with_revisions(current.content, raised, withdrawn)
            new = course_of(plan_id, content, definition)
            reread = new.plan  # the new text reads back and expands
            if (reread.revisions, reread.withdrawn, reread.adjustments) != (
                raised,
                withdrawn,
                old_course.plan.adjustments,
            ):
                raise OutputError(
                    msg("error.overrides.plan_file_adjustment_would", plan_file=f"<plan {plan_id}>")
                )
            values: dict[str, str] = {"definition": definition, "content": content}
            if source is not None:
                values["origin"] = str(source.resolve())
            self._write(current, values, who, "upgrade", None, detail, new)
        return Upgrade(self.get(plan_id), moves, changed, taken_out if changed else {}, digest)

    def newer_definition(self, plan: StoredPlan) -> bool:
        """Whether the definition found now at the plan's origin differs from its snapshot.

        The comparison :meth:`upgrade` makes, without expanding anything: one file read (the
        installed built-in, for a built-in schedule's plan), so that a plan page can ask it.
        A text that differs is also read as a definition (once per text), so that a definition
        that :meth:`upgrade` would refuse is never offered.

        Raises:
            UnknownScheduleError: when the origin names a file that is gone.
            DefinitionError: when the file cannot be read, or has problems.
        """
        path, definition = definition_at(plan.origin, engine=self.engine)
        if definition == plan.definition:
            return False
        problems = _problems_of(definition, path)
        if problems:
            raise DefinitionError(problems)
        return True

    def rotate(self, plan_id: str, *, who: str) -> str:
        """Give the plan a new feed link (the next generation); the old one stops. Returns the token.

        Raises:
            StoreError: when there is no such plan, or it is archived.
        """
        key = self.feed_key
        now = datetime.now(UTC)
        with self._begin() as connection:
            row = connection.execute(
                sa.select(plans.c.version, plans.c.feed_generation, plans.c.archived).where(
                    plans.c.id == plan_id
                )
            ).one_or_none()
            if row is None:
                raise StoreError(msg("error.store.no_plan", id=plan_id))
            if row.archived is not None:
                raise StoreError(msg("error.store.archived", id=plan_id))
            generation = (row.feed_generation or 0) + 1
            token = derive(key, plan_id, generation)
            connection.execute(
                plans.update()
                .where(plans.c.id == plan_id)
                .values(token_hash=token_hash(token), feed_generation=generation)
            )
            _log(connection, plan_id, row.version, now, who, "rotate", None, "")
        return token

    def revoke(self, plan_id: str, *, who: str) -> None:
        """Stop the plan's feed: its link answers 404, like any unknown link."""
        self._set_token(plan_id, None, who, "revoke")

    def archive(self, plan_id: str, *, who: str, note: str | None = None) -> None:
        """Archive the plan: it leaves the list, its feed stops, its history and file stay.

        Raises:
            StoreError: when there is no such plan.
        """
        now = datetime.now(UTC)
        with self._begin() as connection:
            row = connection.execute(
                plans.update()
                .where(plans.c.id == plan_id, plans.c.archived.is_(None))
                .values(archived=now, token_hash=None)
                .returning(plans.c.version)
            ).one_or_none()
            if row is None:
                self.get(plan_id)  # no such plan: say so
                raise StoreError(msg("error.store.archived", id=plan_id))
            _log(connection, plan_id, row.version, now, who, "archive", note, "")

    def remove(self, plan_id: str) -> None:
        """Delete the plan and its history (its feed stops with it).

        Raises:
            StoreError: when there is no such plan.
        """
        with self._begin() as connection:
            connection.execute(changes.delete().where(changes.c.plan_id == plan_id))
            listing.forget(connection, plan_id)
            connection.execute(plan_teams.delete().where(plan_teams.c.plan_id == plan_id))
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
        course: Course,
    ) -> None:
        """Replace the plan's text if, and only if, it is still at the version read.

        What the plans list shows of it (``course``'s next events) is written in the same
        transaction, so that no list shows an event of the version before.

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
            listing.write(connection, current.id, course, current.label, current.schedule, self.clock())


def definition_at(
    origin: str, source: Path | None = None, engine: sa.engine.Engine | None = None
) -> tuple[str, str]:
    """The definition found now at a plan's ``origin`` (or ``source``): its name for messages, its text.

    A built-in id: the installed built-in. A path: that file. ``regimen:ID``: the current version
    of that local regimen in ``engine``'s database (:mod:`dosecal.service.regimens`).

    Raises:
        UnknownScheduleError: when ``origin`` names a file that is gone, or a local regimen that
            this database does not have (or no ``engine`` is given to look in).
        DefinitionError: when the file cannot be read.
    """
    if source is None and regimen_of(origin) is not None:
        if engine is None:
            raise UnknownScheduleError(msg("error.regimens.unknown", id=regimen_of(origin) or origin))
        return definition_of(engine, origin)
    path = source if source is not None else definitions.path_of(origin)
    try:
        return str(path), read_text(path)
    except InputFileError as exc:
        raise DefinitionError(exc.problems) from None


@functools.lru_cache(maxsize=32)
def _problems_of(definition: str, name: str) -> tuple[Problem, ...]:
    """The problems of a definition text (none: it reads), found once per text and name."""
    try:
        definitions.loads(definition, name)
    except InputFileError as exc:
        return exc.problems
    return ()


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
