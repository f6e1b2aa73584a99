"""What a patient's phone shows: short titles, notes a patient reads, alarms, feeds that fit.

Measured over every built-in, as planned and with the changes that make titles longest (a
child's per-m² doses, a reaction and a restart, a held dose, a delay), in English and French.
Plans start Monday 2027-01-04 in America/Toronto.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from conftest import builtin, plan
from dosecal.cli import main
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.adjustments import Delay, Hold, Interruption
from dosecal.model.clock import add_months
from dosecal.model.course import Course
from dosecal.render.ics import to_ics
from dosecal.render.json import to_json
from dosecal.words import languages

CONTACTS = {"daytime": "613-555-0100", "after_hours": "613-555-0199"}


def courses(sid: str) -> list[Course]:
    """The built-in as planned, and with the changes and body size that lengthen titles most."""
    s = builtin(sid)
    choices = {"response": "cr", "transplant": "no"} if sid == "inotuzumab" else {}
    out = [expand(s, plan("2027-01-04", weight_kg=70, choices=choices, contacts=CONTACTS))]
    if sid.startswith("blinatumomab"):
        child = {"weight_kg": 30, "height_cm": 130, "choices": {"patient": "child"}}
        stops = (
            Interruption(cycle=1, day=10, hours=6),
            Interruption(cycle=2, day=3, days=2, cause="toxicity"),
        )
        out.append(expand(s, plan("2027-01-04", adjustments=stops, **child)))  # type: ignore[arg-type]
    if sid == "inotuzumab":
        changes = (Hold(cycle=1, day=8, agent="inotuzumab"), Delay(cycle=2, days=7))
        out.append(expand(s, plan("2027-01-04", choices=choices, adjustments=changes)))
    return out


def events(course: Course, lang: str = "en", **kw: Any) -> list[Any]:
    return list(Calendar.from_ical(to_ics(course, lang=languages(lang)[0], **kw)).walk("VEVENT"))


def day_of(ev: Any) -> date:
    """The local date an event starts on (all-day or timed)."""
    start = ev.decoded("dtstart")
    return start.date() if isinstance(start, datetime) else start


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("sid", builtin_ids())
def test_every_title_fits_a_phone(sid: str, lang: str) -> None:
    """At most 40 characters each, and 9 in 10 at most 30 (a phone's month and week views)."""
    for course in courses(sid):
        titles = [str(ev["SUMMARY"]) for ev in events(course, lang)]
        too_long = [t for t in titles if len(t) > 40]
        assert not too_long, too_long[:5]
        assert sum(len(t) <= 30 for t in titles) >= 0.9 * len(titles), sorted(titles, key=len)[-5:]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("sid", builtin_ids())
def test_notes_are_short_enough_to_read(sid: str, lang: str) -> None:
    """Notes average at most 500 characters and none passes 2,000, with the clinic's numbers."""
    for course in courses(sid):
        notes = [len(str(ev.get("DESCRIPTION", ""))) for ev in events(course, lang)]
        assert max(notes) <= 2000
        assert sum(notes) / len(notes) <= 500, sum(notes) / len(notes)


def test_notes_start_with_what_to_do_then_the_clinics_numbers() -> None:
    """Dasatinib on Tue 5 Jan 2027: the dose, the numbers, then a pointer to the printed plan."""
    ev = next(e for e in events(courses("dasatinib")[0]) if day_of(e) == date(2027, 1, 5))
    lines = str(ev["DESCRIPTION"]).split("\n")
    assert lines[1] == "Call: daytime 613-555-0100; after hours 613-555-0199."
    assert "in your printed plan" in lines[-2] and lines[-1] == "Day 2."
    first = next(e for e in events(courses("dasatinib")[0]) if day_of(e) == date(2027, 1, 4))
    assert "Sources: " in str(first["DESCRIPTION"]) and "Call your care team" in str(first["DESCRIPTION"])


def test_a_held_dose_starts_with_held_in_the_plans_language() -> None:
    """Inotuzumab C1D8 (Mon 11 Jan 2027) held: HELD in English, PAS DE DOSE in French."""
    course = courses("inotuzumab")[1]
    for lang, word in (("en", "HELD: "), ("fr", "PAS DE DOSE\u00a0: ")):
        held = [e for e in events(course, lang) if str(e["STATUS"]) == "CANCELLED"]
        dose = next(e for e in held if e["CATEGORIES"].cats == ["dose"])
        assert day_of(dose) == date(2027, 1, 11)
        assert str(dose["SUMMARY"]).startswith(word), dose["SUMMARY"]
        assert not dose.walk("VALARM")


def test_a_dose_day_rings_once_for_its_first_event() -> None:
    """Inotuzumab Mon 4 Jan 2027: premedication 08:30 rings; the dose at 09:00 follows it."""
    day = [e for e in events(courses("inotuzumab")[0]) if day_of(e) == date(2027, 1, 4)]
    timed = sorted(
        (e for e in day if isinstance(e.decoded("dtstart"), datetime)), key=lambda e: e.decoded("dtstart")
    )
    assert [(str(e["CATEGORIES"].cats[0]), bool(e.walk("VALARM"))) for e in timed] == [
        ("premedication", True),
        ("dose", False),
        ("observation", False),
    ]
    assert "No separate reminder: it follows Premedication at 08:30." in str(timed[1]["DESCRIPTION"])


def test_nothing_rings_inside_a_hospital_stay_in_any_builtin() -> None:
    for sid in builtin_ids():
        for course in courses(sid):
            stays = {d for o in course if o.kind.value == "hospital" for d in o.dates}
            for o, ev in zip(course, events(course), strict=True):
                start = ev.decoded("dtstart")
                if isinstance(start, datetime) and start.date() in stays:
                    assert not ev.walk("VALARM"), (sid, o.title, start)


TEN_YEARS = [("nilotinib", "2036-12-31"), ("imatinib", "2036-12-31"), ("dasatinib", "2036-12-31")]


@pytest.mark.parametrize("as_of", ["2027-01-04", "2030-06-01", "2036-12-01"])
@pytest.mark.parametrize(("sid", "until"), TEN_YEARS)
def test_a_ten_year_feed_holds_a_window_every_app_keeps(sid: str, until: str, as_of: str) -> None:
    """At most 1,000 events and 1 MB, from a month before the day served; the last says more follow."""
    course = expand(builtin(sid), plan("2027-01-04", until=date.fromisoformat(until)))
    served = date.fromisoformat(as_of)
    body = to_ics(course, feed=True, as_of=served)
    assert len(body) <= 1_000_000
    got = list(Calendar.from_ical(body).walk("VEVENT"))
    assert 0 < len(got) <= 1000
    starts = [e.decoded("dtstart") for e in got]
    first = min(s.date() if isinstance(s, datetime) else s for s in starts)
    assert first >= add_months(served, -1) - timedelta(days=1)  # a dose of the day before ends on it
    last = got[-1]
    later = [
        o
        for o in course
        if o.start_date > (starts[-1].date() if isinstance(starts[-1], datetime) else starts[-1])
    ]
    assert ("The calendar continues after this event" in str(last["DESCRIPTION"])) == bool(later)
    assert to_ics(course, feed=True, as_of=served) == body  # the same day, the same bytes


def test_a_short_plan_feed_is_the_whole_plan() -> None:
    course = expand(builtin("inotuzumab"), plan("2027-01-04", choices={"response": "cr", "transplant": "no"}))
    assert len(
        list(Calendar.from_ical(to_ics(course, feed=True, as_of=date(2027, 1, 4))).walk("VEVENT"))
    ) == len(course)


def test_icaljs_reads_a_windowed_feed_at_dosecals_instants(
    icaljs_many: Callable[[list[Path]], dict[str, Any]], tmp_path: Path
) -> None:
    """A ten-year nilotinib feed served Sat 1 Jun 2030: ical.js and vobject agree with the JSON."""
    course = expand(builtin("nilotinib"), plan("2027-01-04", until=date(2036, 12, 31)))
    path = tmp_path / "feed.ics"
    path.write_bytes(to_ics(course, feed=True, as_of=date(2030, 6, 1)))
    expected = {e["uid"]: e for e in json.loads(to_json(course))["events"]}
    parsed = icaljs_many([path])[str(path)]
    assert 900 <= len(parsed["events"]) <= 1000
    for ev in parsed["events"]:
        want = expected[ev["uid"]]
        assert ev["start"]["unix"] == datetime.fromisoformat(want["start"]).timestamp()
        assert ev["summary"] == want["title"]
    import vobject

    read = vobject.readOne(path.read_text(encoding="utf-8")).vevent_list
    assert len(read) == len(parsed["events"])
    for ev in read:
        assert (
            ev.dtstart.value.timestamp()
            == datetime.fromisoformat(expected[ev.uid.value]["start"]).timestamp()
        )


def test_generate_warns_of_a_calendar_google_may_cut_and_a_feed_does_not(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(
        'schedule = "nilotinib"\nstart = 2027-01-04\ntimezone = "America/Toronto"\nuntil = 2029-12-31\n',
        encoding="utf-8",
    )
    whole = CliRunner().invoke(main, ["generate", "--plan", str(plan_file), "-o", str(tmp_path / "a.ics")])
    assert whole.exit_code == 0 and "Google Calendar may drop events" in whole.output
    feed = CliRunner().invoke(
        main,
        [
            "generate",
            "--plan",
            str(plan_file),
            "--feed",
            "--as-of",
            "2028-03-01",
            "-o",
            str(tmp_path / "f.ics"),
        ],
    )
    assert feed.exit_code == 0 and "Google Calendar may drop events" not in feed.output
    alone = CliRunner().invoke(main, ["generate", "--plan", str(plan_file), "--as-of", "2028-03-01"])
    assert alone.exit_code == 1 and "--as-of" in alone.output and "--feed" in alone.output
    assert (tmp_path / "f.ics").read_bytes().count(b"BEGIN:VEVENT") <= 1000
