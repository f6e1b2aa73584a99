"""A newer schedule definition offered on the plan page and applied from it (``dosecal store upgrade``).

The plan page compares the definition found now at the plan's origin with the plan's snapshot,
as ``store upgrade`` does; the review page lists what ``store upgrade --dry-run`` prints, in the
same words, and its Confirm applies :meth:`Store.upgrade` as the signed-in nurse, refused as a
conflict when the plan or the definition changed after the review.
"""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from dosecal.service.database import database_url
from test_store import own_inotuzumab
from test_web import PASSWORD, Run, app, create, dosecal, sign_in

__all__ = ["app", "dosecal"]  # fixtures


#: What ``store upgrade`` prints when cycle 1's first infusion goes from 60 to 90 minutes.
MOVED = "moves: C1D1 Observation after inotuzumab ozogamicin: Mon 4 Jan 2027 11:00 → Mon 4 Jan 2027 11:30"

#: The premedication block of the inotuzumab definition (test_store's withdrawn-drug test).
PREMEDICATION = re.compile(r"\n  # A corticosteroid[^\n]*\n  \[\[phases\.premedications\]\]\n(  [^\n]*\n)+")


def own_plan(folder: Path, dosecal: Run) -> tuple[Path, str, str]:
    """A plan stored from its own copy of the inotuzumab definition: the file, the plan's id, its feed token."""
    definition, plan = own_inotuzumab(folder)
    added = dosecal("store", "add", "--plan", str(plan), "--label", "bed 7")
    assert added.exit_code == 0, added.output
    plan_id = re.search(r"stored plan (\w+) \(version 1\)", added.output)
    token = re.search(r"/feeds/([\w-]+)\.ics", added.output)
    assert plan_id and token, added.output
    return definition, plan_id.group(1), token.group(1)


def longer_first_infusion(definition: Path) -> None:
    """Cycle 1's first infusion now lasts 90 minutes: the observation after it starts 30 minutes later."""
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("minutes = 60\n", "minutes = 90\n", 1), encoding="utf-8")


def reviewed(app: Flask, dosecal: Run, tmp_path: Path) -> tuple[Path, str, FlaskClient, dict[str, str]]:
    """A plan whose definition now has a 90-minute first infusion, its review open in a nurse's browser.

    Returns the definition file, the plan's id, the signed-in browser, and the review's form
    (its token included) as the confirm button would post it.
    """
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    longer_first_infusion(definition)
    client = app.test_client()
    token = sign_in(client)
    return (
        definition,
        plan_id,
        client,
        {"csrf": token, **review_form(client.get(f"/plans/{plan_id}/upgrade").text)},
    )


def moves_of(page: str) -> list[str]:
    """The review's list of what moves, as the nurse reads it."""
    found = re.search(r'<ul class="moves"[^>]*>(.*?)</ul>', page, re.DOTALL)
    assert found, "no list of moves"
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.DOTALL)]


def review_form(page: str) -> dict[str, str]:
    """The confirm form's fields as the review page gives them."""
    form = re.search(r'<form method="post" action="/plans/\w+/upgrade".*?</form>', page, re.DOTALL)
    assert form, "no confirm form"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(0)))
    return {k: v for k, v in fields.items() if k != "csrf"}  # each test says whose token it sends


def test_the_plan_page_offers_an_upgrade_only_when_the_definition_at_its_origin_changed(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    client = app.test_client()
    sign_in(client)
    page = client.get(f"/plans/{plan_id}").text
    assert 'id="upgrade"' not in page and "Newer definition available" not in page
    assert "cannot be read" not in page
    longer_first_infusion(definition)
    page = client.get(f"/plans/{plan_id}").text
    assert "Newer definition available" in page
    assert f'href="/plans/{plan_id}/upgrade"' in page
    definition.write_text(
        definition.read_text(encoding="utf-8").replace("minutes = 90\n", "minutes = 60\n", 1)
    )
    assert "Newer definition available" not in client.get(f"/plans/{plan_id}").text  # the same again


def test_a_plan_made_from_an_older_built_in_is_offered_the_installed_one(app: Flask, database: str) -> None:
    """A built-in plan's origin is the installed built-in: an older snapshot is offered the new one."""
    client = app.test_client()
    token = sign_in(client)
    plan_id = create(client, token, "imatinib")
    assert "Newer definition available" not in client.get(f"/plans/{plan_id}").text
    engine = sa.create_engine(database_url(database))
    with engine.begin() as connection:
        old = connection.execute(
            sa.text("SELECT definition FROM plans WHERE id = :id"), {"id": plan_id}
        ).scalar()
        connection.execute(
            sa.text("UPDATE plans SET definition = :d WHERE id = :id"),
            {"d": old + "\n# as it was before the last release\n", "id": plan_id},
        )
    engine.dispose()
    assert "Newer definition available" in client.get(f"/plans/{plan_id}").text
    review = client.get(f"/plans/{plan_id}/upgrade").text
    assert "No event moves or changes: only the definition's text differs." in html.unescape(review)
    assert (
        client.post(f"/plans/{plan_id}/upgrade", data={"csrf": token, **review_form(review)}).status_code
        == 303
    )
    assert "Newer definition available" not in client.get(f"/plans/{plan_id}").text


def test_an_unreadable_definition_is_a_short_line_and_the_plan_still_works(
    app: Flask, dosecal: Run, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    client = app.test_client()
    token = sign_in(client)
    for broken in ("[[[ not toml", None):
        if broken is None:
            definition.unlink()
        else:
            definition.write_text(broken, encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="dosecal.web"):
            page = client.get(f"/plans/{plan_id}")
        assert page.status_code == 200
        shown = html.unescape(page.text)
        assert "The definition at this plan's origin cannot be read or has a problem" in shown
        assert "Newer definition available" not in shown
        assert str(tmp_path) not in shown and "Traceback" not in shown
        assert str(definition) in caplog.text  # the server's log says which file and why
        assert client.get(f"/plans/{plan_id}/plan.ics").status_code == 200  # the plan works as it was
        review = client.get(f"/plans/{plan_id}/upgrade")
        assert review.status_code == 422
        text = html.unescape(review.text)
        assert "The definition at this plan's origin has a problem" in text
        assert "Ask whoever maintains the schedule definitions" in text
        assert str(tmp_path) not in text and 'id="confirm"' not in text
        posted = client.post(
            f"/plans/{plan_id}/upgrade", data={"csrf": token, "version": "1", "definition": "x"}
        )
        assert posted.status_code == 422 and str(tmp_path) not in posted.text
        caplog.clear()
    assert [c.version for c in app.extensions["dosecal.service.store"].history(plan_id)] == [1]


def test_the_review_lists_what_moves_in_store_upgrades_words_and_changes_nothing(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    longer_first_infusion(definition)
    client = app.test_client()
    sign_in(client)
    before = client.get(f"/plans/{plan_id}/plan.ics").data
    answer = client.get(f"/plans/{plan_id}/upgrade")
    assert answer.status_code == 200
    moves = moves_of(answer.text)
    assert MOVED in moves
    assert any(m.startswith("changes: C1D1 ") for m in moves)  # the infusion: same start, later end
    dry = dosecal("store", "upgrade", plan_id, "--dry-run")
    assert dry.exit_code == 0
    assert moves == [line for line in dry.output.splitlines() if line.startswith(("moves:", "changes:"))]
    assert "2 events differ" in answer.text
    assert 'id="withdrawn"' not in answer.text
    form = review_form(answer.text)
    assert form["version"] == "1" and re.fullmatch(r"[0-9a-f]{64}", form["definition"])
    # Nothing changed by looking.
    assert client.get(f"/plans/{plan_id}/plan.ics").data == before
    assert [c.action for c in app.extensions["dosecal.service.store"].history(plan_id)] == ["add"]


def test_the_review_lists_the_drugs_it_takes_out(app: Flask, dosecal: Run, tmp_path: Path) -> None:
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    definition.write_text(PREMEDICATION.sub("\n", definition.read_text(encoding="utf-8")), encoding="utf-8")
    client = app.test_client()
    token = sign_in(client)
    page = client.get(f"/plans/{plan_id}/upgrade").text
    taken = re.search(r'<ul class="withdrawn"[^>]*>(.*?)</ul>', page, re.DOTALL)
    assert taken, page
    words = "taken out: Corticosteroid, antipyretic and antihistamine (no longer in the definition)"
    assert [html.unescape(i) for i in re.findall(r"<li>(.*?)</li>", taken.group(1))] == [words]
    assert words in dosecal("store", "upgrade", plan_id, "--dry-run").output  # the command line's words
    assert any(m.startswith("removed: ") for m in moves_of(page))
    applied = client.post(f"/plans/{plan_id}/upgrade", data={"csrf": token, **review_form(page)})
    assert applied.status_code == 303
    assert (
        '"premedication" = "Corticosteroid, antipyretic and antihistamine"'
        in dosecal("store", "export", plan_id).output
    )


def test_confirming_applies_the_upgrade_as_the_nurse(app: Flask, dosecal: Run, tmp_path: Path) -> None:
    definition, plan_id, feed = own_plan(tmp_path, dosecal)
    client = app.test_client()
    token = sign_in(client)
    phone = app.test_client()
    etag = phone.get(f"/feeds/{feed}.ics").headers["ETag"]
    longer_first_infusion(definition)
    assert phone.get(f"/feeds/{feed}.ics").headers["ETag"] == etag  # not before it is confirmed
    form = review_form(client.get(f"/plans/{plan_id}/upgrade").text)
    answer = client.post(f"/plans/{plan_id}/upgrade", data={"csrf": token, **form})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/plans/{plan_id}?saved=2"
    page = html.unescape(client.get(answer.headers["Location"]).text)
    assert "Saved as version 2." in page and "· version 2" in page
    assert "Definition upgraded (version 2)" in page
    assert "Newer definition available" not in page
    assert phone.get(f"/feeds/{feed}.ics").headers["ETag"] != etag
    history = app.extensions["dosecal.service.store"].history(plan_id)
    assert [(c.action, c.who, c.version) for c in history] == [
        ("add", history[0].who, 1),
        ("upgrade", "mtremblay", 2),
    ]
    assert "upgrade by mtremblay" in dosecal("store", "show", plan_id).output
    audit = json.loads(dosecal("audit", "--plan", plan_id, "--format", "json").output)["entries"]
    assert ("mtremblay", "upgrade") in [(e["user"], e["action"]) for e in audit]
    # The same as the command line's: SEQUENCE raised for the two events that differ.
    assert "\n[revisions]\n" in dosecal("store", "export", plan_id).output
    same = client.get(f"/plans/{plan_id}/upgrade").text
    assert f"Plan {plan_id} already uses this definition: nothing changes" in same
    assert 'id="confirm"' not in same


def test_a_confirm_sent_twice_is_applied_once_and_says_so(app: Flask, dosecal: Run, tmp_path: Path) -> None:
    _definition, plan_id, client, form = reviewed(app, dosecal, tmp_path)
    assert client.post(f"/plans/{plan_id}/upgrade", data=form).status_code == 303
    again = client.post(f"/plans/{plan_id}/upgrade", data=form)
    assert again.status_code == 303
    assert again.headers["Location"] == f"/plans/{plan_id}?saved=2&twice=upgrade"
    assert "this upgrade was sent twice and applied once" in client.get(again.headers["Location"]).text
    assert [c.version for c in app.extensions["dosecal.service.store"].history(plan_id)] == [1, 2]


@pytest.mark.parametrize("meanwhile", ["upgrade", "adjust"])
def test_a_review_confirmed_after_someone_elses_change_gets_the_conflict_page(
    app: Flask, dosecal: Run, tmp_path: Path, meanwhile: str
) -> None:
    _definition, plan_id, client, form = reviewed(app, dosecal, tmp_path)
    if meanwhile == "upgrade":
        other = app.test_client()
        other_token = sign_in(other, "jchen")
        other_form = review_form(other.get(f"/plans/{plan_id}/upgrade").text)
        assert (
            other.post(f"/plans/{plan_id}/upgrade", data={"csrf": other_token, **other_form}).status_code
            == 303
        )
    else:
        assert dosecal("store", "adjust", plan_id, "--delay", "2=7", "--by", "jchen").exit_code == 0
    answer = client.post(f"/plans/{plan_id}/upgrade", data=form)
    assert answer.status_code == 409
    text = html.unescape(answer.text)
    assert "The upgrade was not applied" in text
    assert "Someone changed this plan meanwhile: nothing was saved. Review the upgrade again" in text
    assert f'href="/plans/{plan_id}/upgrade" id="review-again"' in answer.text
    assert "Traceback" not in text and "dosecal store show" not in text
    assert [c.who for c in app.extensions["dosecal.service.store"].history(plan_id)][-1] == "jchen"
    assert len(app.extensions["dosecal.service.store"].history(plan_id)) == 2


def test_a_definition_changed_again_after_the_review_is_not_applied(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    """What is applied is what the nurse reviewed: a definition edited since is refused."""
    definition, plan_id, client, form = reviewed(app, dosecal, tmp_path)
    definition.write_text(
        definition.read_text(encoding="utf-8").replace("minutes = 90\n", "minutes = 120\n", 1)
    )
    answer = client.post(f"/plans/{plan_id}/upgrade", data=form)
    assert answer.status_code == 409
    assert "The definition changed again after you reviewed it: nothing was saved." in html.unescape(
        answer.text
    )
    assert 'id="review-again"' in answer.text
    assert [c.action for c in app.extensions["dosecal.service.store"].history(plan_id)] == ["add"]
    again = client.get(f"/plans/{plan_id}/upgrade").text
    assert MOVED.replace("11:30", "12:00") in moves_of(again)


def test_an_archived_plan_is_offered_no_upgrade_and_refuses_one(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    _definition, plan_id, client, form = reviewed(app, dosecal, tmp_path)
    assert dosecal("store", "archive", plan_id).exit_code == 0
    page = client.get(f"/plans/{plan_id}").text
    assert "Newer definition available" not in page and "cannot be read" not in page
    for answer in (
        client.get(f"/plans/{plan_id}/upgrade"),
        client.post(f"/plans/{plan_id}/upgrade", data=form),
    ):
        assert answer.status_code == 409
        assert "This plan is archived: it can no longer change" in answer.text
        assert 'id="confirm"' not in answer.text and 'id="review-again"' not in answer.text
    assert [c.action for c in app.extensions["dosecal.service.store"].history(plan_id)] == ["add", "archive"]


def test_the_upgrade_needs_a_session_the_plans_team_and_this_sites_token(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    longer_first_infusion(definition)
    client = app.test_client()
    token = sign_in(client)
    form = review_form(client.get(f"/plans/{plan_id}/upgrade").text)
    stranger = app.test_client()
    signed_out = stranger.get(f"/plans/{plan_id}/upgrade")
    assert signed_out.status_code == 303 and signed_out.headers["Location"].startswith("/signin?next=")
    assert "bed 7" not in signed_out.text
    assert stranger.post(f"/plans/{plan_id}/upgrade", data=form).status_code == 400  # no session, no token
    # Another team's nurse: the plan does not exist for her, as elsewhere.
    assert dosecal("users", "add", "anna", "--team", "oncology", input=PASSWORD + "\n").exit_code == 0
    anna = app.test_client()
    anna_token = sign_in(anna, "anna")
    theirs = anna.get(f"/plans/{plan_id}/upgrade")
    nothing = anna.get("/plans/0123456789ab/upgrade")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.text.replace(plan_id, "ID") == nothing.text.replace("0123456789ab", "ID")
    refused = anna.post(f"/plans/{plan_id}/upgrade", data={**form, "csrf": anna_token})
    assert refused.status_code == 404
    # No token, or another session's: refused before anything is read.
    assert client.post(f"/plans/{plan_id}/upgrade", data=form).status_code == 400
    assert client.post(f"/plans/{plan_id}/upgrade", data={**form, "csrf": anna_token}).status_code == 400
    assert "did not come from this site" in client.post(f"/plans/{plan_id}/upgrade", data=form).text
    assert [c.action for c in app.extensions["dosecal.service.store"].history(plan_id)] == ["add"]
    assert client.post(f"/plans/{plan_id}/upgrade", data={**form, "csrf": token}).status_code == 303


def test_the_review_page_speaks_french_with_the_command_lines_words(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    longer_first_infusion(definition)
    client = app.test_client()
    sign_in(client)
    client.get("/lang/fr")
    page = client.get(f"/plans/{plan_id}/upgrade")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert (
        "déplacé : C1J1 Observation après inotuzumab ozogamicine : lun. 4 janv. 2027 à 11\xa0h → "
        "lun. 4 janv. 2027 à 11\xa0h\xa030"
    ) in moves_of(page.text)


def test_an_unreadable_definition_is_logged_once_not_at_every_view(
    app: Flask, dosecal: Run, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten views of the plan: one log line; the file broken another way: one more."""
    definition, plan_id, _ = own_plan(tmp_path, dosecal)
    client = app.test_client()
    sign_in(client)
    definition.write_text("[[[ not toml", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="dosecal.web"):
        for _ in range(10):
            assert client.get(f"/plans/{plan_id}").status_code == 200
        definition.unlink()
        assert client.get(f"/plans/{plan_id}").status_code == 200
        assert client.get(f"/plans/{plan_id}").status_code == 200
    lines = [
        r
        for r in caplog.records
        if f"plan {plan_id}: the definition at its origin cannot be read" in r.getMessage()
    ]
    assert len(lines) == 2, [r.getMessage() for r in lines]


def test_the_plans_list_names_a_plan_of_a_definition_file_by_its_file_name_not_its_path(
    app: Flask, dosecal: Run, tmp_path: Path
) -> None:
    definition, _, _ = own_plan(tmp_path, dosecal)
    client = app.test_client()
    sign_in(client)
    listed = html.unescape(client.get("/plans").text)
    assert f">{definition.name}<" in listed
    assert str(tmp_path) not in listed
