"""Who saw what: an audit trail of the clinic's pages, kept in the plan store's database.

A privacy office first asks who opened, printed or downloaded a patient's plan. Every such
action on the pages (and each sign-in and sign-out, link shown, plan made, adjusted or archived)
is one row: when, who, what, which plan, from which client address. The command line's store
and user commands record theirs too, with the login name (or ``--by``) and ``cli`` as the
address: whoever can run them can read the database anyway, but the trail then tells the whole
story of a plan, not only the pages' part. Nothing of a plan's words:
no label and no patient text, only the plan's id, so that the trail can be exported to the
privacy office as it is.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from dosecal.errors import DatabaseBusy, DatabaseUnavailable
from dosecal.service.database import WRITE_WAIT_OPTION

_meta = sa.MetaData()

audit = sa.Table(
    "audit",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("user", sa.String(64), nullable=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("plan_id", sa.String(64), nullable=True, index=True),
    sa.Column("client", sa.String(64), nullable=True),
    # Migration 0007: whom or what an action was about beyond a plan (the account a user
    # command changed, the team a plan was given to).
    sa.Column("subject", sa.String(64), nullable=True),
)

#: What is recorded, by the words the trail uses.
ACTIONS = (
    "sign-in",
    "sign-out",
    "view",
    "print",
    "download",
    "feed-link",
    "add",
    "adjust",
    "archive",
    # The command line's own actions (client "cli"); the administrator's pages record the
    # account and team changes among them too (with the client's address).
    "export",
    "upgrade",
    "remove",
    "feed-revoke",
    "team",
    "user-add",
    "user-remove",
    "user-password",
    "user-teams",
    # A local regimen imported (dosecal.service.regimens): its id as the subject.
    "regimen-import",
)

#: The client address the command line's entries carry.
CLI_CLIENT = "cli"

#: How long entries are kept by default: ten years, the usual keeping of a health record's access log.
RETENTION_DAYS = 3650

#: Actions that only read a plan: when the database cannot take their entry at once (another
#: program's write lock, a full disk), the entry waits in memory and the page is still shown.
READS = frozenset({"view", "print", "download", "feed-link"})
#: How long a read's entry waits for the write lock (ms): a write of dosecal's own takes
#: milliseconds, and a page must not wait the bound of a nurse's change for it.
READ_ENTRY_WAIT_MS = 250
#: The most entries kept in memory; beyond it a read is refused (503) rather than left unrecorded.
MOST_PENDING = 10_000

#: The most entries :meth:`Audit.latest` reads for one page.
MOST_PER_PAGE = 500

log = logging.getLogger("dosecal.audit")


@dataclass(frozen=True, slots=True)
class Entry:
    """One action: when (UTC), who, what, which plan, from where (and the format downloaded)."""

    at: datetime
    user: str | None
    action: str
    plan_id: str | None
    client: str | None
    subject: str | None = None

    def row(self) -> dict[str, str]:
        """The entry as the export writes it."""
        return {
            k: ("" if v is None else v.isoformat() if isinstance(v, datetime) else str(v))
            for k, v in dataclasses.asdict(self).items()
        }


class Audit:
    """The audit trail of one plan store's database."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine
        self._pending: list[dict[str, Any]] = []  # entries the database could not take yet, oldest first
        self._lock = threading.Lock()

    def record(
        self,
        action: str,
        *,
        user: str | None,
        plan_id: str | None = None,
        client: str | None = None,
        subject: str | None = None,
        also: Sequence[str] = (),
    ) -> None:
        """Add one entry, now, with any entries kept in memory before it.

        ``also`` adds an entry for each of its actions in the same write (a plan page is a view
        and, when it shows one, a feed link).

        A read (:data:`READS`) that meets a locked, full or unreachable database is kept in
        memory with its time and written with the next entry that gets through (or by
        :meth:`flush`): reads never wait behind a writer (issue 23), and no view goes unrecorded
        while this process runs. A change's entry is never kept back: the fault is raised.

        Raises:
            DatabaseBusy: for a change, or when :data:`MOST_PENDING` entries already wait.
            DatabaseUnavailable: likewise.
        """
        kinds = [a.split(":")[0] for a in (action, *also)]
        for a, kind in zip((action, *also), kinds, strict=True):
            if kind not in ACTIONS:
                raise ValueError(f"unknown audit action {a!r}")
        now = datetime.now(UTC)
        entries = [
            {
                "at": now,
                "user": user,
                "action": a[:32],
                "plan_id": plan_id,
                "client": (client or "")[:64] or None,
                "subject": (subject or "")[:64] or None,
            }
            for a in (action, *also)
        ]
        reads = all(kind in READS for kind in kinds)
        with self._lock:
            batch, self._pending = [*self._pending, *entries], []
        try:
            self._insert(batch, READ_ENTRY_WAIT_MS if reads else None)
        except (DatabaseBusy, DatabaseUnavailable) as exc:
            keep = reads and len(batch) <= MOST_PENDING
            with self._lock:
                self._pending[:0] = batch if keep else batch[: -len(entries)]
            if not keep:
                raise
            log.warning(
                "audit entry kept in memory until the database takes it (%d waiting): %s", len(batch), exc
            )

    def flush(self) -> int:
        """Write the entries kept in memory (a server stopping); how many were written.

        Raises:
            DatabaseBusy: when the database still cannot take them (they stay in memory).
            DatabaseUnavailable: likewise.
        """
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            self._insert(batch, None)
        except (DatabaseBusy, DatabaseUnavailable):
            with self._lock:
                self._pending[:0] = batch
            raise
        return len(batch)

    def pending(self) -> list[dict[str, str]]:
        """The entries kept in memory, as the export writes them (what a stopping server logs)."""
        with self._lock:
            return [
                {
                    k: "" if v is None else v.isoformat() if isinstance(v, datetime) else str(v)
                    for k, v in e.items()
                }
                for e in self._pending
            ]

    def _insert(self, batch: list[dict[str, Any]], wait_ms: int | None) -> None:
        with self.engine.connect() as c:
            if wait_ms is not None:
                c = c.execution_options(**{WRITE_WAIT_OPTION: wait_ms})
            with c.begin():
                c.execute(audit.insert(), batch)

    def entries(
        self, *, plan_id: str | None = None, user: str | None = None, since: date | None = None
    ) -> list[Entry]:
        """The entries that match, oldest first."""
        query = sa.select(audit).order_by(audit.c.at, audit.c.id)
        if plan_id is not None:
            query = query.where(audit.c.plan_id == plan_id)
        if user is not None:
            query = query.where(audit.c.user == user)
        if since is not None:
            query = query.where(audit.c.at >= datetime.combine(since, time(0), UTC))
        with self.engine.connect() as c:
            rows = c.execute(query).all()
        return [Entry(_aware(r.at), r.user, r.action, r.plan_id, r.client, r.subject) for r in rows]

    def latest(
        self,
        *,
        plan_id: str | None = None,
        user: str | None = None,
        account: str | None = None,
        before: tuple[datetime, int] | None = None,
        size: int = 100,
    ) -> tuple[list[Entry], tuple[datetime, int] | None]:
        """A page of the entries that match, newest first, and where the next page starts.

        ``user`` keeps the entries of what that user did (as :meth:`entries`); ``account`` also
        those of changes made to that account (``user-*`` actions whose subject it is).

        ``before`` is the (time, row id) the previous page ended on: only entries after it in
        this order are read, with an index, however long the trail (no offset to count past).
        The second value is ``None`` on the last page.
        """
        size = max(1, min(size, MOST_PER_PAGE))
        query = sa.select(audit).order_by(audit.c.at.desc(), audit.c.id.desc()).limit(size + 1)
        if plan_id is not None:
            query = query.where(audit.c.plan_id == plan_id)
        if user is not None:
            query = query.where(audit.c.user == user)
        if account is not None:
            about = sa.and_(audit.c.subject == account, audit.c.action.like("user-%"))
            query = query.where(sa.or_(audit.c.user == account, about))
        if before is not None:
            at, row = before[0].astimezone(UTC), before[1]
            query = query.where(sa.or_(audit.c.at < at, sa.and_(audit.c.at == at, audit.c.id < row)))
        with self.engine.connect() as c:
            rows = c.execute(query).all()
        shown = rows[:size]
        found = [Entry(_aware(r.at), r.user, r.action, r.plan_id, r.client, r.subject) for r in shown]
        after = (_aware(shown[-1].at), int(shown[-1].id)) if len(rows) > size else None
        return found, after

    def purge(self, days: int = RETENTION_DAYS) -> int:
        """Delete entries older than ``days``; how many went."""
        with self.engine.begin() as c:
            return c.execute(
                audit.delete().where(audit.c.at < datetime.now(UTC) - timedelta(days=days))
            ).rowcount


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
