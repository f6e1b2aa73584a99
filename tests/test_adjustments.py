"""Adjustments: delays, holds, interruptions, dose changes, stops, later choices.

Literal dates worked out by hand for plans starting Monday 2027-01-04 in America/Toronto;
the blinatumomab rules are the label's (MIMS-HK, SKYSCAPE-BLIN: an interruption of up to 7
days continues the cycle, a longer one starts a new cycle; DRUGS-BLIN-RR: premedication again
on restart).
"""

from __future__ import annotations

import dataclasses
from datetime import date

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
