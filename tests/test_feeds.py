"""Calendar feeds served by the real server (``dosecal serve`` in its own process, on loopback).

What a subscribed phone sees: the plan's calendar, byte for byte what ``dosecal generate
--feed`` writes for the same plan file and definition, updated in place after an adjustment
(same UIDs, higher SEQUENCE), 304 when nothing changed, 404 without a hint for unknown and
revoked links, and never the token in the server's log nor the label in the calendar.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from dosecal.cli import main

ROOT = Path(__file__).resolve().parents[1]
INOTUZUMAB = ROOT / "examples" / "inotuzumab.plan.toml"
PUBLIC = "https://plans.example.org"
LABEL = "Jane Roe MRN-4471"


@dataclass
class Server:
    """A running ``dosecal serve``: its base URL and the file its log goes to."""

    base: str
    log: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
        """GET ``path``: status, headers, body (errors are answers too)."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def feed(self, token: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
        """GET the feed of ``token``."""
        return self.get(f"/feeds/{token}.ics", headers)


@pytest.fixture
def dosecal(database: str) -> Callable[..., Result]:
    """The command line on this test's database, migrated from empty by ``dosecal db upgrade``."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(
            main,
            list(args),
            env={"DOSECAL_DB": database, "DOSECAL_PUBLIC_URL": PUBLIC},
            catch_exceptions=False,
        )

    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    return run


def start_serve(database: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """``dosecal serve`` on a free loopback port of ``database``, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dosecal",
                "serve",
                "--db",
                database,
                "--port",
                "0",
                "--public-url",
                PUBLIC,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )


def served_at(process: subprocess.Popen[bytes], log: Path, deadline: float) -> str:
    """The base URL a starting ``dosecal serve`` says it serves at, read from its log."""
    while True:
        found = re.search(r"serving feeds at (http://127\.0\.0\.1:\d+)", log.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"dosecal serve did not start:\n{log.read_text(encoding='utf-8')}")
        time.sleep(0.05)  # polling the log for readiness, not waiting for a guess


@pytest.fixture
def server(database: str, dosecal: Callable[..., Result], tmp_path: Path) -> Iterator[Server]:
    """``dosecal serve`` on a free loopback port, ready when /healthz answers 200."""
    log = tmp_path / "serve.log"
    process = start_serve(database, log)
    try:
        deadline = time.monotonic() + 60
        base = served_at(process, log, deadline)
        running = Server(base, log, process)
        while running.get("/healthz")[0] != 200:
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
        yield running
    finally:
        process.terminate()
        process.wait(30)
    # SIGTERM (what systemd and container runtimes send) stops it cleanly.
    assert process.returncode == 0, log.read_text(encoding="utf-8")
    assert log.read_text(encoding="utf-8").rstrip().endswith("stopped")


def added(result: Result) -> tuple[str, str]:
    """The plan id and the feed token that ``store add`` printed."""
    assert result.exit_code == 0, result.output
    plan_id = re.search(r"stored plan (\w+)", result.output)
    token = re.search(rf"feed: {re.escape(PUBLIC)}/feeds/([\w-]+)\.ics", result.output)
    assert plan_id and token, result.output
    assert f"subscribe (Apple): webcal://plans.example.org/feeds/{token.group(1)}.ics" in result.output
    return plan_id.group(1), token.group(1)


def events(body: bytes) -> dict[str, dict[str, Any]]:
    """The VEVENTs by UID, as icalendar reads them: start and sequence."""
    cal = Calendar.from_ical(body)
    return {
        str(e["uid"]): {"start": e.decoded("dtstart"), "sequence": int(e.get("sequence", 0))}
        for e in cal.walk("VEVENT")
    }


def generated(dosecal: Callable[..., Result], plan_id: str, tmp_path: Path) -> bytes:
    """What ``dosecal generate --feed`` writes from the stored plan file and definition."""
    plan, definition, out = tmp_path / "plan.toml", tmp_path / "definition.toml", tmp_path / "generated.ics"
    assert dosecal("store", "export", plan_id, "-o", str(plan)).exit_code == 0
    assert dosecal("store", "export", plan_id, "--definition", "-o", str(definition)).exit_code == 0
    result = CliRunner().invoke(
        main, ["generate", str(definition), "--plan", str(plan), "--feed", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_a_feed_follows_an_adjustment_in_place(
    server: Server,
    dosecal: Callable[..., Result],
    tmp_path: Path,
    icaljs: Callable[[Path], Any],
) -> None:
    plan_id, token = added(dosecal("store", "add", "--plan", str(INOTUZUMAB), "--label", LABEL))

    status, headers, first = server.feed(token)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Content-Disposition"] is None
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["ETag"])
    assert headers["Last-Modified"].endswith(" GMT")
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in first
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in first
    assert first == generated(dosecal, plan_id, tmp_path)  # byte for byte
    assert LABEL.encode() not in first and b"Jane" not in first

    # Nothing changed: the client's ETag gets 304 with no body.
    status, again, body = server.feed(token, {"If-None-Match": headers["ETag"]})
    assert (status, body, again["ETag"]) == (304, b"", headers["ETag"])

    adjusted = dosecal("store", "adjust", plan_id, "--delay", "2=7", "--note", "low counts", "--by", "nurse")
    assert adjusted.exit_code == 0, adjusted.output

    status, later_headers, second = server.feed(token, {"If-None-Match": headers["ETag"]})
    assert status == 200
    assert later_headers["ETag"] != headers["ETag"]
    assert second == generated(dosecal, plan_id, tmp_path)
    before, after = events(first), events(second)
    assert set(before) == set(after)  # same UIDs: the calendar updates instead of duplicating
    moved = [uid for uid in after if after[uid]["start"] != before[uid]["start"]]
    assert moved and all(".c2." in uid for uid in moved)
    assert all(after[uid]["sequence"] > before[uid]["sequence"] for uid in moved)
    widened = [uid for uid in after if uid not in moved and after[uid]["sequence"] != before[uid]["sequence"]]
    # The delay moves C2D1 a week later, so C1D15's window may now end a day later (it ends 6 days
    # before the latest day of the next dose): the dose keeps its date and gains a SEQUENCE.
    assert [uid.split(".", 1)[1] for uid in widened] == ["inotuzumab.dose.c1.d15.1@dosecal"]
    assert after[widened[0]]["sequence"] == before[widened[0]]["sequence"] + 1
    assert server.feed(token, {"If-None-Match": later_headers["ETag"]})[0] == 304

    # Thunderbird's parser reads both versions the same way.
    (tmp_path / "first.ics").write_bytes(first)
    (tmp_path / "second.ics").write_bytes(second)
    one, two = icaljs(tmp_path / "first.ics"), icaljs(tmp_path / "second.ics")
    seq_one = {e["uid"]: (e["sequence"], e["start"]) for e in one["events"]}
    seq_two = {e["uid"]: (e["sequence"], e["start"]) for e in two["events"]}
    assert set(seq_one) == set(seq_two) == set(after)
    assert {uid for uid in seq_two if seq_two[uid][1] != seq_one[uid][1]} == set(moved)
    assert all(seq_two[uid][0] > seq_one[uid][0] for uid in moved)

    log = server.log.read_text(encoding="utf-8")
    assert "GET /feeds/… 200" in log and "GET /feeds/… 304" in log
    assert token not in log


def test_rotate_and_revoke_and_unknown_tokens_look_the_same(
    server: Server, dosecal: Callable[..., Result]
) -> None:
    plan_id, old = added(dosecal("store", "add", "--plan", str(INOTUZUMAB)))
    assert server.feed(old)[0] == 200

    rotated = dosecal("store", "feed", plan_id, "--rotate", "--public-url", PUBLIC)
    assert rotated.exit_code == 0, rotated.output
    new = re.search(r"feed: \S+/feeds/([\w-]+)\.ics", rotated.output)
    assert new and new.group(1) != old
    assert server.feed(new.group(1))[0] == 200
    stale = server.feed(old)

    revoked = dosecal("store", "feed", plan_id, "--revoke")
    assert revoked.exit_code == 0, revoked.output
    gone = server.feed(new.group(1))
    unknown = server.feed("A" * 43)
    malformed = server.get("/feeds/not-a-token")

    answers = [stale, gone, unknown, malformed]
    assert {a[0] for a in answers} == {404}
    assert {a[2] for a in answers} == {b"not found\n"}
    assert {(a[1]["Content-Type"], a[1]["Content-Length"]) for a in answers} == {
        ("text/plain; charset=utf-8", "10")
    }
    assert "feed: no feed" in dosecal("store", "show", plan_id).output

    log = server.log.read_text(encoding="utf-8")
    assert old not in log and new.group(1) not in log and "A" * 43 not in log
    assert log.count("GET /feeds/… 404") == 4


def test_a_removed_plan_stops_its_feed_and_health_answers(
    server: Server, dosecal: Callable[..., Result]
) -> None:
    plan_id, token = added(dosecal("store", "add", "--plan", str(INOTUZUMAB)))
    assert server.get("/healthz")[:3:2] == (200, b"ok\n")
    assert server.feed(token)[0] == 200
    assert dosecal("store", "remove", plan_id).exit_code == 0
    assert server.feed(token)[0] == 404


def test_generate_without_feed_writes_no_refresh_hints(tmp_path: Path) -> None:
    plain, feed = tmp_path / "plain.ics", tmp_path / "feed.ics"
    for out, extra in ((plain, []), (feed, ["--feed"])):
        result = CliRunner().invoke(main, ["generate", "--plan", str(INOTUZUMAB), "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
    lines = feed.read_bytes().split(b"\r\n")
    assert b"REFRESH-INTERVAL" not in plain.read_bytes()
    added_lines = [line for line in lines if line not in plain.read_bytes().split(b"\r\n")]
    assert added_lines == [b"REFRESH-INTERVAL;VALUE=DURATION:PT1H", b"X-PUBLISHED-TTL:PT1H"]


def test_an_unexpected_error_is_logged_without_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask names the request path when it logs an exception; for a feed that is the secret."""
    from dosecal.service import store as store_module
    from dosecal.service.database import database_url, upgrade
    from dosecal.service.store import Store
    from dosecal.web import create_app
    from dosecal.web.logs import redact

    url = database_url(str(tmp_path / "dosecal.db"))
    upgrade(url)
    s = Store(url)
    _, token = s.add(INOTUZUMAB, label=None, who="test")

    def broken(*_: object) -> bytes:
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(store_module, "calendar_of", broken)
    client = create_app(s, public_url=PUBLIC).test_client()
    with caplog.at_level("INFO"):
        response = client.get(f"/feeds/{token}.ics")
    s.close()
    assert response.status_code == 500
    assert "Exception on /feeds/… [GET]" in caplog.text
    assert "renderer failed" in caplog.text
    assert token not in caplog.text
    assert redact(f"/feeds/{token}.ics?x=1") == "/feeds/…?x=1"


@pytest.mark.parametrize(
    ("zone", "said"),
    [
        (
            "Etc/UTC",
            "new plans ask for the patient's zone: this computer is on UTC and no --default-tz was given",
        ),
        ("America/Toronto", "new plans start in the zone America/Toronto (--default-tz to change it)"),
    ],
)
def test_serve_says_at_start_which_zone_new_plans_take(
    database: str, dosecal: Callable[..., Result], tmp_path: Path, zone: str, said: str
) -> None:
    """The nurse's form takes the zone the server says here: never UTC without a word."""
    log = tmp_path / "serve.log"
    process = start_serve(database, log, TZ=zone)
    try:
        deadline = time.monotonic() + 60
        served_at(process, log, deadline)
        while said not in log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(30)


def test_a_body_over_1_mib_is_refused_from_its_headers_before_it_is_read(server: Server) -> None:
    """A 300 MB sign-in was spooled to disk before its 413: now the headers alone decide."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(server.base)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=10)
    connection.putrequest("POST", "/signin")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(5 * 1024 * 1024))
    connection.endheaders()
    connection.send(b"name=x&password=" + b"y" * 1024)  # 1 KB of the 5 MB announced, then wait
    started = time.monotonic()
    answer = connection.getresponse()
    assert answer.status == 413 and time.monotonic() - started < 5
    connection.close()
    assert server.get("/healthz")[0] == 200
