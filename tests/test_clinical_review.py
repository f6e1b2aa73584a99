"""The clinical review of 2026-11-30: every finding, with literal dates and the label's words.

Plans start Monday 2027-01-04 in America/Toronto (EST until Sunday 2027-03-14). Blinatumomab
R/R: cycle 1 runs 2027-01-04 to 2027-02-14, cycle 2 starts 2027-02-15, cycle 3 2027-03-29; the
infusion starts at 10:00 and adult dexamethasone is 1 hour before it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import at, builtin, d, plan
from dosecal.core.expand import expand
from dosecal.errors import PlanError
from dosecal.inputs.definitions import builtin_ids
from dosecal.inputs.planfile import adjustment_toml, loads
from dosecal.model.adjustments import Hold, Interruption, parse_interruption
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.model.plan import Plan
from dosecal.render.html import to_html
from dosecal.render.ics import to_ics
from dosecal.render.json import to_json
from dosecal.render.txt import to_txt


def live(occ: tuple[Occurrence, ...], kind: Kind, cycle: int | None = None) -> list[Occurrence]:
    return [
        o
        for o in occ
        if o.kind is kind and o.status is Status.PLANNED and (cycle is None or o.cycle == cycle)
    ]


def blin(*adjustments: Interruption | Hold, cycles: int = 3, **kw: object) -> tuple[Occurrence, ...]:
    return expand(
        builtin("blinatumomab-rr"), plan("2027-01-04", cycles=cycles, adjustments=adjustments, **kw)
    )


def spans(occ: tuple[Occurrence, ...], cycle: int) -> list[tuple[datetime, datetime, str | None]]:
    return [(o.start, o.end, o.dose) for o in live(occ, Kind.INFUSION, cycle)]  # type: ignore[misc]


# -- 1. blinatumomab interruptions -------------------------------------------------------------


def test_long_interruption_premedicates_once_at_the_restart_never_on_the_stop_day() -> None:
    """Finding 1. Premedicate "when restarting an infusion after an interruption of 4 or more hours".

    Stopped Wed 2027-02-24 10:00 (C2D10) for 10 days: more than 7, so cycle 3 starts at the restart,
    Sat 2027-03-06 10:00, with one dexamethasone at 09:00 that is also the restart's.
    """
    occ = blin(Interruption(cycle=2, day=10, days=10))
    premeds = [(o.label, o.start) for o in live(occ, Kind.PREMEDICATION)]
    assert premeds == [
        ("C1D1", at("2027-01-04 09:00")),
        ("C1D8", at("2027-01-11 09:00")),
        ("C2D1", at("2027-02-15 09:00")),
        # No step after a restart dose the care team sets: no dexamethasone a week later
        # (closing check of the second review), only the restart's.
        ("C3D1", at("2027-03-06 09:00")),
    ]
    restart = live(occ, Kind.PREMEDICATION, 3)[0]
    assert "restarts after an interruption" in (restart.notes or "")
    assert not [o for o in occ if o.kind is Kind.PREMEDICATION and o.start_date == d("2027-02-24")]
    stopped = [o for o in live(occ, Kind.INFUSION_END, 2)]
    assert [(o.title, o.start) for o in stopped] == [
        ("Blinatumomab infusion stopped", at("2027-02-24 10:00"))
    ]


def test_interruption_in_hours_from_a_given_time_moves_everything_after_it() -> None:
    """Stopped Wed 2027-01-13 14:00 (C1D10@14:00) for 6 hours: restarts 20:00; the end moves 6 hours.

    The care team sets the restart dose, and it runs to the end (no step a week later that
    nobody prescribed: closing check of the second review). The cycle grows by one whole day so that the 14 days without infusion stay whole: cycle 2
    starts Tue 2027-02-16 instead of Mon 2027-02-15.
    """
    occ = blin(parse_interruption("C1D10@14:00=6h"), cycles=2)
    assert spans(occ, 1) == [
        (at("2027-01-04 10:00"), at("2027-01-11 10:00"), "9 mcg/day"),
        (at("2027-01-11 10:00"), at("2027-01-13 14:00"), "28 mcg/day"),
        (at("2027-01-13 20:00"), at("2027-02-01 16:00"), "dose set by your care team"),
    ]
    infused = sum((end - start for start, end, _ in spans(occ, 1)), timedelta())
    assert infused == timedelta(days=28)
    restart = [(o.label, o.start) for o in live(occ, Kind.PREMEDICATION, 1)]
    assert ("C1D10", at("2027-01-13 19:00")) in restart  # 1 hour before the 20:00 restart
    ends = [(o.title, o.start) for o in live(occ, Kind.INFUSION_END, 1)]
    assert ends == [
        ("Blinatumomab infusion stopped", at("2027-01-13 14:00")),
        ("Blinatumomab infusion ends", at("2027-02-01 16:00")),
    ]
    rest = live(occ, Kind.REST, 1)[0]
    assert (rest.start, rest.end) == (d("2027-02-01"), d("2027-02-16"))
    assert live(occ, Kind.INFUSION, 2)[0].start == at("2027-02-16 10:00")


def test_interruption_under_4_hours_gets_no_premedication() -> None:
    """Premedication is for "an interruption of 4 or more hours": 2 hours on C1D10 gets none."""
    occ = blin(parse_interruption("C1D10=2h:restart=same"), cycles=1)
    assert [o.label for o in live(occ, Kind.PREMEDICATION)] == ["C1D1", "C1D8"]
    assert spans(occ, 1)[-1] == (at("2027-01-13 12:00"), at("2027-02-01 12:00"), "28 mcg/day")


def test_restart_dose_nobody_gave_is_the_care_teams_in_every_output() -> None:
    """Finding 2: never silently the pre-stop dose. Stopped C1D10 for 3 days, restart not said.

    The dose the care team sets runs to the end of the infusion, Thu 2027-02-04: no step back to
    28 mcg/day a week later that nobody prescribed.
    """
    s, p = (
        builtin("blinatumomab-rr"),
        plan("2027-01-04", cycles=1, adjustments=(Interruption(1, 10, days=3),)),
    )
    occ = expand(s, p)
    assert spans(occ, 1)[2:] == [
        (at("2027-01-16 10:00"), at("2027-02-04 10:00"), "dose set by your care team"),
    ]
    assert "Your care team sets the dose when the infusion restarts." in (
        live(occ, Kind.INFUSION)[2].notes or ""
    )
    unfolded = to_ics(occ).decode().replace("\r\n ", "")  # a long line goes on after CRLF + space
    for text in (to_txt(occ), unfolded, to_html(occ), to_json(occ)):
        assert "dose set by your care team" in text


def test_toxicity_restart_follows_the_label_9_then_28_after_7_days() -> None:
    """HCP-ADJUST: "restart BLINCYTO at 9 mcg/day, and escalate to 28 mcg/day after 7 days".

    Stopped Wed 2027-02-17 10:00 (C2D3) for 2 days: restarts Fri 2027-02-19 at 9 mcg/day, 28 mcg/day
    from Fri 2027-02-26, ending Wed 2027-03-17 (2 days after the planned 2027-03-15).
    """
    occ = blin(parse_interruption("C2D3=2:cause=toxicity"))
    assert spans(occ, 2) == [
        (at("2027-02-15 10:00"), at("2027-02-17 10:00"), "28 mcg/day"),
        (at("2027-02-19 10:00"), at("2027-02-26 10:00"), "9 mcg/day"),
        (at("2027-02-26 10:00"), at("2027-03-17 10:00"), "28 mcg/day"),
    ]
    assert ("C2D5", at("2027-02-19 09:00")) in [(o.label, o.start) for o in live(occ, Kind.PREMEDICATION, 2)]


def test_toxicity_restart_under_45_kg_is_5_then_15_mcg_per_m2() -> None:
    """HCP-ADJUST (< 45 kg): "restart ... at 5 mcg/m2/day, and escalate to 15 mcg/m2/day after 7 days".

    30 kg, 130 cm: Mosteller BSA sqrt(130 x 30 / 3600) = 1.04 m2, so 5 x 1.04 = 5.2 then 15 x 1.04 = 15.6 mcg/day (3 significant figures). A child's
    restart in cycle 1 gets dexamethasone 5 mg/m2 = 5.2 mg, placed 30 minutes before.
    """
    occ = blin(
        parse_interruption("C1D10=2:cause=toxicity"),
        cycles=1,
        weight_kg=30,
        height_cm=130,
        choices={"patient": "child"},
    )
    assert spans(occ, 1)[2:] == [
        (
            at("2027-01-15 10:00"),
            at("2027-01-22 10:00"),
            "5 mcg/m2/day (max 9 mcg/day) = 5.2 mcg/day for BSA 1.04 m²",
        ),
        (
            at("2027-01-22 10:00"),
            at("2027-02-03 10:00"),
            "15 mcg/m2/day (max 28 mcg/day) = 15.6 mcg/day for BSA 1.04 m²",
        ),
    ]
    restart = [o for o in live(occ, Kind.PREMEDICATION) if o.start_date == d("2027-01-15")]
    assert [(o.start, o.dose) for o in restart] == [
        (at("2027-01-15 09:30"), "5 mg/m2 (max 20 mg) = 5.2 mg for BSA 1.04 m²")
    ]


def test_long_interruption_with_a_restart_dose_steps_up_after_7_days() -> None:
    """A long interruption with a restart dose steps up after 7 days, never a flat 28 (finding 2).

    Stopped Fri 2027-01-08 (C1D5, the 9 mcg step) for 10 days, restart at 9: cycle 2 starts Mon
    2027-01-18 at 9 mcg/day, 28 mcg/day from Mon 2027-01-25.
    """
    occ = blin(parse_interruption("C1D5=10:restart=9"), cycles=2)
    assert spans(occ, 2) == [
        (at("2027-01-18 10:00"), at("2027-01-25 10:00"), "9 mcg/day"),
        (at("2027-01-25 10:00"), at("2027-02-15 10:00"), "28 mcg/day"),
    ]
    premeds = [(o.label, o.start) for o in live(occ, Kind.PREMEDICATION, 2)]
    # One at the restart; one "prior to a step dose" when 9 goes back up to 28.
    assert premeds == [("C2D1", at("2027-01-18 09:00")), ("C2D8", at("2027-01-25 09:00"))]
    assert "steps back up" in (live(occ, Kind.PREMEDICATION, 2)[1].notes or "")
    assert "if the reaction has not come back" in (live(occ, Kind.INFUSION, 2)[1].notes or "")


def test_toxicity_restart_during_the_9_mcg_step_runs_7_days_from_the_restart() -> None:
    """Review defect: a toxicity on C1D7 stepped up on C1D9. The label escalates "after 7 days".

    Stopped Sun 2027-01-10 10:00 (C1D7) for 1 day: 9 mcg/day from Mon 2027-01-11 to Mon
    2027-01-18, then 28 mcg/day with dexamethasone 1 hour before the step; the day-8 step that
    the restart dose replaced has no premedication of its own.
    """
    occ = blin(parse_interruption("C1D7=1:cause=toxicity"), cycles=1)
    assert spans(occ, 1) == [
        (at("2027-01-04 10:00"), at("2027-01-10 10:00"), "9 mcg/day"),
        (at("2027-01-11 10:00"), at("2027-01-18 10:00"), "9 mcg/day"),
        (at("2027-01-18 10:00"), at("2027-02-02 10:00"), "28 mcg/day"),
    ]
    assert [(o.label, o.start) for o in live(occ, Kind.PREMEDICATION)] == [
        ("C1D1", at("2027-01-04 09:00")),
        ("C1D8", at("2027-01-11 09:00")),  # the restart (C1D8 on the calendar)
        ("C1D15", at("2027-01-18 09:00")),  # before the step back up
    ]


def test_a_child_plan_needs_the_weight() -> None:
    """Review defect: a child without a weight fell to the 45 kg band and adult doses."""
    with pytest.raises(PlanError, match=r"a plan for 'child' .* needs the weight"):
        blin(choices={"patient": "child"})


def test_cycle_starts_from_cycle_3_and_restarts_are_supervised() -> None:
    """Finding 9: later cycle starts and every restart outside hospital are marked supervised.

    "For all subsequent cycle starts and reinitiation ... supervision by a healthcare professional
    or hospitalization is recommended." Cycles 1 and 2 start in hospital.
    """
    occ = blin(Interruption(cycle=1, day=10, days=3, restart="same"))
    starts = {(o.label, o.start_date): o.supervised for o in live(occ, Kind.INFUSION)}
    assert starts[("C1D1", d("2027-01-04"))] is False  # hospital days 1-9
    assert starts[("C1D13", d("2027-01-16"))] is True  # the restart, after the hospital stay
    assert starts[("C2D1", d("2027-02-18"))] is False  # hospital days 1-2
    assert starts[("C3D1", d("2027-04-01"))] is True
    c3 = live(occ, Kind.INFUSION, 3)[0]
    assert c3.title.endswith(": supervised start") and "supervise" in (c3.notes or "")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("C1D10=3", Interruption(1, 10, days=3)),
        ("c1d10=3d", Interruption(1, 10, days=3)),
        ("C1D10=6h", Interruption(1, 10, hours=6)),
        ("C1D10@14:00=6h", Interruption(1, 10, hours=6, at=datetime(2000, 1, 1, 14).time())),
        ("C1D5=10:restart=9", Interruption(1, 5, days=10, restart="9")),
        ("C1D5=10:restart=9 mcg/day", Interruption(1, 5, days=10, restart="9 mcg/day")),
        ("C2D3=2:cause=toxicity", Interruption(2, 3, days=2, cause="toxicity")),
    ],
)
def test_interruption_spellings(spec: str, expected: Interruption) -> None:
    assert parse_interruption(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("C1D10", "must be written CnDd=LENGTH"),
        ("C1D10=0", "at least 1"),
        ("C1D10=3x", "must be written CnDd=LENGTH"),
        ("C1D10@25:00=3", "is not a time HH:MM"),
        ("C1D10=3:restart=", "after the length write"),
        ("C1D10=3:cause=boredom", "cause must be one of toxicity"),
        ("C1D10=3:cause=toxicity:restart=9", "not both"),
        ("C1D10=3:restart=lots", "restart must be a dose"),
    ],
)
def test_interruption_spelling_mistakes_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_interruption(spec)


def test_an_interruption_in_hours_reads_back_from_the_plan_file() -> None:
    a = parse_interruption("C1D10@14:00=30h:restart=9 mcg/day")
    text = 'start = 2027-01-04\ntimezone = "UTC"\n' + adjustment_toml(a)
    assert loads(text, "p.toml").adjustments == (Interruption(1, 10, hours=30, at=a.at, restart="9 mcg/day"),)


# -- 2. inotuzumab: stopping, transplant and windows --------------------------------------------


def ino(cycles: int | None = None, **choices: str) -> tuple[Occurrence, ...]:
    return expand(builtin("inotuzumab"), plan("2027-01-04", cycles=cycles, choices=choices))


def test_without_cr_at_most_3_cycles_are_planned() -> None:
    """Finding 3: "Patients who do not achieve CR/CRi within 3 cycles should discontinue treatment"."""
    occ = ino(response="no-cr", transplant="no")
    assert sorted({o.cycle for o in occ if o.cycle}) == [1, 2, 3]
    assert live(occ, Kind.DOSE, 3)[0].start == at("2027-02-22 09:00")  # 21 + 28 days after 2027-01-04
    with pytest.raises(
        PlanError, match="at most 3 cycles can be planned, not 4: the label says patients who do not"
    ):
        ino(4, response="no-cr", transplant="no")


def test_transplant_choice_is_needed_from_the_third_cycle() -> None:
    """Finding 4: 2 cycles before HSCT, a third only "may be considered", up to 6 without HSCT."""
    with pytest.raises(PlanError, match=r"choices\.transplant: .* give --choice transplant=yes\|no"):
        ino(3, response="cr")
    # Not said yet: the 2 cycles that need no transplant choice, and the decision on C2D28.
    waiting = ino(response="cr")
    assert {o.cycle for o in waiting} == {1, 2}
    assert [(o.start, o.title) for o in waiting if o.kind is Kind.VISIT] == [
        (d("2027-02-21"), "Your care team decides: going on to a stem cell transplant")
    ]
    assert {o.cycle for o in ino(2, response="cr")} == {1, 2}  # 2 cycles need no transplant choice
    assert max(o.cycle or 0 for o in ino(response="cr", transplant="yes")) == 2
    assert max(o.cycle or 0 for o in ino(response="cr", transplant="no")) == 6
    with pytest.raises(PlanError, match="at most 3 cycles can be planned, not 4"):
        ino(4, response="cr", transplant="yes")


def test_a_third_cycle_before_transplant_shows_the_labels_condition() -> None:
    s, p = (
        builtin("inotuzumab"),
        plan("2027-01-04", cycles=3, choices={"response": "no-cr", "transplant": "yes"}),
    )
    occ = expand(s, p)
    condition = "may be considered for patients who, after 2 cycles, are not yet in complete remission"
    assert condition in " ".join(to_txt(occ).split()) and condition in to_html(occ)
    two = plan("2027-01-04", choices={"response": "no-cr", "transplant": "yes"})
    assert condition not in to_txt(expand(s, two))


def test_day_8_and_15_windows_keep_6_days_after_the_previous_dose() -> None:
    """Finding 5: "+/- 2 days (maintain a minimum of 6 days between doses)"."""
    s, p = builtin("inotuzumab"), plan("2027-01-04", cycles=1)
    occ = expand(s, p)
    assert [(o.label, o.window) for o in live(occ, Kind.DOSE)] == [
        ("C1D1", None),
        ("C1D8", (d("2027-01-10"), d("2027-01-13"))),
        ("C1D15", (d("2027-01-17"), d("2027-01-20"))),
    ]
    events = json.loads(to_json(occ))["events"]
    windows = [e["window"] for e in events if e["kind"] == "dose"]
    assert windows == [
        None,
        {"earliest": "2027-01-10", "latest": "2027-01-13"},
        {"earliest": "2027-01-17", "latest": "2027-01-20"},
    ]
    assert all(e["window"] is None for e in events if e["kind"] != "dose")
    assert "Dose window: from Sun 17 Jan 2027 to Wed 20 Jan 2027." in to_ics(occ).decode().replace(
        "\r\n ", ""
    )


# -- 3. children and small patients --------------------------------------------------------------


def test_under_45_kg_blinatumomab_needs_the_adult_or_child_choice() -> None:
    """Finding 6: a 30 kg patient was shown the adult dexamethasone 20 mg."""
    with pytest.raises(
        PlanError, match=r"choices\.patient: with a weight of 30 kg .* give --choice patient=adult\|child"
    ):
        blin(weight_kg=30)
    with pytest.raises(PlanError, match="with the weight band 'under-45kg'"):
        blin(choices={"weight": "under-45kg"})
    occ = blin(cycles=1, weight_kg=30, height_cm=130, choices={"patient": "child"})
    assert [(o.start, o.dose) for o in live(occ, Kind.PREMEDICATION)] == [
        (at("2027-01-04 09:30"), "5 mg/m2 (max 20 mg) = 5.2 mg for BSA 1.04 m²"),
        (at("2027-01-11 09:30"), "5 mg/m2 (max 20 mg) = 5.2 mg for BSA 1.04 m²"),
    ]


@pytest.mark.parametrize(
    ("kg", "dose"), [(12, "40 mg"), (25, "60 mg"), (30, "70 mg"), (44.9, "70 mg"), (45, "100 mg")]
)
def test_dasatinib_for_a_child_follows_the_labels_weight_table(kg: float, dose: str) -> None:
    """DRUGS-SPRYCEL Table 1: 10 to <20 kg 40 mg, 20 to <30 60 mg, 30 to <45 70 mg, >=45 100 mg."""
    occ = expand(
        builtin("dasatinib"),
        plan("2027-01-04", until=d("2027-01-05"), weight_kg=kg, choices={"patient": "child"}),
    )
    assert [(o.start, o.dose) for o in live(occ, Kind.DOSE)] == [
        (at("2027-01-04 08:00"), dose),
        (at("2027-01-05 08:00"), dose),
    ]


def test_dasatinib_child_refusals_and_a_small_adult() -> None:
    s = builtin("dasatinib")
    with pytest.raises(PlanError, match="not recommend dasatinib tablets for patients under 10 kg"):
        expand(s, plan("2027-01-04", weight_kg=9, choices={"patient": "child"}))
    with pytest.raises(PlanError, match="needs the child's weight band: give --weight KG"):
        expand(s, plan("2027-01-04", choices={"patient": "child"}))
    with pytest.raises(PlanError, match="does not assume the adult or child"):
        expand(s, plan("2027-01-04", weight_kg=40))
    adult = expand(s, plan("2027-01-04", until=d("2027-01-04"), weight_kg=40, choices={"patient": "adult"}))
    assert [o.dose for o in adult] == ["140 mg"]


@pytest.mark.parametrize("sid", ["imatinib", "nilotinib", "bosutinib", "ponatinib", "ponatinib-monotherapy"])
def test_fixed_dose_tkis_never_show_an_adult_dose_to_a_child(sid: str) -> None:
    """Finding 7: a child's body size silently got 600 mg / 140 mg."""
    s = builtin(sid)
    with pytest.raises(PlanError, match="does not assume the adult or child"):
        expand(s, plan("2027-01-04", weight_kg=30))
    with pytest.raises(
        PlanError, match=f"{sid} cannot be planned for 'child': .*your care team sets a child's dose"
    ):
        expand(s, plan("2027-01-04", weight_kg=30, choices={"patient": "child"}))


def test_the_7_day_bag_is_refused_under_22_kg() -> None:
    """Finding 10: the 7-day bag is refused under 22 kg.

    The bag with preservative is "not recommended for use in patients weighing less than 22 kg"
    (Health Canada 2018, ONA-BLIN).
    """
    with pytest.raises(PlanError, match=r"'168' \(every 7 days\) is not recommended under 22 kg"):
        blin(weight_kg=20, choices={"patient": "child", "bag-hours": "168"})
    occ = blin(cycles=1, weight_kg=22, choices={"patient": "child", "bag-hours": "168"})
    changes = [o.start for o in live(occ, Kind.BAG_CHANGE)]
    assert changes[:2] == [at("2027-01-11 10:00"), at("2027-01-18 10:00")]


# -- 4. premedication before its infusion ---------------------------------------------------------


@st.composite
def interruptions(draw: st.DrawFn) -> Interruption:
    cycle = draw(st.integers(1, 3))
    day = draw(st.integers(1, 28))
    hours = draw(st.integers(1, 14 * 24))
    at_hour = draw(st.none() | st.integers(0, 23))
    at_time = None if at_hour is None else datetime(2000, 1, 1, at_hour).time()
    restart = draw(st.none() | st.sampled_from(["same", "9", "28 mcg/day"]))
    return Interruption(cycle, day, days=hours // 24, hours=hours % 24, at=at_time, restart=restart)


@given(interruptions())
def test_premedication_is_always_before_what_it_precedes(interruption: Interruption) -> None:
    """Finding 13, as a property: no premedication at or after the start it precedes.

    And a restart premedication only where an infusion restarts.
    """
    try:
        occ = blin(interruption)
    except PlanError:
        return  # the stop fell where no infusion runs; refused with a message elsewhere
    # "1 hour before" is elapsed time: compared in UTC, so that a restart the spring-forward gap
    # moved to 03:00 is still the one its 01:00 premedication precedes.
    starts = {o.start.astimezone(UTC) for o in live(occ, Kind.INFUSION)}
    for pre in live(occ, Kind.PREMEDICATION):
        target = pre.start.astimezone(UTC) + timedelta(hours=1)  # adults: 1 hour before
        assert target in starts, pre
        assert pre.start < target
        if "restarts after an interruption" in (pre.notes or ""):
            restarted = [o for o in live(occ, Kind.INFUSION) if o.start.astimezone(UTC) == target]
            assert restarted and "restarts" in restarted[0].title


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_builtin_premedicates_before_the_dose(sid: str) -> None:
    p = plan("2027-01-04", choices={"response": "no-cr", "transplant": "no"} if sid == "inotuzumab" else {})
    occ = expand(builtin(sid), p)
    doses = [o for o in occ if o.kind in (Kind.DOSE, Kind.INFUSION)]
    for pre in live(occ, Kind.PREMEDICATION):
        nxt = min((o.start for o in doses if o.start > pre.start), default=None)  # type: ignore[operator]
        assert nxt is not None and pre.end <= nxt, pre  # type: ignore[operator]


# -- 5. what a patient needs to know -------------------------------------------------------------


def test_blinatumomab_events_carry_the_warning_signs_pump_and_driving_rules() -> None:
    """N2, N15: the signs say to get emergency help, and the CRS list is whole.

    FDA-BLIN-2014's Medication Guide: "Call your healthcare provider or get emergency medical help
    right away", with "tiredness or weakness" among the CRS signs.
    """
    occ = blin(cycles=1)
    notes = live(occ, Kind.INFUSION)[0].notes or ""
    emergency = "Call your care team or get emergency medical help right away if you have: "
    assert (
        emergency
        + "Signs of cytokine release syndrome or an infusion reaction: fever, tiredness or weakness,"
        in notes
    )
    assert "low blood pressure" in notes and "trouble breathing" in notes
    assert (
        "Signs of neurological problems: seizures, trouble speaking or slurred speech, loss of consciousness"
        in notes
    )
    assert (
        "Call your care team at once if you have: A problem with the pump, or the pump's alarm sounds."
        in notes
    )
    assert "Do not change the settings on your pump, even if the alarm sounds" in notes
    assert "Do not drive or operate heavy or dangerous machinery" in notes


def test_inotuzumab_doses_carry_the_liver_and_infusion_reaction_signs() -> None:
    """Inotuzumab's liver, infusion-reaction, infection and bleeding signs.

    PFIZER-BESP-17: VOD "may include elevated bilirubin, rapid weight gain, and abdominal swelling
    that may be painful"; "signs and symptoms of infection, bleeding/hemorrhage ... should be reported".
    """
    notes = live(ino(1), Kind.DOSE)[0].notes or ""
    assert "veno-occlusive disease: a rapid weight gain, swelling of the belly that may be painful" in notes
    assert "yellowing of the skin or eyes" in notes
    assert "infusion reaction" in notes and "Any sign of an infection or of bleeding." in notes


def test_nilotinib_shows_its_fasting_window_in_every_title() -> None:
    """TASIGNA-HCP: "avoid food for 2 hours before and 1 hour after each dose" at 10:00 and 22:00."""
    occ = [
        o
        for o in expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-04")))
        if o.kind is Kind.DOSE
    ]
    assert [o.title for o in occ] == [
        "Nilotinib 400 mg (no food 08:00–11:00)",
        "Nilotinib 400 mg (no food 20:00–23:00)",
    ]
    assert "grapefruit" in (occ[0].notes or "")
    # EU-TASIGNA: an H2 blocker "approximately 10 hours before and approximately 2 hours after" (not "or").
    assert "an H2 blocker (such as famotidine) about 10 hours before and about 2 hours after nilotinib" in (
        occ[0].notes or ""
    )


@pytest.mark.parametrize("sid", ["imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib"])
def test_the_last_day_of_a_tki_calendar_says_to_keep_taking_it(sid: str) -> None:
    """Finding 14: a TKI does not end when the calendar does."""
    occ = [o for o in expand(builtin(sid), plan("2027-01-04", until=d("2027-01-10"))) if o.kind is Kind.DOSE]
    last = [o for o in occ if o.start_date == d("2027-01-10")]
    first = [o for o in occ if o.start_date == d("2027-01-04")]
    assert all("keep taking" in (o.notes or "") for o in last)
    assert not any("keep taking" in (o.notes or "") for o in first)
    assert "Missed dose:" in (first[0].notes or "")
    # Grapefruit only where an official text says it (imatinib's and bosutinib's could not be read).
    assert ("grapefruit" in (first[0].notes or "")) is (sid in ("dasatinib", "nilotinib", "ponatinib"))


def test_dalba_shows_the_glucocorticoid_the_care_team_sets() -> None:
    """Finding 18: "Dasatinib plus glucocorticoids were administered" (DALBA-NEJM); dose not found."""
    occ = expand(builtin("dasatinib-blinatumomab"), plan("2027-01-04", cycles=2))
    steroid = [o for o in occ if o.kind is Kind.VISIT]
    assert [(o.start, o.title) for o in steroid] == [
        (
            d("2027-01-04"),
            "Steroid (glucocorticoid) with dasatinib: your care team sets the medicine, dose and days",
        )
    ]


# -- 6. patient outputs speak to patients --------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees in an HTML page (no style, no markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.skip = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self.skip = False

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


PLANS: dict[str, Plan] = {
    "blinatumomab-rr": plan(
        "2027-01-04",
        weight_kg=30,
        height_cm=130,
        choices={"patient": "child"},
        adjustments=(Interruption(1, 10, hours=6), Interruption(2, 3, days=2, cause="toxicity")),
    ),
    "inotuzumab": plan(
        "2027-01-04", cycles=3, choices={"response": "no-cr", "transplant": "yes", "cycle1-days": "28"}
    ),
    "dasatinib": plan("2027-01-04", weight_kg=25, choices={"patient": "child"}),
}


@pytest.mark.parametrize("sid", builtin_ids())
def test_patient_outputs_hold_no_command_syntax_choice_values_or_source_keys(sid: str) -> None:
    """Finding 19, searched in the txt, .ics and printable plan of every built-in."""
    s = builtin(sid)
    p = PLANS.get(sid) or plan(
        "2027-01-04", choices={"response": "no-cr", "transplant": "no"} if sid == "inotuzumab" else {}
    )
    occ = expand(s, p)
    outputs = {
        "txt": to_txt(occ),
        "ics": to_ics(occ).decode().replace("\r\n ", ""),
        "html": visible(to_html(occ)),
    }
    # Code-like values (45kg-or-more, no-cr, 10-to-20kg), and "cr" which is no English word.
    raw_values = {
        o
        for c in s.choices.values()
        for o in c.options
        if c.words(o) != o and not o.isdigit() and ("-" in o or any(ch.isdigit() for ch in o) or o == "cr")
    }
    for name, text in outputs.items():
        assert not re.search(r"(?<![\w-])--[a-z]", text), (name, re.findall(r".{30}--[a-z].{20}", text)[:1])
        assert "dosecal adjust" not in text and "dosecal generate" not in text, name
        for key in s.sources:
            assert key not in text, (name, key)
        for value in raw_values:
            assert not re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text), (name, value)
