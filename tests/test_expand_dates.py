"""Expansion of each built-in schedule from a fixed start, checked against literal dates.

Every expected date below was worked out by hand from the label line cited beside it, for a
plan starting Monday 2027-01-04 in America/Toronto unless a test says otherwise.
"""

from __future__ import annotations

from datetime import timedelta

from conftest import at, builtin, d, plan
from dosecal.core.expand import expand
from dosecal.model.occurrence import Kind, Occurrence


def of(occurrences: tuple[Occurrence, ...], kind: Kind) -> list[Occurrence]:
    return [o for o in occurrences if o.kind is kind]


def test_dasatinib_once_daily_for_the_default_90_days() -> None:
    """SPRYCEL-PI-HL: 140 mg once daily; no end, so the 90-day default horizon applies."""
    occ = expand(builtin("dasatinib"), plan("2027-01-04"))
    doses = of(occ, Kind.DOSE)
    assert len(doses) == 90
    assert doses[0].start == at("2027-01-04 08:00")
    assert doses[1].start == at("2027-01-05 08:00")
    assert doses[-1].start == at("2027-04-03 08:00")  # day 90
    assert {o.dose for o in doses} == {"140 mg"}
    assert [o.day for o in doses[:3]] == [1, 2, 3]
    assert doses[0].cycle is None and doses[0].label == "Day 1"


def test_dasatinib_until_stops_on_that_day() -> None:
    occ = expand(builtin("dasatinib"), plan("2027-01-04", until=d("2027-01-10")))
    assert [o.start_date for o in occ] == [
        d("2027-01-04"),
        d("2027-01-05"),
        d("2027-01-06"),
        d("2027-01-07"),
        d("2027-01-08"),
        d("2027-01-09"),
        d("2027-01-10"),
    ]


def test_nilotinib_twice_daily_twelve_hours_apart() -> None:
    """DRUGS-TASIGNA / TASIGNA-HCP: 400 mg twice daily, about 12 h apart (10:00 and 22:00)."""
    occ = [
        o
        for o in expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-06")))
        if o.kind is Kind.DOSE
    ]
    assert [o.start for o in occ] == [
        at("2027-01-04 10:00"),
        at("2027-01-04 22:00"),
        at("2027-01-05 10:00"),
        at("2027-01-05 22:00"),
        at("2027-01-06 10:00"),
        at("2027-01-06 22:00"),
    ]
    assert [o.id.ordinal for o in occ[:2]] == [1, 2]
    assert "no food for at least 2 hours before and at least 1 hour after" in (occ[0].notes or "")
    assert "Do not take the missed dose" in (occ[0].notes or "")


def test_nilotinib_times_from_the_plan() -> None:
    occ = expand(
        builtin("nilotinib"),
        plan(
            "2027-01-04",
            until=d("2027-01-04"),
            times={"nilotinib": (at("2027-01-04 09:00").time(), at("2027-01-04 21:00").time())},
        ),
    )
    assert [o.start for o in occ if o.kind is Kind.DOSE] == [at("2027-01-04 09:00"), at("2027-01-04 21:00")]


# DRUGS-BLIN-RR / PMC-TAB1: cycles 1-5 are 42 days, cycles 6-9 are 84 days, and cycle N+1
# day 1 is cycle N day 43 (or day 85). Infusion days 1-28, so day 28 is start + 27 days.
BLIN_DAY_1 = [
    d("2027-01-04"),
    d("2027-02-15"),
    d("2027-03-29"),
    d("2027-05-10"),
    d("2027-06-21"),  # +42 each
    d("2027-08-02"),
    d("2027-10-25"),
    d("2028-01-17"),
    d("2028-04-10"),  # then +84 each
]
BLIN_DAY_28 = [
    d("2027-01-31"),
    d("2027-03-14"),
    d("2027-04-25"),
    d("2027-06-06"),
    d("2027-07-18"),
    d("2027-08-29"),
    d("2027-11-21"),
    d("2028-02-13"),
    d("2028-05-07"),
]


def test_blinatumomab_rr_nine_cycles_day_1_and_last_infusion_day() -> None:
    occ = expand(builtin("blinatumomab-rr"), plan("2027-01-04"))
    infusions = of(occ, Kind.INFUSION)
    starts = [o.start_date for o in infusions if o.day == 1]
    assert starts == BLIN_DAY_1
    # The last infusion span of each cycle runs through day 28 and stops on the morning of day 29.
    last_spans = [o for o in infusions if o.dose == "28 mcg/day"]
    assert [o.end.date() - timedelta(days=1) for o in last_spans] == BLIN_DAY_28  # type: ignore[union-attr]
    ends = [o.start_date - timedelta(days=1) for o in of(occ, Kind.INFUSION_END)]
    assert ends == BLIN_DAY_28
    assert [o.cycle for o in of(occ, Kind.INFUSION_END)] == list(range(1, 10))
    assert {o.day for o in of(occ, Kind.INFUSION_END)} == {29}


def test_blinatumomab_rr_cycle_1_steps_up_on_day_8() -> None:
    """DRUGS-BLIN-RR: 9 mcg/day days 1-7, then 28 mcg/day days 8-28 in cycle 1 only."""
    occ = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=2))
    infusions = [(o.start, o.end, o.dose) for o in of(occ, Kind.INFUSION)]
    assert infusions == [
        (at("2027-01-04 10:00"), at("2027-01-11 10:00"), "9 mcg/day"),
        (at("2027-01-11 10:00"), at("2027-02-01 10:00"), "28 mcg/day"),
        (at("2027-02-15 10:00"), at("2027-03-15 10:00"), "28 mcg/day"),  # across the 14 March DST change
    ]


def test_blinatumomab_rr_rest_hospital_and_premedication() -> None:
    occ = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=3))
    # Days 29-42 treatment-free; all-day spans end the day after (exclusive).
    assert [(o.start, o.end) for o in of(occ, Kind.REST)] == [
        (d("2027-02-01"), d("2027-02-15")),
        (d("2027-03-15"), d("2027-03-29")),
        (d("2027-04-26"), d("2027-05-10")),
    ]
    # HCP-ADMIN: hospital the first 9 days of cycle 1 and the first 2 days of cycle 2.
    assert [(o.start, o.end) for o in of(occ, Kind.HOSPITAL)] == [
        (d("2027-01-04"), d("2027-01-13")),
        (d("2027-02-15"), d("2027-02-17")),
    ]
    # DRUGS-BLIN-RR: dexamethasone 20 mg 1 h before each cycle's first dose and the C1D8 step.
    assert [(o.label, o.start) for o in of(occ, Kind.PREMEDICATION)] == [
        ("C1D1", at("2027-01-04 09:00")),
        ("C1D8", at("2027-01-11 09:00")),
        ("C2D1", at("2027-02-15 09:00")),
        ("C3D1", at("2027-03-29 09:00")),
    ]
    assert {o.dose for o in of(occ, Kind.PREMEDICATION)} == {"20 mg IV"}


def test_blinatumomab_bag_changes_every_48_hours() -> None:
    """HCP-ADMIN: 48-hour bags. The day-8 step starts a new bag, and the count restarts."""
    occ = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=2, choices={"bag-hours": "48"}))
    c1 = [o.day for o in of(occ, Kind.BAG_CHANGE) if o.cycle == 1]
    assert c1 == [3, 5, 7, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]
    c2 = [o.start_date for o in of(occ, Kind.BAG_CHANGE) if o.cycle == 2]
    assert c2[:3] == [d("2027-02-17"), d("2027-02-19"), d("2027-02-21")]
    assert c2[-1] == d("2027-03-13")  # day 27; the day-29 end needs no new bag
    assert len(c2) == 13


def test_blinatumomab_bag_changes_daily_and_weekly() -> None:
    daily = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=1))
    assert len(of(daily, Kind.BAG_CHANGE)) == 27  # days 2-28
    weekly = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=2, choices={"bag-hours": "168"}))
    assert [o.label for o in of(weekly, Kind.BAG_CHANGE)] == [
        "C1D8",
        "C1D15",
        "C1D22",
        "C2D8",
        "C2D15",
        "C2D22",
    ]


# PFIZER-MI-BESP: days 1, 8, 15; cycle 1 is 21 days, later cycles 28 days; not in CR/CRi:
# 0.8 / 0.5 / 0.5 mg/m2 in every cycle.
def test_inotuzumab_three_cycles_not_in_remission() -> None:
    occ = expand(
        builtin("inotuzumab"), plan("2027-01-04", cycles=3, choices={"response": "no-cr", "transplant": "no"})
    )
    doses = [(o.label, o.start_date, o.dose) for o in of(occ, Kind.DOSE)]
    assert doses == [
        ("C1D1", d("2027-01-04"), "0.8 mg/m2"),
        ("C1D8", d("2027-01-11"), "0.5 mg/m2"),
        ("C1D15", d("2027-01-18"), "0.5 mg/m2"),
        ("C2D1", d("2027-01-25"), "0.8 mg/m2"),  # C1 day 22
        ("C2D8", d("2027-02-01"), "0.5 mg/m2"),
        ("C2D15", d("2027-02-08"), "0.5 mg/m2"),
        ("C3D1", d("2027-02-22"), "0.8 mg/m2"),  # C2 day 29
        ("C3D8", d("2027-03-01"), "0.5 mg/m2"),
        ("C3D15", d("2027-03-08"), "0.5 mg/m2"),
    ]
    assert [(o.start, o.end) for o in of(occ, Kind.REST)] == [
        (d("2027-01-19"), d("2027-01-25")),  # days 16-21
        (d("2027-02-09"), d("2027-02-22")),  # days 16-28
        (d("2027-03-09"), d("2027-03-22")),
    ]


def test_inotuzumab_in_remission_gets_0_5_on_day_1_of_later_cycles() -> None:
    occ = expand(builtin("inotuzumab"), plan("2027-01-04", cycles=2, choices={"response": "cr"}))
    assert [o.dose for o in of(occ, Kind.DOSE)] == ["0.8 mg/m2", "0.5 mg/m2", "0.5 mg/m2"] + ["0.5 mg/m2"] * 3


def test_inotuzumab_infusion_hour_observation_and_window() -> None:
    """1-hour infusion, then at least 1 h of observation (PFIZERPRO-HK); days 8/15 ± 2 days."""
    occ = expand(builtin("inotuzumab"), plan("2027-01-04", cycles=1))
    first = of(occ, Kind.DOSE)[0]
    assert (first.start, first.end) == (at("2027-01-04 09:00"), at("2027-01-04 10:00"))
    obs = of(occ, Kind.OBSERVATION)[0]
    assert (obs.start, obs.end) == (at("2027-01-04 10:00"), at("2027-01-04 11:00"))
    day8 = of(occ, Kind.DOSE)[1]
    # PFIZERPRO-BESP: "+/- 2 days (maintain a minimum of 6 days between doses)": day 8 is Mon
    # 2027-01-11, two days early is 01-09, but only 5 days after the day-1 dose of 01-04.
    assert day8.window == (d("2027-01-10"), d("2027-01-13"))
    assert "from Sun 10 Jan 2027 to Wed 13 Jan 2027" in (day8.notes or "")
    assert "Dose window" not in (first.notes or "")


def test_every_event_says_to_follow_the_care_team_and_key_events_name_their_sources() -> None:
    """Key events carry signs, sources and the notice; the others point to the printed plan.

    A cycle's first dose (Mon 4 Jan 2027) carries the warning signs, its sources and the notice;
    the others point to the printout.
    """
    occ = expand(builtin("inotuzumab"), plan("2027-01-04", cycles=1))
    for o in occ:
        notes = o.notes or ""
        assert "Follow your care team's instructions" in notes or "in your printed plan" in notes, o.title
    first = next(o for o in occ if o.kind is Kind.DOSE and o.label == "C1D1")
    assert "Follow your care team's instructions" in (first.notes or "") and "Sources: " in (
        first.notes or ""
    )
    assert "Call your care team" in (first.notes or "")
    later = next(o for o in occ if o.kind is Kind.DOSE and o.label == "C1D8")
    assert "in your printed plan" in (later.notes or "") and "Sources: " not in (later.notes or "")
