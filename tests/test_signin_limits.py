"""Sign-in attempts limited per client address, before the app: a flood slows sign-ins, not feeds.

An address gets :data:`~dosecal.web.limits.SIGNIN_PER_MINUTE` attempts at once and as many a
minute; the next is a 429 with Retry-After in the nurse's language, answered before Flask (no
body read, no session, no database, no password hashed). The address is the socket's peer, or
with ``--trust-proxy`` the entry the proxy added to X-Forwarded-For. Under ``dosecal serve``
the refusal is held back a second on its connection, without a worker thread. Feeds, pages and
the sign-in form itself are never limited.
"""

from __future__ import annotations

import io
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
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from dosecal.cli import main
from dosecal.service.database import database_url
from dosecal.service.store import Store
from dosecal.web import create_app
from dosecal.web.limits import SignInLimit, address_key, client_of

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = "https://plans.example.org"
PASSWORD = "correct horse battery"
Run = Callable[..., Result]


@pytest.fixture
def dosecal(database: str) -> Run:
    """The command line on this test's database, migrated, with one account."""

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main, list(args), env={"DOSECAL_DB": database, "DOSECAL_PUBLIC_URL": PUBLIC}, input=input
        )

    assert run("db", "upgrade").exit_code == 0
    made = run("users", "add", "mtremblay", input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    return run


@pytest.fixture
def make_app(database: str, dosecal: Run) -> Iterator[Callable[..., Flask]]:
    """Apps on the migrated store, with the options given."""
    stores: list[Store] = []

    def make(**options: Any) -> Flask:
        store = Store(database_url(database))
        stores.append(store)
        return create_app(store, public_url=PUBLIC, **options)

    yield make
    for store in stores:
        store.close()


def csrf(client: FlaskClient) -> str:
    """The form token of the sign-in page."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert found
    return found.group(1)


def attempt(client: FlaskClient, token: str, address: str = "192.0.2.10", **headers: str) -> Any:
    """One wrong sign-in from ``address``."""
    return client.post(
        "/signin",
        data={"csrf": token, "name": "mtremblay", "password": "wrong password"},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_an_address_gets_its_allowance_then_a_429_with_retry_after_in_the_nurses_language(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(signin_per_minute=3).test_client()
    token = csrf(client)
    assert [attempt(client, token).status_code for _ in range(3)] == [401, 401, 401]
    refused = attempt(client, token)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many sign-ins at once: nothing was checked" in refused.text
    assert refused.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert refused.headers["Cache-Control"] == "no-store"
    assert refused.headers["Strict-Transport-Security"]  # the public URL is https
    french = attempt(client, token, **{"Accept-Language": "fr-CA"})
    assert french.status_code == 429 and "rien n’a été vérifié" in french.text
    # The right password is refused too while the address is over its allowance: nothing checked.
    right = client.post(
        "/signin",
        data={"csrf": token, "name": "mtremblay", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert right.status_code == 429


def test_a_refused_attempt_reads_no_body_opens_no_session_touches_no_database_hashes_nothing(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dosecal.service import accounts

    app = make_app(signin_per_minute=1)
    client = app.test_client()
    token = csrf(client)
    assert attempt(client, token).status_code == 401
    hashed: list[str] = []
    monkeypatch.setattr(accounts, "verify_password", lambda password, *_: hashed.append(password))
    statements: list[str] = []
    engine = app.extensions["dosecal.service.store"].engine
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    class Unreadable(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the body was read")

        readline = read

    refused = client.post(
        "/signin",
        input_stream=Unreadable(b"csrf=x&name=mtremblay&password=wrong"),
        content_type="application/x-www-form-urlencoded",
        content_length=36,
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert refused.status_code == 429
    assert hashed == [] and statements == []
    assert "Set-Cookie" not in refused.headers


def test_other_addresses_are_counted_apart_and_an_ipv6_address_with_its_64(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(signin_per_minute=1).test_client()
    token = csrf(client)
    assert attempt(client, token, "192.0.2.10").status_code == 401
    assert attempt(client, token, "192.0.2.10").status_code == 429
    assert attempt(client, token, "192.0.2.11").status_code == 401
    assert attempt(client, token, "2001:db8:1:2::1").status_code == 401
    assert attempt(client, token, "2001:db8:1:2:ffff::9").status_code == 429  # the same /64
    assert attempt(client, token, "2001:db8:1:3::1").status_code == 401
    assert address_key("::ffff:192.0.2.10") == "192.0.2.10"


def test_the_forwarded_address_counts_only_when_the_proxy_is_trusted(make_app: Callable[..., Flask]) -> None:
    # Without --trust-proxy, X-Forwarded-For is anyone's to write: the peer is counted.
    plain = make_app(signin_per_minute=1).test_client()
    token = csrf(plain)
    assert attempt(plain, token, "10.0.0.1", **{"X-Forwarded-For": "198.51.100.1"}).status_code == 401
    assert attempt(plain, token, "10.0.0.1", **{"X-Forwarded-For": "198.51.100.2"}).status_code == 429
    # With it, the entry the proxy added (the last) is counted; earlier ones are the client's.
    proxied = make_app(signin_per_minute=1, trust_proxy=True).test_client()
    token = csrf(proxied)
    first = {"X-Forwarded-For": "198.51.100.1"}
    assert attempt(proxied, token, "10.0.0.1", **first).status_code == 401
    assert attempt(proxied, token, "10.0.0.1", **{"X-Forwarded-For": "198.51.100.2"}).status_code == 401
    forged = {"X-Forwarded-For": "203.0.113.99, 198.51.100.1"}
    assert attempt(proxied, token, "10.0.0.1", **forged).status_code == 429
    assert client_of("10.0.0.1", "", trust_proxy=True) == "10.0.0.1"  # no header: the peer


def test_feeds_pages_and_the_sign_in_form_are_never_limited(
    make_app: Callable[..., Flask], dosecal: Run
) -> None:
    added = dosecal("store", "add", "--plan", str(ROOT / "examples" / "inotuzumab.plan.toml"))
    assert added.exit_code == 0, added.output
    feed = re.search(r"/feeds/([\w-]+\.ics)", added.output)
    assert feed
    client = make_app(signin_per_minute=1).test_client()
    token = csrf(client)
    attempt(client, token, "127.0.0.1")
    assert attempt(client, token, "127.0.0.1").status_code == 429
    for _ in range(3):
        assert client.get(f"/feeds/{feed.group(1)}").status_code == 200
        assert client.get("/signin").status_code == 200
        assert client.get("/healthz").status_code == 200


def test_the_allowance_refills_as_the_minutes_pass() -> None:
    now = [0.0]
    limit = SignInLimit(60, clock=lambda: now[0])
    assert [limit.take("192.0.2.1") for _ in range(60)] == [0.0] * 60
    assert limit.take("192.0.2.1") == pytest.approx(1.0)
    assert limit.take("192.0.2.1") == pytest.approx(1.0)  # a refused attempt costs nothing
    now[0] = 1.0
    assert limit.take("192.0.2.1") == 0.0
    assert limit.take("192.0.2.1") > 0
    now[0] = 3600.0
    assert [limit.take("192.0.2.1") for _ in range(60)] == [0.0] * 60  # never more than the burst
    assert limit.take("192.0.2.1") > 0


def test_addresses_are_forgotten_least_recent_first_beyond_the_table_size() -> None:
    limit = SignInLimit(1, size=2)
    limit.take("192.0.2.1")
    limit.take("192.0.2.2")
    limit.take("192.0.2.3")  # 192.0.2.1 is forgotten: it starts afresh
    assert limit.take("192.0.2.1") == 0.0
    assert limit.take("192.0.2.3") > 0


# Under dosecal serve (waitress): the refusal is held back on its connection, and the forwarded
# address reaches the app (waitress deletes X-Forwarded-For unless told not to).


def serve(database: str, tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """``dosecal serve`` on a free loopback port with ``args``: the process and its base URL."""
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dosecal", "serve", "--db", database, "--port", "0", "--public-url", PUBLIC, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (found := re.search(r"serving feeds at (http://127\.0\.0\.1:\d+)", log.read_text())):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"dosecal serve did not start:\n{log.read_text()}")
        time.sleep(0.05)  # polling the log for readiness
    return process, found.group(1)


def post(base: str, forwarded: str | None = None) -> int:
    """A sign-in post (no form token: the app answers 400 when it lets it through)."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    data = urllib.parse.urlencode({"name": "mtremblay", "password": "wrong"}).encode()
    request = urllib.request.Request(base + "/signin", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_under_serve_a_refusal_is_held_a_second_without_holding_a_worker_thread(
    database: str, dosecal: Run, tmp_path: Path
) -> None:
    process, base = serve(database, tmp_path, "--threads", "1", "--signin-per-minute", "1")
    try:
        assert post(base) == 400
        order: list[str] = []

        def refused() -> None:
            order.append(f"sign-in {post(base)}")

        started = time.monotonic()
        waiting = threading.Thread(target=refused)
        waiting.start()
        while "429" not in (tmp_path / "serve.log").read_text():
            time.sleep(0.01)  # the refusal is written; its answer is held back
        # The only worker thread is free: the health check is answered meanwhile.
        with urllib.request.urlopen(base + "/healthz", timeout=30) as health:
            order.append(f"health {health.status}")
        waiting.join(30)
        held = time.monotonic() - started
    finally:
        process.terminate()
        process.wait(30)
    assert order == ["health 200", "sign-in 429"]
    assert held >= 0.9  # the hold itself, a lower bound: never flaky on a slow machine


def test_under_serve_the_forwarded_address_is_counted_only_with_trust_proxy(
    database: str, dosecal: Run, tmp_path: Path
) -> None:
    process, base = serve(database, tmp_path, "--signin-per-minute", "1", "--trust-proxy")
    try:
        trusted = [post(base, "198.51.100.1"), post(base, "198.51.100.2"), post(base, "198.51.100.1")]
    finally:
        process.terminate()
        process.wait(30)
    process, base = serve(database, tmp_path, "--signin-per-minute", "1")
    try:
        plain = [post(base, "198.51.100.1"), post(base, "198.51.100.2")]
    finally:
        process.terminate()
        process.wait(30)
    assert trusted == [400, 400, 429]
    assert plain == [400, 429]
