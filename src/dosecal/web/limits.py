"""Sign-in attempts per client address: a cheap refusal before the app, held back a moment.

Each scrypt check costs about 0.1 s of a core, and a sign-in that waits for a hashing slot
holds one of the server's worker threads. Measured with ``benchmarks/signin_flood.py`` (16
clients posting wrong passwords from one address, two cores): the feeds' median went from
about 2 ms to about 50 ms, because the sign-ins kept every worker thread busy and the feeds
queued behind them. Refusing the excess at once was not enough: a client that is answered at
once asks again at once, and 16 of them kept the server's (and the benchmark's) interpreter
busy with refusals, the feeds at 5-7 times their idle median. So a refused attempt is cheap
*and slow*: :class:`SignInGate` answers it before Flask (no session, no form, no database),
and under waitress the answer is held back :data:`HOLD_SECONDS` by the connection itself
(:func:`allow_holds`), which occupies no worker thread: a flooding client then asks about
once a second. This is what a reverse proxy's ``limit_req`` does when it delays excess
requests.

The allowance is a token bucket per address: :data:`SIGNIN_PER_MINUTE` attempts at once, then
as many a minute. It is meant for a whole hospital behind one NAT address: a shift change of
a hundred nurses signing in, some twice, fits in it. The address is the socket's peer, or
with ``--trust-proxy`` the last X-Forwarded-For entry (the one the proxy added); an IPv6
address counts with its /64, the part a single subscriber usually holds. Only ``POST
/signin`` is counted or refused: feeds, pages and the sign-in form itself never are.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

#: Sign-in attempts one client address may make at once, and then each minute.
SIGNIN_PER_MINUTE = 60

#: How long a refused attempt's answer is held back (under waitress), so that a client that
#: retries at once retries about once a second.
HOLD_SECONDS = 1.0

#: Addresses remembered at once; the least recently seen is forgotten first (it starts afresh).
MAX_ADDRESSES = 10_000

#: The WSGI environment key of the server's hold (see :func:`allow_holds`).
HOLD_KEY = "dosecal.hold"

log = logging.getLogger("dosecal.serve")


def client_of(remote: str | None, forwarded: str, *, trust_proxy: bool) -> str | None:
    """Who sent a request: the last X-Forwarded-For entry if the proxy is trusted, else the peer.

    The last entry is the one the proxy in front of this server added; earlier ones were sent by
    the client and prove nothing. Without ``trust_proxy`` the header is ignored: anyone could
    send it.
    """
    if trust_proxy:
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return remote


def address_key(address: str) -> str:
    """The key ``address`` is counted under: an IPv4 address, an IPv6 /64, else the text itself."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class SignInLimit:
    """A token bucket per client address: ``per_minute`` attempts at once, refilled as many a minute.

    In memory, per server process. Refused attempts cost nothing from the bucket.
    """

    def __init__(
        self,
        per_minute: int = SIGNIN_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        size: int = MAX_ADDRESSES,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.burst = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.size = size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, address: str) -> float:
        """Count an attempt from ``address``: 0 if allowed, else the seconds until one is."""
        key = address_key(address)
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.size:
                self._buckets.popitem(last=False)
        return wait


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Refusal(Protocol):
    """What a refused sign-in gets: the page's bytes and its headers, for the request's language."""

    def __call__(self, environ: dict[str, Any]) -> tuple[bytes, list[tuple[str, str]]]:
        """The page and its headers for the request ``environ``."""
        ...


class SignInGate:
    """WSGI middleware: ``POST /signin`` over its address's allowance is a 429, before the app.

    The refusal reads neither the body nor the session, touches no database and hashes
    nothing; it carries ``Retry-After``. Under a server that offers a hold (:data:`HOLD_KEY`),
    the answer leaves :data:`HOLD_SECONDS` later.
    """

    def __init__(
        self, app: WSGIApp, limit: SignInLimit, refusal: Refusal, *, trust_proxy: bool = False
    ) -> None:
        self.app = app
        self.limit = limit
        self.refusal = refusal
        self.trust_proxy = trust_proxy

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Pass the request on, unless it is a sign-in attempt its address may not make now."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/signin":
            return self.app(environ, start_response)
        address = client_of(
            environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR", ""), trust_proxy=self.trust_proxy
        )
        wait = self.limit.take(address or "")
        if not wait:
            return self.app(environ, start_response)
        hold = environ.get(HOLD_KEY)
        if callable(hold):
            hold(HOLD_SECONDS)
        body, headers = self.refusal(environ)
        log.info("POST /signin 429 (too many sign-ins from one address)")
        start_response(
            "429 Too Many Requests",
            [
                *headers,
                ("Retry-After", str(max(1, math.ceil(wait)))),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]


def allow_holds(server: Any) -> None:
    """Let the app hold an answer back on its connection, under waitress, without a worker thread.

    Each connection of ``server`` (a waitress server, one socket or several) offers
    ``environ[HOLD_KEY](seconds)``: the answer written is kept in the connection's buffer and
    sent once that time is over, by waitress's main loop (which looks again at least once a
    second); the worker thread goes back to the pool at once. It relies on two methods of
    waitress's connection (``writable``, asked by the main loop, and ``_flush_some``, by which
    a worker sends at once), stable through waitress 3 (``pyproject.toml`` pins ``<4``); a test
    checks that a held answer does come later.
    """
    from waitress.channel import HTTPChannel
    from waitress.task import WSGITask

    class HoldingTask(WSGITask):  # type: ignore[misc]
        """A request whose environment offers the hold of its connection."""

        def get_environment(self) -> dict[str, Any]:
            environ: dict[str, Any] = super().get_environment()
            environ[HOLD_KEY] = self.channel.hold
            return environ

    class HoldingChannel(HTTPChannel):  # type: ignore[misc]
        """A connection whose output can be held back until a moment."""

        task_class = HoldingTask
        held_until = 0.0

        def hold(self, seconds: float) -> None:
            self.held_until = time.monotonic() + seconds

        def held(self) -> bool:
            if self.held_until and not self.will_close:
                if time.monotonic() < self.held_until:
                    return True
                self.held_until = 0.0
            return False

        def writable(self) -> bool:  # the main loop's question: nothing to send while held
            return not self.held() and bool(super().writable())

        def _flush_some(self, do_close: bool = True) -> bool:  # also called by worker threads
            return not self.held() and bool(super()._flush_some(do_close=do_close))

    servers = [server, *getattr(server, "map", {}).values()]
    for each in servers:
        if hasattr(each, "channel_class"):
            each.channel_class = HoldingChannel
