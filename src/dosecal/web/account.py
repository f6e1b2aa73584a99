"""The signed-in person's own account: a new password, as ``dosecal users passwd`` sets one.

Linked from the header's "Signed in as NAME". She types her current password, then the new one
twice. The current one is checked as a sign-in checks it, and counted as one
(:meth:`~dosecal.service.accounts.Accounts.attempt`): a stolen session cannot guess it faster
than the sign-in page can. A wrong one gets "the current password is not right", nothing more.
The new one follows the rules of ``users passwd`` and the administrator's form
(:func:`~dosecal.web.admin.password_errors`), and is set as the administrator's form sets her own
(:func:`~dosecal.web.admin.change_password`): every other session of the account ends, this
browser stays signed in, and the audit trail has a ``user-password`` row with her as who and as
subject.

Behind ``--trust-user-header`` a proxy signs people in and passwords are not used: the page
says so and has no form (a post answers 404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from dosecal.errors import DatabaseBusy, DatabaseUnavailable, StoreError
from dosecal.service.accounts import MIN_PASSWORD, THROTTLE_MINUTES, Busy
from dosecal.web.admin import change_password, note, password_errors, take_notice
from dosecal.web.pages import BUSY_RETRY_SECONDS
from dosecal.web.security import accounts, signed_in
from dosecal.words import Value, msg

account_pages = Blueprint("account", __name__, template_folder="templates")


def _proxy_signs_in() -> bool:
    """Whether a proxy names the nurse (``--trust-user-header``): then no password is used here."""
    return bool(current_app.config.get("DOSECAL_TRUST_USER_HEADER"))


def _page(errors: dict[str, list[Value]], status: int = 200, headers: dict[str, str] | None = None) -> Any:
    return (
        render_template(
            "account.html",
            proxy=_proxy_signs_in(),
            errors=errors,
            minimum=MIN_PASSWORD,
            notice=take_notice("web.account."),
        ),
        status,
        headers or {},
    )


@account_pages.get("/account")
@signed_in
def account_page() -> Any:
    """Her account: the form to change her password (or, behind a signing-in proxy, why there is none)."""
    return _page({})


def _current_refused(name: str, password: str) -> tuple[Value, int] | None:
    """Why the current password is refused and the status, or ``None`` when it is right.

    Checked as a sign-in is: in a hashing slot, counted against the name before the hash; a
    right one clears the count, as a sign-in does.
    """
    try:
        with accounts().hashing():
            if not accounts().attempt(name):
                return msg("web.signin.throttled", count=THROTTLE_MINUTES), 429
            if not accounts().authenticate(name, password):
                return msg("web.account.current_wrong"), 401
            accounts().succeeded(name)
    except Busy:
        return msg("error.users.busy"), 503
    return None


@account_pages.post("/account/password")
@signed_in
def set_own_password() -> Any:
    """Her new password: the current one right, the new one by the rules; her other sessions end."""
    if _proxy_signs_in():
        abort(404)
    name: str = g.user
    password = request.form.get("password", "")
    refused = _current_refused(name, request.form.get("current", ""))
    errors: dict[str, list[Value]] = {"current": [refused[0]]} if refused is not None else {}
    for field, said in password_errors(password, request.form.get("password2", "")).items():
        errors[field] = [*said]
    if errors:
        status = refused[1] if refused is not None else 422
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(THROTTLE_MINUTES * 60)
        elif status == 503:
            headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return _page(errors, status, headers)
    try:
        change_password(name, password)
    except (DatabaseBusy, DatabaseUnavailable):
        raise
    except StoreError:  # the account was removed meanwhile: her session with it
        abort(404)
    note("web.account.password_set")
    return redirect(url_for("account.account_page") + "#notice", code=303)
