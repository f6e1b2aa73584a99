"""Other parsers read dosecal's .ics to the same instants as dosecal's own JSON.

ical.js (Thunderbird's parser, under Node.js), vobject and recurring-ical-events each read
the calendar of every built-in schedule in four zones, over spring and autumn DST changes,
and every event must land on the same instant (timed) or date (all-day) that the JSON
says, with the same UID, title and status.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from conftest import builtin, plan
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.render.ics import to_ics
from dosecal.render.json import to_json

ZONES = ["America/Toronto", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
#: A spring start (the northern March change inside 90 days; Sydney's April change) and an
#: autumn one (Sydney's October change, London's October and Toronto's November changes).
STARTS = ["2027-02-20", "2027-09-15"]
SCHEDULES = builtin_ids()
CHOICES = {"inotuzumab": {"response": "no-cr", "transplant": "no"}}


@functools.cache
def _expected(schedule_id: str, start: str, zone: str) -> tuple[list[dict[str, Any]], Any, Any]:
    """The JSON events and the (occurrences, schedule, plan) of one case; cached, never mutated."""
    s = builtin(schedule_id)
    p = plan(start, zone, choices=CHOICES.get(schedule_id, {}))
    occurrences = expand(s, p)
    events = json.loads(to_json(occurrences))["events"]
    return events, (occurrences, s, p), p


def _instant(value: str) -> float | str:
    """The JSON contract's start/end as a POSIX time (timed) or ISO date (all-day)."""
    if "T" in value:
        return datetime.fromisoformat(value).timestamp()
    return value


_RENDERED: dict[tuple[int, str], bytes] = {}


def _write(tmp_path: Path, args: Any, times: str) -> Path:
    """Write a case's .ics; each case is rendered once (args come from the cached _expected)."""
    occurrences, s, _ = args
    key = (id(args), times)
    if key not in _RENDERED:
        _RENDERED[key] = to_ics(occurrences, times=times)  # type: ignore[arg-type]
    path = tmp_path / f"{s.id}-{times}.ics"
    path.write_bytes(_RENDERED[key])
    return path


def _compare(expected: list[dict[str, Any]], got: dict[str, dict[str, Any]]) -> None:
    assert set(got) == {e["uid"] for e in expected}, "UIDs differ"
    for e in expected:
        g = got[e["uid"]]
        assert (g["start"], g["end"]) == (_instant(e["start"]), _instant(e["end"])), e["title"]
        assert g["summary"] == e["title"]
        assert g["status"] == ("CANCELLED" if e["status"] == "cancelled" else "CONFIRMED")


CASES = [
    (sid, zone, start, times)
    for sid in SCHEDULES
    for zone in ZONES
    for start in STARTS
    for times in ("zone", "utc")
]


@pytest.fixture(scope="module")
def read_by_icaljs(
    icaljs_many: Callable[[list[Path]], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str, str, str], Any]:
    """Every case's .ics, read by ical.js in one Node process (one process per file is slow)."""
    folder = tmp_path_factory.mktemp("icaljs")
    paths = {}
    for sid, zone, start, times in CASES:
        _, args, _ = _expected(sid, start, zone)
        case_dir = folder / f"{sid}-{zone.replace('/', '-')}-{start}"
        case_dir.mkdir(exist_ok=True)
        paths[(sid, zone, start, times)] = _write(case_dir, args, times)
    parsed = icaljs_many(list(paths.values()))
    return {case: parsed[str(path)] for case, path in paths.items()}


@pytest.mark.parametrize(("schedule_id", "zone", "start", "times"), CASES)
def test_icaljs_reads_every_event_at_dosecals_instant(
    read_by_icaljs: dict[tuple[str, str, str, str], Any], schedule_id: str, zone: str, start: str, times: str
) -> None:
    """ical.js places every event where dosecal's JSON does, and keeps wall-clock times."""
    expected, _, _ = _expected(schedule_id, start, zone)
    parsed = read_by_icaljs[(schedule_id, zone, start, times)]
    got = {}
    for ev in parsed["events"]:
        conv = {k: (ev[k]["unix"] if "unix" in ev[k] else ev[k]["date"]) for k in ("start", "end")}
        got[ev["uid"]] = {**ev, **conv}
        if times == "zone" and "unix" in ev["start"]:
            # ical.js's own wall clock in the event's zone equals dosecal's local time.
            assert ev["start"]["zone"] == zone
            local = next(e for e in expected if e["uid"] == ev["uid"])["start"][:19]
            assert ev["start"]["wall"] == local
    _compare(expected, got)
    assert parsed["name"].endswith("(dosecal)")


def _read_by_vobject(text: str) -> dict[str, dict[str, Any]]:
    """Every event as vobject reads it, by UID: start, end, summary and status."""
    return {
        ev.uid.value: {
            "start": _vobject_value(ev.dtstart.value),
            "end": _vobject_value(ev.dtend.value),
            "summary": ev.summary.value,
            "status": ev.status.value,
        }
        for ev in vobject.readOne(text).vevent_list
    }


def _vobject_value(v: Any) -> float | str:
    if isinstance(v, datetime):
        assert v.tzinfo is not None, "a timed event came back floating"
        return v.timestamp()
    assert isinstance(v, date)
    return v.isoformat()


@pytest.mark.parametrize("times", ["zone", "utc"])
@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("schedule_id", SCHEDULES)
def test_vobject_reads_every_event_at_dosecals_instant(
    tmp_path: Path, schedule_id: str, zone: str, start: str, times: str
) -> None:
    """vobject, which builds its zones from the file's VTIMEZONE, agrees with the JSON."""
    expected, args, _ = _expected(schedule_id, start, zone)
    _compare(expected, _read_by_vobject(_write(tmp_path, args, times).read_text(encoding="utf-8")))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("schedule_id", SCHEDULES)
def test_recurring_ical_events_finds_every_event_in_its_window(
    tmp_path: Path, schedule_id: str, zone: str
) -> None:
    """recurring-ical-events, asked for the whole plan, yields each event once, at its instant."""
    expected, args, p = _expected(schedule_id, STARTS[0], zone)
    cal = Calendar.from_ical(_write(tmp_path, args, "zone").read_bytes())
    found = recurring_ical_events.of(cal).between(p.start - timedelta(days=1), date(2030, 1, 1))
    got: dict[str, dict[str, Any]] = {}
    for ev in found:
        uid = str(ev["UID"])
        assert uid not in got, f"{uid} appeared twice"
        got[uid] = {
            "start": _vobject_value(ev.start),
            "end": _vobject_value(ev.end),
            "summary": str(ev["SUMMARY"]),
            "status": str(ev["STATUS"]),
        }
    _compare(expected, got)


#: A patient who moves: Toronto to Paris on Mon 1 Mar 2027, between the two zones' spring
#: changes (Toronto Sun 14 Mar, Paris Sun 28 Mar), and a blinatumomab cycle running across it.
MOVES = [("imatinib", "2027-02-20", {}), ("blinatumomab-mrd", "2027-02-01", {"weight_kg": 70})]


def _moved(schedule_id: str, start: str, extra: dict[str, Any]) -> tuple[list[dict[str, Any]], bytes]:
    from dosecal.model.adjustments import ZoneChange

    p = plan(start, "America/Toronto", adjustments=(ZoneChange(date(2027, 3, 1), "Europe/Paris"),), **extra)
    course = expand(builtin(schedule_id), p)
    return json.loads(to_json(course))["events"], to_ics(course)


@pytest.mark.parametrize(("schedule_id", "start", "extra"), MOVES)
def test_a_move_to_another_zone_is_read_at_the_same_instants_by_icaljs_and_vobject(
    icaljs_many: Callable[[list[Path]], dict[str, Any]],
    tmp_path: Path,
    schedule_id: str,
    start: str,
    extra: dict[str, Any],
) -> None:
    """Doses from Mon 1 Mar 2027 are at their clock time in Paris; both zones travel in the file."""
    expected, body = _moved(schedule_id, start, extra)
    path = tmp_path / "moved.ics"
    path.write_bytes(body)
    assert body.count(b"BEGIN:VTIMEZONE") == 2
    parsed = icaljs_many([path])[str(path)]
    got = {}
    for ev in parsed["events"]:
        conv = {k: (ev[k]["unix"] if "unix" in ev[k] else ev[k]["date"]) for k in ("start", "end")}
        got[ev["uid"]] = {**ev, **conv}
        if "unix" in ev["start"]:
            local = next(e for e in expected if e["uid"] == ev["uid"])["start"]
            assert ev["start"]["wall"] == local[:19]
            paris = local[19:] in ("+01:00", "+02:00")
            assert ev["start"]["zone"] == ("Europe/Paris" if paris else "America/Toronto"), local
    _compare(expected, got)
    _compare(expected, _read_by_vobject(body.decode("utf-8")))
    starts = {e["start"] for e in expected}
    if schedule_id == "imatinib":
        assert {
            "2027-02-28T08:00:00-05:00",
            "2027-03-01T08:00:00+01:00",
            "2027-03-28T08:00:00+02:00",
        } <= starts
