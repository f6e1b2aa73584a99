"""The PDF cache: a plan's PDF made once per version, kept in the database, made ahead by a worker.

"Download PDF" took seconds each time (WeasyPrint lays out a long course anew); these tests keep
the promises that make it answer at once without ever serving a stale or foreign plan: the
second download is the first one's bytes with no render, a change gives the next download the
new plan, two requests for one missing PDF render it once, the table stays within its bound, the
background worker makes the PDF of a plan changed through the store (driven by calling its
poll, not by waiting), every server on the database shares what one made, and the table never
holds a working feed link. Renders are counted with a stand-in renderer; one test renders for
real and compares with the renderer's own bytes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from dosecal.inputs.overrides import Overrides
from dosecal.service.accounts import Accounts
from dosecal.service.database import database_url, pdf_cache, upgrade
from dosecal.service.pdfcache import PdfCache, PdfJob, PdfWorker, Sealer, render_job
from dosecal.service.store import Store
from dosecal.service.teams import DEFAULT_TEAM, Teams
from dosecal.web import create_app

PUBLIC = "https://plans.example.org"
PASSWORD = "correct horse battery"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class Renders:
    """A stand-in renderer that counts its calls and names what it was asked for in its bytes."""

    def __init__(self) -> None:
        self.jobs: list[PdfJob] = []
        self.gate: threading.Event | None = None  # when given, each render waits for it
        self.called = threading.Event()

    def __call__(self, job: PdfJob) -> bytes:
        self.jobs.append(job)
        self.called.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        return f"%PDF-fake {job.plan_id} v{job.version} {job.langs} {job.paper} {job.feed_url}".encode()

    @property
    def count(self) -> int:
        return len(self.jobs)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)  # the store stamps its changes with the real time

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def url(database: str) -> str:
    """A migrated store with one nurse."""
    address = database_url(database)
    upgrade(address)
    store = Store(address)
    Accounts(store).add("mtremblay", PASSWORD)
    Teams(store.engine).join("mtremblay", DEFAULT_TEAM)  # plans stored from the command line are the clinic's
    store.close()
    return address


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store(url)
    yield opened
    opened.close()


def add(store: Store, example: str = "inotuzumab") -> str:
    """Store an example plan; returns its id."""
    plan, _ = store.add(EXAMPLES / f"{example}.plan.toml", label="Bed 1", who="mtremblay")
    return plan.id


def app_on(store: Store, cache: PdfCache) -> Flask:
    return create_app(store, public_url=PUBLIC, pdf_cache=cache)


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    page = client.get("/signin").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    answer = client.post("/signin", data={"csrf": token.group(1), "name": "mtremblay", "password": PASSWORD})
    assert answer.status_code == 303
    return client


def download(client: FlaskClient, plan_id: str) -> bytes:
    answer = client.get(f"/plans/{plan_id}/plan.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.content_type == "application/pdf"
    return answer.data


def rows(store: Store) -> list[tuple[str, int]]:
    with store.engine.connect() as connection:
        found = connection.execute(
            sa.select(pdf_cache.c.plan_id, pdf_cache.c.version).order_by(pdf_cache.c.made)
        ).all()
    return [(r.plan_id, r.version) for r in found]


def test_second_download_is_the_first_ones_bytes_without_a_render(store: Store) -> None:
    renders = Renders()
    client = signed_in(app_on(store, PdfCache(store, public_url=PUBLIC, render=renders)))
    plan_id = add(store)
    first = download(client, plan_id)
    second = download(client, plan_id)
    assert renders.count == 1
    assert first == second
    assert first.startswith(b"%PDF-fake " + plan_id.encode() + b" v1 en a4 " + PUBLIC.encode())


def test_an_adjustment_gives_the_next_download_the_new_version_and_drops_the_old(store: Store) -> None:
    renders = Renders()
    client = signed_in(app_on(store, PdfCache(store, public_url=PUBLIC, render=renders)))
    plan_id = add(store)
    assert b" v1 " in download(client, plan_id)
    store.adjust(plan_id, Overrides(delays=["2=7"]), who="mtremblay")
    after = download(client, plan_id)
    assert b" v2 " in after
    assert renders.count == 2
    assert "days = 7" in renders.jobs[-1].content  # rendered from the adjusted plan file
    assert rows(store) == [(plan_id, 2)]


def test_a_new_feed_link_gives_a_pdf_with_the_new_link(store: Store) -> None:
    renders = Renders()
    client = signed_in(app_on(store, PdfCache(store, public_url=PUBLIC, render=renders)))
    plan_id = add(store)
    before = download(client, plan_id)
    token = store.rotate(plan_id, who="mtremblay")  # the version stays: the link is in the key
    after = download(client, plan_id)
    assert before != after
    assert token.encode() in after
    assert renders.count == 2


@pytest.mark.weasyprint
def test_the_cached_pdf_is_the_renderers_own_bytes(store: Store) -> None:
    cache = PdfCache(store, public_url=PUBLIC)
    client = signed_in(app_on(store, cache))
    plan_id = add(store, "nilotinib")
    served = download(client, plan_id)
    assert served.startswith(b"%PDF-")
    assert served == render_job(cache.job(store.get(plan_id)))  # same inputs, same bytes
    assert download(client, plan_id) == served


def test_the_bound_drops_the_oldest_pdfs(store: Store) -> None:
    clock, renders = Clock(), Renders()
    cache = PdfCache(store, public_url=PUBLIC, render=renders, clock=clock, max_count=2)
    ids = [add(store) for _ in range(3)]
    for plan_id in ids:
        cache.pdf(store.get(plan_id))
        clock.tick()
    assert [p for p, _ in rows(store)] == ids[1:]
    with store.engine.connect() as connection:
        size = connection.execute(sa.select(sa.func.max(pdf_cache.c.size))).scalar_one()
    by_size = PdfCache(store, public_url=PUBLIC, render=renders, clock=clock, max_bytes=size * 5 // 2)
    by_size.pdf(store.get(ids[0]))
    assert [p for p, _ in rows(store)] == ids[2:] + ids[:1]  # a third would pass the bytes allowed


def test_two_requests_for_one_missing_pdf_render_it_once(url: str, store: Store) -> None:
    renders = Renders()
    renders.gate = threading.Event()
    here = PdfCache(store, public_url=PUBLIC, render=renders)
    other_store = Store(url)  # another server on the same database
    there = PdfCache(other_store, public_url=PUBLIC, render=renders)
    plan_id = add(store)
    got: list[bytes] = []

    def ask(cache: PdfCache) -> None:
        got.append(cache.pdf(cache.store.get(plan_id)))

    askers = [threading.Thread(target=ask, args=(c,)) for c in (here, here, there)]
    for asker in askers:
        asker.start()
    assert renders.called.wait(10)  # one asker renders; the others find its lock or its claim
    renders.gate.set()
    for asker in askers:
        asker.join(10)
    other_store.close()
    assert renders.count == 1
    assert len(got) == 3 and len(set(got)) == 1


def test_the_worker_makes_the_pdf_of_a_plan_changed_through_the_store(store: Store) -> None:
    clock, made, asked = Clock(), Renders(), Renders()
    cache = PdfCache(store, public_url=PUBLIC, render=asked, clock=clock)
    worker = PdfWorker(cache, render=made)
    plan_id = add(store)
    assert worker.poll() == 1  # added: made ahead
    assert worker.poll() == 0  # nothing changed since
    store.adjust(plan_id, Overrides(holds=["C1D8"]), who="mtremblay")
    assert worker.poll() == 1
    assert made.jobs[-1].version == 2
    client = signed_in(app_on(store, cache))
    assert b" v2 " in download(client, plan_id)
    assert asked.count == 0  # the download rendered nothing
    store.archive(plan_id, who="mtremblay")
    assert worker.poll() == 0
    assert cache.clean() == 1 and rows(store) == []  # an archived plan's PDF goes


def test_the_worker_starts_and_stops_with_the_server(store: Store) -> None:
    made = Renders()
    worker = PdfWorker(PdfCache(store, public_url=PUBLIC), render=made, interval=3600)
    add(store)
    worker.start()
    assert made.called.wait(10)  # the first poll runs at start
    worker.stop()
    assert made.count == 1
    assert not any(t.name == "dosecal-pdf" for t in threading.enumerate())


def test_two_apps_on_one_database_share_the_cache(url: str, store: Store) -> None:
    first, second = Renders(), Renders()
    plan_id = add(store)
    made = download(signed_in(app_on(store, PdfCache(store, public_url=PUBLIC, render=first))), plan_id)
    other = Store(url)
    try:
        again = download(signed_in(app_on(other, PdfCache(other, public_url=PUBLIC, render=second))), plan_id)
    finally:
        other.close()
    assert (first.count, second.count) == (1, 0)
    assert again == made


def test_the_table_never_holds_a_working_feed_link(store: Store) -> None:
    cache = PdfCache(store, public_url=PUBLIC, render=Renders())
    plan_id = add(store)
    link = store.feed_link(plan_id).token
    assert link is not None
    assert link.encode() in cache.pdf(store.get(plan_id))
    with store.engine.connect() as connection:
        sealed = connection.execute(sa.select(pdf_cache.c.pdf)).scalar_one()
    assert link.encode() not in sealed and b"%PDF" not in sealed
    assert Sealer(b"another clinic's key".ljust(32)).open(sealed) is None


def test_clean_drops_claims_of_processes_that_died(store: Store) -> None:
    clock, renders = Clock(), Renders()
    cache = PdfCache(store, public_url=PUBLIC, render=renders, clock=clock)
    plan_id = add(store)
    job = cache.job(store.get(plan_id))
    with store.engine.begin() as connection:  # a claim left by a server killed mid-render
        connection.execute(
            pdf_cache.insert().values(
                plan_id=plan_id, version=1, variant=cache.sealer.variant(job), pdf=None, size=0, made=clock()
            )
        )
    assert cache.clean() == 0  # still young: its renderer may be at work
    clock.tick(600)
    assert cache.pdf(store.get(plan_id)).startswith(b"%PDF-fake")  # taken over, not waited for
    assert renders.count == 1
