"""The web service: feeds for phones and the clinic's pages for nurses, in one app.

``create_app`` takes a ready :class:`~dosecal.service.store.Store` rather than a URL, so that the
command line checks the schema (and reports a problem as one line) before anything listens,
and tests can hand in the store they made. Feeds live in their own blueprint, public by token
only; the pages (:mod:`dosecal.web.pages`, :mod:`dosecal.web.plans`) need a signed-in nurse (:mod:`dosecal.web.security`),
the administrator's (:mod:`dosecal.web.admin`) an administrator. A nurse changes her own
password on :mod:`dosecal.web.account`.
"""

from __future__ import annotations

import io
import logging
import shutil
from pathlib import Path
from typing import IO, Any

from flask import Flask, Response, request
from flask.wrappers import Request

from dosecal.errors import DatabaseBusy, SchemaError, StoreError
from dosecal.service.pdfcache import PdfCache
from dosecal.service.store import Store
from dosecal.web.feeds import FeedCache, feeds
from dosecal.web.limits import SIGNIN_PER_MINUTE, Refusal, SignInGate, SignInLimit
from dosecal.web.logs import redact

log = logging.getLogger("dosecal.serve")


class MemoryRequest(Request):
    """A request whose uploaded files are kept in memory, never in a temporary file on disk.

    Werkzeug spools an upload of more than 500 KB to a temporary file; a regimen uploaded on
    the administrator's pages (:mod:`dosecal.web.regimens`) must never be written to disk. The
    request's ``max_content_length`` bounds the memory (1 MiB for that page, 256 KB elsewhere).
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        del total_content_length, content_type, filename, content_length  # werkzeug's signature
        return io.BytesIO()


class DosecalFlask(Flask):
    """Flask, except that an exception is logged with the token-free path, and uploads stay in memory.

    Flask's own ``log_exception`` names ``request.path``, which for a feed holds its secret.
    """

    request_class = MemoryRequest

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


def _refusal(app: Flask) -> Refusal:
    """The page a sign-in refused by its address's limit gets, in the nurse's language.

    Rendered once per interface language here, so that a refusal costs no template, session
    or database: "Too many sign-ins at once: nothing was checked", the words the sign-in page
    already uses when every hashing slot is taken.
    """
    from flask import g, render_template
    from werkzeug.wrappers import Request

    from dosecal.web.pages import UI_LANGUAGES, ui_language_code
    from dosecal.web.security import page_headers
    from dosecal.words import language

    rendered = {}
    with app.test_request_context("/signin"):
        for code in UI_LANGUAGES:
            g.lang = language(code)
            rendered[code] = render_template("error.html", message="error.users.busy").encode()
    https = app.config["DOSECAL_PUBLIC_URL"].startswith("https://")
    headers = [*page_headers(https=https).items(), ("Content-Type", "text/html; charset=utf-8")]

    def refusal(environ: dict[str, Any]) -> tuple[bytes, list[tuple[str, str]]]:
        return rendered.get(ui_language_code(Request(environ)), rendered["en"]), headers

    return refusal


def create_app(
    store: Store,
    *,
    public_url: str,
    default_tz: str | None = None,
    trust_user_header: str | None = None,
    trust_proxy: bool = False,
    signin_per_minute: int = SIGNIN_PER_MINUTE,
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
        trust_proxy: the audit trail and the sign-in limit take the client's address from
            X-Forwarded-For (the entry the proxy in front added), not from the proxy's own address.
        signin_per_minute: sign-in attempts one client address may make at once, and then each
            minute (:mod:`dosecal.web.limits`); more are refused before the app with 429.
        pdf_cache: where PDFs are kept once made (by default one on ``store``, bounded as
            :mod:`dosecal.service.pdfcache` says); ``dosecal serve`` hands the same one to its
            background worker.
    """
    from dosecal.service.accounts import Accounts
    from dosecal.service.audit import Audit
    from dosecal.service.teams import Teams
    from dosecal.web import security
    from dosecal.web.account import account_pages
    from dosecal.web.admin import admin_pages
    from dosecal.web.pages import pages
    from dosecal.web.plans import plans_pages
    from dosecal.web.regimens import regimen_pages

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
    app.register_blueprint(admin_pages)
    app.register_blueprint(account_pages)
    app.register_blueprint(regimen_pages)
    app.wsgi_app = SignInGate(  # type: ignore[method-assign]
        app.wsgi_app,
        SignInLimit(signin_per_minute),
        _refusal(app),
        trust_proxy=trust_proxy,
    )

    @app.get("/healthz")
    def healthz() -> Response:
        """For the proxy and the service manager: 200 when the plans can be read and written.

        503 with the reason on one line when the database does not answer (``unavailable:
        database unreachable``, ``... busy``, ``... schema`` for tables of another dosecal), or
        when the disk of a SQLite database has less than :data:`MIN_FREE_BYTES` left (``unavailable:
        disk full``: writes would fail while reads still work, so the service is not healthy, and
        says so before a nurse loses a change). Each starts ``unavailable: database`` or
        ``unavailable: disk``, as the first releases wrote them.
        """
        try:
            store.check_schema()
        except StoreError as exc:  # DatabaseUnavailable, DatabaseBusy, SchemaError among them
            # What a monitor polls every few seconds while the database is down: one line
            # in the log, not a traceback each time.
            log.warning("health check failed: %s", exc)
            why = "database busy" if isinstance(exc, DatabaseBusy) else "database unreachable"
            if isinstance(exc, SchemaError):
                why = "database schema"
            return Response(f"unavailable: {why}\n", status=503, mimetype="text/plain")
        except Exception:  # any other failure means "not healthy" too; the details go to the log
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
