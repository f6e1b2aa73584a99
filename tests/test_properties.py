"""Invariants of expansion that hold for every schedule, start, zone and time (hypothesis)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from conftest import builtin
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.occurrence import Kind, sort_key
from dosecal.model.plan import Plan
from dosecal.render.ics import to_ics

ZONES = [
    "America/Toronto",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "America/St_Johns",
    "UTC",
]

starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
zones = st.sampled_from(ZONES)
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


def make_plan(schedule_id: str, start: date, zone: str, cycles: int | None = None) -> Plan:
    choices = {"response": "no-cr", "transplant": "no"} if schedule_id == "inotuzumab" else {}
    return Plan(start=start, timezone=zone, choices=choices, cycles=cycles)


@given(st.sampled_from(builtin_ids()), starts, zones)
def test_events_are_sorted_start_on_or_after_day_1_and_have_unique_uids(
    sid: str, start: date, zone: str
) -> None:
    s = builtin(sid)
    p = make_plan(sid, start, zone, cycles=2 if s.phases else None)
    occ = expand(s, p)
    assert occ
    keys = [sort_key(o, p.tz) for o in occ]
    assert keys == sorted(keys)
    assert all(o.start_date >= start for o in occ)
    assert all((o.end > o.start) for o in occ)  # type: ignore[operator]
    uids = [o.uid for o in occ]
    assert len(set(uids)) == len(uids)


@given(st.sampled_from(builtin_ids()), starts, zones, zones)
def test_uids_do_not_depend_on_the_zone_or_on_running_twice(sid: str, start: date, z1: str, z2: str) -> None:
    s = builtin(sid)
    a = expand(s, make_plan(sid, start, z1, cycles=1 if s.phases else None))
    b = expand(s, make_plan(sid, start, z2, cycles=1 if s.phases else None))
    assert {o.uid for o in a} == {o.uid for o in b}
    assert a == expand(s, make_plan(sid, start, z1, cycles=1 if s.phases else None))


@given(starts, zones, times)
def test_a_daily_dose_keeps_its_local_time_every_day(start: date, zone: str, at: time) -> None:
    """The dose is at the chosen wall time every day; only a time inside a DST gap moves."""
    p = Plan(start=start, timezone=zone, times={"dasatinib": (at,)})
    occ = expand(builtin("dasatinib"), p)
    assert len(occ) == 90
    for i, o in enumerate(occ):
        assert isinstance(o.start, datetime)
        assert o.start_date == start + timedelta(days=i)
        naive = datetime.combine(o.start_date, at)
        exists = naive.replace(tzinfo=p.tz).astimezone(UTC).astimezone(p.tz).replace(tzinfo=None) == naive
        if exists:
            assert o.start.time() == at
        else:  # in a spring-forward gap: moved forward by less than the gap (at most 1 h here)
            assert timedelta(0) < datetime.combine(o.start_date, o.start.time()) - naive <= timedelta(hours=1)


@given(st.sampled_from(builtin_ids()), starts, zones)
def test_ics_round_trip_gives_back_the_same_instants(sid: str, start: date, zone: str) -> None:
    s = builtin(sid)
    p = make_plan(sid, start, zone, cycles=1 if s.phases else None)
    occ = expand(s, p)
    cal = Calendar.from_ical(to_ics(occ))
    got = {str(ev["UID"]): (ev.decoded("DTSTART"), ev.decoded("DTEND")) for ev in cal.walk("VEVENT")}
    assert set(got) == {o.uid for o in occ}
    for o in occ:
        start_, end_ = got[o.uid]
        if o.all_day:
            assert (start_, end_) == (o.start, o.end)
        else:
            assert (start_.timestamp(), end_.timestamp()) == (o.start.timestamp(), o.end.timestamp())  # type: ignore[union-attr]


@given(starts, zones)
def test_blinatumomab_cycles_follow_each_other_by_their_length(start: date, zone: str) -> None:
    occ = expand(builtin("blinatumomab-rr"), Plan(start=start, timezone=zone))
    firsts = [o.start_date for o in occ if o.kind is Kind.INFUSION and o.day == 1]
    gaps = [(b - a).days for a, b in itertools.pairwise(firsts)]
    assert gaps == [42, 42, 42, 42, 42, 84, 84, 84]
