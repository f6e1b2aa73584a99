"""dosecal publish against a real CalDAV server: Radicale on a loopback port.

Version 1 of a plan is published, adjusted, version 2 published; the collection read back
holds exactly version 2's events, none doubled, none left behind. A server that drops the
connection part way gives a clear error, and the next run ends in the same state as a
clean one.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from icalendar import Calendar

from conftest import builtin, plan
from dosecal.core.expand import expand
from dosecal.inputs import planfile as plans
from dosecal.render.ics import event_resources
from dosecal.service.publish import credentials

pytestmark = pytest.mark.caldav

USER, PASSWORD = "alice", "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Radicale server with one user, storing in a temporary folder; yields (base URL, storage)."""
    port = free_port()
    storage = tmp_path / "collections"
    (tmp_path / "users").write_text(f"{USER}:{PASSWORD}\n")
    config = tmp_path / "config"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {tmp_path / 'users'}\n"
        f"htpasswd_encryption = plain\n[storage]\nfilesystem_folder = {storage}\n[logging]\nlevel = warning\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)], stderr=subprocess.DEVNULL
    )
    try:
        wait_for(port)
        yield f"http://127.0.0.1:{port}", storage
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a dropped connection can keep a worker busy
            proc.kill()
            proc.wait(timeout=5)


class FlakyProxy:
    """Forwards TCP to a server, but drops the connection at the Nth PUT request it sees."""

    def __init__(self, target: int, drop_at_put: int) -> None:
        self.target = target
        self.drop_at = drop_at_put
        self.puts = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.pipe, args=(client,), daemon=True).start()

    def pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target))

        def back() -> None:
            try:
                while data := upstream.recv(65536):
                    client.sendall(data)
            except OSError:
                pass

        threading.Thread(target=back, daemon=True).start()
        try:
            while data := client.recv(65536):
                if data.startswith(b"PUT "):
                    self.puts += 1
                    if self.puts == self.drop_at:
                        break
                upstream.sendall(data)
        except OSError:
            pass
        client.close()
        upstream.close()

    def close(self) -> None:
        self.sock.close()


def server_events(storage: Path, collection: str) -> dict[str, tuple[int, str, str]]:
    """What the server stores, read from its files: UID -> (SEQUENCE, STATUS, DTSTART)."""
    folder = storage / "collection-root" / USER / collection
    out: dict[str, tuple[int, str, str]] = {}
    for path in folder.glob("*.ics"):
        for ev in Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
            uid = str(ev["UID"])
            assert uid not in out, f"{uid} stored twice"
            out[uid] = (int(ev.get("SEQUENCE", 0)), str(ev["STATUS"]), ev["DTSTART"].to_ical().decode())
    return out


def expected(p: Any) -> dict[str, tuple[int, str, str]]:
    s = builtin("inotuzumab")
    out = {}
    for uid, data in event_resources(expand(s, p)).items():
        ev = Calendar.from_ical(data).walk("VEVENT")[0]
        out[uid] = (int(ev["SEQUENCE"]), str(ev["STATUS"]), ev["DTSTART"].to_ical().decode())
    return out


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOSECAL_CALDAV_USERNAME", USER)
    monkeypatch.setenv("DOSECAL_CALDAV_PASSWORD", PASSWORD)
    monkeypatch.setenv("HOME", str(tmp_path))


def write_plan(tmp_path: Path) -> Path:
    path = tmp_path / "p.plan.toml"
    path.write_text(
        'schedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "America/Toronto"\ncycles = 3\n'
        '[choices]\nresponse = "no-cr"\ntransplant = "no"\n'
    )
    return path


V1 = plan("2027-01-04", cycles=3, choices={"response": "no-cr", "transplant": "no"})


def test_publish_version_1_then_2_leaves_exactly_version_2(
    cli: Callable[..., Result], radicale: tuple[str, Path], tmp_path: Path, env: None
) -> None:
    base, storage = radicale
    url = f"{base}/{USER}/treatment/"
    plan_file = write_plan(tmp_path)
    first = cli("publish", "--plan", str(plan_file), "--url", url)
    assert first.exit_code == 0, first.output
    # 3 cycles of 13 events: 3 doses, each with its premedication, observation and blood tests; a rest.
    assert "39 created, 0 updated, 0 unchanged, 0 removed" in first.output
    assert server_events(storage, "treatment") == expected(V1)

    again = cli("publish", "--plan", str(plan_file), "--url", url)
    assert "0 created, 0 updated, 39 unchanged, 0 removed" in again.output

    assert cli("adjust", str(plan_file), "--delay", "2=7", "--hold", "inotuzumab:C3D8").exit_code == 0
    second = cli("publish", "--plan", str(plan_file), "--url", url)
    assert second.exit_code == 0, second.output
    loaded = plans.load(plan_file)  # the delay and the hold: one change, one step of the history
    v2 = dataclasses.replace(V1, adjustments=loaded.adjustments, together=loaded.together)
    assert loaded.together == frozenset({2})
    stored = server_events(storage, "treatment")
    assert stored == expected(v2)
    assert len(stored) == 39  # the same events, none doubled
    assert (
        sum(1 for seq, status, _ in stored.values() if status == "CANCELLED") == 3
    )  # dose, premed, observation; the blood tests of that day stay planned


def test_events_of_other_plans_in_the_collection_stay(
    cli: Callable[..., Result], radicale: tuple[str, Path], tmp_path: Path, env: None
) -> None:
    base, storage = radicale
    url = f"{base}/{USER}/shared/"
    plan_file = write_plan(tmp_path)
    assert cli("publish", "--plan", str(plan_file), "--url", url).exit_code == 0
    other = cli(
        "publish", "dasatinib", "--start", "2027-01-04", "--tz", "UTC", "--until", "2027-01-05", "--url", url
    )
    assert other.exit_code == 0, other.output
    stored = server_events(storage, "shared")
    assert len(stored) == 39 + 2
    fewer = cli("publish", "--plan", str(plan_file), "--cycles", "1", "--url", url)
    assert "removed" in fewer.output and ", 26 removed" in fewer.output
    assert len(server_events(storage, "shared")) == 13 + 2


def test_a_server_that_drops_the_connection_part_way_is_repaired_by_the_next_run(
    cli: Callable[..., Result], radicale: tuple[str, Path], tmp_path: Path, env: None
) -> None:
    base, storage = radicale
    port = int(base.rsplit(":", 1)[1])
    proxy = FlakyProxy(port, drop_at_put=10)
    try:
        flaky = f"http://127.0.0.1:{proxy.port}/{USER}/treatment/"
        plan_file = write_plan(tmp_path)
        failed = cli("publish", "--plan", str(plan_file), "--url", flaky, "--timeout", "5")
        assert failed.exit_code == 1
        assert "failed after 9 of 39 event(s)" in failed.output
        assert "Run the same command again to finish" in failed.output
        assert "Traceback" not in failed.output
        assert len(server_events(storage, "treatment")) == 9
    finally:
        proxy.close()
    rerun = cli("publish", "--plan", str(plan_file), "--url", f"{base}/{USER}/treatment/")
    assert rerun.exit_code == 0, rerun.output
    assert "30 created, 0 updated, 9 unchanged" in rerun.output
    assert server_events(storage, "treatment") == expected(V1)


def test_wrong_password_is_a_clear_error(
    cli: Callable[..., Result], radicale: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = radicale
    monkeypatch.setenv("DOSECAL_CALDAV_USERNAME", USER)
    monkeypatch.setenv("DOSECAL_CALDAV_PASSWORD", "wrong")
    result = cli("publish", "--plan", str(write_plan(tmp_path)), "--url", f"{base}/{USER}/treatment/")
    assert result.exit_code == 1
    assert "the server refused the credentials" in result.output


def test_credentials_from_a_netrc_file(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine dav.example.org login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    assert credentials("https://dav.example.org/alice/cal/", {"NETRC": str(netrc)}) == (USER, PASSWORD)
    assert credentials("https://other.example.org/", {"NETRC": str(netrc)}) == (None, None)
    env = {"NETRC": str(netrc), "DOSECAL_CALDAV_USERNAME": "bob", "DOSECAL_CALDAV_PASSWORD": "pw"}
    assert credentials("https://dav.example.org/", env) == ("bob", "pw")


def test_no_password_option_and_no_plain_http_to_a_remote_host(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    help_text = cli("publish", "--help").output
    assert "--password" not in help_text and "--user" not in help_text
    result = cli("publish", "--plan", str(write_plan(tmp_path)), "--url", "http://dav.example.org/alice/cal/")
    assert result.exit_code == 1
    assert "would send the password unencrypted; use https" in result.output


def test_the_help_example_publishes(
    cli: Callable[..., Result], radicale: tuple[str, Path], env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dosecal.cli import COMMANDS

    example = cli("publish", "--help").output.strip().splitlines()[-1].split()
    assert example[:2] == ["dosecal", "publish"]
    base, storage = radicale
    args = [
        f"{base}/{USER}/treatment/" if a.startswith("https://dav.example.org") else a for a in example[2:]
    ]
    monkeypatch.chdir(Path(__file__).parents[1])
    assert "publish" in COMMANDS
    result = cli("publish", *args)
    assert result.exit_code == 0, result.output
    assert (
        len(server_events(storage, "treatment")) == 26
    )  # 2 cycles of inotuzumab: 3 x 4 events (dose, premedication, observation, blood tests) + rest, twice


def test_a_server_that_never_answers_times_out_with_a_clear_error(
    cli: Callable[..., Result], tmp_path: Path, env: None
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections (the kernel does) and never answers
    try:
        port = silent.getsockname()[1]
        url = f"http://127.0.0.1:{port}/{USER}/treatment/"
        started = time.monotonic()
        result = cli("publish", "--plan", str(write_plan(tmp_path)), "--url", url, "--timeout", "1")
        assert time.monotonic() - started < 30
    finally:
        silent.close()
    assert result.exit_code == 1
    assert result.output.startswith(f"dosecal: {url}: publishing failed after 0 of 39 event(s):")
    assert "Run the same command again to finish" in result.output
