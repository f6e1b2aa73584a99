"""Faults around a real ``dosecal serve``, really caused: a stopped PostgreSQL, a full disk, a foreign lock.

Issue 23, item 1, as its fault suite asks: the server runs in its own process on a loopback
port, and the fault is made the way it happens in a clinic, not raised inside dosecal.

- PostgreSQL stopped (``pg_ctl stop -m fast``) under the running server: a phone's feed gets
  the calendar it had, byte for byte, from memory (503 for a feed never served); pages and a
  change answer 503 with Retry-After in the nurse's language, saying nothing was saved;
  ``/healthz`` says the database is unreachable. Started again on the same port, the very first
  request succeeds (connections are checked before use) and changes are saved again.
- A full disk under the SQLite file (a small tmpfs, filled): a change answers 503 saying nothing
  was saved, and nothing was; ``/healthz`` says the disk is full; feeds keep answering; once
  the space is back, changes are saved again.
- SQLite's write lock held by another process: feeds and a plan's page answer at once, a change
  gets 503 with Retry-After after its bounded wait (about 10 s), and nothing was saved.
"""

from __future__ import annotations

import errno
import html
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dosecal.cli import main
from dosecal.service import database as db
from postgres_cluster import Cluster, free_port, running_cluster

PASSWORD = "correct horse battery"
NOTHING_SAVED = {"en": "nothing was saved", "fr": "rien n’a été enregistré"}

Run = Callable[..., Result]


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, errors included, and how long it took."""

    status: int
    headers: Message
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        """The body as a reader sees it: decoded, HTML entities resolved."""
        return html.unescape(self.body.decode("utf-8", "replace"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to look at (a saved change is a 303), not to follow."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


class Client:
    """A browser of the clinic's pages (its own cookies), or a phone polling feeds (no cookies)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(
        self, path: str, *, form: dict[str, str] | None = None, lang: str = "en", timeout: float = 30
    ) -> Answer:
        """GET ``path``, or POST ``form`` to it, in the nurse's language ``lang``."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers={"Accept-Language": lang})
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.headers, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.headers, exc.read(), time.monotonic() - started)

    def csrf(self, path: str) -> str:
        """The form token on the page at ``path``."""
        page = self.request(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text[:400]
        return found.group(1)

    def sign_in(self, name: str = "mtremblay") -> str:
        """Sign in through the form; the session's form token."""
        signed = self.request(
            "/signin", form={"csrf": self.csrf("/signin"), "name": name, "password": PASSWORD}
        )
        assert signed.status == 303, signed.text
        return self.csrf("/plans")

    def new_plan(self, token: str) -> tuple[str, str]:
        """Make an imatinib plan through the form; its id and its feed token."""
        form = {
            "csrf": token,
            "schedule": "imatinib",
            "start": "2027-01-04",
            "tz": "America/Toronto",
            "lang": "en",
        }
        made = self.request("/plans/new?schedule=imatinib", form=form)
        assert made.status == 303, made.text
        plan_id = made.headers["Location"].rsplit("/", 1)[1]
        page = self.request(f"/plans/{plan_id}")
        feed = re.search(r"/feeds/([\w-]+)\.ics", page.text)
        assert page.status == 200 and feed, page.text[:400]
        return plan_id, feed.group(1)

    def archive(self, token: str, plan_id: str, lang: str = "en") -> Answer:
        """The nurse confirms archiving ``plan_id``: a change to the database."""
        return self.request(f"/plans/{plan_id}/archive", form={"csrf": token, "confirm": "1"}, lang=lang)


@dataclass
class Site:
    """A running ``dosecal serve``: a signed-in nurse, a phone, the command line on its database."""

    nurse: Client
    token: str
    phone: Client
    dosecal: Run
    log: Path

    def is_archived(self, plan_id: str) -> bool:
        """Whether the plan's page says it is archived (its history says so too)."""
        page = self.nurse.request(f"/plans/{plan_id}")
        assert page.status == 200, page.text[:400]
        return 'id="archived"' in page.text


def seen_between(site: Site, plan_id: str, start: datetime, end: datetime) -> bool:
    """Whether the audit trail holds a view of ``plan_id`` made between ``start`` and ``end``."""
    exported = site.dosecal("audit", "--plan", plan_id, "--format", "json")
    assert exported.exit_code == 0, exported.output
    return any(
        e["action"] == "view" and start <= datetime.fromisoformat(e["at"]) <= end
        for e in json.loads(exported.output)["entries"]
    )


def unavailable(answer: Answer, lang: str) -> None:
    """A 503 page in ``lang`` that says nothing was saved and when to try again."""
    assert answer.status == 503, answer.text[:400]
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.headers["Content-Type"].startswith("text/html")
    assert NOTHING_SAVED[lang] in answer.text


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[str], Site]]:
    """Start ``dosecal serve`` on a migrated database with one nurse, signed in; stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(database: str) -> Site:
        def dosecal(*args: str, input: str | None = None) -> Result:
            return CliRunner().invoke(main, list(args), env={"DOSECAL_DB": database}, input=input)

        for made in (dosecal("db", "upgrade"), dosecal("users", "add", "mtremblay", input=PASSWORD + "\n")):
            assert made.exit_code == 0, made.output
        # The port is chosen first so that the public URL is the server's own: an https one
        # would make the session cookie Secure, which a client on http never sends back.
        base = f"http://127.0.0.1:{free_port()}"
        log = tmp_path / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "dosecal", "serve", "--db", database, "--port", base.rsplit(":", 1)[1],
                 "--public-url", base, "--default-tz", "America/Toronto"],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        started.append(process)
        deadline = time.monotonic() + 60
        while "serving feeds at" not in log.read_text("utf-8"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dosecal serve did not start:\n{log.read_text('utf-8')}")
            time.sleep(0.05)  # polling the log for readiness, not waiting for a guess
        nurse = Client(base)
        while nurse.request("/healthz").status != 200:
            assert time.monotonic() < deadline, log.read_text("utf-8")
            time.sleep(0.05)
        return Site(nurse, nurse.sign_in(), Client(base), dosecal, log)

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
            process.wait(30)
    for process in started:  # a fault is survived: the server still stops cleanly on SIGTERM
        assert process.returncode == 0, (tmp_path / "serve.log").read_text("utf-8")


# PostgreSQL stopped, then started again


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own, since the test stops it (the session's is shared)."""
    with running_cluster() as running:
        yield running


@pytest.mark.postgres
def test_a_stopped_postgresql_gives_503s_and_kept_feeds_and_its_restart_costs_no_request(
    serve: Callable[[str], Site], own_cluster: Cluster
) -> None:
    site = serve(own_cluster.new_database())
    nurse, phone = site.nurse, site.phone
    plan_id, fetched = nurse.new_plan(site.token)
    other_id, never_fetched = nurse.new_plan(site.token)
    before = phone.request(f"/feeds/{fetched}.ics")
    assert before.status == 200 and before.body.startswith(b"BEGIN:VCALENDAR")

    own_cluster.stop("fast")
    try:
        kept = phone.request(f"/feeds/{fetched}.ics")
        assert (kept.status, kept.body, kept.headers["ETag"]) == (200, before.body, before.headers["ETag"])
        unseen = phone.request(f"/feeds/{never_fetched}.ics")
        assert unseen.status == 503 and int(unseen.headers["Retry-After"]) > 0
        for lang in ("en", "fr"):
            page = nurse.request(f"/plans/{plan_id}", lang=lang)
            unavailable(page, lang)
            assert page.seconds < 15  # refused connections answer at once; 10 s is the connect bound
        unavailable(nurse.request("/plans", lang="fr"), "fr")
        change = nurse.archive(site.token, other_id)
        unavailable(change, "en")
        health = nurse.request("/healthz")
        assert health.status == 503 and health.text == "unavailable: database unreachable\n"
    finally:
        own_cluster.start()  # the same port, as after a restart by the operator

    # The very first request after the restart is answered: no failed request.
    first = nurse.request(f"/plans/{plan_id}")
    assert first.status == 200, first.text[:400]
    assert phone.request(f"/feeds/{never_fetched}.ics").status == 200
    assert nurse.request("/healthz").text == "ok\n"
    assert not site.is_archived(other_id)  # the refused change was not made
    assert nurse.archive(site.token, other_id).status == 303  # changes are saved again
    assert site.is_archived(other_id)

    # A restart while the server is idle, every pooled connection open (the case: the
    # first request after it failed). Each request checks its connection first. Pages, since a
    # feed would hide a failure behind the calendar it keeps in memory.
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(lambda _: nurse.request(f"/plans/{plan_id}").status, range(16))) == {200}
    own_cluster.stop("fast")
    own_cluster.start()
    with ThreadPoolExecutor(8) as pool:
        after = list(pool.map(lambda _: nurse.request(f"/plans/{plan_id}").status, range(16)))
    assert after == [200] * 16
    asked = nurse.request(f"/plans/{plan_id}/archive", form={"csrf": site.token})  # "Are you sure?"
    assert asked.status == 200 and nurse.archive(site.token, plan_id).status == 303
    assert "Traceback" not in site.log.read_text("utf-8")


# A full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs of this test's own (root only), unmounted afterwards whatever happens."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a full disk is made on a tmpfs, which only root may mount")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32M,mode=0700", "tmpfs", str(folder)],
        check=False,
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until its disk has no byte left; the file."""
    filler = folder / "filler"
    chunk = b"\0" * (1024 * 1024)
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        try:  # the last pages: a few bytes at a time
            while True:
                out.write(b"\0" * 512)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_refuses_a_change_saying_nothing_was_saved_and_feeds_keep_answering(
    small_disk: Path,
    serve: Callable[[str], Site],  # the server stops before the disk goes
) -> None:
    site = serve(str(small_disk / "dosecal.db"))
    nurse, phone = site.nurse, site.phone
    plan_id, fetched = nurse.new_plan(site.token)
    before = phone.request(f"/feeds/{fetched}.ics")
    assert before.status == 200

    filler = fill(small_disk)
    full = datetime.now(UTC)
    try:
        # Reading is not writing: the plan is shown; its view waits in memory for the trail.
        assert nurse.request(f"/plans/{plan_id}").status == 200
        unavailable(nurse.archive(site.token, plan_id), "en")
        unavailable(nurse.archive(site.token, plan_id, lang="fr"), "fr")
        health = nurse.request("/healthz")
        assert health.status == 503 and health.text == "unavailable: disk full\n"
        again = phone.request(f"/feeds/{fetched}.ics")
        assert (again.status, again.body) == (200, before.body)
        assert "database or disk is full" in site.log.read_text("utf-8")  # SQLITE_FULL, not another fault
    finally:
        filler.unlink()
    freed = datetime.now(UTC)

    assert nurse.request("/healthz").text == "ok\n"
    assert not site.is_archived(plan_id)  # the refused change left the plan as it was
    assert seen_between(site, plan_id, full, freed)  # written with the next entry
    shown = site.dosecal("store", "show", plan_id)
    assert shown.exit_code == 0 and "version 1" in shown.output and "archive" not in shown.output
    assert nurse.archive(site.token, plan_id).status == 303  # the space is back: saved again
    assert site.is_archived(plan_id)


# Another process holding SQLite's write lock

LOCKER = """
import sqlite3, sys, time
held = sqlite3.connect(sys.argv[1], isolation_level=None)
held.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_foreign_write_lock_leaves_reads_at_once_and_refuses_a_change_in_bounded_time(
    serve: Callable[[str], Site], tmp_path: Path
) -> None:
    database = tmp_path / "dosecal.db"
    site = serve(str(database))
    nurse, phone = site.nurse, site.phone
    plan_id, fetched = nurse.new_plan(site.token)
    before = phone.request(f"/feeds/{fetched}.ics")
    assert before.status == 200

    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(database), "20"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        locked = datetime.now(UTC)
        feed = phone.request(f"/feeds/{fetched}.ics")
        assert (feed.status, feed.body) == (200, before.body) and feed.seconds < 2
        page = nurse.request(f"/plans/{plan_id}")
        assert page.status == 200 and page.seconds < 2, (page.status, page.seconds)
        assert nurse.request("/healthz").status == 200
        # While the change waits for the lock, a phone polls its feed: each answer at once.
        answers: list[Any] = []
        writer = threading.Thread(target=lambda: answers.append(nurse.archive(site.token, plan_id)))
        writer.start()
        polls = []
        while writer.is_alive():
            polls.append(phone.request(f"/feeds/{fetched}.ics"))
            time.sleep(0.25)
        writer.join()
        assert len(polls) >= 10 and all(p.status == 200 and p.seconds < 0.5 for p in polls), [
            (p.status, round(p.seconds, 3)) for p in polls
        ]
        (change,) = answers
        unavailable(change, "en")
        assert db.WRITE_WAIT_MS / 1000 - 1 < change.seconds < 12.5  # waited its bound, no longer
        assert phone.request(f"/feeds/{fetched}.ics").seconds < 2  # the refused write held nothing
    finally:
        locker.terminate()  # its lock goes with it, as when a stuck program is stopped
        locker.wait(30)
        if locker.stdout is not None:
            locker.stdout.close()
    released = datetime.now(UTC)

    assert not site.is_archived(plan_id)
    assert seen_between(site, plan_id, locked, released)  # the view is in the trail all the same
    assert nurse.archive(site.token, plan_id).status == 303
    assert site.is_archived(plan_id)


def test_a_reads_audit_entry_waits_in_memory_behind_a_lock_and_a_changes_entry_never_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps a plan's page quick behind a foreign lock without losing who saw it."""
    import sqlite3

    from dosecal.errors import DatabaseBusy
    from dosecal.service.audit import READ_ENTRY_WAIT_MS, Audit
    from dosecal.service.database import database_url, upgrade
    from dosecal.service.store import Store

    monkeypatch.setattr(db, "WRITE_WAIT_MS", 300)  # a change's own bound is measured above
    url = database_url(str(tmp_path / "dosecal.db"))
    upgrade(url)
    store = Store(url)
    trail = Audit(store.engine)
    held = sqlite3.connect(tmp_path / "dosecal.db", isolation_level=None)
    try:
        held.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        trail.record("view", user="mtremblay", plan_id="p1")
        assert READ_ENTRY_WAIT_MS / 1000 <= time.monotonic() - started < 2
        assert [e["action"] for e in trail.pending()] == ["view"]
        with pytest.raises(DatabaseBusy):
            trail.record("adjust", user="mtremblay", plan_id="p1")
        assert [e["action"] for e in trail.pending()] == ["view"]  # the change's entry is not kept
        held.execute("ROLLBACK")
        trail.record("print", user="mtremblay", plan_id="p1")
        assert trail.pending() == [] and trail.flush() == 0
        assert [e.action for e in trail.entries(plan_id="p1")] == ["view", "print"]
    finally:
        held.close()
        store.close()
