"""The web service: an app factory that later blueprints (clinic pages) plug into.

``create_app`` takes a ready :class:`~dosecal.store.Store` rather than a URL, so that the
command line checks the schema (and reports a problem as one line) before anything listens,
and tests can hand in the store they made. Feeds live in their own blueprint.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, request

from dosecal.store import Store
from dosecal.web.feeds import FeedCache, feeds

#: A feed path with its secret part: logged as ``/feeds/…ics``, never with the token.
_SECRET = re.compile(r"(/feeds/)[^/?#]*")

log = logging.getLogger("dosecal.serve")


def redact(path: str) -> str:
    """A request path fit for a log: feed tokens replaced by ``…``."""
    return _SECRET.sub(r"\1…", path)


class DosecalFlask(Flask):
    """Flask, except that an exception is logged with the token-free path.

    Flask's own ``log_exception`` names ``request.path``, which for a feed holds its secret.
    """

    def log_exception(self, exc_info: Any) -> None:
        """Log an unhandled exception, the path redacted."""
        self.logger.error("Exception on %s [%s]", redact(request.path), request.method, exc_info=exc_info)


def create_app(store: Store, *, public_url: str) -> Flask:
    """The WSGI application: feeds, the health check, and a token-free access log.

    Args:
        store: the plan store, schema already checked.
        public_url: where clients reach this server (behind a reverse proxy, its https URL).
    """
    app = DosecalFlask("dosecal")
    app.config["DOSECAL_PUBLIC_URL"] = public_url.rstrip("/")
    app.extensions["dosecal.store"] = store
    app.extensions["dosecal.feed_cache"] = FeedCache(store)
    app.register_blueprint(feeds)

    @app.get("/healthz")
    def healthz() -> Response:
        """For the proxy and the service manager: 200 when the database answers, else 503."""
        try:
            store.check_schema()
        except Exception:  # any failure means "not healthy"; the reason goes to the log
            log.exception("health check failed")
            return Response("unavailable\n", status=503, mimetype="text/plain")
        return Response("ok\n", mimetype="text/plain")

    @app.after_request
    def access_log(response: Response) -> Response:
        log.info("%s %s %s", request.method, redact(request.path), response.status_code)
        return response

    return app
