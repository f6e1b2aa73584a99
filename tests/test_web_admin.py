"""The administrator's pages: accounts, teams and rights, the audit trail, and a plan given to another team.

What ``dosecal users``, ``dosecal audit`` and ``dosecal store team`` do on the server, an
administrator does in the browser, through the same library calls: an account added here signs
in at once and sees only her teams' plans; a team joined, a password reset or an account removed
holds from that person's next request; each change is an audit row with the administrator as
who, the account (or team) as subject and the client's address. Anyone else gets 404 on every
/admin address, exactly as on one that does not exist, and the last administrator stays one.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from dosecal.errors import StoreError
from dosecal.service.accounts import Accounts
from dosecal.service.audit import audit
from dosecal.service.database import database_url
from dosecal.service.store import Store
from dosecal.service.teams import Teams
from test_web import PASSWORD, Run, app, create, csrf, dosecal, sign_in

__all__ = ["app", "dosecal"]  # the clinic's fixtures, from the web tests

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def boss(app: Flask, dosecal: Run) -> tuple[FlaskClient, str]:
    """The clinic's one administrator (team clinic), signed in: her browser and its form token."""
    made = dosecal("users", "add", "boss", "--admin", input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    client = app.test_client()
    return client, sign_in(client, "boss")


def cli_entries(dosecal: Run, **only: str) -> list[dict[str, str]]:
    """The audit trail as ``dosecal audit --format json`` exports it, oldest first."""
    options = [f"--{k}={v}" for k, v in only.items()]
    out = dosecal("audit", "--format", "json", *options)
    assert out.exit_code == 0, out.output
    entries: list[dict[str, str]] = json.loads(out.output)["entries"]
    return entries


def page_text(html: str) -> str:
    """What a page says, tags and the form token left out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r'name="csrf" value="[^"]*"', "", html)))


def test_an_admin_adds_an_account_that_signs_in_and_sees_only_its_teams_plans(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    admin, token = boss
    caplog.set_level(logging.DEBUG)
    assert dosecal("users", "add", "anna", "--team", "oncology", input=PASSWORD + "\n").exit_code == 0
    anna, marie = app.test_client(), app.test_client()
    onco = create(anna, sign_in(anna, "anna"), "imatinib", label="oncology bed 3")
    clinic = create(marie, sign_in(marie), "imatinib", label="clinic bed 9")
    listed = admin.get("/admin")
    assert listed.status_code == 200
    assert all(f'id="account-{name}"' in listed.text for name in ("anna", "boss", "jchen", "mtremblay"))
    assert 'id="team-oncology"' in listed.text  # the teams known are offered as boxes
    made = admin.post(
        "/admin/users",
        data={
            "csrf": token,
            "name": "lea",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "team": "oncology",
        },
    )
    assert made.status_code == 303 and made.headers["Location"] == "/admin/users/lea#notice"
    shown = admin.get("/admin/users/lea").text
    assert "Account lea added: it can sign in now." in shown
    assert "Leave oncology" in shown and "Leave clinic" not in shown
    lea = app.test_client()
    sign_in(lea, "lea", NEW_PASSWORD)
    plans = lea.get("/plans").text
    assert "oncology bed 3" in plans and "clinic bed 9" not in plans
    assert lea.get(f"/plans/{onco}").status_code == 200 and lea.get(f"/plans/{clinic}").status_code == 404
    assert lea.get("/admin").status_code == 404  # an account, not an administrator
    added = [e for e in cli_entries(dosecal) if e["action"] == "user-add" and e["subject"] == "lea"]
    assert len(added) == 1
    assert added[0]["user"] == "boss" and added[0]["client"] == "127.0.0.1" and added[0]["plan_id"] == ""
    # The password is in no log line, audit row or page, even a page sent back with an error.
    again = admin.post(
        "/admin/users",
        data={"csrf": token, "name": "lea", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert again.status_code == 422 and "there is already a user &#39;lea&#39;" in again.text
    assert NEW_PASSWORD not in again.text
    assert NEW_PASSWORD not in caplog.text and NEW_PASSWORD not in dosecal("audit").output


def test_an_account_is_added_with_the_rules_of_users_add_and_none_made_on_an_error(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, token = boss
    form = {"csrf": token, "name": "lea", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    cases = {
        "name": ({"name": "l ea"}, "cannot be a user name"),
        "password": (
            {"password": "short", "password2": "short"},
            "the password must have at least 10 characters",
        ),
        "password2": (
            {"password2": NEW_PASSWORD + "!"},
            "The two passwords differ: type the same one twice.",
        ),
        "other_team": ({"other_team": "on cology"}, "cannot name a team"),
    }
    for field, (changed, words) in cases.items():
        answer = admin.post("/admin/users", data={**form, **changed})
        assert answer.status_code == 422, field
        beside = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', answer.text, re.DOTALL)
        assert beside and words in beside.group(1), (field, answer.text[-3000:])
        assert 'id="name" name="name" value="' + changed.get("name", "lea") + '"' in answer.text
    assert "lea" not in dosecal("users", "list").output
    # No team chosen: the clinic's, as 'users add' without --team; a new team typed, and rights.
    assert admin.post("/admin/users", data=form).status_code == 303
    both = {**form, "name": "jo", "team": "clinic", "other_team": "oncology", "admin": "1"}
    assert admin.post("/admin/users", data=both).status_code == 303
    listed = {line.split()[0]: line for line in dosecal("users", "list").output.splitlines()}
    assert listed["lea"].endswith("  clinic")
    assert listed["jo"].endswith("  clinic,oncology *")


def test_a_team_joined_on_the_pages_shows_its_plans_at_her_next_request(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, token = boss
    assert dosecal("users", "add", "anna", "--team", "oncology", input=PASSWORD + "\n").exit_code == 0
    anna, marie = app.test_client(), app.test_client()
    onco = create(anna, sign_in(anna, "anna"), "imatinib", label="oncology bed 3")
    sign_in(marie)
    assert marie.get(f"/plans/{onco}").status_code == 404
    joined = admin.post(
        "/admin/users/mtremblay/teams", data={"csrf": token, "action": "join", "team": "oncology"}
    )
    assert joined.status_code == 303
    assert "mtremblay joined oncology." in admin.get("/admin/users/mtremblay").text
    assert marie.get(f"/plans/{onco}").status_code == 200  # the same session, the next request
    assert "oncology bed 3" in marie.get("/plans").text
    left = admin.post(
        "/admin/users/mtremblay/teams", data={"csrf": token, "action": "leave", "team": "oncology"}
    )
    assert left.status_code == 303
    assert marie.get(f"/plans/{onco}").status_code == 404
    bad = admin.post(
        "/admin/users/mtremblay/teams", data={"csrf": token, "action": "join", "team": "on cology"}
    )
    assert bad.status_code == 422 and "cannot name a team" in bad.text
    assert dosecal("users", "teams", "mtremblay").output.strip() == "mtremblay sees the plans of: clinic"
    changes = [(e["user"], e["subject"]) for e in cli_entries(dosecal) if e["action"] == "user-teams"]
    assert changes == [("boss", "mtremblay"), ("boss", "mtremblay")]


def test_a_password_reset_refuses_the_old_one_opens_with_the_new_and_ends_her_sessions(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, token = boss
    marie = app.test_client()
    sign_in(marie)
    differ = admin.post(
        "/admin/users/mtremblay/password",
        data={"csrf": token, "password": NEW_PASSWORD, "password2": "other one!!"},
    )
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    assert marie.get("/plans").status_code == 200  # nothing changed
    done = admin.post(
        "/admin/users/mtremblay/password",
        data={"csrf": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done.status_code == 303
    assert "New password for mtremblay: their sessions are ended." in admin.get("/admin/users/mtremblay").text
    ended = marie.get("/plans")
    assert ended.status_code == 303 and ended.headers["Location"].startswith("/signin")
    old = app.test_client()
    token_old = csrf(old.get("/signin").text)
    refused = old.post("/signin", data={"csrf": token_old, "name": "mtremblay", "password": PASSWORD})
    assert refused.status_code == 401
    sign_in(app.test_client(), "mtremblay", NEW_PASSWORD)
    entry = [e for e in cli_entries(dosecal) if e["action"] == "user-password"]
    assert [(e["user"], e["subject"]) for e in entry] == [("boss", "mtremblay")]
    # Her own password: her other sessions end, this one goes on.
    elsewhere = app.test_client()
    sign_in(elsewhere, "boss")
    own = admin.post(
        "/admin/users/boss/password",
        data={"csrf": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert own.status_code == 303
    assert elsewhere.get("/admin").status_code == 303
    assert admin.get("/admin").status_code == 200


def test_a_removed_account_loses_its_session_its_teams_and_its_rights(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, token = boss
    assert dosecal("users", "teams", "jchen", "--join", "oncology", "--admin").exit_code == 0
    jchen = app.test_client()
    sign_in(jchen, "jchen")
    asked = admin.post("/admin/users/jchen/remove", data={"csrf": token})
    assert (
        asked.status_code == 200
        and "Are you sure?" in asked.text
        and 'name="confirm" value="1"' in asked.text
    )
    assert jchen.get("/plans").status_code == 200  # only asked: still there
    removed = admin.post("/admin/users/jchen/remove", data={"csrf": token, "confirm": "1"})
    assert removed.status_code == 303 and removed.headers["Location"] == "/admin#notice"
    page = admin.get("/admin").text
    assert "Account jchen removed: its sessions are ended." in page and 'id="account-jchen"' not in page
    gone = jchen.get("/plans")
    assert gone.status_code == 303 and gone.headers["Location"].startswith("/signin")
    again = app.test_client()
    token_again = csrf(again.get("/signin").text)
    assert (
        again.post("/signin", data={"csrf": token_again, "name": "jchen", "password": PASSWORD}).status_code
        == 401
    )
    assert admin.get("/admin/users/jchen").status_code == 404
    # A new account of that name starts afresh: no team or right of the one removed.
    form = {"csrf": token, "name": "jchen", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert admin.post("/admin/users", data=form).status_code == 303
    assert dosecal("users", "teams", "jchen").output.strip() == "jchen sees the plans of: clinic"
    removals = [(e["user"], e["subject"]) for e in cli_entries(dosecal) if e["action"] == "user-remove"]
    assert removals == [("boss", "jchen")]


def test_the_last_administrator_can_be_neither_unmade_nor_removed_and_the_page_says_why(
    app: Flask, database: str, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, token = boss
    page = admin.get("/admin/users/boss").text
    assert "boss is the last administrator: make another account an administrator first" in page
    assert 'id="unmake-admin"' not in page and 'id="remove-account"' not in page
    unmade = admin.post("/admin/users/boss/admin", data={"csrf": token, "admin": "0"})
    assert unmade.status_code == 409
    assert "boss is the last administrator" in re.sub(r"\s+", " ", unmade.text)
    removed = admin.post("/admin/users/boss/remove", data={"csrf": token, "confirm": "1"})
    assert removed.status_code == 409 and "This is your own account" in removed.text
    assert admin.get("/admin").status_code == 200
    assert dosecal("users", "teams", "boss").output.strip() == "boss sees every team's plans (teams: clinic)"
    # The library refuses it too, whoever asks (an administrator named by a proxy's header has no account).
    store = Store(database_url(database))
    try:
        with pytest.raises(StoreError, match="last administrator"):
            Accounts(store).remove("boss", keep_admin=True)
        with pytest.raises(StoreError, match="last administrator"):
            Teams(store.engine).make_admin("boss", False, keep_one=True)
        assert Teams(store.engine).administrators() == ["boss"]
    finally:
        store.close()
    # A second administrator, made on the pages, can open them at her next request; then boss may step down.
    marie = app.test_client()
    sign_in(marie)
    assert marie.get("/admin").status_code == 404
    assert admin.post("/admin/users/mtremblay/admin", data={"csrf": token, "admin": "1"}).status_code == 303
    assert marie.get("/admin").status_code == 200 and 'id="nav-admin"' in marie.get("/plans").text
    stepped = admin.post("/admin/users/boss/admin", data={"csrf": token, "admin": "0"})
    assert stepped.status_code == 303 and stepped.headers["Location"] == "/plans"
    assert admin.get("/admin").status_code == 404
    marie_token = csrf(marie.get("/admin").text)
    assert (
        marie.post("/admin/users/mtremblay/admin", data={"csrf": marie_token, "admin": "0"}).status_code
        == 409
    )


def test_a_nurse_who_is_not_an_administrator_gets_404_on_every_admin_address(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    marie = app.test_client()
    token = sign_in(marie)
    nothing = marie.get("/nothing-here")
    assert nothing.status_code == 404
    for path in (
        "/admin",
        "/admin/audit",
        "/admin/audit?user=boss",
        "/admin/users/jchen",
        "/admin/users/nobody",
    ):
        answer = marie.get(path)
        assert answer.status_code == 404, path
        assert page_text(answer.text) == page_text(nothing.text), path
    posts = {
        "/admin/users": {"name": "lea", "password": NEW_PASSWORD, "password2": NEW_PASSWORD, "admin": "1"},
        "/admin/users/jchen/password": {"password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        "/admin/users/jchen/teams": {"action": "join", "team": "oncology"},
        "/admin/users/mtremblay/admin": {"admin": "1"},
        "/admin/users/jchen/remove": {"confirm": "1"},
    }
    for path, form in posts.items():
        answer = marie.post(path, data={"csrf": token, **form})
        assert answer.status_code == 404, path
        assert page_text(answer.text) == page_text(nothing.text), path
    assert 'id="nav-admin"' not in marie.get("/plans").text
    listed = dosecal("users", "list").output
    assert "lea" not in listed and "jchen" in listed and not listed.splitlines()[2].endswith("*")
    assert not [e for e in cli_entries(dosecal) if e["client"] != "cli" and e["action"].startswith("user-")]
    sign_in(app.test_client(), "jchen")  # her password unchanged
    # Signed out: the sign-in page, as for every page.
    stranger = app.test_client().get("/admin/audit")
    assert stranger.status_code == 303 and stranger.headers["Location"] == "/signin?next=/admin/audit"


def test_an_admin_form_posted_without_this_sites_token_is_refused(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, token = boss
    form = {"name": "lea", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert admin.post("/admin/users", data=form).status_code == 400
    assert admin.post("/admin/users", data={**form, "csrf": token[:-2] + "xx"}).status_code == 400
    assert admin.post("/admin/users/jchen/remove", data={"confirm": "1"}).status_code == 400
    assert admin.post("/admin/users/boss/admin", data={"admin": "0"}).status_code == 400
    listed = dosecal("users", "list").output
    assert "lea" not in listed and "jchen" in listed


def test_the_audit_page_lists_the_trail_newest_first_filters_it_and_pages_it(
    app: Flask, database: str, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, token = boss
    marie = app.test_client()
    plan_id = create(marie, sign_in(marie), "imatinib")
    marie.get(f"/plans/{plan_id}")
    marie.get(f"/plans/{plan_id}/plan.csv")
    assert (
        admin.post(
            "/admin/users/jchen/teams", data={"csrf": token, "action": "join", "team": "oncology"}
        ).status_code
        == 303
    )

    def rows(path: str) -> list[list[str]]:
        answer = admin.get(path)
        assert answer.status_code == 200
        body = re.search(r"<tbody>(.*?)</tbody>", answer.text, re.DOTALL)
        if body is None:
            return []
        return [
            [
                html.unescape(page_text(cell)).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.DOTALL)
        ]

    shown = rows("/admin/audit")
    newest = [row[1:] for row in shown[:2]]
    assert newest == [
        ["boss", "Changed an account's teams or rights", "", "127.0.0.1", "jchen"],
        ["mtremblay", "Downloaded (CSV)", plan_id, "127.0.0.1", ""],
    ]
    # In words on the page; the code 'dosecal audit' prints is each cell's tooltip.
    assert 'title="download:csv">Downloaded (CSV)</td>' in admin.get("/admin/audit").text
    assert len(shown) == len(cli_entries(dosecal))  # every entry, as 'dosecal audit' has them
    hers = rows("/admin/audit?user=mtremblay")
    assert {row[1] for row in hers if row[2] != "Added an account"} == {"mtremblay"}
    assert [row[2] for row in hers][:2] == ["Downloaded (CSV)", "Was shown the feed link"] and hers[-1][
        2:
    ] == [
        "Added an account",
        "",
        "cli",
        "mtremblay",
    ]
    # An account's entries are also the changes made to it: by boss here, by 'users add' before.
    about = rows("/admin/audit?user=jchen")
    assert [(row[2], row[4], row[5]) for row in about] == [
        ("Changed an account's teams or rights", "127.0.0.1", "jchen"),
        ("Added an account", "cli", "jchen"),
    ]
    for_plan = rows(f"/admin/audit?plan={plan_id}")
    assert [row[2] for row in for_plan] == [
        "Downloaded (CSV)",
        "Was shown the feed link",
        "Opened the plan",
        "Made the plan",
    ]
    assert {row[3] for row in for_plan} == {plan_id}
    assert (
        rows("/admin/audit?plan=0123456789ab") == []
        and "No entry matches." in admin.get("/admin/audit?plan=0123456789ab").text
    )
    # 230 entries of one plan: 100 a page, newest first, each page read after the one before.
    start = datetime(2027, 3, 1, tzinfo=UTC)
    engine = sa.create_engine(database_url(database))
    with engine.begin() as c:
        c.execute(
            audit.insert(),
            [
                {
                    "at": start + timedelta(minutes=n),
                    "user": "op",
                    "action": "view",
                    "plan_id": "bulk",
                    "subject": f"n{n:03}",
                }
                for n in range(230)
            ],
        )
    engine.dispose()
    seen: list[str] = []
    path: str | None = "/admin/audit?plan=bulk"
    while path is not None:
        page = admin.get(path).text
        seen += [row[5] for row in rows(path)]
        older = re.search(r'<a href="([^"]+)" id="older"', page)
        path = older.group(1).replace("&amp;", "&") if older else None
    assert seen == [f"n{n:03}" for n in reversed(range(230))]
    assert len(rows("/admin/audit?plan=bulk")) == 100
    assert rows("/admin/audit?plan=bulk&before=nonsense")[0][5] == "n229"  # a bad cursor: the first page


def test_a_plan_is_given_to_another_team_by_an_admin_or_a_nurse_in_both_teams(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, admin_token = boss
    for name, teams in (("anna", ("oncology",)), ("lea", ("clinic", "oncology"))):
        extra = [arg for team in teams for arg in ("--team", team)]
        assert dosecal("users", "add", name, *extra, input=PASSWORD + "\n").exit_code == 0
    anna, lea, marie = app.test_client(), app.test_client(), app.test_client()
    anna_token = sign_in(anna, "anna")
    lea_token = sign_in(lea, "lea")
    sign_in(marie)
    plan_id = create(anna, anna_token, "imatinib", label="moved bed 4")
    # Anna is in one team: nothing to offer her; a post is refused as for a plan she cannot move.
    assert 'id="move-plan"' not in anna.get(f"/plans/{plan_id}").text
    assert anna.post(f"/plans/{plan_id}/team", data={"csrf": anna_token, "team": "clinic"}).status_code == 404
    assert (
        marie.post(
            f"/plans/{plan_id}/team", data={"csrf": csrf(marie.get("/plans").text), "team": "clinic"}
        ).status_code
        == 404
    )
    page = lea.get(f"/plans/{plan_id}").text
    assert "This plan belongs to team oncology" in page
    assert re.findall(r'<option value="([^"]+)"', page) == ["clinic"]
    asked = lea.post(f"/plans/{plan_id}/team", data={"csrf": lea_token, "team": "clinic"})
    assert asked.status_code == 200 and "Are you sure?" in asked.text
    assert marie.get(f"/plans/{plan_id}").status_code == 404  # only asked
    moved = lea.post(f"/plans/{plan_id}/team", data={"csrf": lea_token, "team": "clinic", "confirm": "1"})
    assert moved.status_code == 303 and moved.headers["Location"] == f"/plans/{plan_id}#team"
    assert "Moved to team clinic." in lea.get(f"/plans/{plan_id}").text
    assert marie.get(f"/plans/{plan_id}").status_code == 200 and "moved bed 4" in marie.get("/plans").text
    assert anna.get(f"/plans/{plan_id}").status_code == 404
    notmine = lea.post(
        f"/plans/{plan_id}/team", data={"csrf": lea_token, "team": "hematology", "confirm": "1"}
    )
    assert notmine.status_code == 422 and "Choose one of the teams listed." in notmine.text
    # An administrator may give it to any team the clinic has.
    assert dosecal("users", "teams", "jchen", "--join", "hematology").exit_code == 0
    offered = re.findall(r'<option value="([^"]+)"', admin.get(f"/plans/{plan_id}").text)
    assert offered == ["hematology", "oncology"]
    done = admin.post(
        f"/plans/{plan_id}/team", data={"csrf": admin_token, "team": "hematology", "confirm": "1"}
    )
    assert done.status_code == 303
    assert lea.get(f"/plans/{plan_id}").status_code == 404
    moves = [
        (e["user"], e["plan_id"], e["subject"], e["client"])
        for e in cli_entries(dosecal)
        if e["action"] == "team"
    ]
    assert moves == [("lea", plan_id, "clinic", "127.0.0.1"), ("boss", plan_id, "hematology", "127.0.0.1")]


@pytest.mark.parametrize("second", ["unmade", "removed"])
def test_two_administrators_taken_away_at_once_leave_one(database: str, dosecal: Run, second: str) -> None:
    """A change on the pages waits for one in flight elsewhere, then sees it: one administrator stays.

    PostgreSQL: the page's change locks the administrators' rows first, so it waits for the row
    deleted elsewhere and then counts without it. SQLite: one writer at a time.
    """
    import threading

    from dosecal.service.teams import admins

    for name in ("ada", "bea"):
        assert dosecal("users", "add", name, "--admin", input=PASSWORD + "\n").exit_code == 0
    store = Store(database_url(database))
    teams = Teams(store.engine)
    refused: list[StoreError] = []

    def take_bea() -> None:
        try:
            if second == "unmade":
                teams.make_admin("bea", False, keep_one=True)
            else:
                Accounts(store).remove("bea", keep_admin=True)
        except StoreError as exc:
            refused.append(exc)

    try:
        with store.engine.begin() as c:  # ada's rights taken (as 'users teams --no-admin'), not committed yet
            c.execute(admins.delete().where(admins.c.user == "ada"))
            other = threading.Thread(target=take_bea)
            other.start()
            other.join(timeout=1)
            assert other.is_alive()  # waiting for the first change
        other.join(timeout=30)
        assert not other.is_alive()
        assert len(refused) == 1 and "bea is the last administrator" in str(refused[0])
        assert teams.administrators() == ["bea"]
    finally:
        store.close()


def test_every_audit_action_has_words_on_the_audit_page() -> None:
    from dosecal.service.audit import ACTIONS
    from dosecal.web.admin import action_words
    from dosecal.words import ENGLISH

    assert all(action_words(a) != a for a in ACTIONS)  # each one in words, none left as a code
    assert ENGLISH.text(action_words("download:pdf")) == "Downloaded (PDF)"
    assert action_words("something-new") == "something-new"  # a code the page does not know yet
