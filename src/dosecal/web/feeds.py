"""Calendar feeds: ``GET /feeds/TOKEN.ics``, the plan's current calendar, for phones to subscribe.

Every request looks the token's hash up in the database (one indexed query), so a change made
by the command line or another server shows at the next poll. The calendar itself is rendered
once per plan version and kept in memory: a poll that finds nothing new costs that one query
and a dictionary lookup, and answers 304 when the client sends the ETag it has.

An unknown token and a revoked one get the same 404 with the same body: the answer says
nothing about which links once existed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from werkzeug.http import http_date

from dosecal.errors import DatabaseBusy, DatabaseUnavailable
from dosecal.service.feedtokens import token_hash
from dosecal.service.store import Store

feeds = Blueprint("feeds", __name__)

#: What a token looks like (43 URL-safe characters); anything else is not looked up.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

#: Plan versions whose calendars stay in memory (a few hundred KB each at most).
CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Rendered:
    """A plan version's calendar, ready to send."""

    body: bytes
    etag: str
    last_modified: str


class FeedCache:
    """Rendered calendars by (plan, version, day served), least recently used dropped first.

    A version never changes once written, so an entry never goes stale; a new version is a
    new key. Two threads may render the same version at once; both get the same bytes.
    """

    def __init__(self, store: Store, size: int = CACHE_SIZE) -> None:
        self.store = store
        self.size = size
        self._entries: OrderedDict[tuple[str, int, date], Rendered] = OrderedDict()
        self._lock = threading.Lock()
        self._last: OrderedDict[str, Rendered] = OrderedDict()  # by the token's hash, not the token

    def served(self, token: str, rendered: Rendered) -> None:
        """Remember what ``token`` was last served, for when the database cannot be read."""
        with self._lock:
            key = token_hash(token)
            self._last[key] = rendered
            self._last.move_to_end(key)
            while len(self._last) > self.size:
                self._last.popitem(last=False)

    def last(self, token: str) -> Rendered | None:
        """What ``token`` was last served by this process, if anything."""
        with self._lock:
            return self._last.get(token_hash(token))

    def get(self, plan_id: str, version: int, updated: datetime, as_of: date) -> Rendered | None:
        """The calendar of ``plan_id`` at ``version`` served on ``as_of``; ``None`` if the plan moved on.

        The feed holds a window of the plan around the day it is served, so a day is part of
        the key: a new day renders the window once more, then serves it from memory.
        """
        key = (plan_id, version, as_of)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        body = self.store.calendar(plan_id, version, as_of)
        if body is None:
            return None
        rendered = Rendered(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', http_date(updated))
        with self._lock:
            self._entries[key] = rendered
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return rendered


#: What a busy or unreachable database asks a phone to wait.
_RETRY = {"Retry-After": "60"}


def _not_found() -> Response:
    return Response("not found\n", status=404, mimetype="text/plain")


@feeds.get("/feeds/<name>")
def feed(name: str) -> Response:
    """The calendar a token opens, with ETag and Last-Modified; 304 when the client has it."""
    token = name.removesuffix(".ics")
    if not name.endswith(".ics") or not _TOKEN.match(token):
        return _not_found()
    cache: FeedCache = current_app.extensions["dosecal.feed_cache"]
    today = datetime.now(UTC).date()
    try:
        for _ in range(3):  # a change landing between the two reads: look again
            state = cache.store.feed_state(token)
            if state is None:
                return _not_found()
            rendered = cache.get(state.plan_id, state.version, state.updated, today)
            if rendered is not None:
                cache.served(token, rendered)
                break
        else:
            return Response("busy, try again\n", status=503, mimetype="text/plain", headers=_RETRY)
    except (
        DatabaseBusy,
        DatabaseUnavailable,
        sa.exc.OperationalError,
        sa.exc.InterfaceError,
        sa.exc.TimeoutError,
    ):
        # The database is down or locked: a phone gets the calendar it was last served, if this
        # process has it, rather than an error that some apps show as an empty calendar.
        kept = cache.last(token)
        if kept is None:
            return Response("busy, try again\n", status=503, mimetype="text/plain", headers=_RETRY)
        rendered = kept
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": rendered.last_modified,
        "Cache-Control": "private, no-cache",
    }
    # If-Modified-Since alone is not honoured: Last-Modified is the plan's last change, but a
    # newer dosecal may render the same version differently (a fixed mistake), and a phone
    # must get that. The ETag is of the bytes themselves.
    matches = _etags(request.headers.get("If-None-Match", ""))
    if rendered.etag in matches or "*" in matches:
        return Response(status=304, headers=headers)
    # No Content-Disposition: a subscription URL must not be offered as a download (iOS).
    return Response(rendered.body, headers=headers, content_type="text/calendar; charset=utf-8")


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header (weak ones compare equal, RFC 9110 §13.1.2)."""
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
