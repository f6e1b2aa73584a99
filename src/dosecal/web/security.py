"""Who is signed in, forms that only this site can post, and the headers every answer carries.

- **Sessions**: Flask's signed cookie holds a random session id; the database holds its hash
  (:class:`~dosecal.service.accounts.Accounts`). Every request looks the id up, so signing out (which
  deletes the row) makes a copied cookie worthless, and ``dosecal users passwd`` or ``remove``
  ends every session of that account at once.
- **A reverse proxy's user header**: only with ``dosecal serve --trust-user-header NAME``. Then
  the proxy has authenticated the nurse and the header names them; anyone who can reach this
  server without the proxy could send that header too, so it must listen on loopback or a
  private network only (docs/deploy.md).
- **CSRF**: a random token in the session, a hidden field in every form; a post whose field
  does not match is refused with 400 before it reaches a page. SameSite=Lax cookies already
  keep other sites' posts out; the token also covers browsers without SameSite.
- **Headers**: a Content-Security-Policy with no inline script or style, no framing, no
  sniffing, no referrer (plan pages' addresses name plans).
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from dosecal.inputs.files import MAX_FILE_BYTES
from dosecal.service.accounts import Accounts
from dosecal.web.limits import client_of

P = ParamSpec("P")
R = TypeVar("R")

#: The pages' policy: everything from this origin, no inline script or style, never framed.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

#: The printable plan's policy: its own inline styles (it is one self-contained file, also
#: written by 'dosecal generate'), images as data, no script at all; framed by the plan page only.
PLAN_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

#: What a user name from a proxy's header may be (anything else is treated as no header).
_HEADER_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


def accounts() -> Accounts:
    """The accounts of the app's store."""
    found: Accounts = current_app.extensions["dosecal.service.accounts"]
    return found


def csrf_token() -> str:
    """This session's form token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """Refuse (400) a post whose ``csrf`` field is missing or not this session's token."""
    if request.method != "POST":
        return
    expected = session.get("csrf")
    given = request.form.get("csrf", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), given.encode()):
        abort(400, description="csrf")


def current_user() -> str | None:
    """Who makes this request: the proxy's header if trusted, else the session's account."""
    header = current_app.config.get("DOSECAL_TRUST_USER_HEADER")
    if header:
        # Sent twice, the header reaches us joined ("nurse1, attacker"), by the WSGI server or
        # by a proxy that appended rather than replaced it: whose request it is cannot be told.
        given = request.headers.getlist(header)
        if len(given) > 1 or any("," in value for value in given):
            abort(403)
        name = request.headers.get(header, "").strip()
        return name if _HEADER_NAME.match(name) else None
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    return accounts().session_user(sid)


def client_address() -> str | None:
    """Where the request came from, for the audit trail.

    With ``--trust-proxy``, the last X-Forwarded-For entry (the one the proxy in front added);
    else the peer's address.
    """
    return client_of(
        request.remote_addr,
        request.headers.get("X-Forwarded-For", ""),
        trust_proxy=bool(current_app.config.get("DOSECAL_TRUST_PROXY")),
    )


def trail(
    action: str,
    plan_id: str | None = None,
    *,
    user: str | None = None,
    subject: str | None = None,
    also: tuple[str, ...] = (),
) -> None:
    """Record ``action`` (and those in ``also``, in one write) in the audit trail.

    Who, which plan, from where, and whom or what it was about (``subject``: the account an
    administrator changed, the team a plan was given to).
    """
    current_app.extensions["dosecal.audit"].record(
        action,
        user=user or g.get("user"),
        plan_id=plan_id,
        client=client_address(),
        subject=subject,
        also=also,
    )


def sign_in(name: str) -> None:
    """Start a new session for ``name``: a fresh id and a fresh form token (no fixation)."""
    trail("sign-in", user=name)
    lang = session.get("lang")
    session.clear()
    session["sid"] = accounts().open_session(name)
    session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        session["lang"] = lang


def sign_out() -> None:
    """End the session in the database, then forget it in the browser."""
    if g.get("user"):
        trail("sign-out")
    sid = session.get("sid")
    if isinstance(sid, str):
        accounts().close_session(sid)
    session.clear()


def signed_in(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """A page for signed-in users only: others go to the sign-in page (nothing of the plan shows)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.user is None:
            if current_app.config.get("DOSECAL_TRUST_USER_HEADER"):
                abort(403)
            return redirect(url_for("pages.signin", next=local_path(request.full_path)), code=303)
        return view(*args, **kwargs)

    return wrapper


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else the plans list (no open redirect)."""
    if not target:
        return url_for("plans.plans")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("plans.plans")
    return target.rstrip("?") or "/"


#: The largest sign-in form accepted (a name, a password, the form's token).
SIGNIN_MAX_BYTES = 16 * 1024

#: Pages that take a file, and the largest request each accepts: a regimen's file as large as
#: the command line reads one (:data:`~dosecal.inputs.files.MAX_FILE_BYTES`, also the most
#: ``dosecal serve`` reads of any request). Every other page takes the app's 256 KB.
UPLOADS = {"/admin/regimens/import": MAX_FILE_BYTES}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _controlled(text: str, allow: str = "") -> bool:
    """Whether ``text`` has a control character other than those in ``allow``."""
    return any(ch not in allow for ch in _CONTROL.findall(text))


def page_headers(*, https: bool) -> dict[str, str]:
    """The headers every page carries (a page may set its own policy and framing instead)."""
    headers = {
        "Content-Security-Policy": PAGE_CSP,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",  # plans are health information: never kept by a cache
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def install(app: Flask) -> None:
    """Cookies, CSRF checks, the user of each request and the security headers, on ``app``."""
    https = app.config["DOSECAL_PUBLIC_URL"].startswith("https://")
    app.config.update(
        SESSION_COOKIE_NAME="dosecal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
    )

    @app.before_request
    def _plain() -> None:
        """Refuse a control character in the path, query, headers or sign-in form: 400.

        Before any of it reaches a database: PostgreSQL refuses a NUL with an error, a log line
        must not be forged, and no clinic form needs one.
        """
        if _controlled(request.path) or any(_controlled(k + v) for k, v in request.args.items(multi=True)):
            abort(400)
        if any(_controlled(value, allow="\t") for value in request.headers.values()):
            abort(400)
        if request.method == "POST" and request.path in UPLOADS:
            request.max_content_length = UPLOADS[request.path]  # before the form is read
        if request.path == "/signin" and request.method == "POST":
            if (request.content_length or 0) > SIGNIN_MAX_BYTES:
                abort(413)  # a name and a password: a few hundred bytes
            if any(_controlled(v) for v in request.form.values()):
                abort(400)  # the plan forms say so beside the field instead

    @app.before_request
    def _who() -> None:
        if request.path.startswith(("/feeds/", "/healthz", "/static/")):
            g.user = None
            return
        check_csrf()
        g.user = current_user()

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        for name, value in page_headers(https=https).items():
            if name in ("Content-Security-Policy", "X-Frame-Options", "Strict-Transport-Security"):
                h.setdefault(name, value)
            elif name != "Cache-Control" or not request.path.startswith(("/feeds/", "/static/")):
                h[name] = value
        return response
