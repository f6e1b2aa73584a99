"""The web service: feeds for phones and the clinic's pages for nurses, in one app.

``create_app`` takes a ready :class:`~dosecal.service.store.Store` rather than a URL, so that the
command line checks the schema (and reports a problem as one line) before anything listens,
and tests can hand in the store they made. Feeds live in their own blueprint, public by token
only; the pages (:mod:`dosecal.web.pages`, :mod:`dosecal.web.plans`) need a signed-in nurse (:mod:`dosecal.web.security`).
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from dosecal.service.pdfcache import PdfCache
from dosecal.service.store import Store
from dosecal.web.feeds import FeedCache, feeds

#: A feed path with its secret part: logged as ``/feeds/…ics``, never with the token.
_SECRET = re.compile(r"(/feeds/)[^/?#]*")

log = logging.getLogger("dosecal.serve")


def _escape(char: str) -> str:
    """One character as a log line may hold it: printable as is, else a backslash escape."""
    if char.isprintable():
        return char
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def redact(path: str) -> str:
    """A request path fit for a log: feed tokens replaced by ``…``, non-printables escaped.

    Every control or other non-printable character (a line break, a NUL, a bidi override) is
    written as a backslash escape,
    so that a path can neither forge a log line nor hide part of one. A backslash is doubled,
    so that an escape typed in the path cannot pass for one written here.
    """
    escaped = "".join(_escape(c) for c in path.replace("\\", "\\\\"))
    return _SECRET.sub(r"\1…", escaped)


class DosecalFlask(Flask):
    """Flask, except that an exception is logged with the token-free path.

    Flask's own ``log_exception`` names ``request.path``, which for a feed holds its secret.
    """

    def log_exception(self, exc_info: Any) -> None:
        """Log an unhandled exception, the path redacted."""
        self.logger.error("Exception on %s [%s]", redact(request.path), request.method, exc_info=exc_info)


#: Free space below which a SQLite store is reported unhealthy: room for a few thousand changes.
MIN_FREE_BYTES = 16 * 1024 * 1024


def _sqlite_folder(url: str) -> Path | None:
    """The folder of a SQLite database file, or ``None`` (another database, or in memory)."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix("sqlite:///")).parent


def create_app(
    store: Store,
    *,
    public_url: str,
    default_tz: str | None = None,
    trust_user_header: str | None = None,
    trust_proxy: bool = False,
    pdf_cache: PdfCache | None = None,
) -> Flask:
    """The WSGI application: feeds, the clinic's pages, the health check, and a token-free access log.

    Args:
        store: the plan store, schema already checked.
        public_url: where clients reach this server (behind a reverse proxy, its https URL);
            an https URL also makes the session cookie Secure.
        default_tz: the clinic's time zone, pre-filled in the new plan form.
        trust_user_header: the request header in which an authenticating reverse proxy names
            the nurse (``X-Remote-User``); ``None``: nurses sign in with their own password.
        trust_proxy: the audit trail takes the client's address from X-Forwarded-For (the
            entry the proxy in front added), not from the proxy's own address.
        pdf_cache: where PDFs are kept once made (by default one on ``store``, bounded as
            :mod:`dosecal.service.pdfcache` says); ``dosecal serve`` hands the same one to its
            background worker.
    """
    from dosecal.service.accounts import Accounts
    from dosecal.service.audit import Audit
    from dosecal.service.teams import Teams
    from dosecal.web import security
    from dosecal.web.pages import pages
    from dosecal.web.plans import plans_pages

    app = DosecalFlask(
        "dosecal", static_folder=str(Path(__file__).parent / "static"), static_url_path="/static"
    )
    app.config["DOSECAL_PUBLIC_URL"] = public_url.rstrip("/")
    app.config["DOSECAL_DEFAULT_TZ"] = default_tz
    app.config["DOSECAL_TRUST_USER_HEADER"] = trust_user_header
    app.config["DOSECAL_TRUST_PROXY"] = trust_proxy
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024  # a form is a few KB: refuse floods early
    app.extensions["dosecal.service.store"] = store
    app.extensions["dosecal.feed_cache"] = FeedCache(store)
    app.extensions["dosecal.pdf_cache"] = pdf_cache or PdfCache(store, public_url=public_url)
    app.extensions["dosecal.audit"] = Audit(store.engine)
    app.extensions["dosecal.teams"] = Teams(store.engine)
    accounts = Accounts(store)
    app.extensions["dosecal.service.accounts"] = accounts
    app.secret_key = accounts.secret()
    security.install(app)
    app.register_blueprint(feeds)
    app.register_blueprint(pages)
    app.register_blueprint(plans_pages)

    @app.get("/healthz")
    def healthz() -> Response:
        """For the proxy and the service manager: 200 when the plans can be read and written.

        503 with the reason on one line when the database does not answer, or when the disk of
        a SQLite database has less than :data:`MIN_FREE_BYTES` left (writes would fail while
        reads still work: the service is not healthy, and says so before a nurse loses a change).
        """
        try:
            store.check_schema()
        except Exception:  # any failure means "not healthy"; the details go to the log
            log.exception("health check failed")
            return Response("unavailable: database\n", status=503, mimetype="text/plain")
        folder = _sqlite_folder(store.url)
        if folder is not None and shutil.disk_usage(folder).free < MIN_FREE_BYTES:
            return Response("unavailable: disk full\n", status=503, mimetype="text/plain")
        return Response("ok\n", mimetype="text/plain")

    @app.after_request
    def access_log(response: Response) -> Response:
        log.info("%s %s %s", request.method, redact(request.path), response.status_code)
        return response

    return app
