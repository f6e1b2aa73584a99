"""The clinic's web pages through Flask's test client: forms, errors, accounts and safety.

A nurse signs in, makes a plan from a form checked by the command line's own code (so a wrong
value reads exactly as ``dosecal generate`` says it, beside its field), adjusts it after seeing
what moves, and shares its feed. The safety rules are tested here too: no form is accepted
without this site's token, nothing of a plan shows to someone signed out, a cookie copied
before sign-out opens nothing after it, every answer carries the security headers, the label
reaches neither a feed nor a log line, and every change records who made it.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from dosecal.cli import main
from dosecal.service.database import database_url
from dosecal.service.store import Store
from dosecal.web import create_app

PUBLIC = "https://plans.example.org"
LABEL = "Jane Roe MRN-4471"
PASSWORD = "correct horse battery"
Run = Callable[..., Result]

#: An interruption in the adjust form's fields: ``--interrupt C1D10@14:00=6h:cause=toxicity``.
INTERRUPTION = {
    "interrupt_cycle": "1",
    "interrupt_day": "10",
    "interrupt_at": "14:00",
    "interrupt_length": "6",
    "interrupt_unit": "h",
    "interrupt_cause": "toxicity",
}


@pytest.fixture
def dosecal(database: str) -> Run:
    """The command line on this test's database, migrated from empty."""

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main, list(args), env={"DOSECAL_DB": database, "DOSECAL_PUBLIC_URL": PUBLIC}, input=input
        )

    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "at schema 0010" in upgraded.output
    return run


@pytest.fixture
def app(database: str, dosecal: Run) -> Iterator[Flask]:
    """The app on the migrated store, with two accounts, the clinic's zone Toronto."""
    for name in ("mtremblay", "jchen"):
        made = dosecal("users", "add", name, input=PASSWORD + "\n")
        assert made.exit_code == 0, made.output
    store = Store(database_url(database))
    app = create_app(store, public_url=PUBLIC, default_tz="America/Toronto")
    yield app
    store.close()


def csrf(page: str) -> str:
    """The form token a page carries."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:400]
    return found.group(1)


def sign_in(client: FlaskClient, name: str = "mtremblay", password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's form token."""
    token = csrf(client.get("/signin").text)
    answer = client.post("/signin", data={"csrf": token, "name": name, "password": password})
    assert answer.status_code == 303, answer.text
    return csrf(client.get("/plans").text)


def error_beside(page: str, field: str) -> str:
    """The message shown beside ``field`` (its ``FIELD-error`` paragraph), as the nurse reads it."""
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', page, re.DOTALL)
    assert found, f"no error beside {field}"
    return html.unescape(re.sub(r"<br>", "\n", found.group(1)))


def create(client: FlaskClient, token: str, schedule: str = "blinatumomab-mrd", **fields: str) -> str:
    """Make a plan through the form; returns its id."""
    data = {"csrf": token, "schedule": schedule, "start": "2027-01-04", "tz": "America/Toronto", "lang": "en"}
    if schedule.startswith(("blinatumomab", "dasatinib-blinatumomab")):
        data["weight"] = "70"  # the doses depend on it: the page asks for it (an adult, 45 kg or more)
    data.update(fields)
    answer = client.post(f"/plans/new?schedule={schedule}", data=data)
    assert answer.status_code == 303, answer.text
    found = re.search(r"/plans/(\w+)$", answer.headers["Location"])
    assert found
    return found.group(1)


def test_users_are_managed_from_the_command_line_with_the_password_from_standard_input(dosecal: Run) -> None:
    assert dosecal("users", "add", "mtremblay", input=PASSWORD + "\n").exit_code == 0
    short = dosecal("users", "add", "jchen", input="short\n")
    assert short.exit_code == 1
    assert "the password must have at least 10 characters" in short.output
    taken = dosecal("users", "add", "mtremblay", input=PASSWORD + "\n")
    assert "there is already a user 'mtremblay'" in taken.output
    bad = dosecal("users", "add", "m tremblay", input=PASSWORD + "\n")
    assert "cannot be a user name" in bad.output
    listed = dosecal("users", "list")
    assert listed.output.split()[0] == "mtremblay"
    assert PASSWORD not in listed.output
    assert dosecal("users", "passwd", "mtremblay", input="another long one\n").exit_code == 0
    assert dosecal("users", "remove", "mtremblay").exit_code == 0
    assert "no user 'mtremblay'" in dosecal("users", "remove", "mtremblay").output
    assert "--password" not in dosecal("users", "add", "--help").output


def test_a_password_is_kept_as_a_salted_scrypt_hash(database: str, dosecal: Run) -> None:
    import sqlalchemy as sa

    dosecal("users", "add", "mtremblay", input=PASSWORD + "\n")
    dosecal("users", "add", "jchen", input=PASSWORD + "\n")
    engine = sa.create_engine(database_url(database))
    with engine.connect() as c:
        hashes = [row[0] for row in c.execute(sa.text("SELECT password_hash FROM users"))]
    engine.dispose()
    assert all(h.startswith("scrypt$32768$8$1$") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # each has its own salt


def test_a_signed_out_nurse_is_sent_to_sign_in_and_sees_no_plan(app: Flask) -> None:
    nurse = app.test_client()
    plan_id = create(nurse, sign_in(nurse), label=LABEL)
    stranger = app.test_client()
    for path in ("/plans", f"/plans/{plan_id}", f"/plans/{plan_id}/plan.html", f"/plans/{plan_id}/plan.ics",
                 f"/plans/{plan_id}/adjust", "/plans/new", "/plans?q=Jane"):  # fmt: skip
        answer = stranger.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["Location"].startswith("/signin?next=")
        assert LABEL not in answer.text and plan_id not in answer.text.replace(answer.headers["Location"], "")


def test_a_wrong_password_or_unknown_name_gets_one_message(app: Flask) -> None:
    client = app.test_client()
    for name, password in (("mtremblay", "wrong password!"), ("nobody", PASSWORD)):
        token = csrf(client.get("/signin").text)
        answer = client.post("/signin", data={"csrf": token, "name": name, "password": password})
        assert answer.status_code == 401
        assert "The user name or the password is not right." in answer.text
    assert client.get("/plans").status_code == 303


def test_a_form_posted_without_this_sites_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    form = {"schedule": "blinatumomab-mrd", "start": "2027-01-04", "tz": "America/Toronto", "label": LABEL}
    missing = client.post("/plans/new?schedule=blinatumomab-mrd", data=form)
    wrong = client.post("/plans/new?schedule=blinatumomab-mrd", data={**form, "csrf": token[:-2] + "xx"})
    assert missing.status_code == 400 and wrong.status_code == 400
    assert "did not come from this site" in wrong.text
    assert LABEL not in client.get("/plans").text  # nothing was stored
    plan_id = create(client, token)
    assert client.post(f"/plans/{plan_id}/feed", data={"action": "revoke"}).status_code == 400
    assert client.post("/signout").status_code == 400
    # Another browser's token does not do either: tokens belong to their session.
    other = app.test_client()
    other_token = sign_in(other, "jchen")
    assert (
        client.post(f"/plans/{plan_id}/feed", data={"action": "revoke", "csrf": other_token}).status_code
        == 400
    )
    login = app.test_client().post("/signin", data={"name": "mtremblay", "password": PASSWORD})
    assert login.status_code == 400


def test_a_session_cookie_replayed_after_sign_out_opens_nothing(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    stolen = client.get_cookie("dosecal_session")
    assert stolen is not None
    assert client.post("/signout", data={"csrf": token}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("dosecal_session", stolen.value)
    answer = thief.get("/plans")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/signin")
    assert (
        thief.post(
            "/plans/new?schedule=blinatumomab-mrd", data={"csrf": token, "start": "2027-01-04"}
        ).status_code
        == 303
    )


def test_a_new_password_ends_every_session_of_the_account(app: Flask, dosecal: Run) -> None:
    client = app.test_client()
    sign_in(client)
    assert client.get("/plans").status_code == 200
    assert dosecal("users", "passwd", "mtremblay", input="a new long password\n").exit_code == 0
    assert client.get("/plans").status_code == 303


def test_every_answer_carries_the_security_headers(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/signin").headers["Set-Cookie"]
    cookie = client.get("/signin").headers.get("Set-Cookie", "") or ""
    token = sign_in(client)
    plan_id = create(client, token)
    for path in ("/signin", "/plans", "/plans/new", "/plans/new?schedule=dasatinib", f"/plans/{plan_id}",
                 f"/plans/{plan_id}/adjust", "/plans/nosuchplan", f"/plans/{plan_id}/plan.pdf"):  # fmt: skip
        h = client.get(path).headers
        csp = h["Content-Security-Policy"]
        assert (
            "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        ), path
        assert h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["Cache-Control"] == "no-store"
    printable = client.get(f"/plans/{plan_id}/plan.html").headers
    assert "script-src" not in printable["Content-Security-Policy"]  # default-src 'none': no script at all
    assert "default-src 'none'" in printable["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in printable["Content-Security-Policy"]
    assert printable["X-Frame-Options"] == "SAMEORIGIN"
    del cookie


def test_the_session_cookie_is_httponly_samesite_and_secure_on_https(app: Flask, database: str) -> None:
    client = app.test_client()
    token = csrf(client.get("/signin").text)
    answer = client.post("/signin", data={"csrf": token, "name": "mtremblay", "password": PASSWORD})
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    store = Store(database_url(database))
    plain = create_app(store, public_url="http://127.0.0.1:8080").test_client()
    token = csrf(plain.get("/signin").text)
    answer = plain.post("/signin", data={"csrf": token, "name": "mtremblay", "password": PASSWORD})
    assert "Secure" not in answer.headers["Set-Cookie"]
    store.close()


def test_a_wrong_date_is_shown_beside_its_field_in_the_command_lines_words(
    app: Flask, tmp_path: Path
) -> None:
    client = app.test_client()
    token = sign_in(client)
    answer = client.post(
        "/plans/new?schedule=blinatumomab-mrd",
        data={"csrf": token, "schedule": "blinatumomab-mrd", "start": "2027-02-30", "tz": "America/Torontoo",
              "time.blinatumomab": "25:00", "lang": "en"},
    )  # fmt: skip
    assert answer.status_code == 422
    cli = CliRunner().invoke(main, ["generate", "blinatumomab-mrd", "--start", "2027-02-30", "--tz", "UTC"])
    assert cli.exit_code == 1
    assert error_beside(answer.text, "start") in cli.output
    assert (
        error_beside(answer.text, "start")
        == "'2027-02-30' is not a date written YYYY-MM-DD (e.g. 2027-01-04)"
    )
    zone = CliRunner().invoke(
        main, ["generate", "blinatumomab-mrd", "--start", "2027-01-04", "--tz", "America/Torontoo"]
    )
    assert error_beside(answer.text, "tz") in zone.output
    assert "America/Toronto" in error_beside(answer.text, "tz")  # did you mean
    assert error_beside(answer.text, "times")
    assert 'aria-invalid="true"' in answer.text
    # What was typed stays in the form.
    assert 'value="2027-02-30"' in answer.text


def test_an_empty_or_placeless_zone_is_refused_beside_its_field_never_the_servers(app: Flask) -> None:
    """Left empty, the zone was the server's (UTC): every dose 5 hours off on a Montréal phone."""
    client = app.test_client()
    token = sign_in(client)
    data = {"csrf": token, "schedule": "dasatinib", "start": "2027-01-04", "lang": "en"}
    empty = client.post("/plans/new?schedule=dasatinib", data={**data, "tz": ""})
    assert empty.status_code == 422
    assert error_beside(empty.text, "tz") == "No time zone: give the patient's, such as America/Toronto."
    est = client.post("/plans/new?schedule=dasatinib", data={**data, "tz": "EST"})
    assert est.status_code == 422
    assert "(did you mean 'America/Toronto'?)" in error_beside(est.text, "tz")
    assert "/plans/" not in est.headers.get("Location", "")


def test_a_missing_choice_is_shown_beside_the_choices(app: Flask) -> None:
    """Asked for 2 inotuzumab cycles without the response after cycle 1: the choice is asked for."""
    client = app.test_client()
    token = sign_in(client)
    form = {"csrf": token, "schedule": "inotuzumab", "start": "2027-01-04", "tz": "America/Toronto"}
    answer = client.post("/plans/new?schedule=inotuzumab", data={**form, "cycles": "2"})
    assert answer.status_code == 422
    assert error_beside(answer.text, "choices") == (
        "The care team's choice of response after cycle 1 is needed: choose it under the choices,"
        " or plan fewer cycles."
    )


def test_a_plan_made_before_the_response_plans_cycle_1(app: Flask) -> None:
    """The response is decided after cycle 1: without it, cycle 1 is planned, and the decision shown."""
    client = app.test_client()
    token = sign_in(client)
    form = {"csrf": token, "schedule": "inotuzumab", "start": "2027-01-04", "tz": "America/Toronto"}
    made = client.post("/plans/new?schedule=inotuzumab", data=form)
    assert made.status_code == 303
    course = app.extensions["dosecal.service.store"].plans()[0].course()
    assert course.planned_cycles == 1
    assert [o.title for o in course if o.kind.value == "visit"] == [
        "Your care team decides: response after cycle 1"
    ]


def test_the_new_plan_form_has_the_clinics_defaults(app: Flask) -> None:
    client = app.test_client()
    sign_in(client)
    page = client.get("/plans/new?schedule=nilotinib").text
    assert 'id="tz" name="tz" value="America/Toronto"' in page
    assert re.search(r'name="time\.nilotinib" value="\d\d:\d\d,\d\d:\d\d"', page)
    assert "Nilotinib" in page  # the schedule's text beside the form
    picker = client.get("/plans/new").text
    assert 'href="/plans/new?schedule=blinatumomab-rr"' in picker


def field_ids(page: str) -> set[str]:
    """The ids of a page's input fields."""
    return set(re.findall(r'<input [^>]*id="([^"]+)"', page))


def test_the_form_asks_cycles_only_of_a_schedule_with_cycles_and_until_of_a_daily_drug(app: Flask) -> None:
    """A daily drug has no cycles (any value was refused) but a last day to plan (--until)."""
    from dosecal.model.plan import DEFAULT_HORIZON_DAYS

    client = app.test_client()
    sign_in(client)
    for schedule, cycles, until in (
        ("dasatinib", False, True),
        ("imatinib", False, True),
        ("inotuzumab", True, False),
        ("blinatumomab-rr", True, False),
        ("dasatinib-blinatumomab", True, True),
    ):
        page = client.get(f"/plans/new?schedule={schedule}").text
        assert ("cycles" in field_ids(page), "until" in field_ids(page)) == (cycles, until), schedule
        assert ("Cycles to plan" in page, "Plan through" in page) == (cycles, until), schedule
    # The hint gives what dosecal generate plans without --until.
    daily = client.get("/plans/new?schedule=dasatinib").text
    assert f"Leave empty for {DEFAULT_HORIZON_DAYS} days from the start date." in daily
    both = client.get("/plans/new?schedule=dasatinib-blinatumomab").text
    assert "Leave empty to plan to the end of the last cycle." in both
    cli = CliRunner().invoke(main, ["generate", "dasatinib", "--start", "2027-01-04", "--tz", "UTC"])
    assert cli.exit_code == 0 and "Planned through Sat 3 Apr 2027" in cli.output  # 90 days
    client.get("/lang/fr")
    french = client.get("/plans/new?schedule=dasatinib").text
    assert "Planifier jusqu'au" in html.unescape(french)
    assert f"Laissez vide pour {DEFAULT_HORIZON_DAYS} jours" in french


def test_a_daily_drug_planned_through_a_date_in_the_browser_ends_on_that_date(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    import csv
    import io

    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "dasatinib", until="2027-06-30")
    exported = dosecal("store", "export", plan_id)
    assert exported.exit_code == 0 and "until = 2027-06-30" in exported.output
    rows = list(csv.DictReader(io.StringIO(client.get(f"/plans/{plan_id}/plan.csv").text)))
    doses = [r for r in rows if r["kind"] == "dose" and r["status"] == "planned"]
    assert doses[-1]["start"].startswith("2027-06-30T")
    assert date.fromisoformat(doses[-1]["start"][:10]).strftime("%a") == "Wed"
    printable = html.unescape(re.sub(r"<[^>]+>", " ", client.get(f"/plans/{plan_id}/plan.html").text))
    assert "Planned through Wed 30 Jun 2027" in " ".join(printable.split())
    # The exported plan file gives the same calendar on the command line.
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(exported.output, encoding="utf-8")
    cli = CliRunner().invoke(main, ["generate", "--plan", str(plan_file), "--format", "csv", "-o", "-"])
    assert cli.exit_code == 0, cli.output
    assert list(csv.DictReader(io.StringIO(cli.output)))[-1]["start"] == doses[-1]["start"]


def test_a_wrong_plan_through_date_is_shown_beside_its_field_in_the_command_lines_words(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    form = {
        "csrf": token,
        "schedule": "dasatinib",
        "start": "2027-01-04",
        "tz": "America/Toronto",
        "lang": "en",
    }
    for until, option in (("2027-06-31", "--until"), ("2026-06-30", "until")):
        answer = client.post("/plans/new?schedule=dasatinib", data={**form, "until": until})
        assert answer.status_code == 422
        cli = CliRunner().invoke(
            main, ["generate", "dasatinib", "--start", "2027-01-04", "--tz", "UTC", "--until", until]
        )
        assert cli.exit_code == 1
        said = error_beside(answer.text, "until")
        assert said in cli.output and f"{option}: {said}" in cli.output
        assert f'value="{until}"' in answer.text  # what was typed stays
        assert '<a href="#until">Plan through: ' in answer.text  # the summary links to it
    assert (
        error_beside(
            client.post("/plans/new?schedule=dasatinib", data={**form, "until": "30/06/2027"}).text, "until"
        )
        == "'30/06/2027' is not a date written YYYY-MM-DD (e.g. 2027-01-04)"
    )


def test_a_plan_made_in_the_browser_records_the_nurse_and_its_calendar_is_generates(
    app: Flask, database: str, dosecal: Run, tmp_path: Path
) -> None:
    """The core flow, on SQLite and PostgreSQL: create, see, download, adjust, share."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, label=LABEL, **{"contact.daytime": "514-555-0100"})
    page = client.get(f"/plans/{plan_id}").text
    assert LABEL in page and "mtremblay" in page and "Plan made (version 1)" in page
    assert 'src="data:image/svg+xml' in page  # the QR code of the fresh feed link
    token_in_page = re.search(r"https://plans\.example\.org/feeds/([\w-]+)\.ics", page)
    assert token_in_page
    # The downloaded calendar is the feed's, which is what dosecal generate --feed gives.
    ics = client.get(f"/plans/{plan_id}/plan.ics")
    assert ics.headers["Content-Type"].startswith("text/calendar")
    plan, definition, out = tmp_path / "plan.toml", tmp_path / "definition.toml", tmp_path / "g.ics"
    assert dosecal("store", "export", plan_id, "-o", str(plan)).exit_code == 0
    assert dosecal("store", "export", plan_id, "--definition", "-o", str(definition)).exit_code == 0
    generated = CliRunner().invoke(
        main, ["generate", str(definition), "--plan", str(plan), "--feed", "-o", str(out)]
    )
    assert generated.exit_code == 0, generated.output
    assert ics.data == out.read_bytes()
    assert LABEL.encode() not in ics.data
    assert 'daytime = "514-555-0100"' in plan.read_text(encoding="utf-8")
    printable = client.get(f"/plans/{plan_id}/plan.html").text
    assert token_in_page.group(0) in printable  # the printout carries the feed link
    # Adjust: a first post shows what moves and saves nothing.
    adjust = {"csrf": token, "version": "1", "delay_cycle": "2", "delay_days": "7", "note": "low counts"}
    preview = client.post(f"/plans/{plan_id}/adjust", data=adjust)
    assert preview.status_code == 200
    assert "Cycle 2 and everything after it delayed by 7 days" in preview.text
    assert "Mon 15 Feb 2027" in html.unescape(preview.text) and "Mon 22 Feb 2027" in html.unescape(
        preview.text
    )
    assert "version 1" in client.get(f"/plans/{plan_id}").text
    saved = client.post(f"/plans/{plan_id}/adjust", data={**adjust, "confirm": "1"})
    assert saved.status_code == 303
    history = dosecal("store", "show", plan_id).output
    assert (
        "version 2  adjust by mtremblay: Cycle 2 and everything after it delayed by 7 days (low counts)"
        in history
    )
    assert "version 1  add by mtremblay" in history
    # The feed moved with it.
    feed = app.test_client().get(f"/feeds/{token_in_page.group(1)}.ics")
    assert feed.status_code == 200 and b"DTSTART;TZID=America/Toronto:20270222" in feed.data
    assert LABEL.encode() not in feed.data


def test_changes_are_dated_in_the_clinics_zone_not_utc(app: Flask, database: str) -> None:
    from zoneinfo import ZoneInfo

    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    store = Store(database_url(database))
    (change,) = store.history(plan_id)
    store.close()
    local = change.at.astimezone(ZoneInfo("America/Toronto"))  # the app's --default-tz
    clock = f"{local:%H:%M}"
    expected = f"{local:%a} {local.day} {local:%b %Y} {clock}"  # as "Mon 4 Jan 2027 09:30"
    page = html.unescape(client.get(f"/plans/{plan_id}").text)
    assert expected in page and "UTC" not in page
    assert expected in html.unescape(client.get("/plans").text)


def test_an_adjustment_made_from_an_older_version_is_refused_clearly(app: Flask, dosecal: Run) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    assert dosecal("store", "adjust", plan_id, "--delay", "2=7", "--by", "jchen").exit_code == 0
    answer = client.post(
        f"/plans/{plan_id}/adjust",
        data={"csrf": token, "version": "1", "confirm": "1", "stop": "2027-03-01"},
    )
    assert answer.status_code == 409
    assert "Someone changed this plan meanwhile: nothing was saved." in answer.text
    assert "(version 1 is now 2)" in html.unescape(answer.text)
    assert "stop" not in dosecal("store", "show", plan_id).output.split("add by")[1]


def test_an_adjustment_is_refused_with_the_same_words_as_dosecal_adjust(app: Flask, dosecal: Run) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    cli = dosecal("store", "adjust", plan_id, "--delay", "9=7", "--dry-run")
    assert cli.exit_code == 1
    answer = client.post(
        f"/plans/{plan_id}/adjust",
        data={"csrf": token, "version": "1", "delay_cycle": "9", "delay_days": "7"},
    )
    assert answer.status_code == 422
    shown = error_beside(answer.text, "delay")  # the one part filled in: beside it, not atop the form
    assert shown and shown in cli.output
    bad = client.post(f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "stop": "2027-13-01"})
    assert error_beside(bad.text, "stop") == "'2027-13-01' is not a date written YYYY-MM-DD (e.g. 2027-01-04)"
    nothing = client.post(f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1"})
    assert nothing.status_code == 422


def described_changes(page: str) -> list[str]:
    """The adjustments a preview page lists under "What will change"."""
    changes = re.search(r'<h2 id="preview-heading">.*?<ul>(.*?)</ul>', page, re.DOTALL)
    assert changes, page[:400]
    return [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", changes.group(1))]


def test_an_interruption_is_entered_in_fields_not_in_command_line_spelling(app: Flask, dosecal: Run) -> None:
    """Cycle, day, time, length, unit and cause in their own fields make the CLI's --interrupt."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    page = client.get(f"/plans/{plan_id}/adjust").text
    assert "CnDd" not in page and "cause=toxicity" not in page  # no command-line syntax for nurses
    fields = INTERRUPTION
    preview = client.post(f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", **fields})
    assert preview.status_code == 200, preview.text
    cli = dosecal("store", "adjust", plan_id, "--interrupt", "C1D10@14:00=6h:cause=toxicity", "--dry-run")
    assert cli.exit_code == 0, cli.output
    described = described_changes(preview.text)
    assert described and all(line in cli.output for line in described)
    stopped = "Infusion stopped on cycle 1, day 10 at 14:00 for 6 hours"
    assert described == [f"{stopped}; restarted at the label's lower dose after a reaction"]
    saved = client.post(
        f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "confirm": "1", **fields}
    )
    assert saved.status_code == 303
    recorded = dosecal("store", "export", plan_id).output
    assert (
        'kind = "interrupt"\ncycle = 1\nday = 10\nhours = 6\nat = "14:00"\ncause = "toxicity"\n' in recorded
    )


def test_a_hold_or_interruption_with_a_word_for_a_number_is_shown_beside_its_fields(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(
        client, token, schedule="inotuzumab", **{"choice.response": "cr", "choice.transplant": "no"}
    )
    hold = client.post(
        f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "hold_cycle": "two", "hold_day": "8"}
    )
    assert hold.status_code == 422
    assert error_beside(hold.text, "hold") == (
        "write the day (and the cycle, if any) as whole numbers, e.g. cycle 2, day 8"
    )
    held = client.post(
        f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "hold_cycle": "1", "hold_day": "8"}
    )
    assert held.status_code == 200, held.text
    assert described_changes(held.text) == ["Dose held on cycle 1, day 8"]
    nothing = client.post(
        f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "hold_cycle": "1", "hold_day": "3"}
    )
    assert nothing.status_code == 422  # found once the plan is expanded: shown beside the hold all the same
    assert error_beside(nothing.text, "hold") == "no dose to hold on C1D3: there is no single dose that day"
    page = client.get(f"/plans/{plan_id}/adjust").text
    assert 'id="interrupt_cycle"' not in page  # inotuzumab is not an infusion to interrupt
    blin = create(client, token)
    bad = client.post(
        f"/plans/{blin}/adjust",
        data={
            "csrf": token,
            "version": "1",
            "interrupt_cycle": "1",
            "interrupt_day": "10",
            "interrupt_length": "",
        },
    )
    assert bad.status_code == 422
    assert error_beside(bad.text, "interrupt").startswith("write the cycle, the day and the length")


def test_the_feed_link_can_be_rotated_and_revoked_from_the_plan_page(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    first = re.search(r"/feeds/([\w-]+)\.ics", client.get(f"/plans/{plan_id}").text)
    assert first
    asked = client.post(f"/plans/{plan_id}/feed", data={"csrf": token, "action": "rotate"})
    assert asked.status_code == 200 and "Are you sure?" in asked.text  # nothing changed yet
    assert app.test_client().get(f"/feeds/{first.group(1)}.ics").status_code == 200
    confirmed = {"csrf": token, "action": "rotate", "confirm": "1"}
    assert client.post(f"/plans/{plan_id}/feed", data=confirmed).status_code == 303
    second = re.search(r"/feeds/([\w-]+)\.ics", client.get(f"/plans/{plan_id}").text)
    assert second and second.group(1) != first.group(1)
    feeds = app.test_client()
    assert feeds.get(f"/feeds/{first.group(1)}.ics").status_code == 404
    assert feeds.get(f"/feeds/{second.group(1)}.ics").status_code == 200
    client.post(f"/plans/{plan_id}/feed", data={"csrf": token, "action": "revoke"})
    assert feeds.get(f"/feeds/{second.group(1)}.ics").status_code == 200  # only asked
    client.post(f"/plans/{plan_id}/feed", data={"csrf": token, "action": "revoke", "confirm": "1"})
    assert feeds.get(f"/feeds/{second.group(1)}.ics").status_code == 404
    page = client.get(f"/plans/{plan_id}").text
    assert "The feed is stopped" in html.unescape(page)
    assert "Feed stopped" in page and "New feed link" in page


def feed_token(page: str) -> str:
    """The feed token a page or printout shows (its https link)."""
    found = re.search(r"https://plans\.example\.org/feeds/([A-Za-z0-9_-]{43})\.ics", page)
    assert found, "no feed link shown"
    return found.group(1)


def test_every_nurse_sees_the_link_in_force_and_printouts_never_a_stale_one(app: Flask, dosecal: Run) -> None:
    """The link is the store's, not a browser's, and a printout carries the one in force.

    Another nurse sees it; after a "New link" made elsewhere (the command line), the page and
    the printout show the new one; once stopped, none.
    """
    client = app.test_client()
    plan_id = create(client, sign_in(client))
    other = app.test_client()
    sign_in(other, "jchen")
    first = feed_token(other.get(f"/plans/{plan_id}").text)
    assert first == feed_token(client.get(f"/plans/{plan_id}").text)
    assert app.test_client().get(f"/feeds/{first}.ics").status_code == 200
    rotated = dosecal("store", "feed", plan_id, "--rotate", "--by", "cli")
    assert rotated.exit_code == 0, rotated.output
    second = feed_token(rotated.output)
    assert second != first
    assert feed_token(other.get(f"/plans/{plan_id}").text) == second
    assert feed_token(other.get(f"/plans/{plan_id}/plan.html").text) == second
    assert app.test_client().get(f"/feeds/{first}.ics").status_code == 404
    shown = dosecal("store", "show", plan_id)
    assert feed_token(shown.output) == second
    assert dosecal("store", "feed", plan_id, "--revoke").exit_code == 0
    assert "/feeds/" not in other.get(f"/plans/{plan_id}/plan.html").text
    assert "/feeds/" not in other.get(f"/plans/{plan_id}").text
    # "Start the feed again" is a new link, never an old one back.
    assert dosecal("store", "feed", plan_id, "--rotate").exit_code == 0
    third = feed_token(other.get(f"/plans/{plan_id}").text)
    assert third not in (first, second)


def test_a_link_that_cannot_be_shown_again_is_never_guessed(app: Flask, database: str) -> None:
    """Never a link that does not open the feed.

    A plan stored before links could be shown again (no generation) says so and shows none; so
    does one whose feed key changed.
    """
    client = app.test_client()
    plan_id = create(client, sign_in(client))
    engine = sa.create_engine(database_url(database))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE plans SET feed_generation = NULL WHERE id = :id"), {"id": plan_id})
    engine.dispose()
    page = client.get(f"/plans/{plan_id}").text
    assert "/feeds/" not in page and "made before links could be shown again" in page
    assert "/feeds/" not in client.get(f"/plans/{plan_id}/plan.html").text
    other_key = Store(database_url(database), feed_key=bytes(32))
    assert other_key.feed_link(plan_id).state == "hidden"
    other_key.close()


def test_an_archived_plan_leaves_the_list_stops_its_feed_and_keeps_its_history(
    app: Flask, dosecal: Run
) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, label="Archive me")
    link = feed_token(client.get(f"/plans/{plan_id}").text)
    asked = client.post(f"/plans/{plan_id}/archive", data={"csrf": token})
    assert asked.status_code == 200 and 'name="confirm" value="1"' in asked.text  # asked once more
    assert "Archive me" in client.get("/plans").text
    done = client.post(f"/plans/{plan_id}/archive", data={"csrf": token, "confirm": "1"})
    assert done.status_code == 303
    assert "Archive me" not in client.get("/plans").text
    assert "Archive me" in client.get("/plans?archived=1").text
    assert app.test_client().get(f"/feeds/{link}.ics").status_code == 404
    page = client.get(f"/plans/{plan_id}").text
    assert "/feeds/" not in page and 'id="adjust"' not in page and "Archived on" in page
    assert "/feeds/" not in client.get(f"/plans/{plan_id}/plan.html").text
    history = dosecal("store", "show", plan_id).output
    assert "archive by mtremblay" in history and "add by mtremblay" in history
    refused = dosecal("store", "adjust", plan_id, "--delay", "2=7")
    assert refused.exit_code == 1 and f"plan {plan_id} is archived" in refused.output
    assert dosecal("store", "feed", plan_id, "--rotate").exit_code == 1
    assert plan_id in dosecal("store", "list", "--archived").output
    assert plan_id not in dosecal("store", "list").output


def test_the_command_line_archives_too(dosecal: Run) -> None:
    added = dosecal(
        "store", "add", "--plan", str(Path(__file__).parents[1] / "examples" / "inotuzumab.plan.toml")
    )
    plan_id = added.output.split()[2]
    hostile = dosecal("store", "archive", plan_id, "--note", "done\u202eevil")
    assert hostile.exit_code == 1 and "--note" in hostile.output and "U+202E" in hostile.output
    archived = dosecal("store", "archive", plan_id, "--note", "course completed")
    assert archived.exit_code == 0 and f"plan {plan_id} archived" in archived.output  # not before
    assert "course completed" in dosecal("store", "show", plan_id).output
    again = dosecal("store", "archive", plan_id)
    assert again.exit_code == 1 and "is archived" in again.output


def test_no_label_reaches_a_log_line(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        token = sign_in(client)
        plan_id = create(client, token, label=LABEL)
        client.get(f"/plans/{plan_id}")
        client.get("/plans?q=" + LABEL.split()[0])
        client.post(
            f"/plans/{plan_id}/adjust",
            data={"csrf": token, "version": "1", "stop": "2027-03-01", "note": "ok", "confirm": "1"},
        )
    assert caplog.records
    for record in caplog.records:
        assert LABEL not in record.getMessage() and "Jane" not in record.getMessage()
        assert "/feeds/" not in record.getMessage() or "/feeds/…" in record.getMessage()


def test_the_plans_list_is_searched_by_label_schedule_and_id(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    # Far from today, so that each plan's next event is its day 1 whenever the test runs.
    create(client, token, label="Bed 12", start="2090-01-02")
    create(client, token, schedule="dasatinib", label="Bed 7", start="2090-02-06")
    every = client.get("/plans").text
    assert every.index("Bed 7") < every.index("Bed 12")  # the newest change first
    assert "Bed 7" not in client.get("/plans?q=bed+12").text
    by_schedule = client.get("/plans?q=dasatinib").text
    assert "Bed 7" in by_schedule and "Bed 12" not in by_schedule
    by_title = client.get("/plans?q=blinat").text  # the first letters of the schedule's title
    assert "Bed 12" in by_title and "Bed 7" not in by_title
    first_day = client.get("/plans").text
    rows = first_day[first_day.index("<tbody>") :]
    assert "Day 1 Dasatinib 140 mg, Mon 6 Feb 2090" in rows  # its next event, as stored
    assert "No plan matches" in html.unescape(client.get("/plans?q=nothing-like-this").text)
    plan_id = re.search(r'href="/plans/(\w{12})">Bed 7<', every)
    assert plan_id
    by_id = client.get(f"/plans?q={plan_id.group(1)}").text
    assert "Bed 7" in by_id and "Bed 12" not in by_id


def test_the_interface_speaks_french_by_link_or_by_browser(app: Flask) -> None:
    client = app.test_client()
    assert "Connexion" in client.get("/signin", headers={"Accept-Language": "fr-CA,fr;q=0.9"}).text
    token = sign_in(client)
    assert client.get("/lang/fr?next=/plans/new").headers["Location"] == "/plans/new"
    page = client.get("/plans/new?schedule=dasatinib").text
    assert '<html lang="fr">' in page and "Jour 1 du plan" in page
    wrong = client.post(
        "/plans/new?schedule=dasatinib", data={"csrf": token, "start": "2027-02-30", "tz": "America/Toronto"}
    )
    assert (
        error_beside(wrong.text, "start")
        == "'2027-02-30' n'est pas une date écrite AAAA-MM-JJ (p. ex. 2027-01-04)"
    )
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "plans"):
        assert client.get("/lang/en", query_string={"next": elsewhere}).headers["Location"] == "/plans"


def test_the_history_speaks_the_nurses_language_and_the_store_keeps_english(app: Flask, dosecal: Run) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    for fields in ({"delay_cycle": "2", "delay_days": "7"}, {"stop": "2027-06-01"}):
        version = re.search(r"version (\d+)", client.get(f"/plans/{plan_id}").text)
        assert version
        data = {"csrf": token, "version": version.group(1), "confirm": "1", **fields}
        assert client.post(f"/plans/{plan_id}/adjust", data=data).status_code == 303
    assert (
        dosecal("store", "adjust", plan_id, "--hold", "C1D3", "--by", "jchen").exit_code == 1
    )  # infusion day
    english = html.unescape(client.get(f"/plans/{plan_id}").text)
    assert "Cycle 2 and everything after it delayed by 7 days" in english
    client.get("/lang/fr")
    french = html.unescape(client.get(f"/plans/{plan_id}").text)
    assert "Ajusté (version 2)\u00a0: Cycle 2 et tout ce qui suit reportés de 7 jours" in french
    assert "delayed by" not in french
    assert "Cycle 2 and everything after it delayed by 7 days" in dosecal("store", "show", plan_id).output


def test_a_trusted_proxy_header_names_the_nurse_and_nothing_else_does(database: str, dosecal: Run) -> None:
    store = Store(database_url(database))
    app = create_app(
        store, public_url=PUBLIC, default_tz="America/Toronto", trust_user_header="X-Remote-User"
    )
    client = app.test_client()
    assert client.get("/plans").status_code == 403
    headers = {"X-Remote-User": "proxy.nurse"}
    token = csrf(client.get("/plans/new?schedule=dasatinib", headers=headers).text)
    answer = client.post(
        "/plans/new?schedule=dasatinib",
        headers=headers,
        data={"csrf": token, "start": "2027-01-04", "tz": "America/Toronto"},
    )
    assert answer.status_code == 303
    plan_id = answer.headers["Location"].rsplit("/", 1)[1]
    assert "add by proxy.nurse" in dosecal("store", "show", plan_id).output
    assert client.get("/signin", headers=headers).status_code == 303
    store.close()
    # Without the option, the same header is ignored.
    store = Store(database_url(database))
    plain = create_app(store, public_url=PUBLIC).test_client()
    assert plain.get("/plans", headers=headers).status_code == 303
    store.close()


def test_a_sign_in_lasts_a_clinic_day(app: Flask, database: str) -> None:
    import sqlalchemy as sa

    client = app.test_client()
    sign_in(client)
    assert client.get("/plans").status_code == 200
    engine = sa.create_engine(database_url(database))
    with engine.begin() as c:
        c.execute(sa.text("UPDATE sessions SET created = :at"), {"at": "2020-01-01 00:00:00"})
    engine.dispose()
    assert client.get("/plans").status_code == 303


def test_a_path_cannot_forge_a_log_line(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    from dosecal.web.logs import redact

    client = app.test_client()
    forged = "/plans/x%0A2026-12-01%2005:09:99,000%20dosecal.serve%20INFO%20POST%20/signin%20303"
    with caplog.at_level(logging.INFO, logger="dosecal.serve"):
        client.get(forged)
        client.get("/plans/a%00b%E2%80%AEc")
        client.get("/feeds/sec%0Aret.ics")
    lines = [r.getMessage() for r in caplog.records if r.name == "dosecal.serve"]
    assert len(lines) == 3
    for line in lines:
        assert line.isprintable(), repr(line)
    assert "/plans/x\\n2026-12-01 05:09:99,000 dosecal.serve INFO POST /signin 303" in lines[0]
    assert "/plans/a\\x00b\\u202ec" in lines[1]
    assert "/feeds/…" in lines[2] and "sec" not in lines[2]
    assert redact("/plans/a\\nb") == "/plans/a\\\\nb"  # a typed backslash cannot pass for an escape


def test_an_exception_is_logged_with_an_escaped_path(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    @app.get("/boom/<part>")
    def boom(part: str) -> str:
        raise RuntimeError(part)

    app.testing = False
    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/boom/a%E2%80%AEb").status_code == 500
        # A control character never reaches a view: 400 before it (no exception to log).
        assert app.test_client().get("/boom/a%0Ab%00").status_code == 400
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Exception on")]
    assert len(messages) == 1 and "\u202e" not in messages[0] and messages[0].endswith(" [GET]")


def test_the_printout_language_defaults_to_the_interface_language(app: Flask) -> None:
    client = app.test_client()
    sign_in(client)
    assert '<option value="en" selected>' in client.get("/plans/new?schedule=nilotinib").text
    client.get("/lang/fr")
    page = client.get("/plans/new?schedule=nilotinib").text
    assert '<option value="fr" selected>' in page and '<option value="en" selected>' not in page


def test_a_weight_and_height_may_have_a_decimal_comma(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, weight="60,5", height="170,2")
    content = app.extensions["dosecal.service.store"].get(plan_id).content
    assert "weight_kg = 60.5" in content and "height_cm = 170.2" in content, content
    data = {"csrf": token, "start": "2027-01-04", "tz": "America/Toronto", "lang": "en", "weight": "30,5,1"}
    wrong = client.post("/plans/new?schedule=blinatumomab-mrd", data=data)
    assert wrong.status_code == 422 and "30,5,1" in html.unescape(error_beside(wrong.text, "weight"))


def test_sign_ins_for_one_name_are_refused_for_a_while_after_ten_failures(app: Flask, database: str) -> None:
    import sqlalchemy as sa

    client = app.test_client()
    token = csrf(client.get("/signin").text)

    def attempt(name: str, password: str, *, lang: str = "en") -> tuple[int, str]:
        answer = client.post(
            "/signin",
            data={"csrf": token, "name": name, "password": password},
            headers={"Accept-Language": lang},
        )
        return answer.status_code, html.unescape(answer.text)

    for _ in range(10):
        assert attempt("mtremblay", "wrong password!")[0] == 401
        assert attempt("nobody", "wrong password!")[0] == 401
    refused = "Too many failed sign-ins with this user name: wait 15 minutes, then try again."
    status, page = attempt("mtremblay", PASSWORD)  # the right password, too late
    assert status == 429 and refused in page
    unknown = attempt("nobody", PASSWORD)
    assert unknown[0] == 429 and refused in unknown[1]  # the same answer: the name's existence is not told
    assert "15 minutes" in attempt("mtremblay", PASSWORD, lang="fr")[1]
    assert client.get("/plans").status_code == 303
    # Another name is not refused; another server (sharing the database) refuses the same name.
    assert attempt("jchen", PASSWORD)[0] == 303
    other_store = Store(database_url(database))
    other = create_app(other_store, public_url=PUBLIC).test_client()
    other_token = csrf(other.get("/signin").text)
    answer = other.post("/signin", data={"csrf": other_token, "name": "mtremblay", "password": PASSWORD})
    other_store.close()
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "900"
    # Fifteen minutes later, the right password works again, and clears the count.
    engine = sa.create_engine(database_url(database))
    with engine.begin() as c:
        c.execute(
            sa.text("UPDATE signin_failures SET locked_until = '2000-01-01 00:00:00', first = '2000-01-01'")
        )
    client = app.test_client()
    assert sign_in(client)
    with engine.connect() as c:
        left = c.execute(sa.text("SELECT COUNT(*) FROM signin_failures")).scalar_one()
    engine.dispose()
    assert left == 0  # "nobody"'s too: counts older than two windows go at the next sign-in


def test_failures_older_than_the_window_are_not_counted(app: Flask, database: str) -> None:
    import sqlalchemy as sa

    client = app.test_client()
    token = csrf(client.get("/signin").text)
    engine = sa.create_engine(database_url(database))
    for _ in range(3):
        for _ in range(5):
            wrong = {"csrf": token, "name": "mtremblay", "password": "wrong password!"}
            assert client.post("/signin", data=wrong).status_code == 401
        with engine.begin() as c:  # the first of them was 16 minutes ago
            c.execute(sa.text("UPDATE signin_failures SET first = '2000-01-01'"))
    engine.dispose()
    assert sign_in(client)


def test_a_request_too_large_gets_a_page_in_the_nurses_language(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    client.get("/lang/fr")
    answer = client.post("/plans/new?schedule=nilotinib", data={"csrf": token, "label": "x" * 300_000})
    assert answer.status_code == 413
    assert '<html lang="fr">' in answer.text and "trop" in html.unescape(answer.text)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("label", "x" * 101, "this text has 101 characters: at most 100 are accepted"),
        ("label", "a\x00b", "control or text-direction character (U+0000)"),
        ("label", "Jane\u202eRoe", "control or text-direction character (U+202E)"),
        ("label", "Jane\u2066Roe", "(U+2066)"),
        ("label", "Jane\nRoe", "(U+000A)"),
        ("contact.daytime", "5" * 41, "this text has 41 characters: at most 40 are accepted"),
        ("contact.pharmacy", "514\x07555", "(U+0007)"),
        ("contact.after_hours", "514\u202d555", "(U+202D)"),
    ],
)
def test_a_label_or_contact_line_too_long_or_with_control_characters_is_refused_beside_it(
    app: Flask, field: str, value: str, words: str
) -> None:
    client = app.test_client()
    token = sign_in(client)
    data = {"csrf": token, "start": "2027-01-04", "tz": "America/Toronto", "lang": "en", field: value}
    answer = client.post("/plans/new?schedule=nilotinib", data=data)
    assert answer.status_code == 422
    assert words in error_beside(answer.text, field)
    assert app.extensions["dosecal.service.store"].plans() == []


def test_a_label_of_100_characters_is_accepted_and_wraps(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(
        client, token, label="W" * 100, **{"contact.daytime": "514-555-0100 poste 1234" + "0" * 17}
    )
    assert '<td class="label">' in client.get("/plans").text
    assert '<h1 class="label">' in client.get(f"/plans/{plan_id}").text
    css = (Path(__file__).parents[1] / "src/dosecal/web/static/dosecal.css").read_text(encoding="utf-8")
    assert re.search(r"\.plans td\.label, h1\.label \{ overflow-wrap: anywhere; \}", css)


@pytest.mark.parametrize(
    "adjustment",
    [
        {"delay_cycle": "2", "delay_days": "7"},
        {"stop": "2027-03-01", "note": "ended early"},
        INTERRUPTION,
        {"time_agent": "blinatumomab", "time_from": "2027-02-01", "time_at": "20 h"},
        {"size_from": "2027-02-01", "size_weight": "72,5", "size_height": "170"},
        {"zone_from": "2027-03-01", "zone": "Europe/Paris"},
    ],
)
def test_a_confirm_sent_twice_is_saved_once_and_says_so(
    app: Flask, dosecal: Run, adjustment: dict[str, str]
) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    form = {"csrf": token, "version": "1", "confirm": "1", **adjustment}
    first = client.post(f"/plans/{plan_id}/adjust", data=form)
    assert first.status_code == 303, first.text
    again = client.post(f"/plans/{plan_id}/adjust", data=form)  # Back, then Confirm again
    assert again.status_code == 303, again.text
    assert again.headers["Location"] == f"/plans/{plan_id}?saved=2&twice=1"
    page = client.get(again.headers["Location"]).text
    assert "Already saved as version 2: this adjustment was sent twice and recorded once." in page
    history = app.extensions["dosecal.service.store"].history(plan_id)
    assert [c.version for c in history] == [1, 2]
    assert "Already saved" not in client.get(f"/plans/{plan_id}?saved=9&twice=1").text


def test_a_confirm_after_another_change_is_still_a_conflict(app: Flask, dosecal: Run) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    form = {"csrf": token, "version": "1", "confirm": "1", "delay_cycle": "2", "delay_days": "7"}
    # The same adjustment by another nurse: a conflict (she may have meant a second delay).
    assert dosecal("store", "adjust", plan_id, "--delay", "2=7", "--by", "jchen").exit_code == 0
    assert client.post(f"/plans/{plan_id}/adjust", data=form).status_code == 409
    # The same nurse, another adjustment since: a conflict too.
    other = {**form, "version": "2", "delay_days": "3"}
    assert client.post(f"/plans/{plan_id}/adjust", data=other).status_code == 303
    answer = client.post(f"/plans/{plan_id}/adjust", data=form)
    assert answer.status_code == 409
    assert "Someone changed this plan meanwhile: nothing was saved." in answer.text
    # The same words, another note: a conflict.
    noted = {**other, "note": "again"}
    assert client.post(f"/plans/{plan_id}/adjust", data=noted).status_code == 409
    assert [c.version for c in app.extensions["dosecal.service.store"].history(plan_id)] == [1, 2, 3]


def summary_links(page: str) -> dict[str, str]:
    """The error summary's links: their text by the id they lead to."""
    found = re.search(
        r'<div class="error summary" role="alert" id="error-summary">(.*?)</div>', page, re.DOTALL
    )
    assert found, "no error summary"
    links = re.findall(r'<li><a href="#([^"]+)">(.*?)</a></li>', found.group(1))
    return {target: html.unescape(words) for target, words in links}


def test_the_error_summary_links_to_each_field_and_groups_describe_their_inputs(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    data = {
        "csrf": token,
        "start": "2027-02-30",
        "tz": "Mars/Olympus",
        "lang": "en",
        "time.nilotinib": "25:00",
        "label": "x" * 101,
        "contact.pharmacy": "5" * 41,
    }
    page = client.post("/plans/new?schedule=nilotinib", data=data).text
    links = summary_links(page)
    assert set(links) == {"start", "tz", "time.nilotinib", "label", "contact.pharmacy"}, links
    assert links["label"] == "Label: this text has 101 characters: at most 100 are accepted"
    assert links["time.nilotinib"].startswith("Times: ") and "25:00" in links["time.nilotinib"]
    for target in links:
        assert f'id="{target}"' in page
    time_input = re.search(r'<input id="time\.nilotinib"[^>]*>', page)
    assert time_input and 'aria-invalid="true"' in time_input.group(0)
    assert 'aria-describedby="times-hint times-error"' in time_input.group(0)
    assert re.search(r'<fieldset class="group invalid" aria-describedby="times-error">', page)


def test_an_adjustment_groups_errors_are_linked_and_its_inputs_marked_invalid(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    data = {
        "csrf": token,
        "version": "1",
        "hold_cycle": "two",
        "hold_day": "8",
        "delay_cycle": "9",
        "delay_days": "7",
    }
    page = client.post(f"/plans/{plan_id}/adjust", data=data).text
    links = summary_links(page)
    assert list(links) == ["hold_agent"], links
    assert links["hold_agent"].startswith("Hold a dose: ")
    assert re.search(r'<fieldset class="group invalid" aria-describedby="hold-error">', page)
    for name in ("hold_cycle", "hold_day"):
        found = re.search(rf'<input type="text" id="{name}"[^>]*>', page)
        assert found and 'aria-invalid="true"' in found.group(0) and "hold-error" in found.group(0), found
    agent = re.search(r'<select id="hold_agent"[^>]*>', page)
    assert agent and 'aria-describedby="hold-error"' in agent.group(0)
    # An error found once the plan is expanded, in one group: linked to that group too.
    refused = client.post(
        f"/plans/{plan_id}/adjust",
        data={"csrf": token, "version": "1", "delay_cycle": "9", "delay_days": "7"},
    ).text
    assert list(summary_links(refused)) == ["delay_cycle"]
    delay = re.search(r'<input type="text" id="delay_cycle"[^>]*>', refused)
    assert delay and 'aria-invalid="true"' in delay.group(0) and "delay-error" in delay.group(0)


def test_the_clinics_fever_threshold_and_home_bag_contact_reach_the_printout(app: Flask) -> None:
    """Clinical review N3, N11: the clinic's fever threshold and who changes a bag at home.

    The form takes both (the threshold with a decimal comma too, as written in Québec); they reach
    the plan file and the call box.
    """
    client = app.test_client()
    token = sign_in(client)
    form = client.get("/plans/new?schedule=blinatumomab-mrd").text
    assert 'name="fever"' in form and 'name="contact.bag_change"' in form
    assert 'name="contact.bag_change"' not in client.get("/plans/new?schedule=nilotinib").text
    plan_id = create(
        client, token, fever="38,3", fever_unit="C", **{"contact.bag_change": "CLSC 514 555-0142"}
    )
    printable = html.unescape(client.get(f"/plans/{plan_id}/plan.html").text)
    assert "Fever of 38.3 °C or higher, or signs of an infection or of bleeding" in printable
    assert "Bag changes at home" in printable and "CLSC 514 555-0142" in printable


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        ("101", "C", "101 looks like degrees Fahrenheit"),
        ("hot", "C", "'hot' is not a temperature: write it as 38.3"),
        ("37", "C", "37 °C is not a fever threshold dosecal prints: give 37.5 to 40.0 °C"),
        ("100.9", "F", ""),
    ],
)
def test_a_wrong_fever_threshold_is_shown_beside_its_field(
    app: Flask, value: str, unit: str, words: str
) -> None:
    client = app.test_client()
    token = sign_in(client)
    data = {
        "csrf": token,
        "schedule": "nilotinib",
        "start": "2027-01-04",
        "tz": "America/Toronto",
        "lang": "en",
        "fever": value,
        "fever_unit": unit,
    }
    answer = client.post("/plans/new?schedule=nilotinib", data=data)
    if not words:
        assert answer.status_code == 303, answer.text
        return
    assert answer.status_code == 422
    assert words in error_beside(answer.text, "fever")


def test_the_response_and_more_cycles_recorded_on_the_adjust_page_keep_the_feed(
    app: Flask, dosecal: Run
) -> None:
    """Inotuzumab planned before the response (cycle 1); CR and no transplant, 4 cycles, later."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, schedule="inotuzumab")
    store = app.extensions["dosecal.service.store"]
    before = store.get(plan_id)
    page = client.get(f"/plans/{plan_id}/adjust").text
    assert 'id="cycles"' in page and "Now 1." in page
    adjust = {
        "csrf": token,
        "version": "1",
        "choice.response": "cr",
        "choice.transplant": "no",
        "cycles": "4",
    }
    preview = client.post(f"/plans/{plan_id}/adjust", data=adjust)
    assert preview.status_code == 200, preview.text
    assert "4 cycles planned from now on" in html.unescape(preview.text)
    assert client.post(f"/plans/{plan_id}/adjust", data={**adjust, "confirm": "1"}).status_code == 303
    after = store.get(plan_id)
    assert after.version == 2 and after.feed == before.feed  # the same feed link, the new calendar
    course = after.course()
    assert course.planned_cycles == 4
    assert [o.start_date.isoformat() for o in course if o.kind.value == "dose" and o.day == 1] == [
        "2027-01-04",
        "2027-01-25",
        "2027-02-22",
        "2027-03-22",
    ]
    refused = client.post(f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "2", "cycles": "0"})
    assert refused.status_code == 422
    assert "cycles must be a whole number of cycles, 1 or more" in error_beside(refused.text, "cycles")
    shown = dosecal("store", "adjust", plan_id, "--cycles", "3", "--dry-run")
    assert shown.exit_code == 0 and "would record: 3 cycles planned from now on" in shown.output


def test_a_blinatumomab_plan_without_a_weight_is_asked_for_one_or_a_band_chosen_on_purpose(
    app: Flask,
) -> None:
    """Left empty, the weight made an adult plan (dexamethasone 20 mg) for what may be a child."""
    client = app.test_client()
    token = sign_in(client)
    form = {"csrf": token, "schedule": "blinatumomab-mrd", "start": "2027-01-04", "tz": "America/Toronto"}
    asked = client.post("/plans/new?schedule=blinatumomab-mrd", data=form)
    assert asked.status_code == 422
    assert html.unescape(error_beside(asked.text, "weight")).startswith("Give the patient's weight")
    assert not app.extensions["dosecal.service.store"].plans()
    chosen = client.post(
        "/plans/new?schedule=blinatumomab-mrd", data={**form, "choice.weight": "45kg-or-more"}
    )
    assert chosen.status_code == 303
    weighed = client.post("/plans/new?schedule=blinatumomab-mrd", data={**form, "weight": "70"})
    assert weighed.status_code == 303


def test_a_server_on_a_utc_host_asks_for_the_zone_instead_of_filling_in_utc(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container's UTC in the form put a 10:00 dose at 05:00 on a Toronto phone."""
    app.config["DOSECAL_DEFAULT_TZ"] = None
    monkeypatch.setattr("dosecal.web.pages.computer_zone", lambda: "Etc/UTC")
    client = app.test_client()
    token = sign_in(client)
    page = client.get("/plans/new?schedule=dasatinib").text
    assert 'id="tz" name="tz" value=""' in page
    monkeypatch.setattr("dosecal.web.pages.computer_zone", lambda: "Europe/Paris")
    assert 'id="tz" name="tz" value="Europe/Paris"' in client.get("/plans/new?schedule=dasatinib").text
    data = {"csrf": token, "schedule": "dasatinib", "start": "2027-01-04", "lang": "en", "tz": ""}
    refused = client.post("/plans/new?schedule=dasatinib", data=data)
    assert refused.status_code == 422 and error_beside(refused.text, "tz")


# The pages a nurse can trust (issue 21, part 3)


def new_plan_form(client: FlaskClient, schedule: str) -> dict[str, str]:
    """The hidden fields of a new plan form as the page gives them (its token and one-time key)."""
    page = client.get(f"/plans/new?schedule={schedule}").text
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once, "the form carries no one-time key"
    return {"csrf": csrf(page), "schedule": schedule, "once": once.group(1)}


def test_a_new_plan_sent_four_times_makes_one_plan_and_says_so(app: Flask, database: str) -> None:
    """Four quick posts of one form made four plans, each with a live feed link; now one, on any server."""
    client = app.test_client()
    sign_in(client)
    form = {
        **new_plan_form(client, "dasatinib"),
        "start": "2027-01-04",
        "tz": "America/Toronto",
        "lang": "en",
        "label": LABEL,
    }
    answers = [client.post("/plans/new?schedule=dasatinib", data=form) for _ in range(2)]
    # The same form through another server on the same database (another process, another store).
    other_store = Store(database_url(database))
    other = create_app(other_store, public_url=PUBLIC, default_tz="America/Toronto").test_client()
    cookie = client.get_cookie("dosecal_session")
    assert cookie is not None
    other.set_cookie("dosecal_session", cookie.value)
    answers += [other.post("/plans/new?schedule=dasatinib", data=form) for _ in range(2)]
    other_store.close()
    assert [a.status_code for a in answers] == [303] * 4
    first = answers[0].headers["Location"]
    assert re.fullmatch(r"/plans/\w{12}", first)
    assert [a.headers["Location"] for a in answers[1:]] == [f"{first}?sent=again"] * 3
    store = app.extensions["dosecal.service.store"]
    assert [p.id for p in store.plans()] == [first.rsplit("/", 1)[1]]
    page = client.get(answers[1].headers["Location"]).text
    assert "This form was sent more than once: one plan was made, this one." in page
    assert "sent more than once" not in client.get(first).text
    # A new form (New plan again) is another plan; a form shown again with its errors keeps its key.
    again = {**form, **new_plan_form(client, "dasatinib")}
    wrong = client.post("/plans/new?schedule=dasatinib", data={**again, "start": "2027-02-30"})
    assert wrong.status_code == 422 and f'name="once" value="{again["once"]}"' in wrong.text
    second = client.post("/plans/new?schedule=dasatinib", data=again)
    assert second.status_code == 303 and second.headers["Location"] != first
    assert len(store.plans()) == 2


def test_a_new_plan_sent_at_once_from_several_threads_makes_one_plan(app: Flask) -> None:
    """A double click sends the second post before the first answer: the database decides."""
    import threading

    client = app.test_client()
    sign_in(client)
    form = {**new_plan_form(client, "nilotinib"), "start": "2027-01-04", "tz": "America/Toronto"}
    cookie = client.get_cookie("dosecal_session")
    assert cookie is not None
    found: list[int] = []
    start = threading.Barrier(3)

    def post() -> None:
        browser = app.test_client()
        browser.set_cookie("dosecal_session", cookie.value)
        start.wait()
        found.append(browser.post("/plans/new?schedule=nilotinib", data=form).status_code)

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [303, 303, 303]
    assert len(app.extensions["dosecal.service.store"].plans()) == 1


def test_another_nurse_sending_the_same_form_key_gets_her_own_plan(app: Flask) -> None:
    """The plan's id comes from the key and the nurse: another's copy of a key leads to no one's plan."""
    nurse = app.test_client()
    sign_in(nurse)
    form = {**new_plan_form(nurse, "nilotinib"), "start": "2027-01-04", "tz": "America/Toronto"}
    mine = nurse.post("/plans/new?schedule=nilotinib", data=form).headers["Location"]
    colleague = app.test_client()
    token = sign_in(colleague, "jchen")
    theirs = colleague.post("/plans/new?schedule=nilotinib", data={**form, "csrf": token})
    assert theirs.status_code == 303 and theirs.headers["Location"] not in (mine, f"{mine}?sent=again")


def test_a_confirmed_change_says_saved_as_its_version(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    form = {"csrf": token, "version": "1", "delay_cycle": "2", "delay_days": "7"}
    saved = client.post(f"/plans/{plan_id}/adjust", data={**form, "confirm": "1"})
    assert saved.headers["Location"] == f"/plans/{plan_id}?saved=2"
    page = client.get(saved.headers["Location"]).text
    assert '<p class="notice" role="status" id="saved">Saved as version 2.</p>' in page
    assert "Adjusted (version 2)" in page  # the same number as the history shows
    again = client.post(f"/plans/{plan_id}/adjust", data={**form, "version": "2", "confirm": "1"})
    assert again.headers["Location"] == f"/plans/{plan_id}?saved=3"
    client.get("/lang/fr")
    assert "Enregistré comme version 3." in client.get(again.headers["Location"]).text


def summary_of(page: str) -> list[str]:
    """The preview's summary, a sentence a line."""
    found = re.search(r'<ul class="summary"[^>]*>(.*?)</ul>', page, re.DOTALL)
    assert found, "no summary"
    return [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", found.group(1))]


def details_of(page: str) -> list[tuple[str, str, list[str]]]:
    """The preview's details: (cycle heading, group, its lines as read) in page order."""
    out = []
    for section in re.findall(r'<section class="cycle-changes".*?</section>', page, re.DOTALL):
        heading = re.search(r"<h4[^>]*>(.*?)</h4>", section)
        assert heading
        for group, body in re.findall(r"<summary>(.*?)</summary>(.*?)</details>", section, re.DOTALL):
            lines = [
                " ".join(html.unescape(re.sub(r"<[^>]+>", "", x)).split())
                for x in re.findall(r"<li>(.*?)</li>", body)
            ]
            out.append((heading.group(1), html.unescape(group), lines))
    return out


def test_a_preview_opens_with_a_summary_then_the_details_by_cycle_with_confirm_at_both_ends(
    app: Flask,
) -> None:
    """A week's delay of blinatumomab's cycle 2 moved 94 events; the stay was line 2 of a flat list."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    page = client.post(
        f"/plans/{plan_id}/adjust",
        data={"csrf": token, "version": "1", "delay_cycle": "2", "delay_days": "7"},
    ).text
    assert summary_of(page) == [
        "Cycle 2 and after move 7 days later",
        "The hospital stay of cycle 2 moves from Mon 15 Feb 2027 to Mon 22 Feb 2027",
    ]
    assert page.index('class="summary"') < page.index('class="cycle-changes"')
    # Confirm at the top and at the bottom, each carrying the whole change.
    forms = re.findall(
        r'<form method="post" action="/plans/\w+/adjust" class="inline">.*?</form>', page, re.DOTALL
    )
    assert len(forms) == 2 and 'id="confirm"' in forms[0] and 'id="confirm-bottom"' in forms[1]
    assert forms[0].replace('id="confirm"', "") == forms[1].replace('id="confirm-bottom"', "")
    assert page.index('id="confirm-bottom"') > page.rindex('class="cycle-changes"')
    details = details_of(page)
    assert [cycle for cycle, _, _ in details][:1] == ["Cycle 2"]
    assert list(dict.fromkeys(cycle for cycle, _, _ in details)) == ["Cycle 2", "Cycle 3", "Cycle 4"]
    groups = [group for cycle, group, _ in details if cycle == "Cycle 2"]
    assert groups == ["Hospital stays (1)", "Infusion (2)", "Premedication (1)", "Bag changes (27)",
                      "Treatment-free days (1)"]  # fmt: skip
    bags = next(lines for cycle, group, lines in details if cycle == "Cycle 2" and group.startswith("Bag"))
    assert bags[0] == "C2D2 Blinatumomab bag change: Tue 16 Feb 2027 10:00 → Tue 23 Feb 2027 10:00"
    assert [int(re.match(r"C2D(\d+)", line).group(1)) for line in bags] == list(range(2, 29))  # type: ignore[union-attr]
    assert 'class="moves bags">' in page  # 27 lines start folded; the stay's group is open
    assert '<details class="moves hospital" open>' in page


def test_a_preview_names_a_stop_and_restart_in_order_and_what_moves_with_them(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    page = client.post(f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", **INTERRUPTION}).text
    summary = summary_of(page)
    assert summary[0] == "Cycle 2 and after move 1 day later"
    stop = summary.index("C1D10 Blinatumomab infusion stopped: new: Wed 13 Jan 2027 14:00")
    restart = summary.index(
        "C1D10–16 Blinatumomab infusion restarts, 9 mcg/day: supervised start: new: Wed 13 Jan 2027 20:00"
    )
    assert stop < restart
    assert (
        "C1D17–28 Blinatumomab infusion 28 mcg/day: new: Wed 20 Jan 2027 20:00" in summary
    )  # the dose back up
    assert "The hospital stay of cycle 2 moves from Mon 15 Feb 2027 to Tue 16 Feb 2027" in summary
    assert "Bag changes in cycle 1: 16 move from 10:00 to 20:00 (from C1D11)" in summary
    infusion = next(
        lines
        for cycle, group, lines in details_of(page)
        if cycle == "Cycle 1" and group.startswith("Infusion")
    )
    assert [line.split(":")[0] for line in infusion] == [
        "C1D1–9 Blinatumomab infusion 28 mcg/day",
        "C1D10 Blinatumomab infusion stopped",
        "C1D10–16 Blinatumomab infusion restarts, 9 mcg/day",
        "C1D17–28 Blinatumomab infusion 28 mcg/day",
        "C1D29 Blinatumomab infusion ends",
    ]
    assert infusion[0].endswith("now ends Wed 13 Jan 2027 14:00")


def test_a_held_dose_reads_held_and_a_stop_counts_what_it_cancels(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "inotuzumab", **{"choice.response": "cr", "choice.transplant": "no"})
    held = client.post(
        f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "hold_cycle": "1", "hold_day": "8"}
    ).text
    assert summary_of(held) == ["C1D8 Inotuzumab ozogamicin 0.5 mg/m2: held: Mon 11 Jan 2027 09:00"]
    assert "changes:" not in held and "cancelled" not in held
    lines = [line for _, _, group in details_of(held) for line in group]
    assert lines and all(": held: Mon 11 Jan 2027" in line for line in lines)
    stopped = client.post(
        f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "stop": "2027-02-01"}
    ).text
    assert summary_of(stopped) == ["61 planned events are cancelled from Mon 1 Feb 2027 on"]
    client.get("/lang/fr")
    french = client.post(
        f"/plans/{plan_id}/adjust", data={"csrf": token, "version": "1", "hold_cycle": "1", "hold_day": "8"}
    ).text
    assert summary_of(french) == [
        "C1J8 Inotuzumab ozogamicine 0,5 mg/m²\u00a0: suspendu\u00a0: lun. 11 janv. 2027 à 9\u00a0h"
    ]


def test_a_later_decision_previews_the_cycles_it_adds(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "inotuzumab")
    page = client.post(
        f"/plans/{plan_id}/adjust",
        data={
            "csrf": token,
            "version": "1",
            "choice.response": "cr",
            "choice.transplant": "no",
            "cycles": "4",
        },
    ).text
    summary = summary_of(page)
    assert summary[0] == "Cycles 2 to 4 added: Mon 25 Jan 2027 to Tue 6 Apr 2027"
    assert any(s.startswith("C1D21 Your care team's decision: complete remission") for s in summary)


def source_keys() -> set[str]:
    """The keys of every built-in schedule's [sources] table (FDA-BLIN, AMGEN-HCP-ADJUST...)."""
    import tomllib

    keys: set[str] = set()
    for path in (Path(__file__).parents[1] / "schedules").glob("*.toml"):
        keys |= set(tomllib.loads(path.read_text(encoding="utf-8")).get("sources", {}))
    assert len(keys) > 20
    return keys


def visible_text(page: str) -> str:
    """What a reader sees of a page: its text, without markup, scripts or styles."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


#: The new plan form's typical wrong inputs, each by schedule.
WRONG_NEW = [
    ("inotuzumab", {"cycles": "2"}),
    ("dasatinib", {"tz": "", "fever": "101"}),
    ("dasatinib", {"until": "2026-01-01", "time.dasatinib": "25:00"}),
    ("blinatumomab-mrd", {"start": "2027-02-30", "tz": "America/Torontoo", "weight": "x", "height": "-3"}),
    ("blinatumomab-mrd", {"weight": "", "choice.bag-hours": "168"}),
    ("blinatumomab-mrd", {"weight": "", "choice.weight": "under-45kg"}),
    ("nilotinib", {"time.nilotinib": "8 h 99", "fever": "hot"}),
]

#: The adjust page's typical wrong inputs (blinatumomab, then inotuzumab before the response).
WRONG_ADJUST = [
    ("blin", {"delay_cycle": "x", "delay_days": "7"}),
    ("blin", {"delay_cycle": "2", "delay_days": "abc"}),
    ("blin", {"delay_cycle": "15", "delay_days": "7"}),
    ("blin", {"dose_agent": "blinatumomab", "dose": "100", "dose_from": "2027-13-10"}),
    (
        "blin",
        {"interrupt_cycle": "1", "interrupt_day": "10", "interrupt_at": "25:00", "interrupt_length": "6"},
    ),
    (
        "blin",
        {"interrupt_cycle": "1", "interrupt_day": "10", "interrupt_length": "6", "interrupt_restart": "x:y"},
    ),
    ("blin", {"interrupt_cycle": "1", "interrupt_day": "50", "interrupt_length": "6"}),
    ("blin", {"hold_cycle": "1", "hold_day": "8"}),
    ("blin", {"stop": "2026-01-01"}),
    ("blin", {}),
    ("ino", {"cycles": "x"}),
    ("ino", {"cycles": "3"}),
    ("ino", {"hold_cycle": "1", "hold_day": "3"}),
    ("ima", {"until": "2027-13-01"}),
    ("ima", {"until": "2026-12-01"}),
    ("ima", {"time_from": "2027-02-01", "time_at": "25:00"}),
    ("ima", {"time_at": "20 h 00"}),
    ("ima", {"time_from": "2027-02-01"}),
    ("blin", {"size_from": "2027-02-01", "size_weight": "x", "size_height": "-3"}),
    ("blin", {"size_from": "2027-02-01", "size_height": "170"}),
    ("ima", {"size_from": "2027-02-01", "size_weight": "31"}),  # under 45 kg: adult or child?
    ("ima", {"zone_from": "2027-03-01", "zone": "Europe/Pariss"}),
    ("ima", {"zone_from": "2027-03-01", "zone": "EST"}),
    ("ima", {"zone": "Europe/Paris"}),
    ("ima", {"zone_from": "2027-03-01"}),
]

#: The adjust page's later changes previewed: each one's summary is walked too.
LATER_PREVIEWS = [
    ("ima", {"until": "2027-06-30"}),
    ("ima", {"time_agent": "imatinib", "time_from": "2027-02-01", "time_at": "20:00"}),
    ("ima", {"size_from": "2027-02-01", "size_weight": "80", "size_height": "180"}),
    ("ima", {"zone_from": "2027-03-01", "zone": "Europe/Paris"}),
    ("blin", {"zone_from": "2027-03-01", "zone": "Europe/Paris"}),
    ("blin", {"time_agent": "blinatumomab", "time_from": "2027-01-10", "time_at": "20:00"}),
]


def walk_pages(client: FlaskClient, token: str) -> Iterator[tuple[str, str, dict[str, list[str]]]]:
    """Every page a nurse meets, with the errors beside its fields: (name, visible text, errors)."""
    from dosecal.inputs import definitions

    def errors(page: str) -> dict[str, list[str]]:
        found = re.findall(r'<p class="error" id="([^"]+)-error">(.*?)</p>', page, re.DOTALL)
        return {name: html.unescape(text).split("<br>") for name, text in found}

    for schedule in definitions.builtin_ids():
        page = client.get(f"/plans/new?schedule={schedule}").text
        yield f"new {schedule}", visible_text(page), {}
    for schedule, wrong in WRONG_NEW:
        data = {"csrf": token, "schedule": schedule, "start": "2027-01-04", "tz": "America/Toronto",
                "lang": "en", "weight": "70", **wrong}  # fmt: skip
        answer = client.post(f"/plans/new?schedule={schedule}", data=data)
        assert answer.status_code == 422, (schedule, wrong)
        yield f"new {schedule} {wrong}", visible_text(answer.text), errors(answer.text)
    plans = {
        "blin": create(client, token, "blinatumomab-rr", label=LABEL),
        "ino": create(client, token, "inotuzumab"),
        "ima": create(client, token, "imatinib"),
    }
    for name, plan_id in plans.items():
        yield f"plan {name}", visible_text(client.get(f"/plans/{plan_id}").text), {}
        yield f"printable {name}", visible_text(client.get(f"/plans/{plan_id}/plan.html").text), {}
        yield f"adjust {name}", visible_text(client.get(f"/plans/{plan_id}/adjust").text), {}
    for name, wrong in WRONG_ADJUST:
        answer = client.post(f"/plans/{plans[name]}/adjust", data={"csrf": token, "version": "1", **wrong})
        assert answer.status_code == 422, (name, wrong, answer.text[-2000:])
        yield f"adjust {name} {wrong}", visible_text(answer.text), errors(answer.text)
    preview = client.post(
        f"/plans/{plans['blin']}/adjust", data={"csrf": token, "version": "1", **INTERRUPTION}
    )
    yield "preview", visible_text(preview.text), {}
    for name, fields in LATER_PREVIEWS:
        answer = client.post(f"/plans/{plans[name]}/adjust", data={"csrf": token, "version": "1", **fields})
        assert answer.status_code == 200, (name, fields, answer.text[-2000:])
        yield f"preview {name} {fields}", visible_text(answer.text), {}
    conflict = client.post(
        f"/plans/{plans['blin']}/adjust",
        data={"csrf": token, "version": "7", "confirm": "1", "delay_cycle": "2", "delay_days": "7"},
    )
    assert conflict.status_code == 409
    yield "conflict", visible_text(conflict.text), {"conflict": [visible_text(conflict.text)]}


def test_no_page_shows_command_line_syntax_or_a_source_key_in_either_language(app: Flask) -> None:
    """The pages quoted "--weight", "dosecal adjust PLAN --interrupt ..." and source keys (FDA-BLIN)."""
    keys = "|".join(re.escape(k) for k in sorted(source_keys(), key=len, reverse=True))
    commands = "generate|adjust|store|show|list|check|serve|users|db|publish"
    forbidden = re.compile(rf"(?<![\w-])--[a-z]|\bdosecal (?:{commands})\b|(?<![\w-])(?:{keys})(?![\w-])")
    client = app.test_client()
    token = sign_in(client)
    walked = 0
    for lang in ("en", "fr"):
        client.get(f"/lang/{lang}")
        for name, text, _ in walk_pages(client, token):
            found = forbidden.search(text)
            assert found is None, f"{lang} {name}: …{text[max(0, found.start() - 80) : found.end() + 40]}…"
            walked += 1
    assert walked == 2 * (len(WRONG_NEW) + len(WRONG_ADJUST) + len(LATER_PREVIEWS) + 10 + 9 + 2)


def test_every_error_beside_a_field_is_in_the_pages_language(app: Flask) -> None:
    """French errors came partly in English: the option parsers' refusals, the choice's label."""
    client = app.test_client()
    token = sign_in(client)
    english = {name: said for name, _, said in walk_pages(client, token)}
    client.get("/lang/fr")
    french = {name: said for name, _, said in walk_pages(client, token)}
    assert english.keys() == french.keys()
    compared = 0
    for name, fields in french.items():
        assert fields.keys() == english[name].keys(), name
        for field, messages in fields.items():
            for fr, en in zip(messages, english[name][field], strict=True):
                assert fr != en, f"{name}: {field}: still English: {fr}"
                words = set(re.findall(r"[a-z]+", fr.split("'")[0] if fr.startswith("'") else fr))
                assert not words & {"the", "is", "must", "give", "write", "not", "and", "needs"}, (name, fr)
                compared += 1
    assert compared >= 25


@pytest.mark.parametrize("interface", ["en", "fr"])
def test_french_times_are_read_as_the_pages_write_them(app: Flask, interface: str) -> None:
    """The French pages' own style ("14 h 00") was refused, in English as well."""
    client = app.test_client()
    token = sign_in(client)
    client.get(f"/lang/{interface}")
    plans = {
        typed: create(client, token, "nilotinib", **{"time.nilotinib": typed})
        for typed in ("09:30,21:00", "9 h 30, 21 h", "9\u00a0h\u00a030,21\u00a0h\u00a000", "9h30,21h00")
    }
    store = app.extensions["dosecal.service.store"]
    starts = {
        typed: [o.start for o in store.get(plan_id).course() if o.kind.value == "dose"]
        for typed, plan_id in plans.items()
    }
    assert len({tuple(s) for s in starts.values()}) == 1, starts
    assert f"{starts['09:30,21:00'][0]:%H:%M}" == "09:30"
    # The interruption's time too: "14 h" is 14:00.
    blin = create(client, token)
    preview = client.post(
        f"/plans/{blin}/adjust", data={"csrf": token, "version": "1", **INTERRUPTION, "interrupt_at": "14 h"}
    )
    assert preview.status_code == 200, preview.text
    plain = client.post(f"/plans/{blin}/adjust", data={"csrf": token, "version": "1", **INTERRUPTION})
    assert summary_of(preview.text) == summary_of(plain.text)
    saved = client.post(
        f"/plans/{blin}/adjust",
        data={"csrf": token, "version": "1", "confirm": "1", **INTERRUPTION, "interrupt_at": "14 h 00"},
    )
    assert saved.status_code == 303
    assert 'at = "14:00"' in store.get(blin).content
    wrong = client.post(
        f"/plans/{blin}/adjust",
        data={"csrf": token, "version": "2", **INTERRUPTION, "interrupt_at": "14 h 75"},
    )
    assert wrong.status_code == 422
    expected = "n'est pas une heure" if interface == "fr" else "is not a time: write it as 14:00 or 14 h 00"
    assert expected in error_beside(wrong.text, "interrupt")


# The later changes of issue 21 on the adjust page: the last day, a dose time, body size, a move.


def adjust_and_confirm(client: FlaskClient, token: str, plan_id: str, **fields: str) -> str:
    """Preview a change from the adjust page, confirm it as shown, and return the preview page."""
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/plans/{plan_id}/adjust").text)
    assert version
    data = {"csrf": token, "version": version.group(1), **fields}
    preview = client.post(f"/plans/{plan_id}/adjust", data=data)
    assert preview.status_code == 200, preview.text[-3000:]
    # Confirm sends what the preview carries, not what was typed: the hidden fields must hold it all.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', preview.text))
    saved = client.post(f"/plans/{plan_id}/adjust", data={**hidden, "csrf": token})
    assert saved.status_code == 303, saved.text[-3000:]
    assert saved.headers["Location"] == f"/plans/{plan_id}?saved={int(version.group(1)) + 1}"
    return preview.text


def doses_of(app: Flask, plan_id: str) -> list[tuple[str, str]]:
    """The plan's planned doses: (local start ``YYYY-MM-DD HH:MM`` with its UTC offset, dose)."""
    from dosecal.words import ENGLISH

    course = app.extensions["dosecal.service.store"].get(plan_id).course()
    return [
        (f"{o.start:%Y-%m-%d %H:%M %z}", ENGLISH.text(o.dose_text) if o.dose_text is not None else "")
        for o in course
        if o.kind.value == "dose" and o.status.value == "planned"
    ]


def history_of(client: FlaskClient, plan_id: str) -> str:
    """The plan page's text, as a nurse reads its history."""
    return visible_text(client.get(f"/plans/{plan_id}").text)


def test_plan_through_is_asked_of_a_daily_drug_and_extends_it_under_the_same_feed_link(
    app: Flask, dosecal: Run
) -> None:
    """Imatinib planned for the default 90 days (through Sat 3 Apr 2027), then through 30 June."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "imatinib")
    page = client.get(f"/plans/{plan_id}/adjust").text
    assert 'id="until"' in page and "Now through Sat 3 Apr 2027." in html.unescape(page)
    assert 'id="until"' not in client.get(f"/plans/{create(client, token)}/adjust").text  # cycles instead
    feed = feed_token(client.get(f"/plans/{plan_id}").text)
    assert doses_of(app, plan_id)[-1][0] == "2027-04-03 08:00 -0400"
    preview = adjust_and_confirm(client, token, plan_id, until="2027-06-30")
    assert described_changes(preview) == ["Planned through Wed 30 Jun 2027 from now on"]
    assert summary_of(preview)[0] == "Doses: 88 added, Sun 4 Apr 2027 to Wed 30 Jun 2027"
    assert doses_of(app, plan_id)[-1] == ("2027-06-30 08:00 -0400", "600 mg")
    assert feed_token(client.get(f"/plans/{plan_id}").text) == feed  # the patient's link is the same
    calendar = app.test_client().get(f"/feeds/{feed}.ics").text
    assert "DTSTART;TZID=America/Toronto:20270630T080000" in calendar
    assert "Adjusted (version 2): Planned through Wed 30 Jun 2027 from now on" in history_of(client, plan_id)
    cli = dosecal("store", "adjust", plan_id, "--until", "2027-05-31", "--dry-run")
    assert cli.exit_code == 0 and "Planned through Mon 31 May 2027 from now on" in cli.output


def test_a_child_weighed_again_gets_the_new_weight_bands_dose_from_that_day(app: Flask) -> None:
    """Dasatinib for a child of 28 kg (60 mg), 31 kg from Mon 1 Feb 2027 (70 mg)."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "dasatinib", weight="28", **{"choice.patient": "child"})
    page = html.unescape(client.get(f"/plans/{plan_id}/adjust").text)
    assert 'id="size_weight"' in page and "Now 28 kg." in page
    preview = adjust_and_confirm(client, token, plan_id, size_from="2027-02-01", size_weight="31,0")
    assert described_changes(preview) == ["Weight 31 kg from Mon 1 Feb 2027"]
    assert summary_of(preview) == [
        "Dasatinib 70 mg: 62 doses change from 60 mg to 70 mg, from Mon 1 Feb 2027"
    ]
    doses = dict(doses_of(app, plan_id))
    assert doses["2027-01-31 08:00 -0500"] == "60 mg"
    assert doses["2027-02-01 08:00 -0500"] == "70 mg"
    assert "Weight 31 kg from Mon 1 Feb 2027" in history_of(client, plan_id)
    assert "Now 31 kg." in html.unescape(client.get(f"/plans/{plan_id}/adjust").text)


@pytest.mark.parametrize("typed", ["20:00", "20 h 00"])
def test_a_new_dose_time_moves_the_doses_from_that_date(app: Flask, typed: str) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "imatinib")
    page = client.get(f"/plans/{plan_id}/adjust").text
    assert re.search(r'<select id="time_agent"[^>]*><option value="imatinib"', page)
    preview = adjust_and_confirm(
        client, token, plan_id, time_agent="imatinib", time_from="2027-02-01", time_at=typed
    )
    assert described_changes(preview) == ["Imatinib given at 20:00 from Mon 1 Feb 2027"]
    assert summary_of(preview) == ["Doses: 62 move from 08:00 to 20:00 (from Day 29)"]
    doses = [start for start, _ in doses_of(app, plan_id)]
    assert "2027-01-31 08:00 -0500" in doses and "2027-02-01 20:00 -0500" in doses
    assert "2027-02-01 08:00 -0500" not in doses
    assert "Imatinib given at 20:00 from Mon 1 Feb 2027" in history_of(client, plan_id)


def test_a_patient_who_moves_keeps_the_clock_time_in_the_new_zone(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "imatinib")
    assert "Now America/Toronto." in client.get(f"/plans/{plan_id}/adjust").text
    preview = adjust_and_confirm(client, token, plan_id, zone_from="2027-03-01", zone="Europe/Paris")
    assert summary_of(preview) == ["Doses: 34 keep their clock time in Europe/Paris (from Day 57)"]
    course = app.extensions["dosecal.service.store"].get(plan_id).course()
    first = next(o for o in course if o.kind.value == "dose" and o.start_date == date(2027, 3, 1))
    assert f"{first.start:%H:%M %Z}" == "08:00 CET"
    assert f"{first.start.astimezone(ZoneInfo('UTC')):%H:%M}" == "07:00"
    before = next(o for o in course if o.kind.value == "dose" and o.start_date == date(2027, 2, 28))
    assert f"{before.start:%H:%M %Z}" == "08:00 EST"
    said = history_of(client, plan_id)
    assert "Lives in the time zone Europe/Paris from Mon 1 Mar 2027" in said
    assert "Now Europe/Paris." in client.get(f"/plans/{plan_id}/adjust").text
    client.get("/lang/fr")
    assert "Vit dans le fuseau horaire Europe/Paris à partir du lun. 1 mars 2027" in history_of(
        client, plan_id
    )


#: A wrong value of each new change: (schedule, fields, the field it shows beside, English, French).
WRONG_LATER = [
    ("imatinib", {"until": "2027-13-01"}, "until",
     "'2027-13-01' is not a date written YYYY-MM-DD (e.g. 2027-01-04)", "n'est pas une date écrite AAAA-MM-JJ"),
    ("imatinib", {"until": "2026-12-01"}, "until",
     "2026-12-01 is before the start date 2027-01-04", "précède la date de début"),
    ("imatinib", {"time_from": "2027-02-01", "time_at": "25:00"}, "time_change",
     "'25:00' is not a time: write it as 14:00 or 14 h 00", "n'est pas une heure"),
    ("imatinib", {"time_at": "20:00"}, "time_change",
     "give the date it applies from, written YYYY-MM-DD, e.g. 2027-02-01", "indiquez la date à partir de laquelle"),
    ("imatinib", {"time_from": "1/2/2027", "time_at": "20:00"}, "time_change",
     "'1/2/2027' is not a date written YYYY-MM-DD (e.g. 2027-01-04)", "n'est pas une date écrite AAAA-MM-JJ"),
    ("imatinib", {"time_from": "2027-02-01"}, "time_change",
     "give the new time, e.g. 20:00 or 20 h 00", "indiquez la nouvelle heure"),
    ("dasatinib", {"size_from": "2027-02-01", "size_weight": "trente"}, "body_size",
     "must be a positive number of kg, not 'trente'", "doit être un nombre positif de kg"),
    ("dasatinib", {"size_from": "2027-02-01", "size_height": "140"}, "body_size",
     "give the new weight in kg, e.g. 31 or 30,5", "indiquez le nouveau poids"),
    ("dasatinib", {"size_from": "2027-02-01", "size_weight": "3100"}, "body_size",
     "3100 kg is not a body measure dosecal accepts: give 1 to 400 kg", "n'est pas une mesure corporelle"),
    ("imatinib", {"zone_from": "2027-03-01", "zone": "Europe/Pariss"}, "zone_change",
     "'Europe/Pariss' is not an IANA time zone such as America/Toronto (did you mean 'Europe/Paris'?)",
     "vouliez-vous dire 'Europe/Paris'"),
    ("imatinib", {"zone_from": "2027-03-01", "zone": "EST"}, "zone_change",
     ("'EST' is not a place's time zone: a fixed offset or an abbreviation follows no summer time; "
      "give the patient's zone as Area/City (did you mean 'America/Toronto'?)"),
     "n'est pas le fuseau horaire d'un lieu"),
    ("imatinib", {"zone_from": "2027-03-01"}, "zone_change",
     "give the new time zone, e.g. Europe/Paris", "indiquez le nouveau fuseau horaire"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "fields", "field", "english", "french"), WRONG_LATER)
def test_a_wrong_later_change_is_refused_beside_its_field_in_the_pages_language(
    app: Flask, schedule: str, fields: dict[str, str], field: str, english: str, french: str
) -> None:
    client = app.test_client()
    token = sign_in(client)
    extra = {"weight": "28", "choice.patient": "child"} if schedule == "dasatinib" else {}
    plan_id = create(client, token, schedule, **extra)
    store = app.extensions["dosecal.service.store"]
    for lang, expected in (("en", english), ("fr", french)):
        client.get(f"/lang/{lang}")
        for confirm in ("", "1"):  # previewed or confirmed: refused alike, nothing saved
            data = {"csrf": token, "version": "1", "confirm": confirm, **fields}
            answer = client.post(f"/plans/{plan_id}/adjust", data=data)
            assert answer.status_code == 422, answer.text[-2000:]
            said = error_beside(answer.text, field)
            assert said == expected if lang == "en" else expected in said, said
            assert re.search(
                rf'<fieldset class="group invalid" aria-describedby="{field}-error">', answer.text
            ) or (field == "until")
            for name, value in fields.items():
                assert (
                    f'id="{name}" name="{name}" value="{html.escape(value)}"' in answer.text
                )  # kept as typed
    assert store.get(plan_id).version == 1


def test_a_second_interruption_in_the_same_cycle_is_recorded_from_the_page(app: Flask) -> None:
    """Blinatumomab stopped on C1D10 for 3 days (restart at the same dose), then on C1D20 for 2."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "blinatumomab-rr")
    first = {
        "interrupt_cycle": "1",
        "interrupt_day": "10",
        "interrupt_length": "3",
        "interrupt_restart": "same",
    }
    adjust_and_confirm(client, token, plan_id, **first)
    second = {
        "interrupt_cycle": "1",
        "interrupt_day": "20",
        "interrupt_length": "2",
        "interrupt_restart": "same",
    }
    preview = adjust_and_confirm(client, token, plan_id, **second)
    assert described_changes(preview) == [
        "Infusion stopped on cycle 1, day 20 for 2 days; restarted at the same dose"
    ]
    course = app.extensions["dosecal.service.store"].get(plan_id).course()
    ends = [o for o in course if o.kind.value == "infusion-end" and o.cycle == 1]
    # Stopped on Wed 13 Jan (C1D10) and Sat 23 Jan (C1D20); 28 days of infusion end 5 days late.
    assert [f"{o.start:%a %d %b %Y}" for o in ends] == [
        "Wed 13 Jan 2027",
        "Sat 23 Jan 2027",
        "Sat 06 Feb 2027",
    ]
    assert [o.stopped for o in ends] == [True, True, False]
    stops = [o for o in course if o.cycle == 1 and o.stopped]
    assert [o.day for o in stops] == [10, 20]
    said = history_of(client, plan_id)
    assert "Adjusted (version 3): Infusion stopped on cycle 1, day 20 for 2 days" in said
    assert "Adjusted (version 2): Infusion stopped on cycle 1, day 10 for 3 days" in said


def test_many_sign_ins_at_once_for_one_name_check_at_most_ten_passwords(
    app: Flask, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 wrong sign-ins for one name at once checked 17 passwords; the limit is 10, exactly."""
    import threading

    import sqlalchemy as sa

    from dosecal.service import accounts as accounts_module

    checked: list[str] = []
    real = accounts_module.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(password)
        return real(password, stored)

    monkeypatch.setattr(accounts_module, "verify_password", counting)
    clients = [app.test_client() for _ in range(30)]
    tokens = [csrf(c.get("/signin").text) for c in clients]
    codes: list[int] = []

    def post(k: int) -> None:
        answer = clients[k].post(
            "/signin", data={"csrf": tokens[k], "name": "mtremblay", "password": "wrong!"}
        )
        codes.append(answer.status_code)

    threads = [threading.Thread(target=post, args=(k,)) for k in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # At once, each sign-in takes its place before its password is hashed; one without a free
    # hashing slot is told to try again (503) and is not counted.
    assert set(codes) <= {401, 429, 503} and codes.count(401) == len(checked) <= 10
    while len(checked) < 10:  # the rest of the allowance, one at a time
        assert (
            clients[0]
            .post("/signin", data={"csrf": tokens[0], "name": "mtremblay", "password": "x"})
            .status_code
            == 401
        )
    over = clients[1].post("/signin", data={"csrf": tokens[1], "name": "mtremblay", "password": PASSWORD})
    assert over.status_code == 429 and len(checked) == 10  # the 11th is refused unchecked
    # The count is kept under an HMAC of the name with the server's secret, not a bare hash.
    engine = sa.create_engine(database_url(database))
    with engine.connect() as c:
        keys = c.execute(sa.text("SELECT name_hash FROM signin_failures")).scalars().all()
    engine.dispose()
    assert keys and hashlib.sha256(b"mtremblay").hexdigest() not in keys


@pytest.mark.parametrize(
    "path",
    ["/plans/abc%00def", "/plans?q=a%0Ab", "/feeds/abc%00.ics", "/plans/abc%1bdef"],
)
def test_a_control_character_in_a_request_is_a_400_never_a_traceback(
    app: Flask, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A NUL reached PostgreSQL as an error and the log as a traceback with the typed name."""
    client = app.test_client()
    sign_in(client)
    with caplog.at_level(logging.ERROR):
        answer = client.get(path)
    assert answer.status_code == 400
    assert not [r for r in caplog.records if r.exc_info]


def test_a_nul_in_a_form_and_a_big_sign_in_are_refused_before_any_check(app: Flask) -> None:
    client = app.test_client()
    token = csrf(client.get("/signin").text)
    nul = client.post("/signin", data={"csrf": token, "name": "mtremblay\x00", "password": "x" * 12})
    assert nul.status_code == 400
    big = client.post("/signin", data={"csrf": token, "name": "mtremblay", "password": "x" * 20_000})
    assert big.status_code == 413 and "too large" in big.text


def test_a_database_that_does_not_answer_gives_a_503_page_that_says_nothing_was_saved(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "imatinib")
    link = feed_token(client.get(f"/plans/{plan_id}").text)
    first = client.get(f"/feeds/{link}.ics")
    assert first.status_code == 200
    store = app.extensions["dosecal.service.store"]

    def down(*_: object, **__: object) -> None:
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(store, "get", down)
    monkeypatch.setattr(store, "feed_state", down)
    page = client.get(f"/plans/{plan_id}")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "nothing was saved" in html.unescape(page.text)
    french = client.get(f"/plans/{plan_id}", headers={"Accept-Language": "fr"})
    assert french.status_code == 503 and "rien n’a été enregistré" in html.unescape(french.text)
    # The feed a phone already had is served from memory while the database is down.
    again = client.get(f"/feeds/{link}.ics")
    assert again.status_code == 200 and again.data == first.data
    unknown = client.get("/feeds/" + "x" * 43 + ".ics")
    assert unknown.status_code == 503 and unknown.headers["Retry-After"] == "60"


@pytest.mark.parametrize(
    ("note", "code"), [("low\x00counts", "U+0000"), ("low\rcounts", "U+000D"), ("low\u202ecounts", "U+202E")]
)
def test_a_why_with_a_control_or_direction_character_is_refused_beside_it_in_the_nurses_language(
    app: Flask, note: str, code: str
) -> None:
    """The adjust page's "Why" gets the label's checks, beside it, in the nurse's language.

    A NUL or CR once gave "not valid TOML: Illegal character", and a right-to-left override
    reached the patient's printout.
    """
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token)
    adjust = {"csrf": token, "version": "1", "delay_cycle": "2", "delay_days": "7", "note": note}
    for confirm in ({}, {"confirm": "1"}):
        answer = client.post(f"/plans/{plan_id}/adjust", data={**adjust, **confirm})
        assert answer.status_code == 422
        shown = error_beside(answer.text, "note")
        assert f"({code})" in shown and "TOML" not in answer.text
    client.get("/lang/fr")
    answer = client.post(f"/plans/{plan_id}/adjust", data=adjust)
    assert f"caractère de contrôle ou de sens d’écriture ({code})" in error_beside(answer.text, "note")
    assert "adjust" not in [c.action for c in app.extensions["dosecal.service.store"].history(plan_id)]


@pytest.mark.parametrize(
    "sent",
    [
        [("X-Remote-User", "proxy.nurse"), ("X-Remote-User", "attacker")],
        [("X-Remote-User", "proxy.nurse, attacker")],
        [("X-Remote-User", "proxy.nurse,attacker")],
    ],
)
def test_a_trusted_user_header_sent_twice_or_joined_is_refused(
    database: str, dosecal: Run, sent: list[tuple[str, str]]
) -> None:
    """Two headers reach the app joined ("nurse1, attacker"): whose request it is cannot be told."""
    store = Store(database_url(database))
    app = create_app(store, public_url=PUBLIC, trust_user_header="X-Remote-User")
    client = app.test_client()
    for path in ("/plans", "/plans/new?schedule=dasatinib", "/signin"):
        answer = client.get(path, headers=sent)
        assert answer.status_code == 403, (path, answer.status_code)
        assert "You are not signed in." in answer.text and "attacker" not in answer.text
    refused = client.post(
        "/plans/new?schedule=dasatinib",
        headers=sent,
        data={"start": "2027-01-04", "tz": "America/Toronto"},
    )
    assert refused.status_code in (400, 403)
    assert store.plans() == []
    assert client.get("/plans", headers={"X-Remote-User": "proxy.nurse"}).status_code == 200
    store.close()


def test_sessions_past_their_clinic_day_are_deleted_at_the_next_sign_in(app: Flask, database: str) -> None:
    """An expired session opens nothing; it is also not kept: the next sign-in deletes it."""
    first, second = app.test_client(), app.test_client()
    sign_in(first)
    engine = sa.create_engine(database_url(database))
    with engine.begin() as c:
        c.execute(sa.text("UPDATE sessions SET created = :at"), {"at": "2020-01-01 00:00:00"})
    sign_in(second, "jchen")
    with engine.connect() as c:
        rows = c.execute(sa.text('SELECT "user" FROM sessions')).all()
    engine.dispose()
    assert [row[0] for row in rows] == ["jchen"]
    assert second.get("/plans").status_code == 200


def test_the_audit_trail_says_who_opened_printed_and_downloaded_a_plan(app: Flask, dosecal: Run) -> None:
    """A privacy office's first question, answered by `dosecal audit`, with no patient words."""
    app.config["DOSECAL_TRUST_PROXY"] = True
    client = app.test_client()
    proxy = {"X-Forwarded-For": "10.0.0.5, 192.0.2.7"}
    token = sign_in(client)
    plan_id = create(client, token, "imatinib", label="Jane Example, bed 12")
    page = client.get(f"/plans/{plan_id}", headers=proxy)
    assert page.status_code == 200
    # The page's own preview is part of its view, not a print; the Print button's page is.
    assert f'src="/plans/{plan_id}/plan.html?preview=1"' in page.text
    assert client.get(f"/plans/{plan_id}/plan.html?preview=1").status_code == 200
    assert client.get(f"/plans/{plan_id}/plan.html").status_code == 200
    assert client.get(f"/plans/{plan_id}/plan.csv").status_code == 200
    other = app.test_client()
    sign_in(other, "jchen")
    other.get(f"/plans/{plan_id}")
    client.post("/signout", data={"csrf": csrf(client.get("/plans").text)})
    out = dosecal("audit", "--plan", plan_id, "--format", "json")
    assert out.exit_code == 0, out.output
    entries = json.loads(out.output)["entries"]
    assert [(e["user"], e["action"]) for e in entries] == [
        ("mtremblay", "add"),
        ("mtremblay", "view"),
        ("mtremblay", "feed-link"),
        ("mtremblay", "print"),
        ("mtremblay", "download:csv"),
        ("jchen", "view"),
        ("jchen", "feed-link"),
    ]
    assert entries[1]["client"] == "192.0.2.7" and entries[0]["client"] == "127.0.0.1"
    mine = dosecal("audit", "--user", "mtremblay")
    assert mine.output.splitlines()[0] == "at,user,action,plan_id,client,subject"
    actions = [line.split(",")[2] for line in mine.output.splitlines()[1:]]
    assert actions[0] == "sign-in" and actions[-1] == "sign-out"
    assert "Jane" not in mine.output and "bed 12" not in mine.output
    later = dosecal("audit", "--since", "2199-01-01")
    assert later.exit_code == 0 and later.output.strip() == "at,user,action,plan_id,client,subject"
    wrong = dosecal("audit", "--since", "2027-02-30")
    assert wrong.exit_code == 1 and "--since" in wrong.output


def test_audit_entries_older_than_the_retention_are_deleted(database: str, dosecal: Run) -> None:
    from datetime import UTC, datetime

    from dosecal.service.audit import Audit, audit

    store = Store(database_url(database))
    trail = Audit(store.engine)
    trail.record("view", user="mtremblay", plan_id="abc")
    with store.engine.begin() as c:
        c.execute(
            audit.insert().values(
                at=datetime(2020, 1, 1, tzinfo=UTC), user="old", action="view", plan_id="abc"
            )
        )
    assert [e.user for e in trail.entries(plan_id="abc")] == ["old", "mtremblay"]
    assert trail.purge(days=365) == 1
    assert [e.user for e in trail.entries(plan_id="abc")] == ["mtremblay"]
    store.close()


def test_a_nurse_sees_only_her_teams_plans_and_another_teams_is_a_404_like_none(
    app: Flask, dosecal: Run
) -> None:
    """Anna (oncology) makes a plan; Marie (clinic) cannot list or open it; Jo (admin) can."""
    for name, extra in (("anna", ("--team", "oncology")), ("jo", ("--team", "hematology", "--admin"))):
        made = dosecal("users", "add", name, *extra, input=PASSWORD + "\n")
        assert made.exit_code == 0, made.output
    anna = app.test_client()
    plan_id = create(anna, sign_in(anna, "anna"), "imatinib", label="oncology bed 3")
    marie = app.test_client()
    sign_in(marie)
    theirs = marie.get(f"/plans/{plan_id}")
    nothing = marie.get("/plans/0123456789ab")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.text.replace(plan_id, "ID") == nothing.text.replace("0123456789ab", "ID")
    assert marie.get(f"/plans/{plan_id}/plan.csv").status_code == 404
    assert "oncology bed 3" not in marie.get("/plans").text
    assert "oncology bed 3" in anna.get("/plans").text
    both = dosecal("users", "add", "lea", "--team", "clinic", "--team", "oncology", input=PASSWORD + "\n")
    assert both.exit_code == 0
    lea = app.test_client()
    lea_token = sign_in(lea, "lea")
    assert 'name="team"' in lea.get("/plans/new?schedule=imatinib").text
    assert 'name="team"' not in marie.get("/plans/new?schedule=imatinib").text  # one team: nothing to ask
    onco = create(lea, lea_token, "imatinib", team="oncology", label="lea oncology")
    assert marie.get(f"/plans/{onco}").status_code == 404 and anna.get(f"/plans/{onco}").status_code == 200
    jo = app.test_client()
    sign_in(jo, "jo")
    assert jo.get(f"/plans/{plan_id}").status_code == 200 and "oncology bed 3" in jo.get("/plans").text
    # The operator's command line sees every plan, and stores one for a team.
    assert plan_id in dosecal("store", "list").output
    stored = dosecal(
        "store",
        "add",
        "--plan",
        str(Path(__file__).parents[1] / "examples" / "imatinib.plan.toml"),
        "--team",
        "oncology",
        "--label",
        "cli oncology",
    )
    assert stored.exit_code == 0, stored.output
    assert "cli oncology" in anna.get("/plans").text and "cli oncology" not in marie.get("/plans").text
    bad = dosecal("users", "add", "x", "--team", "on cology", input=PASSWORD + "\n")
    assert bad.exit_code == 1 and "cannot name a team" in bad.output


def test_an_operator_moves_nurses_and_plans_between_teams_and_the_pages_follow(
    app: Flask, dosecal: Run
) -> None:
    """`users teams` and `store team` change who sees a plan at the next page, no restart."""
    made = dosecal("users", "add", "anna", "--team", "oncology", input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    anna, marie = app.test_client(), app.test_client()
    plan_id = create(anna, sign_in(anna, "anna"), "imatinib", label="moved bed 4")
    sign_in(marie)
    assert marie.get(f"/plans/{plan_id}").status_code == 404
    shown = dosecal("users", "teams", "mtremblay")
    assert shown.exit_code == 0 and shown.output.strip() == "mtremblay sees the plans of: clinic"
    joined = dosecal("users", "teams", "mtremblay", "--join", "oncology", "--leave", "clinic")
    assert joined.output.strip() == "mtremblay sees the plans of: oncology"
    assert marie.get(f"/plans/{plan_id}").status_code == 200
    assert "moved bed 4" in marie.get("/plans").text
    given = dosecal("store", "team", plan_id, "hematology")
    assert given.exit_code == 0 and f"plan {plan_id} now belongs to team hematology" in given.output
    assert marie.get(f"/plans/{plan_id}").status_code == anna.get(f"/plans/{plan_id}").status_code == 404
    assert dosecal("users", "teams", "mtremblay", "--admin").output.strip() == (
        "mtremblay sees every team's plans (teams: oncology)"
    )
    assert marie.get(f"/plans/{plan_id}").status_code == 200
    dosecal("users", "teams", "mtremblay", "--no-admin", "--leave", "oncology")
    assert dosecal("users", "teams", "mtremblay").output.strip() == "mtremblay is in no team and sees no plan"
    assert marie.get(f"/plans/{plan_id}").status_code == 404
    listed = dosecal("users", "list").output.splitlines()
    assert [line.split()[0] for line in listed] == ["anna", "jchen", "mtremblay"]
    assert listed[0].endswith("  oncology") and listed[2].endswith("UTC")
    unknown = dosecal("users", "teams", "nobody", "--join", "oncology")
    assert unknown.exit_code == 1 and "nobody" in unknown.output and "Traceback" not in unknown.output
    bad = dosecal("users", "teams", "anna", "--join", "on cology")
    assert bad.exit_code == 1 and "cannot name a team" in bad.output
    nowhere = dosecal("store", "team", "0123456789ab", "oncology")
    assert nowhere.exit_code == 1 and "0123456789ab" in nowhere.output


def test_the_command_lines_actions_are_in_the_audit_trail_with_who_and_about_whom(
    app: Flask, dosecal: Run
) -> None:
    """A plan's whole story: what the operator did on the command line is there beside the pages'."""
    plan = str(Path(__file__).parents[1] / "examples" / "imatinib.plan.toml")
    stored = dosecal("store", "add", "--plan", plan, "--by", "operator1")
    assert stored.exit_code == 0, stored.output
    found = re.search(r"stored plan (\w+)", stored.output)
    assert found
    plan_id = found.group(1)
    for args in (
        ("store", "show", plan_id),
        ("store", "adjust", plan_id, "--hold", "D3", "--dry-run"),  # a dry run changes nothing
        ("store", "adjust", plan_id, "--note", "low counts", "--hold", "D2", "--by", "op2"),
        ("store", "export", plan_id, "-o", os.devnull),
        ("store", "team", plan_id, "oncology"),
        ("store", "feed", plan_id, "--revoke"),
        ("store", "archive", plan_id),
        ("users", "teams", "jchen", "--join", "oncology"),
        ("users", "teams", "jchen"),  # only shown: nothing to record
        ("users", "remove", "jchen"),
    ):
        done = dosecal(*args)
        assert done.exit_code == 0, (args, done.output)
    out = dosecal("audit", "--format", "json")
    entries = [e for e in json.loads(out.output)["entries"] if e["client"] == "cli"]
    assert [(e["action"], e["plan_id"], e["subject"]) for e in entries][-9:] == [
        ("add", plan_id, ""),
        ("view", plan_id, ""),
        ("adjust", plan_id, ""),
        ("export", plan_id, ""),
        ("team", plan_id, "oncology"),
        ("feed-revoke", plan_id, ""),
        ("archive", plan_id, ""),
        ("user-teams", "", "jchen"),
        ("user-remove", "", "jchen"),
    ]
    by_action = {e["action"]: e["user"] for e in entries}
    assert by_action["add"] == "operator1" and by_action["adjust"] == "op2"
    assert "low counts" not in out.output


def test_a_write_lock_held_elsewhere_gives_503_in_bounded_time_and_feeds_keep_answering(
    app: Flask, database: str
) -> None:
    """Another program holds SQLite's write lock: reads and feeds answer, a change gets 503 in < 15 s."""
    if database.startswith("postgresql"):
        pytest.skip("the write lock of another process is SQLite's; PostgreSQL locks rows")
    import sqlite3
    import time

    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "imatinib")
    link = feed_token(client.get(f"/plans/{plan_id}").text)
    assert client.get(f"/feeds/{link}.ics").status_code == 200  # rendered once, before
    holder = sqlite3.connect(database, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for _ in range(3):  # not behind the lock's bounded wait (10 s): a read never waits for it
            started = time.monotonic()
            assert client.get(f"/feeds/{link}.ics").status_code == 200
            assert time.monotonic() - started < 2
        started = time.monotonic()
        answer = client.post(f"/plans/{plan_id}/archive", data={"csrf": token, "confirm": "1"})
        assert answer.status_code == 503 and time.monotonic() - started < 15
        assert "nothing was saved" in html.unescape(answer.text)
    finally:
        holder.rollback()
        holder.close()
    assert client.get(f"/plans/{plan_id}").status_code == 200  # nothing was archived
    assert "Archived" not in client.get(f"/plans/{plan_id}").text
