"""The plan store: commands, history, optimistic concurrency, definition snapshots, schema checks.

Each test runs on SQLite and on a real PostgreSQL (the ``database`` fixture), because the
version check and the token look-up are SQL that both must honour the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from dosecal.cli import main
from dosecal.errors import ConflictError, PlanError
from dosecal.inputs import overrides
from dosecal.inputs.overrides import Overrides
from dosecal.service import store
from dosecal.service.database import database_url, upgrade
from dosecal.service.store import Store

ROOT = Path(__file__).resolve().parents[1]
INOTUZUMAB = ROOT / "examples" / "inotuzumab.plan.toml"

Run = Callable[..., Result]


@pytest.fixture
def dosecal(database: str) -> Run:
    """The command line on this test's database (through $DOSECAL_DB, as a clinic would set it)."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env={"DOSECAL_DB": database}, catch_exceptions=False)

    return run


@pytest.fixture
def migrated(dosecal: Run) -> Run:
    """The command line on a database that ``dosecal db upgrade`` made from empty."""
    result = dosecal("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "at schema 0010" in result.output
    return dosecal


def added(result: Result) -> tuple[str, str]:
    """The plan id and the feed token that ``store add`` printed."""
    assert result.exit_code == 0, result.output
    plan_id = re.search(r"stored plan (\w+) \(version 1\)", result.output)
    token = re.search(r"feed: \S+/feeds/([\w-]+)\.ics", result.output)
    assert plan_id and token, result.output
    return plan_id.group(1), token.group(1)


def sequences(path: Path) -> dict[str, int]:
    """SEQUENCE by UID in an .ics file."""
    from icalendar import Calendar

    return {str(e["uid"]): int(e["sequence"]) for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def test_a_store_not_migrated_says_which_command_makes_it(dosecal: Run, database: str) -> None:
    result = dosecal("store", "list")
    assert result.exit_code == 1
    assert "no dosecal tables yet: run 'dosecal db upgrade'" in result.output
    assert "Traceback" not in result.output
    if "://" not in database:
        assert not Path(database).exists()  # looking did not create an empty file


def test_a_schema_of_another_revision_is_refused(migrated: Run, database: str) -> None:
    engine = sa.create_engine(database_url(database))
    with engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    result = migrated("store", "list")
    assert result.exit_code == 1
    assert "has schema 0000, and this dosecal needs 0010" in result.output
    refused = migrated("db", "upgrade")  # a revision this dosecal does not know: never guessed at
    assert refused.exit_code == 1
    assert "Can't locate revision identified by '0000'" in refused.output
    serve = CliRunner().invoke(main, ["serve", "--port", "0"], env={"DOSECAL_DB": database})
    assert serve.exit_code == 1
    assert "dosecal db upgrade" in serve.output


def test_add_show_adjust_export_keeps_who_when_why(migrated: Run, database: str) -> None:
    plan_id, token = added(migrated("store", "add", "--plan", str(INOTUZUMAB), "--label", "Jane Roe, bed 12"))
    assert re.fullmatch(r"[0-9a-f]{12}", plan_id)
    assert len(token) >= 43  # 256 bits, URL-safe base64
    listed = migrated("store", "list").output
    assert plan_id in listed and "inotuzumab" in listed and "Jane Roe" in listed

    result = migrated("store", "adjust", plan_id, "--delay", "2=7", "--note", "low counts", "--by", "nurse A")
    assert result.exit_code == 0, result.output
    assert "recorded: Cycle 2 and everything after it delayed by 7 days" in result.output
    assert f"plan {plan_id} is now at version 2" in result.output

    shown = migrated("store", "show", plan_id).output
    assert "label: Jane Roe, bed 12" in shown
    assert re.search(r"version 1  add by \S+", shown)
    assert re.search(
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC  version 2  adjust by nurse A: Cycle 2 .* \(low counts\)", shown
    )

    exported = migrated("store", "export", plan_id).output
    assert exported.startswith(f'id = "{plan_id}"\n')  # its UIDs are this patient's alone
    assert INOTUZUMAB.read_text(encoding="utf-8") in exported
    assert '[[adjustments]]\nkind = "delay"\ncycle = 2\ndays = 7\nnote = "low counts"' in exported
    assert "Jane Roe" not in exported  # the label stays in the database

    # The store holds the token's hash only: the database alone opens no feed.
    engine = sa.create_engine(database_url(database))
    with engine.connect() as c:
        dump = "\n".join(
            str(row) for table in ("plans", "changes") for row in c.execute(sa.text(f"SELECT * FROM {table}"))
        )
    engine.dispose()
    assert token not in dump
    assert store.token_hash(token) in dump


def test_store_adjust_refuses_what_adjust_refuses_and_stores_nothing(migrated: Run, tmp_path: Path) -> None:
    plan_id, _ = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))
    copy = tmp_path / "plan.toml"
    shutil.copy(INOTUZUMAB, copy)
    for args in (["--delay", "9=7"], ["--hold", "inotuzumab:C1D3"], ["--delay", "2=99999"], []):
        by_file = CliRunner().invoke(main, ["adjust", str(copy), *args])
        stored = migrated("store", "adjust", plan_id, *args)
        assert by_file.exit_code == stored.exit_code == 1, (args, stored.output)
        # The same message, naming the stored plan instead of the file.
        assert stored.output.split(": ", 2)[-1] == by_file.output.split(": ", 2)[-1], (args, stored.output)
    assert "version 1" in migrated("store", "show", plan_id).output
    assert "adjust by" not in migrated("store", "show", plan_id).output


def test_two_writers_on_the_same_version_the_second_is_refused_and_nothing_is_lost(
    migrated: Run, database: str
) -> None:
    plan_id, _ = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))
    first = migrated("store", "adjust", plan_id, "--if-version", "1", "--delay", "2=7", "--by", "A")
    second = migrated(
        "store", "adjust", plan_id, "--if-version", "1", "--hold", "inotuzumab:C1D8", "--by", "B"
    )
    assert first.exit_code == 0, first.output
    assert second.exit_code == 1
    assert (
        f"plan {plan_id} was changed by someone else (version 1 is now 2); nothing was recorded"
        in second.output
    )
    exported = migrated("store", "export", plan_id).output
    assert 'kind = "delay"' in exported and 'kind = "hold"' not in exported
    # Run again on the version now shown: both changes are kept.
    again = migrated(
        "store", "adjust", plan_id, "--if-version", "2", "--hold", "inotuzumab:C1D8", "--by", "B"
    )
    assert again.exit_code == 0, again.output
    exported = migrated("store", "export", plan_id).output
    assert 'kind = "delay"' in exported and 'kind = "hold"' in exported


def test_a_race_between_two_processes_reading_the_same_version_loses_nothing(
    migrated: Run, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both writers read version 1 before either writes: the UPDATE's version test picks one."""
    plan_id, _ = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))
    url = database_url(database)
    both_read = threading.Barrier(2, timeout=30)
    checked = overrides.record_text

    def record_after_both_read(*args: object, **kwargs: object) -> overrides.Recorded:
        both_read.wait()
        return checked(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "record_text", record_after_both_read)
    outcomes: dict[str, BaseException | None] = {}

    def write(name: str, given: Overrides) -> None:
        s = Store(url)
        try:
            s.adjust(plan_id, given, who=name)
            outcomes[name] = None
        except BaseException as exc:  # noqa: BLE001 (the thread reports any outcome)
            outcomes[name] = exc
        finally:
            s.close()

    threads = [
        threading.Thread(target=write, args=("A", Overrides(delays=["2=7"]))),
        threading.Thread(target=write, args=("B", Overrides(holds=["inotuzumab:C1D8"]))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    failed = [e for e in outcomes.values() if e is not None]
    assert len(outcomes) == 2 and len(failed) == 1, outcomes
    assert isinstance(failed[0], ConflictError)
    s = Store(url)
    stored = s.get(plan_id)
    history = s.history(plan_id)
    s.close()
    assert stored.version == 2
    assert stored.content.count("[[adjustments]]") == 1
    assert [c.action for c in history] == ["add", "adjust"]


def own_inotuzumab(folder: Path) -> tuple[Path, Path]:
    """A copy of the inotuzumab definition in ``folder`` and a plan file that names it (not the built-in)."""
    definition = folder / "my-inotuzumab.toml"
    shutil.copy(ROOT / "schedules" / "inotuzumab.toml", definition)
    plan = folder / "plan.toml"
    plan.write_text(
        INOTUZUMAB.read_text(encoding="utf-8").replace(
            'schedule = "inotuzumab"', f'schedule = "{definition}"'
        ),
        encoding="utf-8",
    )
    return definition, plan


def test_a_definition_change_reaches_a_stored_plan_only_through_upgrade(
    migrated: Run, tmp_path: Path
) -> None:
    definition, plan = own_inotuzumab(tmp_path)
    plan_id, _ = added(migrated("store", "add", "--plan", str(plan)))
    before = migrated("store", "print", plan_id, "-o", "-", "--feed-url", "x").output
    before_ics = migrated("store", "print", plan_id, "-o", str(tmp_path / "a.ics"))
    assert before_ics.exit_code == 0

    # Cycle 1's first infusion now lasts 90 minutes: the observation after it starts later.
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("minutes = 60\n", "minutes = 90\n", 1), encoding="utf-8")
    assert migrated("store", "print", plan_id, "-o", "-", "--feed-url", "x").output == before
    migrated("store", "print", plan_id, "-o", str(tmp_path / "b.ics"))
    assert (tmp_path / "a.ics").read_bytes() == (tmp_path / "b.ics").read_bytes()

    dry = migrated("store", "upgrade", plan_id, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "not changed (--dry-run)" in dry.output
    migrated("store", "print", plan_id, "-o", str(tmp_path / "c.ics"))
    assert (tmp_path / "c.ics").read_bytes() == (tmp_path / "a.ics").read_bytes()

    result = migrated("store", "upgrade", plan_id, "--by", "pharmacist")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"moves: C1D1 Observation after inotuzumab ozogamicin: Mon 4 Jan 2027 11:00 → Mon 4 Jan 2027 11:30",
        result.output,
    ), result.output
    # The infusion itself: the same start, a later end, said with both ends.
    assert (
        "changes: C1D1 Inotuzumab ozogamicin 0.8 mg/m2: Mon 4 Jan 2027 10:00"
        " (ends Mon 4 Jan 2027 11:30, was Mon 4 Jan 2027 11:00)"
    ) in result.output
    assert f"plan {plan_id} upgraded to version 2" in result.output
    migrated("store", "print", plan_id, "-o", str(tmp_path / "d.ics"))
    assert (tmp_path / "d.ics").read_bytes() != (tmp_path / "a.ics").read_bytes()
    # Calendars take the moved and changed events as updates: their SEQUENCE went up.
    before_events, after_events = sequences(tmp_path / "a.ics"), sequences(tmp_path / "d.ics")
    raised = {uid for uid in after_events if after_events[uid] != before_events[uid]}
    assert len(raised) == 2 and all(after_events[uid] > before_events[uid] for uid in raised)
    assert all(".c1.d1." in uid for uid in raised), raised
    assert "\n[revisions]\n" in migrated("store", "export", plan_id).output
    # A later adjustment still applies, and the upgrade's SEQUENCE is kept under it.
    assert migrated("store", "adjust", plan_id, "--delay", "2=7").exit_code == 0
    migrated("store", "print", plan_id, "-o", str(tmp_path / "e.ics"))
    adjusted = sequences(tmp_path / "e.ics")
    assert all(adjusted[uid] >= after_events[uid] for uid in after_events)
    assert "upgrade by pharmacist" in migrated("store", "show", plan_id).output
    assert "already uses this definition" in migrated("store", "upgrade", plan_id).output


def test_a_built_in_plan_keeps_its_snapshot(migrated: Run) -> None:
    plan_id, _ = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))
    assert migrated("store", "export", plan_id, "--definition").output == (
        ROOT / "schedules" / "inotuzumab.toml"
    ).read_text(encoding="utf-8")
    assert "already uses this definition" in migrated("store", "upgrade", plan_id).output


def test_a_plan_without_its_zone_or_schedule_is_not_stored(migrated: Run, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('schedule = "dasatinib"\nstart = 2027-01-04\n', encoding="utf-8")
    result = migrated("store", "add", "--plan", str(plan))
    assert result.exit_code == 1
    assert "must name its time zone" in result.output
    plan.write_text('start = 2027-01-04\ntimezone = "America/Toronto"\n', encoding="utf-8")
    assert "must name its schedule" in migrated("store", "add", "--plan", str(plan)).output
    assert migrated("store", "list").output == ""


def test_unknown_ids_and_remove(migrated: Run) -> None:
    plan_id, _ = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))
    for command in (["show"], ["export"], ["adjust", "--delay", "2=1"], ["remove"], ["upgrade"]):
        result = migrated("store", command[0], "nope", *command[1:])
        assert result.exit_code == 1, command
        assert "no stored plan 'nope'" in result.output
    assert migrated("store", "remove", plan_id).exit_code == 0
    assert migrated("store", "list").output == ""
    assert "no stored plan" in migrated("store", "show", plan_id).output


def test_feed_needs_rotate_or_revoke(migrated: Run) -> None:
    plan_id, _ = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))
    assert migrated("store", "feed", plan_id).exit_code == 2


def test_the_printable_plan_of_a_stored_plan_carries_the_feed_as_a_qr_code(
    migrated: Run, tmp_path: Path
) -> None:
    import segno

    out = tmp_path / "plan.html"
    result = migrated(
        "store", "add", "--plan", str(INOTUZUMAB), "--public-url", "https://plans.example.org", "-o", str(out)
    )
    _, token = added(result)
    html = out.read_text(encoding="utf-8")
    https = f"https://plans.example.org/feeds/{token}.ics"
    assert https in html
    assert (
        segno.make(f"webcal://plans.example.org/feeds/{token}.ics", error="m").svg_inline(scale=3, border=2)
        in html
    )
    for line in ("iPhone or iPad:", "Android (Google Calendar):", "Outlook:", "Keep this link private"):
        assert line in html
    assert html.count('<section class="subscribe">') == 1


def test_store_add_refuses_plan_errors_without_storing(migrated: Run, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        INOTUZUMAB.read_text(encoding="utf-8") + '\n[[adjustments]]\nkind = "delay"\ncycle = 9\ndays = 1\n'
    )
    result = migrated("store", "add", "--plan", str(plan))
    assert result.exit_code == 1
    assert "cycle 9" in result.output
    assert migrated("store", "list").output == ""


def test_record_text_checks_against_the_definition_given() -> None:
    from dosecal.inputs import definitions

    text = INOTUZUMAB.read_text(encoding="utf-8")
    with pytest.raises(PlanError):
        overrides.record_text(
            text, "plan", Overrides(delays=["2=7"]), schedule=definitions.resolve("dasatinib")
        )
    assert overrides.record_text(text, "plan", Overrides(delays=["2=7"])).text.endswith("days = 7\n")


def test_a_patient_line_in_the_plan_file_never_reaches_the_feed_calendar(
    migrated: Run, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        INOTUZUMAB.read_text(encoding="utf-8").replace(
            "cycles = 2\n", 'cycles = 2\npatient = "Jeanne Roy"\n'
        ),
        encoding="utf-8",
    )
    plan_id, _ = added(migrated("store", "add", "--plan", str(plan), "--label", "Jeanne Roy, MRN 4471"))
    out = tmp_path / "feed.ics"
    assert migrated("store", "print", plan_id, "-o", str(out)).exit_code == 0
    calendar = out.read_bytes()
    assert b"BEGIN:VCALENDAR" in calendar and b"REFRESH-INTERVAL" in calendar
    assert b"Jeanne" not in calendar and b"4471" not in calendar
    printed = tmp_path / "plan.html"
    assert migrated("store", "print", plan_id, "-o", str(printed)).exit_code == 0
    assert "Jeanne Roy" in printed.read_text(encoding="utf-8")  # the printout is for the patient


def test_the_subscribe_section_reads_in_the_plan_s_language(migrated: Run, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        INOTUZUMAB.read_text(encoding="utf-8").replace("cycles = 2\n", 'cycles = 2\nlanguage = "fr"\n'),
        encoding="utf-8",
    )
    out = tmp_path / "plan.html"
    assert migrated("store", "add", "--plan", str(plan), "-o", str(out)).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "Votre plan dans le calendrier de votre téléphone" in html
    assert "iPhone ou iPad :" in html and "Gardez ce lien privé" in html
    assert "Keep this link private" not in html


@pytest.mark.weasyprint
@pytest.mark.poppler
def test_the_pdf_of_a_stored_plan_prints_the_qr_code_and_the_steps(migrated: Run, tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "plan.pdf"
    result = migrated(
        "store", "add", "--plan", str(INOTUZUMAB), "--public-url", "https://plans.example.org", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Your plan in your phone's calendar" in text
    assert "Keep this link private" in text
    assert "plans.example.org/feeds/" in text.replace("\n", "")
    # The heading, the link, the steps and the warning share one page (the sheet is never split).
    pages = text.split("\f")
    (sheet,) = [page for page in pages if "Your plan in your phone's calendar" in page]
    assert "iPhone" in sheet and "Outlook" in sheet and "Keep this link private" in sheet


def test_revisions_in_a_plan_file_raise_sequence_and_are_checked(tmp_path: Path) -> None:
    from dosecal.core.expand import expand
    from dosecal.inputs import planfile
    from dosecal.inputs.definitions import resolve

    text = INOTUZUMAB.read_text(encoding="utf-8")
    plain = expand(resolve("inotuzumab"), planfile.loads(text, "plan"))
    uid = plain.occurrences[0].uid
    revised = planfile.with_revisions(text, {uid: 2})
    assert revised.startswith(text) and revised.endswith(f'\n[revisions]\n"{uid}" = 2\n')
    again = planfile.with_revisions(
        revised + '\n[[adjustments]]\nkind = "delay"\ncycle = 2\ndays = 1\n', {uid: 3}
    )
    plan = planfile.loads(again, "plan")
    assert plan.revisions == {uid: 3} and len(plan.adjustments) == 1
    course = expand(resolve("inotuzumab"), planfile.loads(revised, "plan"))
    assert course.occurrences[0].sequence == plain.occurrences[0].sequence + 2
    assert [o.sequence for o in course.occurrences[1:]] == [o.sequence for o in plain.occurrences[1:]]
    with pytest.raises(PlanError, match="revisions"):
        planfile.loads(text + f'\n[revisions]\n"{uid}" = 0\n', "plan")


def test_an_id_drawn_twice_is_drawn_again(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = database_url(database)
    upgrade(url)
    drawn = iter(["aaaaaaaaaaaa", "aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(store.secrets, "token_hex", lambda _: next(drawn))
    s = Store(url)
    first, _ = s.add(INOTUZUMAB, label=None, who="t")
    second, _ = s.add(INOTUZUMAB, label=None, who="t")
    assert (first.id, second.id) == ("aaaaaaaaaaaa", "bbbbbbbbbbbb")
    assert [p.id for p in s.plans()] == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    assert second.content.startswith('id = "bbbbbbbbbbbb"\n')
    s.close()


@pytest.mark.parametrize(
    ("label", "words"), [("x" * 101, "at most 100 are accepted"), ("bed\u202e12", "(U+202E)")]
)
def test_a_label_too_long_or_with_control_characters_is_refused_in_one_line(
    migrated: Run, label: str, words: str
) -> None:
    result = migrated("store", "add", "--plan", str(INOTUZUMAB), "--label", label)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dosecal: --label") and words in lines[0], lines
    assert migrated("store", "list").output.strip() == ""


@pytest.mark.parametrize(
    ("note", "words"),
    [("low\rcounts", "(U+000D)"), ("low\u202ecounts", "(U+202E)"), ("x" * 201, "at most 200 are accepted")],
)
def test_a_note_with_a_control_or_direction_character_is_refused_naming_note(
    migrated: Run, note: str, words: str
) -> None:
    """A stored plan's note reaches its printout and history: refused by --note, never as TOML."""
    plan_id, _ = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))
    result = migrated("store", "adjust", plan_id, "--delay", "2=7", "--note", note)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dosecal: --note") and words in lines[0], lines
    assert "TOML" not in result.output
    assert "adjust by" not in migrated("store", "show", plan_id).output


def test_store_add_into_a_closed_pipe_ends_quietly(migrated: Run, database: str) -> None:
    """``dosecal store add ... | head -1``: the reader leaves, dosecal ends with no message.

    The pipe's reading end is closed before dosecal writes, so its first line fails with EPIPE
    (Python ignores SIGPIPE): the case that printed "unexpected error (BrokenPipeError) ... a
    bug in dosecal".
    """
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dosecal", "store", "add", "--plan", str(INOTUZUMAB)],
            stdout=write,
            stderr=subprocess.PIPE,
            env={**os.environ, "DOSECAL_DB": database},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode in (1, 141), done.stderr
    assert done.stderr == b"", done.stderr  # no "unexpected error", no "Exception ignored"


def test_db_upgrade_takes_db_after_the_subcommand_as_documented(tmp_path: Path, database: str) -> None:
    """``dosecal db upgrade --db FILE`` (its --help and docs/deploy.md) once said "No such option"."""
    other = tmp_path / "other.db"
    env = {"DOSECAL_DB": str(other)}
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", database], env=env)
    assert result.exit_code == 0, result.output
    assert "at schema 0010" in result.output
    assert not other.exists()  # the option given, not $DOSECAL_DB
    listed = CliRunner().invoke(main, ["store", "--db", database, "list"], env=env)
    assert listed.exit_code == 0, listed.output
    # Given twice, the subcommand's --db wins: it is the one written last and closest to the action.
    again = CliRunner().invoke(main, ["db", "--db", str(other), "upgrade", "--db", database], env=env)
    assert again.exit_code == 0, again.output
    assert not other.exists()


def test_a_folder_of_plan_files_is_imported_once_with_refusals_named(
    migrated: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    text = INOTUZUMAB.read_text(encoding="utf-8")
    for n in range(4):
        (folder / f"bed-{n}.toml").write_text(text.replace("2027-01-04", f"2027-01-{4 + 7 * n:02d}"))
    (folder / "broken.toml").write_text(text.replace("2027-01-04", "2027-02-30"))
    (folder / "notes.txt").write_text("not a plan")

    # Ctrl-C during the third file: two are stored, and say so.
    calls = []
    real = Store.add_text

    def interrupted(self: Store, *args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "add_text", interrupted)
    stopped = migrated("store", "import", str(folder), "--label-from-name")
    assert stopped.exit_code == 130
    assert "stopped after 2 of 5; what was done is recorded" in stopped.output
    monkeypatch.setattr(Store, "add_text", real)
    assert len(migrated("store", "list").output.splitlines()) == 2

    again = migrated("store", "import", str(folder), "--label-from-name", "--team", "oncology")
    assert again.exit_code == 1  # broken.toml was refused
    assert "plan files stored: 2; already stored: 2; refused: 1 (of 5)" in again.output
    assert re.search(r"bed-0\.toml: already stored as plan \w{12}", again.output)
    assert re.search(r"refused: \S+broken\.toml:3: not valid TOML: Invalid date", again.output)
    listed = migrated("store", "list").output.splitlines()
    assert sorted(line.split()[-1] for line in listed) == ["bed-0", "bed-1", "bed-2", "bed-3"]
    nowhere = migrated("store", "import", str(tmp_path / "missing"))
    assert nowhere.exit_code != 0 and "missing" in nowhere.output and "Traceback" not in nowhere.output


def test_every_stored_plan_is_upgraded_at_once_with_a_count(migrated: Run, tmp_path: Path) -> None:
    definition, plan = own_inotuzumab(tmp_path)
    mine = [added(migrated("store", "add", "--plan", str(plan)))[0] for _ in range(2)]
    builtin = added(migrated("store", "add", "--plan", str(INOTUZUMAB)))[0]
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("minutes = 60\n", "minutes = 90\n", 1), encoding="utf-8")

    dry = migrated("store", "upgrade", "--all", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "plans that would change: 2; unchanged: 1; refused: 0 (of 3)" in dry.output
    done = migrated("store", "upgrade", "--all", "--by", "pharmacist")
    assert "plans upgraded: 2; unchanged: 1; refused: 0 (of 3)" in done.output
    for plan_id in mine:
        assert f"plan {plan_id} upgraded to version 2" in done.output
    assert builtin not in done.output.replace("(of 3)", "")
    assert migrated("store", "upgrade", "--all").output.count("plans upgraded: 0; unchanged: 3") == 1
    both = migrated("store", "upgrade", mine[0], "--all")
    assert both.exit_code == 2 and "give a plan id or --all, not both" in both.output


def test_a_drug_an_upgrade_takes_out_is_sent_to_records_as_stopped(migrated: Run, tmp_path: Path) -> None:
    """The premedication leaves the definition: the Bundle still sends its request, stopped, until it returns."""
    definition, plan = own_inotuzumab(tmp_path)
    plan_id, _ = added(migrated("store", "add", "--plan", str(plan)))
    original = definition.read_text(encoding="utf-8")
    block = re.compile(r"\n  # A corticosteroid[^\n]*\n  \[\[phases\.premedications\]\]\n(  [^\n]*\n)+")
    assert len(block.findall(original)) == 2
    definition.write_text(block.sub("\n", original), encoding="utf-8")

    def bundle(name: str) -> dict[str, dict[str, Any]]:
        out = tmp_path / f"{name}.fhir.json"
        assert migrated("store", "print", plan_id, "-o", str(out)).exit_code == 0
        entries = json.loads(out.read_text(encoding="utf-8"))["entry"]
        return {
            e["resource"]["medicationCodeableConcept"]["text"]: e["resource"]
            for e in entries
            if e["resource"]["resourceType"] == "MedicationRequest"
        }

    before = bundle("before")
    assert {r["status"] for r in before.values()} == {"active"} and len(before) == 2
    result = migrated("store", "upgrade", plan_id)
    assert result.exit_code == 0, result.output
    assert migrated("store", "export", plan_id).output.endswith(
        '\n[withdrawn]\n"premedication" = "Corticosteroid, antipyretic and antihistamine"\n'
    )
    after = bundle("after")
    assert set(after) == set(before)
    premedication = "Corticosteroid, antipyretic and antihistamine"
    stopped = after[premedication]
    assert stopped["status"] == "stopped" and "dosageInstruction" not in stopped
    assert stopped["identifier"] == before[premedication]["identifier"]  # the same resource, updated
    assert stopped["note"] == [
        {
            "text": "No longer in this plan: an update of its schedule's definition stopped it."
            " Follow your care team's instructions."
        }
    ]
    assert [r["status"] for name, r in after.items() if name != premedication] == ["active"]

    definition.write_text(original, encoding="utf-8")
    assert migrated("store", "upgrade", plan_id).exit_code == 0
    assert "[withdrawn]" not in migrated("store", "export", plan_id).output
    assert {r["status"] for r in bundle("back").values()} == {"active"}
