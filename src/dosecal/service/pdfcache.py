"""Each stored plan's printable PDF, kept in the database once made and made before it is asked for.

WeasyPrint takes seconds to lay out a long course, so "Download PDF" answers from the
``pdf_cache`` table, one row per plan version, language(s), paper and feed link: in the
database rather than in one process's memory or a folder, so that every server on one
PostgreSQL (and the command line) shares what any of them made. A change raises the plan's
version, so a cached PDF is never stale; the older versions' rows are dropped when a newer one
is cached, and the table is bounded in bytes and rows, oldest dropped first.

:class:`PdfWorker` runs beside ``dosecal serve``: every few seconds it asks the plans table (by
its ``updated`` index) which plans changed, from any process, and makes the missing PDFs one at
a time in a child process at low priority, so that the feeds' threads never wait for the GIL or
the CPU behind a render, and a nurse's "Download PDF" after a change answers at once.

Two requests for the same missing PDF render it once: threads of one process wait on a lock,
processes on a claim (a row whose ``pdf`` is still NULL), which another takes over only when it
is older than :data:`CLAIM_SECONDS` (its process died).

A printout carries the plan's feed link and QR code, and the database must never give a working
feed link away (:mod:`dosecal.service.feedtokens`): each PDF is stored sealed under a key derived
from the clinic's feed key, which lives outside the database. The standard library has no
cipher, so the seal is SHAKE-256 as a keystream (a fresh 16-byte nonce each time) with an
HMAC-SHA256 tag over nonce and ciphertext (encrypt-then-MAC); a row sealed under another key
reads as missing and is made again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import sqlalchemy as sa

import dosecal
from dosecal.errors import DatabaseBusy, DatabaseUnavailable, StoreError
from dosecal.inputs import planfile
from dosecal.render import Paper, RenderOptions, render
from dosecal.render.feedlink import links
from dosecal.service.background import Periodic
from dosecal.service.courses import course_of
from dosecal.service.database import aware, first_line, pdf_cache, plans
from dosecal.service.records import StoredPlan
from dosecal.service.store import Store
from dosecal.words import languages

log = logging.getLogger("dosecal.pdf")

#: The cache's bound: at most this many bytes of PDFs (about 300 full blinatumomab courses) ...
MAX_BYTES = 256 * 1024 * 1024
#: ... and this many PDFs; past either, the oldest made are dropped.
MAX_COUNT = 5000
#: A claim older than this is a render whose process died: another process takes it over.
CLAIM_SECONDS = 120.0
#: How often the worker asks the plans table what changed: one indexed query, so every second
#: (a change made on the command line or another server is noticed within a second).
POLL_SECONDS = 1.0
#: At start, the worker makes the missing PDFs of plans changed this recently (older ones are
#: made at their first download): a restart never queues a whole store's worth of renders.
LOOKBACK = timedelta(days=1)
#: Each poll looks this far before the newest change it saw: a change committed late (a slow
#: transaction, another server's clock a little behind) is still found.
OVERLAP = timedelta(minutes=2)
#: How niced the worker's render process is.
NICE = 10

#: A sealed row starts with this (the format's version, also bound into its tag), then the nonce.
_MAGIC = b"DPC2"
_NONCE = 12


@dataclass(frozen=True, slots=True)
class PdfJob:
    """Everything one PDF is made from: picklable, so that a child process can render it.

    Attributes:
        plan_id, version: the stored plan and its version.
        content, definition: the plan file and its definition snapshot at that version.
        langs: the plan's language choice (``en``, ``fr``, ``fr+en``).
        paper: A4 or US Letter.
        feed_url: the feed link in force, printed with its QR code (``None``: none to show).
    """

    plan_id: str
    version: int
    content: str
    definition: str
    langs: str
    paper: Paper
    feed_url: str | None


def render_job(job: PdfJob) -> bytes:
    """The PDF the plan's "Download PDF" gives: the same renderer, options and bytes as before the cache."""
    course = course_of(job.plan_id, job.content, job.definition)
    langs = languages(job.langs)
    options = RenderOptions(
        paper=job.paper, lang=langs[0], also=langs[1] if len(langs) > 1 else None, feed_url=job.feed_url
    )
    return render("pdf", course, options)


@functools.cache
def edition() -> str:
    """What else a PDF depends on: dosecal's version, WeasyPrint's, and the renderers' files.

    Part of every row's variant, so that a dosecal with other templates, words or layout code
    never serves a PDF an older one made (its rows age out of the bound).
    """
    digest = hashlib.sha256(dosecal.__version__.encode())
    try:
        import weasyprint

        digest.update(weasyprint.__version__.encode())
    except (ImportError, OSError):
        digest.update(b"-")
    root = Path(dosecal.__file__).parent
    for folder in (root / "render", root / "words"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".css", ".mo"):
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Sealer:
    """Seals and opens cached PDFs under keys derived from the clinic's feed key."""

    def __init__(self, feed_key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        # A key of its own for the PDFs, derived from the feed key (HMAC as a key derivation).
        self._aead = AESGCM(hmac.new(feed_key, b"dosecal pdf cache: aes-256-gcm", hashlib.sha256).digest())
        self._name = hmac.new(feed_key, b"dosecal pdf cache: variant", hashlib.sha256).digest()

    def variant(self, job: PdfJob) -> str:
        """The row's name for what varies within a plan version: languages, paper, feed link, edition.

        Keyed, so that the table does not tell which feed link a row was made with.
        """
        text = "\0".join((job.langs, job.paper, job.feed_url or "", edition()))
        return hmac.new(self._name, text.encode(), hashlib.sha256).hexdigest()

    def seal(self, data: bytes) -> bytes:
        """``data`` encrypted and authenticated (AES-256-GCM, a fresh nonce), as the table stores it."""
        nonce = secrets.token_bytes(_NONCE)
        return _MAGIC + nonce + self._aead.encrypt(nonce, data, _MAGIC)

    def open(self, sealed: bytes) -> bytes | None:
        """The PDF in a sealed row; ``None`` when it was sealed under another key or is damaged."""
        from cryptography.exceptions import InvalidTag

        head = len(_MAGIC) + _NONCE
        if len(sealed) < head or not sealed.startswith(_MAGIC):
            return None
        try:
            return self._aead.decrypt(sealed[len(_MAGIC) : head], sealed[head:], _MAGIC)
        except InvalidTag:
            return None


def _now() -> datetime:
    return datetime.now(UTC)


class PdfCache:
    """The PDFs of one store's plans, as ``GET /plans/<id>/plan.pdf`` serves them.

    Args:
        store: the plan store (its engine, and its feed key for the links and the seal).
        public_url: the server's public URL, which the printed feed link starts with.
        paper: the paper downloads are laid out on.
        max_bytes, max_count: the bound (see :data:`MAX_BYTES`, :data:`MAX_COUNT`).
        render: makes a job's PDF (by default :func:`render_job`, in the calling thread).
        clock: the time, for rows' ages (tests set it).
    """

    def __init__(
        self,
        store: Store,
        *,
        public_url: str,
        paper: Paper = "a4",
        max_bytes: int = MAX_BYTES,
        max_count: int = MAX_COUNT,
        render: Callable[[PdfJob], bytes] = render_job,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.public_url = public_url.rstrip("/")
        self.paper: Paper = paper
        self.max_bytes = max_bytes
        self.max_count = max_count
        self.render = render
        self.clock = clock
        self._sealer: Sealer | None = None
        # Striped locks: threads of this process asking for one missing PDF wait for one render.
        self._locks = tuple(threading.Lock() for _ in range(64))

    @property
    def sealer(self) -> Sealer:
        """The seal, made when first needed (the feed key is read then)."""
        if self._sealer is None:
            self._sealer = Sealer(self.store.feed_key)
        return self._sealer

    def job(self, plan: StoredPlan) -> PdfJob:
        """What the plan's PDF is made from now: its version, language, this paper, its feed link."""
        link = self.store.feed_link(plan.id)
        feed_url = links(self.public_url, link.token)[0] if link.token else None
        langs = planfile.loads(plan.content, f"<plan {plan.id}>").language
        return PdfJob(plan.id, plan.version, plan.content, plan.definition, langs, self.paper, feed_url)

    def pdf(self, plan: StoredPlan) -> bytes:
        """The plan's PDF: from the cache, else made now (once, whoever else asks meanwhile) and kept."""
        return self.fetch(self.job(plan))

    def cached(self, job: PdfJob) -> bytes | None:
        """The job's PDF if it is in the cache (and opens under this clinic's key)."""
        variant = self.sealer.variant(job)
        with self.store.engine.connect() as connection:
            sealed = connection.execute(
                sa.select(pdf_cache.c.pdf).where(*_key(job, variant), pdf_cache.c.pdf.is_not(None))
            ).scalar_one_or_none()
        return None if sealed is None else self.sealer.open(sealed)

    def fetch(self, job: PdfJob, render: Callable[[PdfJob], bytes] | None = None) -> bytes:
        """The job's PDF, from the cache or rendered by ``render`` (default: this cache's) and kept.

        Raises:
            MissingFeatureError: when WeasyPrint is not installed.
        """
        found = self.cached(job)
        if found is not None:
            return found
        variant = self.sealer.variant(job)
        with self._locks[hash((job.plan_id, job.version, variant)) % len(self._locks)]:
            found = self.cached(job)
            if found is not None:
                return found
            return self._make(job, variant, render or self.render)

    def _make(self, job: PdfJob, variant: str, render: Callable[[PdfJob], bytes]) -> bytes:
        """Claim the row, render, store; or wait for the process that holds the claim."""
        while True:
            state = self._claim(job, variant)
            if state == "mine":
                break
            found = self.cached(job)
            if found is not None:
                return found
            if state == "busy":
                time.sleep(0.1)  # another process renders it: its row is filled in seconds
            # "ready" but unreadable (sealed under another key): claim it again below
            elif self._take_unreadable(job, variant):
                break
        try:
            data = render(job)
        except BaseException:
            with self.store.engine.begin() as connection:
                connection.execute(pdf_cache.delete().where(*_key(job, variant), pdf_cache.c.pdf.is_(None)))
            raise
        sealed = self.sealer.seal(data)
        with self.store.engine.begin() as connection:
            done = connection.execute(
                pdf_cache.update()
                .where(*_key(job, variant))
                .values(pdf=sealed, size=len(sealed), made=self.clock())
            ).rowcount
            if done == 0:  # the claim was cleaned away meanwhile: the PDF is still worth keeping
                connection.execute(
                    pdf_cache.insert().values(
                        plan_id=job.plan_id,
                        version=job.version,
                        variant=variant,
                        pdf=sealed,
                        size=len(sealed),
                        made=self.clock(),
                    )
                )
        self._bound(job, variant)
        return data

    def _claim(self, job: PdfJob, variant: str) -> str:
        """``mine`` (this process renders it), ``ready`` (a PDF is there) or ``busy`` (another renders it)."""
        now = self.clock()
        try:
            with self.store.engine.begin() as connection:
                connection.execute(
                    pdf_cache.insert().values(
                        plan_id=job.plan_id, version=job.version, variant=variant, pdf=None, size=0, made=now
                    )
                )
            return "mine"
        except sa.exc.IntegrityError:
            pass  # a row is there: made, or claimed by another
        with self.store.engine.begin() as connection:
            row = connection.execute(
                sa.select(pdf_cache.c.pdf.is_(None).label("pending"), pdf_cache.c.made).where(
                    *_key(job, variant)
                )
            ).one_or_none()
            if row is None:
                return "busy"  # gone meanwhile (a failed render): try again
            if not row.pending:
                return "ready"
            if aware(row.made) > now - timedelta(seconds=CLAIM_SECONDS):
                return "busy"
            taken = connection.execute(
                pdf_cache.update()
                .where(*_key(job, variant), pdf_cache.c.pdf.is_(None), pdf_cache.c.made == row.made)
                .values(made=now)
            ).rowcount
        return "mine" if taken == 1 else "busy"

    def _take_unreadable(self, job: PdfJob, variant: str) -> bool:
        """Turn a row that does not open back into this process's claim."""
        with self.store.engine.begin() as connection:
            return bool(
                connection.execute(
                    pdf_cache.update()
                    .where(*_key(job, variant), pdf_cache.c.pdf.is_not(None))
                    .values(pdf=None, size=0, made=self.clock())
                ).rowcount
            )

    def _bound(self, job: PdfJob, variant: str) -> None:
        """Drop the plan's older versions, then the oldest PDFs while the table is over its bound."""
        with self.store.engine.begin() as connection:
            connection.execute(
                pdf_cache.delete().where(
                    pdf_cache.c.plan_id == job.plan_id, pdf_cache.c.version < job.version
                )
            )
            self._trim(connection, keep=(job.plan_id, job.version, variant))

    def _trim(self, connection: sa.Connection, keep: tuple[str, int, str] | None = None) -> int:
        total, count = connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(pdf_cache.c.size), 0), sa.func.count()).where(
                pdf_cache.c.pdf.is_not(None)
            )
        ).one()
        if total <= self.max_bytes and count <= self.max_count:
            return 0
        rows = connection.execute(
            sa.select(pdf_cache.c.plan_id, pdf_cache.c.version, pdf_cache.c.variant, pdf_cache.c.size)
            .where(pdf_cache.c.pdf.is_not(None))
            .order_by(pdf_cache.c.made, pdf_cache.c.plan_id, pdf_cache.c.version, pdf_cache.c.variant)
        ).all()
        dropped = 0
        for row in rows:
            if total <= self.max_bytes and count <= self.max_count:
                break
            if (row.plan_id, row.version, row.variant) == keep:
                continue
            connection.execute(
                pdf_cache.delete().where(
                    pdf_cache.c.plan_id == row.plan_id,
                    pdf_cache.c.version == row.version,
                    pdf_cache.c.variant == row.variant,
                )
            )
            total -= row.size
            count -= 1
            dropped += 1
        return dropped

    def clean(self) -> int:
        """Drop what can never be served again, then trim to the bound; returns how many rows went.

        Dropped: claims of processes that died, PDFs of versions a plan has moved on from (a
        change made where no PDF was made after it), and PDFs of archived plans (a removed
        plan's go with it).
        """
        stale = self.clock() - timedelta(seconds=CLAIM_SECONDS)
        current = sa.select(plans.c.version).where(plans.c.id == pdf_cache.c.plan_id).scalar_subquery()
        archived = sa.select(plans.c.id).where(plans.c.archived.is_not(None))
        with self.store.engine.begin() as connection:
            gone = connection.execute(
                pdf_cache.delete().where(
                    sa.or_(
                        sa.and_(pdf_cache.c.pdf.is_(None), pdf_cache.c.made < stale),
                        pdf_cache.c.version < current,
                        pdf_cache.c.plan_id.in_(archived),
                    )
                )
            ).rowcount
            return gone + self._trim(connection)


def _key(job: PdfJob, variant: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        pdf_cache.c.plan_id == job.plan_id,
        pdf_cache.c.version == job.version,
        pdf_cache.c.variant == variant,
    )


def _lower_priority() -> None:
    """The render process's start: behind the server's threads for the CPU; WeasyPrint loaded.

    Importing WeasyPrint (Pango, its fonts) costs seconds: paid here, when the worker starts,
    not by the first PDF after a change.
    """
    with contextlib.suppress(OSError):  # not allowed here: it renders at normal priority
        os.nice(NICE)
    with contextlib.suppress(ImportError, OSError):  # without WeasyPrint a render says so itself
        import weasyprint  # noqa: F401 (loaded ahead of the first render)


class ChildRenderer:
    """Renders jobs one at a time in a child process (spawned: no fork of a threaded server), niced.

    The server's threads then never wait for the GIL behind WeasyPrint's pure-Python layout.
    """

    def __init__(self) -> None:
        self._pool: Executor | None = None

    def __call__(self, job: PdfJob) -> bytes:
        """The job's PDF, rendered in the child."""
        return self._started().submit(render_job, job).result()

    def warm(self) -> None:
        """Start the child now (it loads WeasyPrint), so that the first PDF costs only its render."""
        self._started().submit(os.getpid).result()

    def _started(self) -> Executor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_lower_priority)
        return self._pool

    def close(self) -> None:
        """Stop the child at once, a render under way with it: a server stopping waits for no PDF.

        The render was ahead of need; its claim on the cache row is taken over by the next
        server that wants that PDF (:meth:`PdfCache.fetch`).
        """
        if self._pool is not None:
            pool = self._pool
            self._pool = None
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


class PdfWorker:
    """Makes the PDFs of plans that changed (through any server or the command line) before they are asked for.

    Args:
        cache: the PDF cache it fills.
        render: renders a job (by default a :class:`ChildRenderer`).
        interval: seconds between polls.
        lookback: at the first poll, plans changed this recently are looked at.
    """

    def __init__(
        self,
        cache: PdfCache,
        *,
        render: Callable[[PdfJob], bytes] | None = None,
        interval: float = POLL_SECONDS,
        lookback: timedelta = LOOKBACK,
    ) -> None:
        self.cache = cache
        self._child = ChildRenderer() if render is None else None
        self.render: Callable[[PdfJob], bytes] = render or self._child or render_job
        self.interval = interval
        self._since: datetime | None = None
        self._lookback = lookback
        self._failed: set[tuple[str, int]] = set()
        self._stop = threading.Event()
        self._started = False
        self._loop: Periodic | None = None

    def due(self) -> list[tuple[str, int]]:
        """The plans in use changed since the last poll whose version has no PDF yet (id, version), oldest change first."""
        start = self._since if self._since is not None else self.cache.clock() - self._lookback
        made = sa.exists().where(
            pdf_cache.c.plan_id == plans.c.id,
            pdf_cache.c.version == plans.c.version,
        )
        with self.cache.store.engine.connect() as connection:
            rows = connection.execute(
                sa.select(plans.c.id, plans.c.version)
                .where(plans.c.updated > start - OVERLAP, plans.c.archived.is_(None), ~made)
                .order_by(plans.c.updated, plans.c.id)
            ).all()
            newest = connection.execute(sa.select(sa.func.max(plans.c.updated))).scalar_one_or_none()
        # The next poll starts from the newest change seen (less the overlap): an index range.
        self._since = start if newest is None else max(start, aware(newest))
        return [(row.id, row.version) for row in rows if (row.id, row.version) not in self._failed]

    def poll(self) -> int:
        """One poll: make every PDF that is due, one at a time; returns how many were made."""
        made = 0
        for plan_id, version in self.due():
            if self._stop.is_set():
                break
            try:
                plan = self.cache.store.get(plan_id)
                if plan.version != version or plan.archived is not None:
                    continue  # changed again meanwhile: the next poll finds the newer version
                job = self.cache.job(plan)
                if self.cache.cached(job) is None:
                    self.cache.fetch(job, self.render)
                    made += 1
            except (DatabaseBusy, DatabaseUnavailable, sa.exc.DBAPIError):
                raise  # the database, not the plan: tried again at the next poll
            except Exception:
                if self._stop.is_set():
                    break  # the render process was stopped with the server: not a failure
                self._failed.add((plan_id, version))  # logged once, not retried every poll
                log.exception("could not make the PDF of plan %s version %s", plan_id, version)
        return made

    def start(self) -> None:
        """Start polling on a thread of its own (:class:`Periodic`), cleaning the cache first."""
        self._stop.clear()
        self._started = False
        self._loop = Periodic("pdf", self.interval, self._tick).start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling and the render process (a render under way is dropped, not waited for)."""
        self._stop.set()
        if self._child is not None:
            self._child.close()
        if self._loop is not None:
            self._loop.stop(timeout)
            self._loop = None

    def _tick(self) -> None:
        """One turn of the loop: the first cleans the cache and starts the render process; each polls."""
        if not self._started:
            self._started = True
            try:
                self.cache.clean()
            except Exception:
                log.exception("could not clean the PDF cache")
            if self._child is not None:
                try:
                    self._child.warm()
                except Exception:  # stopped while starting, or no process allowed: renders will say
                    log.exception("could not start the PDF render process")
        try:
            self.poll()
        except (DatabaseBusy, DatabaseUnavailable, StoreError, sa.exc.DBAPIError) as exc:
            # A database that does not answer now may at the next poll: one line, no traceback
            # every second while it is down (/healthz says why). Anything else Periodic logs.
            log.warning("PDF worker: the database did not answer (%s)", first_line(exc))
