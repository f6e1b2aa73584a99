"""The clinic's own regimens on the pages: imported by an administrator after a preview, offered to nurses.

What ``dosecal store regimens import`` does, an administrator does at /admin/regimens through the
same library calls, seeing what the import gives (and what it leaves out) before confirming it; a
regimen in parts first asks which part, and a refused one says why and stores nothing. A nurse
then makes a plan of it on /plans/new, beside the built-ins, and the plan works as a built-in's
does: its page, feed, PDF, FHIR download, adjusting and upgrading to a newer version of the
regimen. Every test runs on SQLite and on PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from dosecal.service.database import database_url
from test_regimens import (
    ABI,
    ABIRATERONE,
    ALECTINIB,
    FIRST_MOVE,
    IN_PARTS,
    ROOT,
    first_dose,
    later_default_time,
)
from test_web import PASSWORD, Run, app, csrf, dosecal, sign_in
from test_web_admin import boss
from test_web_upgrade import moves_of, review_form

__all__ = ["app", "boss", "dosecal"]  # the clinic's fixtures, from the web and admin tests

TITLE = "GU PROS Castration resistant Metastatic - abiraterone and dexamethasone"


def text_of(page: str) -> str:
    """What a page says, as one line of words (tags and the form token left out)."""
    words = re.sub(r"<[^>]+>", " ", re.sub(r'name="(csrf|sealed)" value="[^"]*"', "", page))
    return re.sub(r"\s+", " ", html.unescape(words))


def upload(
    client: FlaskClient, token: str, path: Path, name: str | None = None, data: bytes | None = None
) -> TestResponse:
    """Send a file to the import form, as a browser does."""
    content = path.read_bytes() if data is None else data
    return client.post(
        "/admin/regimens/import",
        data={"csrf": token, "file": (io.BytesIO(content), name or path.name)},
        content_type="multipart/form-data",
    )


def hidden(page: str, form_button: str) -> dict[str, str]:
    """The hidden fields of the form holding the button ``form_button``, the form token left out."""
    for form in re.findall(r"<form .*?</form>", page, re.DOTALL):
        if f'id="{form_button}"' in form:
            fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
            return {k: html.unescape(v) for k, v in fields.items() if k != "csrf"}
    raise AssertionError(f"no form with #{form_button}")


def confirm(client: FlaskClient, token: str, preview: str) -> TestResponse:
    """Press the preview's Import button."""
    return client.post("/admin/regimens/import", data={"csrf": token, **hidden(preview, "confirm")})


def regimen_rows(database: str) -> int:
    engine = sa.create_engine(database_url(database))
    with engine.connect() as c:
        count = c.execute(sa.text("SELECT count(*) FROM regimens")).scalar_one()
    engine.dispose()
    return int(count)


def make_plan(client: FlaskClient, token: str, schedule: str = ABI, version: str = "1") -> str:
    """A plan of the regimen made on /plans/new from Monday 2027-01-04 in Pacific/Auckland; its id."""
    answer = client.post(
        f"/plans/new?schedule={schedule}",
        data={"csrf": token, "schedule": schedule, "start": "2027-01-04", "tz": "Pacific/Auckland",
              "lang": "en", "regimen_version": version},
    )  # fmt: skip
    assert answer.status_code == 303, text_of(answer.text)[:3000]
    found = re.search(r"/plans/(\w+)$", answer.headers["Location"])
    assert found
    return found.group(1)


def feed_of(app: Flask, client: FlaskClient, plan_id: str) -> bytes:
    """The plan's feed, by the link its page shows."""
    token = re.search(r"/feeds/([\w-]+)\.ics", client.get(f"/plans/{plan_id}").text)
    assert token
    answer = app.test_client().get(f"/feeds/{token.group(1)}.ics")
    assert answer.status_code == 200
    return answer.data


def import_on_the_page(client: FlaskClient, token: str, path: Path, name: str | None = None) -> str:
    """Upload, preview and confirm; the regimens page after it."""
    preview = upload(client, token, path, name)
    assert preview.status_code == 200, text_of(preview.text)[:3000]
    done = confirm(client, token, preview.text)
    assert done.status_code == 303 and done.headers["Location"] == "/admin/regimens#notice"
    return client.get("/admin/regimens").text


def test_an_administrator_sees_what_an_import_gives_before_it_is_stored(
    boss: tuple[FlaskClient, str], dosecal: Run, database: str
) -> None:
    admin, token = boss
    empty = admin.get("/admin/regimens")
    assert empty.status_code == 200
    assert "No regimen has been imported yet." in text_of(empty.text)
    assert 'enctype="multipart/form-data"' in empty.text and 'id="nav-regimens"' in empty.text
    preview = upload(admin, token, ALECTINIB, "alectinib.json")
    assert preview.status_code == 200
    shown = text_of(preview.text)
    assert "File: alectinib.json" in shown
    assert "LUNG NSCLC Metastatic - alectinib lung-nsclc-metastatic-alectinib" in shown
    assert "A new regimen: this is its version 1." in shown
    assert "Left out of the calendar (2)" in shown
    left_out = re.search(r'<ul class="left-out".*?</ul>', preview.text, re.DOTALL)
    assert left_out
    items = [text_of(item).strip() for item in re.findall(r"<li>.*?</li>", left_out.group(0))]
    assert len(items) == 2
    assert items[0].startswith("action[0].action[1] loperamide: taken only when needed (Take TWO capsules")
    assert items[1].startswith("action[0].action[2] domperidone: taken only when needed (When required")
    assert '<code class="path">action[0].action[1]</code>' in left_out.group(0)
    words = html.unescape(re.search(r"<pre tabindex=\"0\">(.*?)</pre>", preview.text, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert (
        "Daily dosing\n  Alectinib 600 mg, 2× daily, from day 1, no set end" in words
    )  # the schedule in words
    assert regimen_rows(database) == 0  # nothing stored before Confirm
    done = confirm(admin, token, preview.text)
    assert done.status_code == 303
    page = text_of(admin.get("/admin/regimens").text)
    assert (
        "Regimen lung-nsclc-metastatic-alectinib imported as version 1: nurses can make plans of it now."
        in page
    )
    assert re.search(r"Version 1: imported .* by boss \(current\) From the FHIR PlanDefinition alectinib\.json "
                     r"\(https://fhir\.nzf\.org\.nz/fhir/PlanDefinition/52331000210102\|1\.0\.0\) "
                     r"Left out of the calendar \(2\)", page)  # fmt: skip
    assert regimen_rows(database) == 1
    entries = json.loads(dosecal("audit", "--format", "json").output)["entries"]
    imports = [(e["user"], e["client"], e["subject"]) for e in entries if e["action"] == "regimen-import"]
    assert imports == [("boss", "127.0.0.1", "lung-nsclc-metastatic-alectinib")]
    # The same confirm sent again (a double click) stores nothing more.
    again = confirm(admin, token, preview.text)
    assert again.status_code == 303
    assert "has this very definition already (version 1): nothing was stored." in text_of(
        admin.get("/admin/regimens").text
    )
    assert regimen_rows(database) == 1
    assert dosecal("store", "regimens", "list").output.startswith("lung-nsclc-metastatic-alectinib  v1 ")
    # The same file again: the preview says there is nothing to import, and offers no button.
    same = upload(admin, token, ALECTINIB, "alectinib.json")
    assert "Version 1 has this very definition already: there is nothing to import." in text_of(same.text)
    assert 'id="confirm"' not in same.text


def test_a_nurse_makes_a_plan_of_the_abiraterone_regimen_that_works_as_a_built_ins(
    app: Flask, boss: tuple[FlaskClient, str]
) -> None:
    admin, admin_token = boss
    import_on_the_page(admin, admin_token, ABIRATERONE)
    nurse = app.test_client()
    token = sign_in(nurse)
    pick = nurse.get("/plans/new").text
    assert 'id="pick-imatinib"' in pick and f'id="pick-{ABI}"' in pick
    local = text_of(
        re.search(r'<section aria-labelledby="local-heading".*?</section>', pick, re.DOTALL).group(0)
    )  # type: ignore[union-attr]
    assert local.startswith(" The clinic's own regimens Imported by this clinic's administrators")
    assert (
        f"{TITLE} The clinic's own, version 1 Source: {TITLE}, version 1.0.0, New Zealand Medicines "
        f"Formulary LP (FHIR PlanDefinition) {ABI}"
    ) in local
    form = nurse.get(f"/plans/new?schedule={ABI}").text
    assert f"New plan: {TITLE}" in text_of(form)
    assert "The clinic's own regimen (version 1), imported by an administrator." in text_of(form)
    assert "Imported from the FHIR PlanDefinition 'GU PROS Castration" in text_of(form)  # not "the [1] ..."
    assert '<input type="hidden" name="regimen_version" value="1">' in form
    plan_id = make_plan(nurse, token)
    page = nurse.get(f"/plans/{plan_id}")
    assert page.status_code == 200 and TITLE in page.text
    assert "Newer definition available" not in page.text
    calendar = feed_of(app, nurse, plan_id)
    assert first_dose(calendar, "Abiraterone 1000 mg") == "2027-01-04T08:00:00+13:00"
    assert TITLE in text_of(nurse.get("/plans").text)  # the list names the regimen
    pdf = nurse.get(f"/plans/{plan_id}/plan.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    bundle = json.loads(nurse.get(f"/plans/{plan_id}/plan.fhir.json").data)
    assert bundle["resourceType"] == "Bundle"
    assert "Abiraterone" in json.dumps(bundle)
    assert nurse.get(f"/plans/{plan_id}/plan.html").status_code == 200
    assert nurse.get(f"/plans/{plan_id}/adjust").status_code == 200
    preview = nurse.post(
        f"/plans/{plan_id}/adjust",
        data={"csrf": token, "version": "1", "time_agent": "abiraterone", "time_from": "2027-01-11",
              "time_at": "10:00"},
    )  # fmt: skip
    assert preview.status_code == 200 and 'id="confirm"' in preview.text
    adjusted = nurse.post(
        f"/plans/{plan_id}/adjust",
        data={"csrf": token, "version": "1", "confirm": "1", "time_agent": "abiraterone",
              "time_from": "2027-01-11", "time_at": "10:00"},
    )  # fmt: skip
    assert adjusted.status_code == 303, text_of(adjusted.text)[:2000]
    later = starts_of(feed_of(app, nurse, plan_id), "Abiraterone 1000 mg")
    assert later[:8] == [f"2027-01-{d:02d}T08:00:00+13:00" for d in range(4, 11)] + [
        "2027-01-11T10:00:00+13:00"
    ]


def starts_of(calendar: bytes, summary: str) -> list[str]:
    """The starts of the events called ``summary``, in order, as ISO dates and times."""
    from icalendar import Calendar

    found = [
        e.decoded("dtstart")
        for e in Calendar.from_ical(calendar).walk("VEVENT")
        if str(e["summary"]) == summary
    ]
    return [moment.isoformat() for moment in sorted(found)]


def test_a_new_version_imported_on_the_page_is_offered_on_the_plan_and_its_review_lists_the_moves(
    app: Flask, boss: tuple[FlaskClient, str], dosecal: Run, tmp_path: Path
) -> None:
    admin, admin_token = boss
    import_on_the_page(admin, admin_token, ABIRATERONE)
    nurse = app.test_client()
    token = sign_in(nurse)
    plan_id = make_plan(nurse, token)
    changed = tmp_path / "abiraterone.toml"
    changed.write_text(later_default_time(dosecal("store", "regimens", "show", ABI, "--definition").output))
    preview = upload(admin, admin_token, changed)
    assert preview.status_code == 200
    shown = text_of(preview.text)
    assert re.search(r"Version 2, in place of version 1 \(imported .* by boss\): every plan made of the "
                     r"regimen will offer the upgrade\.", shown)  # fmt: skip
    assert "Left out of the calendar (0) Nothing: a definition file is imported whole." in shown
    assert "Newer definition available" not in nurse.get(f"/plans/{plan_id}").text  # not yet confirmed
    assert confirm(admin, admin_token, preview.text).status_code == 303
    listed = text_of(admin.get("/admin/regimens").text)
    assert re.search(r"Version 2: imported .* by boss \(current\) From the definition abiraterone\.toml "
                     r"Version 1: imported .* by boss From the FHIR PlanDefinition", listed)  # fmt: skip
    page = nurse.get(f"/plans/{plan_id}").text
    assert "Newer definition available" in page
    review = nurse.get(f"/plans/{plan_id}/upgrade").text
    moves = moves_of(review)
    assert moves[0] == FIRST_MOVE
    assert moves[1] == "moves: Day 2 Abiraterone 1000 mg: Tue 5 Jan 2027 08:00 → Tue 5 Jan 2027 09:00"
    assert len(moves) == 90
    applied = nurse.post(f"/plans/{plan_id}/upgrade", data={"csrf": token, **review_form(review)})
    assert applied.status_code == 303 and applied.headers["Location"].endswith("?saved=2")
    assert first_dose(feed_of(app, nurse, plan_id), "Abiraterone 1000 mg") == "2027-01-04T09:00:00+13:00"
    assert "Newer definition available" not in nurse.get(f"/plans/{plan_id}").text
    # A new plan made now is of version 2; a form opened on version 1 is shown again, nothing stored.
    stale = nurse.post(
        f"/plans/new?schedule={ABI}",
        data={"csrf": token, "schedule": ABI, "start": "2027-01-04", "tz": "Pacific/Auckland", "lang": "en",
              "regimen_version": "1"},
    )  # fmt: skip
    assert stale.status_code == 422
    assert "Version 2 of this regimen was imported while this form was open: nothing was stored." in text_of(
        stale.text
    )
    assert '<input type="hidden" name="regimen_version" value="2">' in stale.text
    fresh = make_plan(nurse, token, version="2")
    assert first_dose(feed_of(app, nurse, fresh), "Abiraterone 1000 mg") == "2027-01-04T09:00:00+13:00"


def test_a_regimen_in_parts_asks_for_its_part_and_a_refused_part_says_why_and_stores_nothing(
    boss: tuple[FlaskClient, str], database: str
) -> None:
    admin, token = boss
    asked = upload(admin, token, IN_PARTS)
    assert asked.status_code == 200
    shown = text_of(asked.text)
    assert "This regimen is given in 2 parts: which one do you import?" in shown
    assert 'id="part-1"' in asked.text and 'id="part-2"' in asked.text
    assert "Part 1: cISplatin chemoradiation" in shown and "Part 2: cARBOplatin and PACLItaxel" in shown
    assert 'id="confirm"' not in asked.text
    fields = hidden(asked.text, "choose-part")
    none = admin.post("/admin/regimens/import", data={"csrf": token, **fields, "part": ""})
    assert none.status_code == 422 and "Choose one of the parts." in text_of(none.text)
    # As a browser sends it when no radio button is chosen: no "part" field at all.
    unset = admin.post("/admin/regimens/import", data={"csrf": token, **fields})
    assert unset.status_code == 422 and "Choose one of the parts." in text_of(unset.text)
    refused = admin.post("/admin/regimens/import", data={"csrf": token, **fields, "part": "2"})
    assert refused.status_code == 422
    said = text_of(refused.text)
    assert "This file cannot be imported: nothing was stored." in said
    assert (
        "contained[1].contained[9].dosage[0].doseAndRate[0].doseQuantity cARBOplatin: a dose by AUC (area "
        "under the curve), which the care team calculates: not mapped"
    ) in said
    assert "refused: a calendar without these parts would not be a safe schedule; nothing was written" in said
    assert 'id="confirm"' not in refused.text and 'id="other-part"' in refused.text
    assert "Traceback" not in refused.text
    assert regimen_rows(database) == 0


def test_an_id_of_a_built_in_and_a_file_that_is_not_a_regimen_are_refused_with_the_command_lines_words(
    boss: tuple[FlaskClient, str], database: str
) -> None:
    admin, token = boss
    builtin = upload(admin, token, ROOT / "schedules" / "imatinib.toml", "my-imatinib.toml")
    assert builtin.status_code == 422
    assert (
        "schedule.id 'imatinib' is the id of a built-in schedule, and a local regimen cannot take a "
        "built-in's place"
    ) in text_of(builtin.text)
    json_list = upload(admin, token, ABIRATERONE, "list.json", data=b'{"resourceType": "Patient"}')
    assert json_list.status_code == 422
    assert 'not a FHIR PlanDefinition ("Patient")' in text_of(json_list.text)
    assert "resourceType: not a FHIR PlanDefinition" in text_of(json_list.text)  # a key without a path: whole
    broken = upload(admin, token, ABIRATERONE, "broken.toml", data=b"[schedule\nid = 1")
    assert broken.status_code == 422 and "This file cannot be imported: nothing was stored." in text_of(
        broken.text
    )
    none = admin.post("/admin/regimens/import", data={"csrf": token}, content_type="multipart/form-data")
    assert none.status_code == 422
    assert re.search(r'<p class="error" id="file-error">Choose a file to import\.</p>', none.text)
    # A body over 1 MiB, built by hand (the test client would spool a large form to a file of its own).
    body = (
        b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + token.encode() + b"\r\n--b\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.json"\r\n\r\n'
        + b" " * (1024 * 1024)
        + b"{}\r\n--b--\r\n"
    )
    too_large = admin.post(
        "/admin/regimens/import", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert too_large.status_code == 413
    assert "The file is too large: a regimen's file may have at most 1 MiB (1024 KB)." in text_of(
        too_large.text
    )
    assert regimen_rows(database) == 0


def test_a_preview_confirmed_after_another_version_was_imported_is_a_conflict(
    boss: tuple[FlaskClient, str], dosecal: Run, tmp_path: Path, database: str
) -> None:
    admin, token = boss
    import_on_the_page(admin, token, ABIRATERONE)
    definition = dosecal("store", "regimens", "show", ABI, "--definition").output
    mine = tmp_path / "mine.toml"
    mine.write_text(later_default_time(definition))
    preview = upload(admin, token, mine)
    theirs = tmp_path / "theirs.toml"
    theirs.write_text(definition.replace('dose = "1000 mg"', 'dose = "500 mg"'))
    assert dosecal("store", "regimens", "import", str(theirs)).exit_code == 0  # version 2, meanwhile
    late = confirm(admin, token, preview.text)
    assert late.status_code == 409
    said = text_of(late.text)
    assert (
        f"The regimen was not imported the local regimen {ABI} changed after its import was previewed" in said
    )
    assert "Version 3, in place of version 2" in said  # the preview, shown again as it is now
    assert regimen_rows(database) == 2
    assert confirm(admin, token, late.text).status_code == 303
    assert regimen_rows(database) == 3


def test_a_tampered_or_anothers_preview_is_refused(
    app: Flask, boss: tuple[FlaskClient, str], dosecal: Run, database: str
) -> None:
    admin, token = boss
    preview = upload(admin, token, ABIRATERONE)
    fields = hidden(preview.text, "confirm")
    data, mac = fields["sealed"].split(".")
    forged = {**fields, "sealed": data[:-4] + "AAAA." + mac}
    assert admin.post("/admin/regimens/import", data={"csrf": token, **forged}).status_code == 400
    assert dosecal("users", "add", "other", "--admin", input=PASSWORD + "\n").exit_code == 0
    other = app.test_client()
    other_token = sign_in(other, "other")
    assert other.post("/admin/regimens/import", data={"csrf": other_token, **fields}).status_code == 400
    assert regimen_rows(database) == 0


def test_a_nurse_who_is_not_an_administrator_gets_404_on_the_regimens_pages(app: Flask, dosecal: Run) -> None:
    nurse = app.test_client()
    token = sign_in(nurse)
    assert nurse.get("/admin/regimens").status_code == 404
    posted = nurse.post(
        "/admin/regimens/import",
        data={"csrf": token, "file": (io.BytesIO(ABIRATERONE.read_bytes()), ABIRATERONE.name)},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 404
    assert 'id="nav-regimens"' not in nurse.get("/plans").text
    stranger = app.test_client()
    assert stranger.get("/admin/regimens").headers["Location"].startswith("/signin?next=")
    # A regimen's PlanDefinition too, once one is stored.
    assert dosecal("store", "regimens", "import", str(ABIRATERONE)).exit_code == 0
    download = f"/admin/regimens/{ABI}/plandefinition.json"
    assert nurse.get(download).status_code == 404
    assert stranger.get(download).headers["Location"].startswith("/signin?next=")
    assert csrf(nurse.get("/plans").text)


def export_of(dosecal: Run, tmp_path: Path, ident: str) -> tuple[bytes, list[str]]:
    """What ``dosecal fhir export`` writes for the stored definition (``store regimens show --definition``).

    The PlanDefinition's bytes, and what the command says on standard error is not carried.
    """
    text = dosecal("store", "regimens", "show", ident, "--definition")
    assert text.exit_code == 0, text.output
    definition = tmp_path / f"{ident}.toml"
    definition.write_text(text.stdout, encoding="utf-8")
    written = tmp_path / f"{ident}.json"
    out = dosecal("fhir", "export", str(definition), "-o", str(written))
    assert out.exit_code == 0, out.output
    prefix = f"dosecal: {definition}: not carried: "
    lines = [line.removeprefix(prefix) for line in out.stderr.splitlines()]
    assert all(not line.startswith("dosecal:") for line in lines), out.stderr
    return written.read_bytes(), lines


def test_a_regimens_plandefinition_downloads_as_the_bytes_fhir_export_writes(
    boss: tuple[FlaskClient, str], dosecal: Run, database: str, tmp_path: Path
) -> None:
    from dosecal.inputs import definitions
    from dosecal.render.plandefinition import to_plandefinition

    admin, token = boss
    page = import_on_the_page(admin, token, ABIRATERONE)
    link = f"/admin/regimens/{ABI}/plandefinition.json"
    assert f'href="{link}" id="plandefinition-{ABI}" download>PlanDefinition (FHIR)</a>' in page
    assert f'id="not-carried-{ABI}"' not in page  # the profile carries all of it: nothing listed
    got = admin.get(link)
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert got.headers["Content-Disposition"] == f'attachment; filename="PlanDefinition-{ABI}.json"'
    engine = sa.create_engine(database_url(database))
    with engine.connect() as c:
        stored = c.execute(
            sa.text("SELECT definition FROM regimens WHERE id = :id"), {"id": ABI}
        ).scalar_one()
    engine.dispose()
    assert got.data == to_plandefinition(definitions.loads(stored, "stored")).data
    cli, not_carried = export_of(dosecal, tmp_path, ABI)
    assert got.data == cli and not_carried == []
    assert json.loads(got.data)["resourceType"] == "PlanDefinition"
    assert admin.get("/admin/regimens/no-such-regimen/plandefinition.json").status_code == 404


def test_what_the_profile_cannot_carry_is_listed_beside_the_download(
    boss: tuple[FlaskClient, str], dosecal: Run, tmp_path: Path
) -> None:
    admin, token = boss
    copy = tmp_path / "inotuzumab-local.toml"
    text = (ROOT / "schedules" / "inotuzumab.toml").read_text(encoding="utf-8")
    assert 'id = "inotuzumab"\n' in text
    copy.write_text(text.replace('id = "inotuzumab"\n', 'id = "inotuzumab-local"\n', 1), encoding="utf-8")
    page = import_on_the_page(admin, token, copy)
    cli, not_carried = export_of(dosecal, tmp_path, "inotuzumab-local")
    assert any("premedication" in line for line in not_carried), not_carried
    listed = re.search(
        r'<details class="left-out" id="not-carried-inotuzumab-local">.*?</details>', page, re.DOTALL
    )
    assert listed, page
    assert f"Not carried by the PlanDefinition ({len(not_carried)})" in listed.group(0)
    assert [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", listed.group(0))] == not_carried
    assert admin.get("/admin/regimens/inotuzumab-local/plandefinition.json").data == cli


def test_a_regimen_this_dosecal_cannot_read_again_says_so_instead_of_a_download(
    boss: tuple[FlaskClient, str], dosecal: Run, database: str
) -> None:
    admin, token = boss
    import_on_the_page(admin, token, ABIRATERONE)
    engine = sa.create_engine(database_url(database))
    with engine.begin() as c:  # as a later dosecal might find a definition an older one stored
        c.execute(sa.text("UPDATE regimens SET definition = 'not = [a definition'"))
    engine.dispose()
    page = admin.get("/admin/regimens")
    assert page.status_code == 200
    assert f'id="not-exported-{ABI}"' in page.text and f'id="plandefinition-{ABI}"' not in page.text
    assert admin.get(f"/admin/regimens/{ABI}/plandefinition.json").status_code == 404


def test_the_regimens_page_names_a_command_line_import_by_its_file_name_not_its_path(
    app: Flask, dosecal: Run, boss: tuple[FlaskClient, str]
) -> None:
    admin, _ = boss
    assert dosecal("store", "regimens", "import", str(ABIRATERONE)).exit_code == 0
    page = html.unescape(admin.get("/admin/regimens").text)
    assert f"From the FHIR PlanDefinition {ABIRATERONE.name} (" in page
    assert str(ABIRATERONE.parent) not in page
