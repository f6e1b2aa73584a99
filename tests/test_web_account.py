"""A nurse changes her own password at /account, as ``dosecal users passwd`` sets one.

The current password is checked as a sign-in checks it (and counted as one); the new one follows
the rules of ``users passwd`` and the administrator's form, in the same words. Once changed, her
other sessions end while this browser stays signed in, and the audit trail has a
``user-password`` row with her as who and as subject. Behind a proxy that signs people in, no
password is used: the page says so and has no form. On SQLite and PostgreSQL (``database``).
"""

from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from dosecal.service.database import database_url
from dosecal.service.store import Store
from dosecal.web import create_app
from test_web import PASSWORD, PUBLIC, Run, app, csrf, dosecal, error_beside, sign_in
from test_web_admin import cli_entries

__all__ = ["app", "dosecal"]  # the clinic's fixtures, from the web tests

NEW_PASSWORD = "a brand new passphrase"


def change(client: FlaskClient, token: str, current: str, new: str, again: str | None = None) -> TestResponse:
    """Send the form of /account: the current password, the new one and (by default) the same again."""
    return client.post(
        "/account/password",
        data={
            "csrf": token,
            "current": current,
            "password": new,
            "password2": new if again is None else again,
        },
    )


def signs_in(app: Flask, name: str, password: str) -> int:
    """The status a sign-in with ``password`` gets in a fresh browser (303: signed in)."""
    client = app.test_client()
    token = csrf(client.get("/signin").text)
    return client.post("/signin", data={"csrf": token, "name": name, "password": password}).status_code


def test_the_header_links_to_her_account_page_and_signed_out_goes_to_sign_in(app: Flask) -> None:
    marie = app.test_client()
    away = marie.get("/account")
    assert away.status_code == 303 and away.headers["Location"].startswith("/signin?next=/account")
    sign_in(marie)
    plans = marie.get("/plans").text
    assert 'href="/account" id="nav-account">Signed in as mtremblay</a>' in plans
    page = marie.get("/account")
    assert page.status_code == 200
    assert 'id="current"' in page.text and 'id="password"' in page.text and 'id="password2"' in page.text
    assert "At least 10 characters." in page.text  # the rule, as on the administrator's form


def test_her_new_password_opens_at_the_next_sign_in_and_the_old_one_is_refused(
    app: Flask, dosecal: Run
) -> None:
    marie = app.test_client()
    token = sign_in(marie)
    done = change(marie, token, PASSWORD, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/account#notice"
    shown = marie.get("/account")
    assert shown.status_code == 200  # this browser stays signed in
    assert "Your password is changed: your other sessions are ended." in shown.text
    assert signs_in(app, "mtremblay", PASSWORD) == 401
    assert signs_in(app, "mtremblay", NEW_PASSWORD) == 303
    changed = [e for e in cli_entries(dosecal) if e["action"] == "user-password"]
    assert [(e["user"], e["subject"], e["client"]) for e in changed] == [
        ("mtremblay", "mtremblay", "127.0.0.1")
    ]
    assert NEW_PASSWORD not in dosecal("audit").output


def test_a_second_browsers_session_of_hers_ends_and_this_one_goes_on(app: Flask) -> None:
    here, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    token = sign_in(here)
    sign_in(phone)
    sign_in(colleague, "jchen")
    assert change(here, token, PASSWORD, NEW_PASSWORD).status_code == 303
    ended = phone.get("/plans")
    assert ended.status_code == 303 and ended.headers["Location"].startswith("/signin")
    assert here.get("/plans").status_code == 200
    assert colleague.get("/plans").status_code == 200  # another person's session is hers to keep
    # The new session has a new form token: the form goes on working in this browser.
    again = csrf(here.get("/account").text)
    assert change(here, again, NEW_PASSWORD, NEW_PASSWORD + "!").status_code == 303


def test_a_wrong_current_password_changes_nothing_says_only_that_and_counts_as_a_failed_sign_in(
    app: Flask, dosecal: Run
) -> None:
    marie, phone = app.test_client(), app.test_client()
    token = sign_in(marie)
    sign_in(phone)
    wrong = change(marie, token, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 401
    assert error_beside(wrong.text, "current") == "The current password is not right."
    assert 'aria-invalid="true" aria-describedby="current-error"' in wrong.text
    assert "not my password" not in wrong.text and NEW_PASSWORD not in wrong.text
    assert phone.get("/plans").status_code == 200  # no session ended
    assert signs_in(app, "mtremblay", NEW_PASSWORD) == 401
    assert not [e for e in cli_entries(dosecal) if e["action"] == "user-password"]
    # Counted with the sign-in page's failures: ten wrong in all (two so far) lock the name, even
    # for the right password, here and on the sign-in page.
    for _ in range(8):
        assert change(marie, token, "not my password", NEW_PASSWORD).status_code == 401
    locked = change(marie, token, PASSWORD, NEW_PASSWORD)
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert signs_in(app, "mtremblay", PASSWORD) == 429
    assert signs_in(app, "mtremblay", NEW_PASSWORD) == 429


def test_a_new_password_too_short_is_refused_with_the_rule_of_users_passwd(app: Flask, dosecal: Run) -> None:
    marie = app.test_client()
    token = sign_in(marie)
    short = change(marie, token, PASSWORD, "short")
    assert short.status_code == 422
    assert "the password must have at least 10 characters" in error_beside(short.text, "password")
    assert 'id="current-error"' not in short.text  # the current one was right
    piped = dosecal("users", "passwd", "mtremblay", input="short\n")  # the command line's words
    assert piped.exit_code != 0 and "the password must have at least 10 characters" in html.unescape(
        piped.output
    )
    assert signs_in(app, "mtremblay", PASSWORD) == 303
    assert signs_in(app, "mtremblay", "short") == 401


def test_two_different_new_passwords_are_refused(app: Flask) -> None:
    marie = app.test_client()
    token = sign_in(marie)
    differ = change(marie, token, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 422
    assert error_beside(differ.text, "password2") == "The two passwords differ: type the same one twice."
    assert signs_in(app, "mtremblay", NEW_PASSWORD) == 401
    assert signs_in(app, "mtremblay", PASSWORD) == 303


def test_a_change_without_this_sites_form_token_is_refused(app: Flask) -> None:
    marie = app.test_client()
    sign_in(marie)
    for token in ("", "forged"):
        refused = change(marie, token, PASSWORD, NEW_PASSWORD)
        assert refused.status_code == 400
    assert (
        marie.post(
            "/account/password",
            data={"current": PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        ).status_code
        == 400
    )
    assert signs_in(app, "mtremblay", PASSWORD) == 303


def test_behind_a_proxy_that_signs_people_in_the_page_says_no_password_is_used(
    database: str, dosecal: Run
) -> None:
    store = Store(database_url(database))
    try:
        client = create_app(store, public_url=PUBLIC, trust_user_header="X-Remote-User").test_client()
        headers = {"X-Remote-User": "proxy.nurse"}
        page = client.get("/account", headers=headers)
        assert page.status_code == 200
        assert (
            "The clinic's sign-on signs you in to these pages: they use no password of yours."
            in html.unescape(page.text)
        )
        assert 'id="current"' not in page.text and "/account/password" not in page.text
        token = csrf(client.get("/plans/new?schedule=dasatinib", headers=headers).text)  # a form's
        posted = client.post(
            "/account/password",
            headers=headers,
            data={"csrf": token, "current": "x", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert posted.status_code == 404
        assert client.get("/account").status_code == 403  # no header: nobody, as on every page
    finally:
        store.close()
