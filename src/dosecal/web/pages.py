"""What every clinic page shares: the nurse's language, the words, sign-in, errors.

Every page is plain HTML from a Jinja2 template, works without JavaScript, and reads its words
from the message catalogue in the nurse's language (a link on each page, then the browser's
Accept-Language). The plan pages themselves are :mod:`dosecal.web.plans`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Request as BaseRequest
from werkzeug.wrappers import Response as BaseResponse

from dosecal.errors import DatabaseBusy, DatabaseUnavailable
from dosecal.inputs.overrides import computer_zone
from dosecal.model.zones import UTC_NAMES
from dosecal.service.accounts import THROTTLE_MINUTES, Busy
from dosecal.service.database import first_line
from dosecal.service.store import Store
from dosecal.service.teams import Teams
from dosecal.web.security import UPLOADS, accounts, local_path, sign_in, sign_out
from dosecal.words import Language, Value, language, msg

pages = Blueprint("pages", __name__, template_folder="templates")

#: The interface's languages, as the language links and Accept-Language choose them.
UI_LANGUAGES = ("en", "fr")

#: The words of each language a plan may be printed in, by its code.
LANGUAGE_NAMES = {
    "en": "web.lang.en",
    "fr": "web.lang.fr",
    "fr+en": "web.lang.fr_en",
    "en+fr": "web.lang.en_fr",
}

#: The words of each telephone line the printout has, by kind.
CONTACT_NAMES = {
    "daytime": "web.contact.daytime",
    "after_hours": "web.contact.after_hours",
    "pharmacy": "web.contact.pharmacy",
    "bag_change": "web.contact.bag_change",
}

#: The words of each kind of change in a plan's history.
ACTION_NAMES = {
    "add": "web.history.add",
    "adjust": "web.history.adjust",
    "upgrade": "web.history.upgrade",
    "rotate": "web.history.rotate",
    "revoke": "web.history.revoke",
    "archive": "web.history.archive",
}

#: The words naming each field or group of fields in the summary above a form with errors.
FIELD_NAMES = {
    "start": "web.new.start",
    "tz": "web.new.tz",
    "times": "web.new.times",
    "choices": "web.new.choices",
    "cycles": "web.new.cycles",
    "until": "web.new.until",
    "weight": "web.new.weight",
    "height": "web.new.height",
    "lang": "web.new.lang",
    "label": "web.new.label",
    "contacts": "web.new.contacts",
    "fever": "web.new.fever",
    **{f"contact.{kind}": words for kind, words in CONTACT_NAMES.items()},
    "delay": "web.adjust.delay",
    "hold": "web.adjust.hold",
    "interrupt": "web.adjust.interrupt",
    "dose": "web.adjust.dose",
    "time_change": "web.adjust.time_change",
    "body_size": "web.adjust.body_size",
    "zone_change": "web.adjust.zone_change",
    "stop": "web.adjust.stop",
    "note": "web.adjust.note",
}

#: The first input of each fieldset whose errors are the whole group's (the summary links to it).
GROUP_FIRST = {
    "delay": "delay_cycle",
    "hold": "hold_agent",
    "interrupt": "interrupt_cycle",
    "dose": "dose_agent",
    "time_change": "time_agent",
    "body_size": "size_from",
    "zone_change": "zone_from",
    "contacts": "contact.daytime",
}


def error_links(
    errors: dict[str, list[Value]], first: dict[str, str], names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The summary's links: for each field (or group) with errors, its input's id, its name, the messages.

    Errors about the whole form (``form``, ``schedule``) are shown as they are, not linked.
    ``first`` gives the first input of groups that depend on the schedule (times, choices);
    ``names`` the words of fields named differently on this page.
    """
    words = {**FIELD_NAMES, **(names or {})}
    targets = {**GROUP_FIRST, **first}
    return [
        {"target": targets.get(name, name), "name": g.lang.text(msg(words[name])), "messages": messages}
        for name, messages in errors.items()
        if name in words and messages
    ]


def store() -> Store:
    """The app's plan store."""
    found: Store = current_app.extensions["dosecal.service.store"]
    return found


def teams() -> Teams:
    """The teams of this server's store."""
    found: Teams = current_app.extensions["dosecal.teams"]
    return found


def ui_language() -> Language:
    """The nurse's language: the one they chose on a page, else their browser's, else English."""
    return language(ui_language_code(request))


def ui_language_code(asked: BaseRequest) -> str:
    """The code of :func:`ui_language` for any request, also outside Flask (its session unopened)."""
    chosen = asked.cookies.get("dosecal_lang")
    if chosen not in UI_LANGUAGES:
        chosen = asked.accept_languages.best_match(UI_LANGUAGES, default="en")
    return chosen or "en"


@pages.before_app_request
def _language() -> None:
    g.lang = ui_language()


@pages.app_context_processor
def _helpers() -> dict[str, Any]:
    from dosecal.web.security import csrf_token

    lang: Language = g.lang

    def t(key: str, /, **values: Value) -> str:
        return lang.text(msg(key, **values))

    def text(value: Value) -> str:
        return lang.text(value)

    def content(value: str) -> str:
        return lang.content(value)

    def cap(value: str) -> str:
        return value[:1].upper() + value[1:]

    def when(moment: datetime) -> str:
        """A change's time in the clinic's zone, as the nurse's language writes it ("UTC" if none)."""
        zone = default_tz()
        local = moment.astimezone(ZoneInfo(zone or "UTC"))
        shown = f"{lang.date(local.date())} {lang.clock(local)}"
        return shown if zone else f"{shown} UTC"

    return {
        "t": t,
        "text": text,
        "content": content,
        "cap": cap,
        "when": when,
        "csrf_token": csrf_token,
        "user": g.get("user"),
        "lang_code": g.lang.code if "lang" in g else "en",
        "here": request.full_path.rstrip("?"),
        "language_names": LANGUAGE_NAMES,
        "contact_names": CONTACT_NAMES,
        "action_names": ACTION_NAMES,
    }


@pages.get("/lang/<code>")
def set_language(code: str) -> BaseResponse:
    """Switch the interface language (a cookie), then back to the page the nurse was on."""
    response = redirect(local_path(request.args.get("next")), code=303)
    if code in UI_LANGUAGES:
        https = current_app.config["DOSECAL_PUBLIC_URL"].startswith("https://")
        response.set_cookie(
            "dosecal_lang", code, max_age=3600 * 24 * 365, httponly=True, samesite="Lax", secure=https
        )
    return response


# Signing in and out


log = logging.getLogger("dosecal.web")

#: What a busy server asks a client to wait before trying again.
BUSY_RETRY_SECONDS = 5


@pages.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    """The sign-in form; a wrong name or password gets one message that says neither which.

    After :data:`~dosecal.service.accounts.MAX_FAILURES` failures for one name within
    :data:`~dosecal.service.accounts.THROTTLE_MINUTES`, that name is refused for as long (429), right
    password or not, with words that do not say whether the name exists.
    """
    target = local_path(request.values.get("next"))
    if current_app.config.get("DOSECAL_TRUST_USER_HEADER"):
        return redirect(target, code=303)
    error = None
    name = ""
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        try:
            with accounts().hashing():
                if not accounts().attempt(name):  # a name unknown or known: the same answer
                    error, status = msg("web.signin.throttled", count=THROTTLE_MINUTES), 429
                elif accounts().authenticate(name, request.form.get("password", "")):
                    accounts().succeeded(name)
                    sign_in(name)
                    return redirect(target, code=303)
                else:
                    error, status = msg("web.signin.wrong"), 401
        except Busy:
            error, status = msg("error.users.busy"), 503
    headers = {"Retry-After": str(THROTTLE_MINUTES * 60)} if status == 429 else {}
    if status == 503:
        headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
    return render_template("signin.html", error=error, name=name, next=target), status, headers


@pages.post("/signout")
def signout() -> BaseResponse:
    """Sign out: the session ends in the database too, so its cookie can never be used again."""
    sign_out()
    return redirect(url_for("pages.signin"), code=303)


@pages.get("/")
def home() -> BaseResponse:
    """The plans list is the home page."""
    return redirect(url_for("plans.plans"), code=303)


def default_tz() -> str:
    """The clinic's zone for new plans and change times: ``--default-tz``, else this computer's.

    Never UTC by accident: a host whose own zone is UTC (a container, a cloud server) gives no
    default, so the new plan form asks for the patient's zone rather than fill in one that
    puts a 10:00 dose at 05:00 on a phone in Toronto. UTC given with ``--default-tz`` is kept.
    """
    configured: str | None = current_app.config.get("DOSECAL_DEFAULT_TZ")
    if configured:
        return configured
    host = computer_zone() or ""
    return "" if host in UTC_NAMES else host


_ERRORS = {
    400: "web.error.csrf",
    403: "web.error.forbidden",
    404: "web.error.not_found",
    413: "web.error.too_large",
}


@pages.app_errorhandler(DatabaseBusy)
@pages.app_errorhandler(DatabaseUnavailable)
@pages.app_errorhandler(sa.exc.OperationalError)
@pages.app_errorhandler(sa.exc.InterfaceError)
@pages.app_errorhandler(sa.exc.TimeoutError)
def unavailable(exc: Exception) -> Any:
    """The database cannot be reached, or a write waited its bounded time behind another: 503.

    The nurse's page says that nothing was saved (a failed write is rolled back whole) and
    when to try again; the log keeps the reason (the database's own first line, as the command
    line says it: "database or disk is full", "connection refused"), never the request's words.
    """
    log.warning("database unavailable: %s: %s", type(exc).__name__, first_line(exc))
    headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
    if request.path.startswith("/feeds/"):
        return Response("busy, try again\n", status=503, mimetype="text/plain", headers=headers)
    if "lang" not in g:
        g.lang = ui_language()
    return render_template("error.html", message="web.error.unavailable"), 503, headers


@pages.app_errorhandler(400)
@pages.app_errorhandler(403)
@pages.app_errorhandler(404)
@pages.app_errorhandler(413)
def error_page(exc: Any) -> Any:
    """An error as a page in the nurse's language; under /feeds/ the feeds' plain text, as before."""
    code = getattr(exc, "code", 500) or 500
    if request.path.startswith("/feeds/"):
        return Response("not found\n" if code == 404 else "bad request\n", status=code, mimetype="text/plain")
    if "lang" not in g:
        g.lang = ui_language()
    message = _ERRORS.get(code, "web.error.not_found")
    if code == 413 and request.path in UPLOADS:  # a file, not words typed
        message = "web.regimens.too_large"
    return render_template("error.html", message=message), code
