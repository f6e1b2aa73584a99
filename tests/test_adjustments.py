"""Adjustments: delays, holds, interruptions, dose changes, stops, later choices.

Literal dates worked out by hand for plans starting Monday 2027-01-04 in America/Toronto;
the blinatumomab rules are the label's (MIMS-HK, SKYSCAPE-BLIN: an interruption of up to 7
days continues the cycle, a longer one starts a new cycle; DRUGS-BLIN-RR: premedication again
on restart).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import at, builtin, d, plan
from dosecal.core.expand import expand
from dosecal.errors import PlanError
from dosecal.model.adjustments import ChoiceChange, Delay, DoseChange, Hold, Interruption, Stop
from dosecal.model.occurrence import Kind, Occurrence, Status


def of(occ: tuple[Occurrence, ...], kind: Kind, status: Status | None = Status.PLANNED) -> list[Occurrence]:
    return [o for o in occ if o.kind is kind and (status is None or o.status is status)]


def blin(*adjustments: object, cycles: int = 3) -> tuple[Occurrence, ...]:
    return expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=cycles, adjustments=adjustments))


def test_delay_moves_the_cycle_and_everything_after_it() -> None:
    occ = blin(Delay(cycle=2, days=7))
    firsts = [(o.label, o.start_date) for o in of(occ, Kind.INFUSION) if o.day == 1]
    assert firsts == [("C1D1", d("2027-01-04")), ("C2D1", d("2027-02-22")), ("C3D1", d("2027-04-05"))]
    c2 = next(o for o in of(occ, Kind.INFUSION) if o.cycle == 2)
    assert c2.moved_from == d("2027-02-15") and c2.sequence == 1
    c1 = [o for o in occ if o.cycle == 1]
    assert all(o.sequence == 0 and o.moved_from is None for o in c1)


def test_delay_to_a_date() -> None:
    occ = blin(Delay(cycle=2, to=d("2027-03-01")))
    assert [o.start_date for o in of(occ, Kind.INFUSION) if o.day == 1] == [
        d("2027-01-04"),
        d("2027-03-01"),
        d("2027-04-12"),
    ]


def test_delay_to_a_date_before_the_cycle_is_due_is_refused() -> None:
    with pytest.raises(
        PlanError, match=r"adjustments\[1\]: cycle 2 cannot start on 2027-02-10: it is due on 2027-02-15"
    ):
        blin(Delay(cycle=2, to=d("2027-02-10")))


def test_delay_of_a_cycle_that_is_not_planned_is_refused() -> None:
    with pytest.raises(PlanError, match=r"cycle 4 is not in the plan, which has 3 cycles"):
        blin(Delay(cycle=4, days=3))


def test_short_interruption_continues_the_cycle_until_28_infusion_days() -> None:
    """Stopped on C1D10 (2027-01-13) for 3 days: restarts 2027-01-16, ends 3 days later.

    The care team restarts at the same dose (``restart="same"``); without it the restart dose
    is the care team's (tests/test_clinical_review.py).
    """
    occ = blin(Interruption(cycle=1, day=10, days=3, restart="same"), cycles=2)
    spans = [(o.start, o.end, o.dose) for o in of(occ, Kind.INFUSION) if o.cycle == 1]
    assert spans == [
        (at("2027-01-04 10:00"), at("2027-01-11 10:00"), "9 mcg/day"),
        (at("2027-01-11 10:00"), at("2027-01-13 10:00"), "28 mcg/day"),  # days 8-9
        (at("2027-01-16 10:00"), at("2027-02-04 10:00"), "28 mcg/day"),  # days 10-28, 3 days later
    ]
    stopped, end = [o for o in of(occ, Kind.INFUSION_END) if o.cycle == 1]
    assert stopped.start == at("2027-01-13 10:00") and stopped.title == "Blinatumomab infusion stopped"
    assert end.start == at("2027-02-04 10:00") and end.moved_from == d("2027-02-01")
    rest = next(o for o in of(occ, Kind.REST) if o.cycle == 1)
    assert (rest.start, rest.end) == (d("2027-02-04"), d("2027-02-18"))  # still 14 days
    assert next(o for o in of(occ, Kind.INFUSION) if o.cycle == 2).start_date == d("2027-02-18")
    # Premedication again before the restart, 1 hour before (adults).
    premeds = [(o.label, o.start) for o in of(occ, Kind.PREMEDICATION) if o.cycle == 1]
    assert ("C1D13", at("2027-01-16 09:00")) in premeds
    # 28 infusion days in all: 7 + 2 + 19.
    assert sum((o.end.date() - o.start_date).days for o in of(occ, Kind.INFUSION) if o.cycle == 1) == 28  # type: ignore[union-attr]


def test_long_interruption_ends_the_cycle_and_the_next_starts_on_restart() -> None:
    """Stopped on C2D10 (2027-02-24) for 10 days: C2 ends there, C3 starts 2027-03-06."""
    occ = blin(Interruption(cycle=2, day=10, days=10))
    c2 = [o for o in of(occ, Kind.INFUSION) if o.cycle == 2]
    assert [(o.start, o.end) for o in c2] == [(at("2027-02-15 10:00"), at("2027-02-24 10:00"))]
    assert next(o for o in of(occ, Kind.INFUSION) if o.cycle == 3).start_date == d("2027-03-06")
    cancelled = of(occ, Kind.REST, Status.CANCELLED)
    assert [o.cycle for o in cancelled] == [2]  # C2's treatment-free days no longer happen
    assert all(
        o.status is Status.CANCELLED
        for o in of(occ, Kind.BAG_CHANGE, None)
        if o.cycle == 2 and o.start_date > d("2027-02-24")
    )


def test_interruption_outside_an_infusion_is_refused() -> None:
    with pytest.raises(PlanError, match=r"adjustments\[1\]: no infusion runs on C1D30 to interrupt"):
        blin(Interruption(cycle=1, day=30, days=2))


def test_hold_keeps_the_dose_cancelled_with_its_uid() -> None:
    s = builtin("inotuzumab")
    before = expand(s, plan("2027-01-04", cycles=1))
    after = expand(s, plan("2027-01-04", cycles=1, adjustments=(Hold(cycle=1, day=8, agent="inotuzumab"),)))
    assert {o.uid for o in before} == {o.uid for o in after}
    held = {o.kind: o for o in after if o.label == "C1D8"}
    assert held[Kind.DOSE].status is Status.CANCELLED and held[Kind.DOSE].sequence == 1
    assert held[Kind.PREMEDICATION].status is Status.CANCELLED
    assert held[Kind.OBSERVATION].status is Status.CANCELLED
    assert held[Kind.DOSE].start == at("2027-01-11 09:00")  # the date stays
    others = [o for o in after if o.label != "C1D8"]
    assert all(o.status is Status.PLANNED and o.sequence == 0 for o in others)


def test_hold_on_a_treatment_free_day_is_refused() -> None:
    with pytest.raises(PlanError, match="no dose to hold on C1D18: it is a treatment-free day"):
        expand(builtin("inotuzumab"), plan("2027-01-04", cycles=1, adjustments=(Hold(cycle=1, day=18),)))


def test_hold_one_daily_dose_and_stop() -> None:
    occ = expand(
        builtin("dasatinib"),
        plan("2027-01-04", until=d("2027-01-12"), adjustments=(Hold(day=3), Stop(on=d("2027-01-10")))),
    )
    assert [o.start_date for o in occ if o.status is Status.PLANNED] == [
        d("2027-01-04"),
        d("2027-01-05"),
        d("2027-01-07"),
        d("2027-01-08"),
        d("2027-01-09"),
    ]
    assert [o.start_date for o in occ if o.status is Status.CANCELLED] == [
        d("2027-01-06"),
        d("2027-01-10"),
        d("2027-01-11"),
        d("2027-01-12"),
    ]


def test_dose_change_from_a_date() -> None:
    occ = expand(
        builtin("ponatinib"),
        plan(
            "2027-01-04",
            until=d("2027-01-07"),
            adjustments=(DoseChange("ponatinib", d("2027-01-06"), "15 mg"),),
        ),
    )
    assert [(o.start_date, o.dose, o.sequence) for o in occ] == [
        (d("2027-01-04"), "30 mg", 0),
        (d("2027-01-05"), "30 mg", 0),
        (d("2027-01-06"), "15 mg", 1),
        (d("2027-01-07"), "15 mg", 1),
    ]
    assert occ[2].title == "Ponatinib 15 mg"


def test_inotuzumab_cycle_1_extended_to_28_days_later() -> None:
    occ = expand(
        builtin("inotuzumab"),
        plan(
            "2027-01-04",
            cycles=2,
            choices={"response": "cr"},
            adjustments=(ChoiceChange("cycle1-days", "28"),),
        ),
    )
    c2 = next(o for o in of(occ, Kind.DOSE) if o.cycle == 2)
    assert (c2.start_date, c2.moved_from, c2.sequence) == (d("2027-02-01"), d("2027-01-25"), 1)


def test_sequence_counts_each_adjustment_that_changed_an_event() -> None:
    occ = blin(Delay(cycle=2, days=7), Delay(cycle=3, days=7))
    seq = {o.label: o.sequence for o in of(occ, Kind.INFUSION) if o.day == 1}
    assert seq == {"C1D1": 0, "C2D1": 1, "C3D1": 2}


@given(
    st.integers(min_value=2, max_value=5),
    st.integers(min_value=1, max_value=30),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)),
)
def test_a_delay_never_changes_anything_before_its_cycle_and_keeps_every_uid(
    cycle: int, days: int, start: date
) -> None:
    s = builtin("blinatumomab-rr")
    p = plan(start.isoformat(), cycles=5)
    before = {o.uid: o for o in expand(s, p)}
    after = {
        o.uid: o for o in expand(s, dataclasses.replace(p, adjustments=(Delay(cycle=cycle, days=days),)))
    }
    assert before.keys() == after.keys()
    for uid, o in before.items():
        if o.cycle is not None and o.cycle < cycle:
            assert after[uid] == o
        else:
            assert after[uid].start_date.toordinal() - o.start_date.toordinal() == days


@given(
    st.lists(st.sampled_from(["delay2", "delay3", "hold-c1d8", "hold-c2d15", "choice28", "stop"]), max_size=5)
)
def test_sequence_never_decreases_as_adjustments_are_added(steps: list[str]) -> None:
    catalogue = {
        "delay2": Delay(cycle=2, days=3),
        "delay3": Delay(cycle=3, days=5),
        "hold-c1d8": Hold(cycle=1, day=8),
        "hold-c2d15": Hold(cycle=2, day=15),
        "choice28": ChoiceChange("cycle1-days", "28"),
        "stop": Stop(on=d("2027-03-15")),
    }
    s = builtin("inotuzumab")
    seen: dict[str, int] = {}
    adjustments: tuple[object, ...] = ()
    for step in [None, *steps]:
        if step is not None:
            if catalogue[step] in adjustments:
                continue
            adjustments = (*adjustments, catalogue[step])
        occ = expand(
            s,
            plan(
                "2027-01-04",
                cycles=3,
                choices={"response": "cr", "transplant": "no"},
                adjustments=adjustments,
            ),
        )
        for o in occ:
            assert o.sequence >= seen.get(o.uid, 0), (o.uid, step)
            seen[o.uid] = o.sequence


def test_two_stops_in_one_cycle_each_move_what_follows_them() -> None:
    """Stopped C1D10 (Wed 13 Jan 2027) for 3 days, then C1D20 (Sat 23 Jan) for 2 days.

    The label's rule applies to each: the same cycle goes on until its 28 infusion days are
    done, so the end moves from Mon 1 Feb to Sat 6 Feb (3 + 2 days) and cycle 2 from Mon 15 Feb
    to Sat 20 Feb; each restart after 4 hours or more has its premedication.
    """
    occ = blin(
        Interruption(cycle=1, day=10, days=3, restart="same"),
        Interruption(cycle=1, day=20, days=2, restart="same"),
        cycles=2,
    )
    spans = [(o.start, o.end, o.dose) for o in of(occ, Kind.INFUSION) if o.cycle == 1]
    assert spans == [
        (at("2027-01-04 10:00"), at("2027-01-11 10:00"), "9 mcg/day"),
        (at("2027-01-11 10:00"), at("2027-01-13 10:00"), "28 mcg/day"),
        (at("2027-01-16 10:00"), at("2027-01-23 10:00"), "28 mcg/day"),
        (at("2027-01-25 10:00"), at("2027-02-06 10:00"), "28 mcg/day"),
    ]
    ends = [(o.start, o.title) for o in of(occ, Kind.INFUSION_END) if o.cycle == 1]
    assert ends == [
        (at("2027-01-13 10:00"), "Blinatumomab infusion stopped"),
        (at("2027-01-23 10:00"), "Blinatumomab infusion stopped"),
        (at("2027-02-06 10:00"), "Blinatumomab infusion ends"),
    ]
    premeds = [(o.label, o.start) for o in of(occ, Kind.PREMEDICATION) if o.cycle == 1]
    assert ("C1D13", at("2027-01-16 09:00")) in premeds and ("C1D22", at("2027-01-25 09:00")) in premeds
    rest = next(o for o in of(occ, Kind.REST) if o.cycle == 1)
    assert (rest.start, rest.end) == (d("2027-02-06"), d("2027-02-20"))
    assert next(o for o in of(occ, Kind.INFUSION) if o.cycle == 2).start_date == d("2027-02-20")
    assert sum((o.end.date() - o.start_date).days for o in of(occ, Kind.INFUSION) if o.cycle == 1) == 28  # type: ignore[union-attr]


def test_a_stop_of_hours_moves_the_bag_time_for_the_next_stop() -> None:
    """Stopped C1D3 (Wed 6 Jan) 14:00 for 6 hours, then C1D5 (Fri 8 Jan) for a day.

    After the first stop the bags are changed at 20:00 and then 16:00 (the usual 10:00, 6 hours
    later); the second stop, given no time, stops at that 16:00 bag change. The day-8 step to 28
    mcg/day moves from Mon 11 Jan 10:00 to Tue 12 Jan 16:00, so the first stay grows a day to
    Wed 13 Jan, the day after the step.
    """
    occ = blin(
        Interruption(cycle=1, day=3, hours=6, at=time(14, 0), restart="same"),
        Interruption(cycle=1, day=5, days=1, restart="same"),
        cycles=1,
    )
    spans = [(o.start, o.end, o.dose) for o in of(occ, Kind.INFUSION) if o.cycle == 1]
    assert spans == [
        (at("2027-01-04 10:00"), at("2027-01-06 14:00"), "9 mcg/day"),
        (at("2027-01-06 20:00"), at("2027-01-08 16:00"), "9 mcg/day"),
        (at("2027-01-09 16:00"), at("2027-01-12 16:00"), "9 mcg/day"),
        (at("2027-01-12 16:00"), at("2027-02-02 16:00"), "28 mcg/day"),
    ]
    stay = next(o for o in of(occ, Kind.HOSPITAL) if o.cycle == 1)
    assert (stay.start, stay.end) == (d("2027-01-04"), d("2027-01-14"))  # Mon 4 to Wed 13 Jan
    infused = [
        o.end - o.start for o in of(occ, Kind.INFUSION) if o.cycle == 1 and isinstance(o.end, datetime)
    ]
    assert sum(infused, timedelta()) == timedelta(days=28)


def test_a_stop_while_the_infusion_is_already_stopped_is_refused() -> None:
    """Stopped Wed 13 Jan for 3 days: it restarts Sat 16 Jan, so nothing runs to stop on Thu 14 Jan."""
    with pytest.raises(
        PlanError, match=r"adjustments\[2\]: the infusion is already stopped on C1D11: it restarts"
    ):
        blin(Interruption(cycle=1, day=10, days=3), Interruption(cycle=1, day=11, days=1))


def test_a_stop_after_one_that_ended_the_cycle_belongs_to_the_next_cycle() -> None:
    """Stopped C1D10 for 8 days (longer than 7): cycle 1 ends there; C1D12 is no longer in it."""
    with pytest.raises(PlanError, match=r"adjustments\[2\]: cycle 1 ended at the stop on C1D10"):
        blin(Interruption(cycle=1, day=10, days=8), Interruption(cycle=1, day=12, days=1))


def test_the_second_stop_keeps_the_uids_before_it_and_raises_the_sequence_after_it() -> None:
    """A second stop recorded later: events before Sat 23 Jan keep UID and SEQUENCE; later ones move."""
    first = blin(Interruption(cycle=1, day=10, days=3, restart="same"), cycles=1)
    both = blin(
        Interruption(cycle=1, day=10, days=3, restart="same"),
        Interruption(cycle=1, day=20, days=2, restart="same"),
        cycles=1,
    )
    before = {o.uid: o for o in first}
    for o in both:
        if o.uid not in before:
            continue
        if o.start_date < d("2027-01-23"):
            assert o.start == before[o.uid].start, o.title
    bags = {o.uid: o for o in of(both, Kind.BAG_CHANGE)}
    moved = [o for o in of(first, Kind.BAG_CHANGE) if o.start_date > d("2027-01-23")]
    assert moved and all(o.uid in bags for o in moved)
    assert all(bags[o.uid].start_date == o.start_date + timedelta(days=2) for o in moved)


def test_a_second_stop_after_a_reaction_restarts_at_the_labels_lower_dose() -> None:
    """The second stop (Sat 23 Jan, 2 days, after a reaction) restarts Mon 25 Jan at 9 mcg/day.

    The label: restart at 9 mcg/day and escalate to 28 mcg/day after 7 days (Mon 1 Feb); the
    first stop's restart at the same dose is untouched.
    """
    occ = blin(
        Interruption(cycle=1, day=10, days=3, restart="same"),
        Interruption(cycle=1, day=20, days=2, cause="toxicity"),
        cycles=1,
    )
    spans = [(o.start, o.end, o.dose) for o in of(occ, Kind.INFUSION) if o.cycle == 1]
    assert spans[2:] == [
        (at("2027-01-16 10:00"), at("2027-01-23 10:00"), "28 mcg/day"),
        (at("2027-01-25 10:00"), at("2027-02-01 10:00"), "9 mcg/day"),
        (at("2027-02-01 10:00"), at("2027-02-06 10:00"), "28 mcg/day"),
    ]
