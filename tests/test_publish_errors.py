"""publish never shows credentials and ends every failure in one line (issue 11, class 5).

Credentials in the URL are refused without being echoed; a malformed netrc file is named but
its tokens are not quoted; a server answering garbage (invalid XML, HTML, a closed
connection) ends in one ``dosecal:`` line, exit 1, never a traceback from caldav or lxml.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dosecal.cli import main
from dosecal.service.publish import shown

pytestmark = pytest.mark.caldav

PLAN = str(Path(__file__).resolve().parents[1] / "examples" / "inotuzumab.plan.toml")
SECRET = "pw-s3cret-xyz"


def publish(url: str, env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(
        main, ["publish", "--plan", PLAN, "--url", url, "--timeout", "5"], env=env, catch_exceptions=False
    )


def one_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dosecal: ")
    assert "Traceback" not in result.output
    assert "This is a bug" not in result.stderr
    return lines[0]


CREDENTIALS = {"DOSECAL_CALDAV_USERNAME": "alice", "DOSECAL_CALDAV_PASSWORD": SECRET, "NETRC": None}


@pytest.mark.parametrize(
    "url",
    [
        f"http://alice:{SECRET}@127.0.0.1:9/cal/",
        f"https://alice:{SECRET}@dav.example.org/alice/cal/",
        f"https://{SECRET}@dav.example.org/cal/",
        f"ftp://alice:{SECRET}@dav.example.org/cal/",
    ],
)
def test_credentials_in_the_url_are_refused_and_never_shown(url: str) -> None:
    line = one_line(publish(url, CREDENTIALS))
    assert SECRET not in line
    assert "alice:" not in line
    assert "user name or password" in line or "not an http(s) address" in line


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1:abc/x/", "http://127.0.0.1:99999/x/", "https://"]
)
def test_a_malformed_url_is_refused_before_any_request(url: str) -> None:
    assert "not an http(s) address" in one_line(publish(url, CREDENTIALS))


def test_messages_show_urls_without_userinfo() -> None:
    assert shown(f"failed: http://alice:{SECRET}@host:8080/x") == "failed: http://host:8080/x"
    assert shown("https://dav.example.org/a@b") == "https://dav.example.org/a@b"  # @ in the path stays


@pytest.mark.parametrize(
    "content",
    [
        f"machine 127.0.0.1 login alice password {SECRET} {SECRET}-token\n".encode(),
        f"machine 127.0.0.1 login alice password {SECRET}\nmacdef\n".encode(),
        b"machine 127.0.0.1 login alice password \xff\xfe" + SECRET.encode() + b"\n",
        b"machine 127.0.0.1 login alice password",
    ],
    ids=["extra token", "macdef", "not utf-8", "cut short"],
)
def test_a_malformed_netrc_is_one_line_that_quotes_no_token(tmp_path: Path, content: bytes) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_bytes(content)
    netrc.chmod(0o600)
    env = {"DOSECAL_CALDAV_USERNAME": None, "DOSECAL_CALDAV_PASSWORD": None, "NETRC": str(netrc)}
    line = one_line(publish("http://127.0.0.1:9/alice/cal/", env))
    assert SECRET not in line
    if "netrc" in line:  # refused as a netrc file (Python's parser accepts some of these)
        assert str(netrc) in line


class Garbage(http.server.BaseHTTPRequestHandler):
    """Answers every request with whatever the test sets: invalid XML by default."""

    status = 207
    body = b"<?xml version='1.0'?><d:multistatus xmlns:d='DAV:'><<<not xml"
    content_type = "application/xml"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_PROPFIND = do_REPORT = do_GET = do_PUT = do_DELETE = do_MKCALENDAR = do_OPTIONS = _answer

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def garbage_server() -> Iterator[tuple[str, type[Garbage]]]:
    handler = type("Handler", (Garbage,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alice/cal/", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (207, b"<?xml version='1.0'?><d:multistatus xmlns:d='DAV:'><<<not xml", "application/xml"),
        (207, b"", "application/xml"),
        (207, b"\x00\xff\xfe binary", "application/xml"),
        (200, b"<html><body>Login</body></html>", "text/html"),
        (
            207,
            b"<?xml version='1.0'?><d:multistatus xmlns:d='DAV:'><d:response/></d:multistatus>",
            "text/xml",
        ),
    ],
    ids=["invalid XML", "empty", "binary", "an HTML page", "an empty response element"],
)
def test_a_server_answering_garbage_is_one_line(
    garbage_server: tuple[str, type[Garbage]], status: int, body: bytes, content_type: str
) -> None:
    url, handler = garbage_server
    handler.status, handler.body, handler.content_type = status, body, content_type
    line = one_line(publish(url, CREDENTIALS))
    assert line.startswith(f"dosecal: {url}")
    assert SECRET not in line


def test_nothing_listening_is_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = one_line(publish(f"http://127.0.0.1:{port}/alice/cal/", CREDENTIALS))
    assert f"127.0.0.1:{port}" in line


@pytest.mark.parametrize("odd", ["/dev/zero", "fifo", "folder"])
def test_a_netrc_that_is_not_a_regular_file_is_one_line(tmp_path: Path, odd: str) -> None:
    import os

    path = tmp_path / odd
    if odd == "fifo":
        os.mkfifo(path)
    elif odd == "folder":
        path.mkdir()
    else:
        path = Path(odd)
    env = {"DOSECAL_CALDAV_USERNAME": None, "DOSECAL_CALDAV_PASSWORD": None, "NETRC": str(path)}
    line = one_line(publish("http://127.0.0.1:9/alice/cal/", env))
    assert f"{path}: cannot read the netrc file" in line
