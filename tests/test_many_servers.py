"""Two `dosecal serve` processes on one PostgreSQL: one clinic, whichever process answers.

A change made through one server's pages is in the other's feed (a new ETag) and pages at
once; a session made on one is good on the other; the sign-in throttle counts on both.
Real processes on loopback ports, as a clinic runs them behind a proxy (docs/deploy.md).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "inotuzumab.plan.toml"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.postgres


def dosecal(db: str, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "dosecal", *args],
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "DOSECAL_DB": db},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture
def two_servers(postgres_cluster: Callable[[], str], tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The database URL and the base URLs of two servers on it."""
    db = postgres_cluster()
    dosecal(db, "db", "upgrade")
    dosecal(db, "users", "add", "mtremblay", stdin=PASSWORD + "\n")
    servers, bases, sinks = [], [], []
    try:
        for n in range(2):
            log = tmp_path / f"serve-{n}.log"
            sink = log.open("wb")
            sinks.append(sink)
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "dosecal", "serve", "--db", db, "--host", "127.0.0.1", "--port", "0",
                     "--public-url", "http://127.0.0.1", "--default-tz", "America/Toronto"],
                    stdout=sink, stderr=subprocess.STDOUT, env=os.environ.copy(),
                )
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while not (found := re.search(r"serving feeds at (http://127\.0\.0\.1:\d+)", log.read_text())):
                assert time.monotonic() < deadline and servers[-1].poll() is None, log.read_text()
                time.sleep(0.1)
            bases.append(found.group(1))
        yield db, bases[0], bases[1]
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
        for sink in sinks:
            sink.close()


def browser() -> urllib.request.OpenerDirector:
    """A client with cookies, that does not follow redirects (so a 303 is seen as one)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
    )


def fetch(
    opener: urllib.request.OpenerDirector, url: str, data: dict[str, str] | None = None, **headers: str
) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(data).encode() if data is not None else None, headers=headers
    )
    try:
        with opener.open(request, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode()


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def test_a_change_through_one_server_is_in_the_others_feed_and_pages_at_once(
    two_servers: tuple[str, str, str],
) -> None:
    db, a, b = two_servers
    stored = dosecal(db, "store", "add", "--plan", str(PLAN), "--public-url", "http://127.0.0.1")
    plan_id = re.search(r"stored plan (\w+)", stored)
    token = re.search(r"/feeds/([\w-]+)\.ics", stored)
    assert plan_id and token
    feed = f"/feeds/{token.group(1)}.ics"
    status, headers, before = fetch(browser(), b + feed)
    assert status == 200
    etag = headers["etag"]
    assert fetch(browser(), b + feed, **{"If-None-Match": etag})[0] == 304

    nurse = browser()
    _, _, page = fetch(nurse, a + "/signin")
    status, _, _ = fetch(
        nurse, a + "/signin", {"csrf": csrf(page), "name": "mtremblay", "password": PASSWORD}
    )
    assert status == 303
    # The session made on A is good on B: the same cookie opens B's pages.
    status, _, listed = fetch(nurse, b + "/plans")
    assert status == 200 and plan_id.group(1) in listed
    _, _, adjust = fetch(nurse, a + f"/plans/{plan_id.group(1)}/adjust")
    saved = fetch(
        nurse,
        a + f"/plans/{plan_id.group(1)}/adjust",
        {"csrf": csrf(adjust), "version": "1", "confirm": "1", "stop": "2027-01-20"},
    )
    assert saved[0] == 303, saved[2][:2000]

    status, headers, after = fetch(browser(), b + feed, **{"If-None-Match": etag})
    assert status == 200 and headers["etag"] != etag and after != before
    assert "STATUS:CANCELLED" in after and after.count("STATUS:CANCELLED") > before.count("STATUS:CANCELLED")
    status, _, page_b = fetch(nurse, b + f"/plans/{plan_id.group(1)}")
    assert status == 200 and "version 2" in page_b.lower()


def test_the_sign_in_throttle_counts_on_every_server(two_servers: tuple[str, str, str]) -> None:
    _, a, b = two_servers
    for n in range(10):  # ten wrong passwords, half through each server
        client = browser()
        base = a if n % 2 else b
        _, _, page = fetch(client, base + "/signin")
        status, _, _ = fetch(
            client, base + "/signin", {"csrf": csrf(page), "name": "mtremblay", "password": "wrong!"}
        )
        assert status == 401
    for base in (a, b):
        client = browser()
        _, _, page = fetch(client, base + "/signin")
        status, headers, _ = fetch(
            client, base + "/signin", {"csrf": csrf(page), "name": "mtremblay", "password": PASSWORD}
        )
        assert status == 429 and headers["retry-after"] == "900"
