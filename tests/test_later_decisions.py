"""Decisions made months later: the response, a transplant, more or fewer cycles (issue 21).

Inotuzumab plans start Monday 2027-01-04 in America/Toronto: cycle 1 is 21 days (to Sun
2027-01-24), cycles 2 on are 28 days (C2D1 Mon 2027-01-25, C3D1 Mon 2027-02-22, C4D1 Mon
2027-03-22). The label (PFIZERPRO-BESP, PFIZERPRO-IE): the response after cycle 1 sets the
doses of cycles 2 on; 2 cycles before a transplant (a third only for patients without CR/CRi and
MRD negativity), up to 6 without one. Blinatumomab R/R cycles are 42 days: C3D1 Mon 2027-03-29.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

import pytest
from click.testing import Result

from conftest import at, builtin, d, plan
from dosecal.core.expand import expand
from dosecal.errors import PlanError
from dosecal.inputs import planfile
from dosecal.model.adjustments import (
    BodySize,
    ChoiceChange,
    CyclesChange,
    Delay,
    TimeChange,
    UntilChange,
    ZoneChange,
    parse_cycles,
)
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.render.ics import to_ics

Cli = Callable[..., Result]


def ino(*adjustments: object, **choices: str) -> tuple[Occurrence, ...]:
    return expand(builtin("inotuzumab"), plan("2027-01-04", choices=choices, adjustments=adjustments))


def doses(occ: tuple[Occurrence, ...]) -> list[tuple[str, date]]:
    return [(o.label, o.start_date) for o in occ if o.kind is Kind.DOSE and o.status is Status.PLANNED]


def visits(occ: tuple[Occurrence, ...]) -> list[tuple[date, str, Status, int]]:
    return [(o.start_date, o.title, o.status, o.sequence) for o in occ if o.kind is Kind.VISIT]


def test_a_plan_made_before_the_response_plans_cycle_1_and_says_what_is_decided() -> None:
    occ = ino()
    assert doses(occ) == [("C1D1", d("2027-01-04")), ("C1D8", d("2027-01-11")), ("C1D15", d("2027-01-18"))]
    assert visits(occ) == [
        (d("2027-01-24"), "Your care team decides: response after cycle 1", Status.PLANNED, 0)
    ]
    assert "response after cycle 1. When it is recorded, this calendar shows the cycles" in " ".join(
        next(o for o in occ if o.kind is Kind.VISIT).notes.split()
    )


def test_the_response_recorded_later_plans_cycle_2_and_the_same_event_says_it() -> None:
    """response=cr: 0.5 mg/m2 on C2D1 Mon 2027-01-25, C2D8 and C2D15; the transplant is next."""
    before, after = ino(), ino(ChoiceChange("response", "cr"))
    assert doses(after)[3:] == [
        ("C2D1", d("2027-01-25")),
        ("C2D8", d("2027-02-01")),
        ("C2D15", d("2027-02-08")),
    ]
    assert visits(after) == [
        (d("2027-01-24"), "Your care team's decision: complete remission (CR/CRi)", Status.PLANNED, 1),
        (d("2027-02-21"), "Your care team decides: going on to a stem cell transplant", Status.PLANNED, 0),
    ]
    # Cycle 1 keeps its UIDs. Its doses on days 1 and 8 are untouched; the day-15 window now
    # ends Tue 2027-01-19, 6 days before C2D1 (was Wed 2027-01-20): a change, SEQUENCE 1.
    one = {o.label: o for o in before if o.kind is Kind.DOSE}
    two = {o.label: o for o in after if o.kind is Kind.DOSE and o.cycle == 1}
    assert {o.uid for o in one.values()} == {o.uid for o in two.values()}
    assert [two[x].sequence for x in ("C1D1", "C1D8", "C1D15")] == [0, 0, 1]
    assert (one["C1D15"].window, two["C1D15"].window) == (
        (d("2027-01-17"), d("2027-01-20")),
        (d("2027-01-17"), d("2027-01-19")),
    )


def test_no_transplant_and_four_cycles_recorded_later() -> None:
    occ = ino(ChoiceChange("response", "cr"), ChoiceChange("transplant", "no"), CyclesChange(4))
    firsts = [(label, day) for label, day in doses(occ) if label.endswith("D1")]
    assert firsts == [
        ("C1D1", d("2027-01-04")),
        ("C2D1", d("2027-01-25")),
        ("C3D1", d("2027-02-22")),
        ("C4D1", d("2027-03-22")),
    ]
    assert [v[:2] for v in visits(occ)] == [
        (d("2027-01-24"), "Your care team's decision: complete remission (CR/CRi)"),
        (d("2027-02-21"), "Your care team's decision: not going on to a stem cell transplant"),
    ]


def test_without_a_number_the_choices_in_force_plan_the_labels_default() -> None:
    """transplant=yes: the label's 2 cycles, no decision left to show."""
    occ = ino(ChoiceChange("response", "cr"), ChoiceChange("transplant", "yes"))
    assert {o.cycle for o in occ if o.status is Status.PLANNED} == {1, 2}
    assert [v[1] for v in visits(occ)] == [
        "Your care team's decision: complete remission (CR/CRi)",
        "Your care team's decision: going on to a stem cell transplant",
    ]


def test_fewer_cycles_later_cancels_the_rest_and_keeps_the_first() -> None:
    """Blinatumomab planned for 5 cycles, ended after 2: cycles 3-5 are cancelled under their UIDs."""
    p = plan("2027-01-04", cycles=5)
    whole = expand(builtin("blinatumomab-rr"), p)
    ended = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=5, adjustments=(CyclesChange(2),)))
    assert {o.uid for o in whole} == {o.uid for o in ended}
    cancelled = {o.cycle for o in ended if o.status is Status.CANCELLED}
    assert cancelled == {3, 4, 5}
    c3 = next(o for o in ended if o.kind is Kind.INFUSION and o.cycle == 3)
    assert c3.start == at("2027-03-29 10:00") and c3.sequence == 1
    assert all(o.sequence == 0 for o in ended if o.cycle in (1, 2))
    assert b"STATUS:CANCELLED" in to_ics(ended)


def test_more_cycles_after_a_delay_start_after_the_delayed_cycle() -> None:
    """Cycle 2 delayed a week (Mon 2027-02-22), then a third cycle: C3D1 Mon 2027-04-05."""
    occ = expand(
        builtin("blinatumomab-rr"),
        plan("2027-01-04", cycles=2, adjustments=(Delay(2, days=7), CyclesChange(3))),
    )
    firsts = [(o.label, o.start_date) for o in occ if o.kind is Kind.INFUSION and o.day == 1]
    assert firsts == [("C1D1", d("2027-01-04")), ("C2D1", d("2027-02-22")), ("C3D1", d("2027-04-05"))]


@pytest.mark.parametrize(
    ("adjustments", "message"),
    [
        (
            (ChoiceChange("response", "cr"), ChoiceChange("transplant", "no"), CyclesChange(7)),
            r"with transplant=no at most 6 cycles can be planned, not 7: the label allows at most 6 cycles",
        ),
        (
            (ChoiceChange("response", "cr"), ChoiceChange("transplant", "yes"), CyclesChange(4)),
            r"with transplant=yes at most 3 cycles can be planned, not 4",
        ),
        ((CyclesChange(2),), r"choices\.response: .*needs your care team's choice of response"),
    ],
)
def test_a_number_the_label_or_the_choices_do_not_allow_is_refused(
    adjustments: tuple[object, ...], message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        ino(*adjustments)


@pytest.mark.parametrize("typed", ["0", "-1", "x", "1.5", "1٥", ""])
def test_a_number_of_cycles_is_ascii_digits_one_or_more(typed: str) -> None:
    with pytest.raises(ValueError, match="cycles must be a whole number of cycles, 1 or more"):
        parse_cycles(typed)


def test_a_plan_file_records_the_number_and_reads_it_back() -> None:
    text = 'schedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "America/Toronto"\n'
    added = planfile.adjustment_toml(CyclesChange(3, note="no MRD negativity"))
    assert added == '[[adjustments]]\nkind = "cycles"\ncycles = 3\nnote = "no MRD negativity"\n'
    assert planfile.loads(text + added, "p").adjustments == (CyclesChange(3, note="no MRD negativity"),)
    with pytest.raises(PlanError, match=r"adjustments\[1\]\.cycles"):
        planfile.loads(text + '[[adjustments]]\nkind = "cycles"\ncycles = 0\n', "p")


def test_adjust_records_the_response_and_the_cycles_and_the_calendar_follows(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(
        'schedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "America/Toronto"\n', encoding="utf-8"
    )
    first = cli("generate", "--plan", str(path), "--format", "ics", "-o", str(tmp_path / "1.ics"))
    assert first.exit_code == 0, first.output
    done = cli("adjust", str(path), "--choice", "response=cr", "--choice", "transplant=no", "--cycles", "4")
    assert done.exit_code == 0, done.output
    assert "recorded: 4 cycles planned from now on" in done.output
    assert path.read_text(encoding="utf-8").endswith(
        '[[adjustments]]\nkind = "cycles"\ncycles = 4\ntogether = true\n'
    )
    later = cli("generate", "--plan", str(path), "--format", "txt", "-o", "-")
    assert "4 cycles planned" in later.output and "Mon 22 Mar 2027  C4D1" in later.output


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "dosecal: --cycles: cycles must be a whole number of cycles, 1 or more, not '0'"),
        ("7", "cycles: with transplant=no at most 6 cycles can be planned, not 7"),
    ],
)
def test_adjust_refuses_a_wrong_number_and_leaves_the_file(
    cli: Cli, tmp_path: Path, typed: str, message: str
) -> None:
    path = tmp_path / "plan.toml"
    text = 'schedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "America/Toronto"\n'
    path.write_text(text, encoding="utf-8")
    result = cli(
        "adjust", str(path), "--choice", "response=cr", "--choice", "transplant=no", "--cycles", typed
    )
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert path.read_text(encoding="utf-8") == text


def test_more_cycles_than_the_schedule_has_names_the_adjustment() -> None:
    with pytest.raises(PlanError, match=r"adjustments\[1\]: blinatumomab-rr has at most 9 cycles, not 12"):
        expand(builtin("blinatumomab-rr"), plan("2027-01-04", adjustments=(CyclesChange(12),)))


def test_what_one_adjust_records_together_is_one_step_of_the_history(cli: Cli, tmp_path: Path) -> None:
    """CR, no transplant and 4 cycles in one change: no version ever planned 6 cycles.

    Recorded one by one, "no transplant" alone would plan the label's 6 cycles and the next step
    cancel cycles 5 and 6 (Mon 2027-04-19, Mon 2027-05-17) on every phone that saw them.
    """
    path = tmp_path / "plan.toml"
    path.write_text(
        'schedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "America/Toronto"\n', encoding="utf-8"
    )
    done = cli("adjust", str(path), "--choice", "response=cr", "--choice", "transplant=no", "--cycles", "4")
    assert done.exit_code == 0, done.output
    text = path.read_text(encoding="utf-8")
    assert (
        text.count("together = true") == 2 and text.index("together = true") > text.index('value = "no"') - 40
    )
    p = planfile.loads(text, "plan")
    assert p.together == frozenset({2, 3}) and p.steps() == [0, 3]
    occ = expand(builtin("inotuzumab"), p)
    assert {o.cycle for o in occ} == {1, 2, 3, 4}
    assert not [o for o in occ if o.status is Status.CANCELLED]
    response = next(o for o in occ if o.kind is Kind.VISIT and o.cycle == 1)
    assert (response.title, response.sequence) == (
        "Your care team's decision: complete remission (CR/CRi)",
        1,
    )
    # The same three recorded one by one (a file from before 'together'): every step counts.
    apart = planfile.loads(text.replace("together = true\n", ""), "plan")
    assert apart.steps() == [0, 1, 2, 3]
    cancelled = {o.start_date for o in expand(builtin("inotuzumab"), apart) if o.status is Status.CANCELLED}
    assert {d("2027-04-19"), d("2027-05-17")} <= cancelled


@pytest.mark.parametrize(
    "typed", ["100", "0 mg", "0.0 mg", "1٥ mg", "١٥ mg", "15 mg\u200b", "15 mgs", "-5 mg"]
)
def test_a_changed_dose_is_an_ascii_amount_above_zero_with_its_unit(typed: str) -> None:
    """Printed as typed on a patient's calendar: "100" (of what?), "0 mg" or Arabic-Indic digits never."""
    from dosecal.model.adjustments import parse_dose_change

    with pytest.raises(ValueError, match="the dose must be an amount above zero with its unit"):
        parse_dose_change(f"ponatinib={typed}@2027-04-01")


@pytest.mark.parametrize("typed", ["15 mg", "0.8 mg/m2", "9 mcg/day", "45 mg"])
def test_a_dose_with_its_unit_is_taken_as_written(typed: str) -> None:
    from dosecal.model.adjustments import parse_dose_change

    assert parse_dose_change(f"ponatinib={typed}@2027-04-01").dose == typed


@pytest.mark.parametrize(
    ("typed", "ok"), [("9", True), ("9 mcg/day", True), ("0", False), ("٩", False), ("same", True)]
)
def test_a_restart_dose_may_be_a_bare_amount_above_zero(typed: str, ok: bool) -> None:
    from dosecal.model.adjustments import parse_interruption

    if ok:
        assert parse_interruption(f"C1D10=3:restart={typed}").restart == typed
    else:
        with pytest.raises(ValueError, match="restart must be a dose above zero"):
            parse_interruption(f"C1D10=3:restart={typed}")


def test_adjust_records_two_stops_in_one_cycle_as_one_change(cli: Cli, tmp_path: Path) -> None:
    """Two --interrupt in one adjust: both recorded, one step; the cycle ends Sat 6 Feb 2027."""
    path = tmp_path / "plan.toml"
    path.write_text(
        'schedule = "blinatumomab-rr"\nstart = 2027-01-04\ntimezone = "America/Toronto"\ncycles = 1\n'
        "weight_kg = 70\n",
        encoding="utf-8",
    )
    done = cli(
        "adjust", str(path), "--interrupt", "C1D10=3:restart=same", "--interrupt", "C1D20=2:restart=same"
    )
    assert done.exit_code == 0, done.output
    p = planfile.loads(path.read_text(encoding="utf-8"), "plan")
    assert len(p.adjustments) == 2 and p.steps() == [0, 2]
    text = cli("generate", "--plan", str(path), "--format", "txt", "-o", "-").output
    assert "Sat 6 Feb 2027" in text and text.count("infusion stopped") == 2, text


def daily_doses(occ: tuple[Occurrence, ...]) -> list[tuple[datetime, str]]:
    return [(o.start, o.dose) for o in occ if o.kind is Kind.DOSE and o.status is Status.PLANNED]  # type: ignore[misc]


def test_more_months_of_a_daily_drug_then_fewer_keep_the_uids() -> None:
    """Imatinib from Mon 4 Jan 2027: 90 days (to Sat 3 Apr); then through Wed 30 Jun; then Mon 15 Feb."""
    s = builtin("imatinib")
    first = expand(s, plan("2027-01-04"))
    assert first.horizon == d("2027-04-03")
    longer = expand(s, plan("2027-01-04", adjustments=(UntilChange(d("2027-06-30")),)))
    assert longer.horizon == d("2027-06-30") and daily_doses(longer.occurrences)[-1][0] == at(
        "2027-06-30 08:00"
    )
    shorter = expand(
        s, plan("2027-01-04", adjustments=(UntilChange(d("2027-06-30")), UntilChange(d("2027-02-15"))))
    )
    assert daily_doses(shorter.occurrences)[-1][0] == at("2027-02-15 08:00")
    cancelled = [o for o in shorter.occurrences if o.status is Status.CANCELLED]
    assert min(o.start_date for o in cancelled) == d("2027-02-16")
    assert max(o.start_date for o in cancelled) == d("2027-06-30")
    kept = {o.uid for o in first.occurrences if o.start_date < d("2027-02-15")}
    assert kept <= {o.uid for o in shorter.occurrences if o.status is Status.PLANNED}
    assert all(o.sequence == 0 for o in shorter.occurrences if o.uid in kept)
    # The new last day says the drug goes on after it: a change its phone is told of.
    last = next(o for o in shorter.occurrences if o.start_date == d("2027-02-15"))
    assert last.sequence == 1 and "The calendar ends here, but the treatment does not" in last.notes


def test_a_last_day_before_day_1_is_refused() -> None:
    with pytest.raises(PlanError, match=r"adjustments\[1\]: 2026-12-31 is before the start date 2027-01-04"):
        expand(builtin("imatinib"), plan("2027-01-04", adjustments=(UntilChange(d("2026-12-31")),)))


def test_a_new_dose_time_applies_from_its_date_and_keeps_the_uids() -> None:
    """Imatinib at 08:00, then at 20:00 from Mon 1 Feb 2027: Sun 31 Jan 08:00, Mon 1 Feb 20:00."""
    s = builtin("imatinib")
    before = expand(s, plan("2027-01-04"))
    after = expand(
        s, plan("2027-01-04", adjustments=(TimeChange(d("2027-02-01"), "imatinib", (time(20, 0),)),))
    )
    times = {o.start_date: o.start for o in after.occurrences if o.kind is Kind.DOSE}
    assert times[d("2027-01-31")] == at("2027-01-31 08:00")
    assert times[d("2027-02-01")] == at("2027-02-01 20:00")
    assert {o.uid for o in before.occurrences} == {o.uid for o in after.occurrences}
    moved = [o for o in after.occurrences if o.start_date >= d("2027-02-01")]
    assert moved and all(o.sequence == 1 for o in moved)


def test_a_new_time_for_a_cycle_dose_moves_its_premedication_and_observation_too() -> None:
    """Inotuzumab at 09:00; from Mon 11 Jan 2027 (C1D8) at 13:00: premedication and observation follow."""
    occ = ino(TimeChange(d("2027-01-11"), "inotuzumab", (time(13, 0),)))
    dose = {o.label: o.start for o in occ if o.kind is Kind.DOSE}
    assert dose == {
        "C1D1": at("2027-01-04 09:00"),
        "C1D8": at("2027-01-11 13:00"),
        "C1D15": at("2027-01-18 13:00"),
    }
    premed = next(o for o in occ if o.kind is Kind.PREMEDICATION and o.label == "C1D8")
    observed = next(o for o in occ if o.kind is Kind.OBSERVATION and o.label == "C1D8")
    assert premed.start < at("2027-01-11 13:00") and premed.start > at("2027-01-11 11:00")
    assert observed.start > at("2027-01-11 13:00")


def test_a_new_time_reaches_an_infusion_at_its_next_cycle() -> None:
    """Blinatumomab at 10:00; 16:00 from Wed 20 Jan 2027 (mid cycle 1): cycle 2 (Mon 15 Feb) at 16:00."""
    occ = expand(
        builtin("blinatumomab-mrd"),
        plan(
            "2027-01-04",
            cycles=2,
            weight_kg=70,
            adjustments=(TimeChange(d("2027-01-20"), "blinatumomab", (time(16, 0),)),),
        ),
    ).occurrences
    starts = [o.start for o in occ if o.kind is Kind.INFUSION]
    assert starts == [at("2027-01-04 10:00"), at("2027-02-15 16:00")]
    bags = [o.start for o in occ if o.kind is Kind.BAG_CHANGE and o.cycle == 1]
    assert all(b.hour == 10 for b in bags)  # type: ignore[union-attr]


def child_dasatinib(*adjustments: object) -> Course:
    """A child's dasatinib plan from Mon 4 Jan 2027, weighing 28 kg (20 to under 30 kg)."""
    return expand(
        builtin("dasatinib"),
        plan("2027-01-04", weight_kg=28, choices={"patient": "child"}, adjustments=adjustments),
    )


def test_a_childs_new_weight_changes_the_dasatinib_band_from_that_day() -> None:
    """28 kg: 60 mg a day (20 to under 30 kg); weighed 31 kg on Mon 1 Feb 2027: 70 mg from that day."""
    occ = child_dasatinib(BodySize(d("2027-02-01"), 31.0)).occurrences
    doses = {o.start_date: o.dose for o in occ if o.kind is Kind.DOSE}
    assert doses[d("2027-01-31")] == "60 mg" and doses[d("2027-02-01")] == "70 mg"


def test_a_childs_new_size_sets_the_per_m2_dose_of_the_next_cycle() -> None:
    """30 kg, 130 cm (BSA 1.04 m²): C1 15.6 mcg/day; 40 kg, 140 cm from Wed 10 Feb (BSA 1.25): C2 18.8."""
    occ = expand(
        builtin("blinatumomab-mrd"),
        plan(
            "2027-01-04",
            cycles=2,
            weight_kg=30,
            height_cm=130,
            choices={"patient": "child"},
            adjustments=(BodySize(d("2027-02-10"), 40.0, 140.0),),
        ),
    ).occurrences
    infusions = {o.cycle: o.dose for o in occ if o.kind is Kind.INFUSION}
    assert infusions[1] is not None and "= 15.6 mcg/day" in infusions[1]
    assert infusions[2] is not None and "= 18.8 mcg/day" in infusions[2]


def test_an_adult_weighed_under_45_kg_is_asked_adult_or_child() -> None:
    with pytest.raises(PlanError, match=r"adjustments\[1\]: with a weight of 40 kg \(under 45 kg\)"):
        expand(
            builtin("blinatumomab-mrd"),
            plan("2027-01-04", weight_kg=50, adjustments=(BodySize(d("2027-02-10"), 40.0, 140.0),)),
        )


@pytest.mark.parametrize(
    ("option", "typed", "message"),
    [
        ("--body-size", "2027-02-10", "'2027-02-10' is not DATE followed by '=WEIGHT'"),
        ("--body-size", "2027-02-10=forty", "kg"),
        ("--time-change", "2027-02-10:imatinib=25:00", "25:00"),
        ("--time-change", "2027-02-30:imatinib=20:00", "2027-02-30"),
        ("--zone-change", "2027-02-10=EST", "EST"),
        ("--until", "2027-13-01", "2027-13-01"),
    ],
)
def test_adjust_refuses_a_wrong_measure_time_zone_or_date_and_leaves_the_file(
    cli: Cli, tmp_path: Path, option: str, typed: str, message: str
) -> None:
    path = tmp_path / "plan.toml"
    text = 'schedule = "imatinib"\nstart = 2027-01-04\ntimezone = "America/Toronto"\n'
    path.write_text(text, encoding="utf-8")
    result = cli("adjust", str(path), option, typed)
    assert result.exit_code == 1, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert option in result.output or "adjustments" in result.output
    assert path.read_text(encoding="utf-8") == text


def test_each_new_adjustment_is_written_to_the_plan_file_and_read_back(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(
        'schedule = "dasatinib"\nstart = 2027-01-04\ntimezone = "America/Toronto"\nweight_kg = 28\n'
        '[choices]\npatient = "child"\n',
        encoding="utf-8",
    )
    done = cli(
        "adjust",
        str(path),
        "--until",
        "2027-12-31",
        "--time-change",
        "2027-02-01:dasatinib=20:00",
        "--body-size",
        "2027-02-01=31,135",
        "--zone-change",
        "2027-03-01=Europe/Paris",
    )
    assert done.exit_code == 0, done.output
    p = planfile.loads(path.read_text(encoding="utf-8"), "plan")
    assert p.adjustments == (
        TimeChange(d("2027-02-01"), "dasatinib", (time(20, 0),)),
        BodySize(d("2027-02-01"), 31.0, 135.0),
        ZoneChange(d("2027-03-01"), "Europe/Paris"),
        UntilChange(d("2027-12-31")),
    )
    assert p.steps() == [0, 4]


def test_after_a_move_doses_keep_their_clock_time_and_a_running_infusion_its_moments() -> None:
    """Toronto to Paris on Mon 1 Mar 2027; blinatumomab C1 from Mon 1 Feb at 10:00 (Toronto).

    Cycle 1's bags after the move keep their moments (10:00 in Toronto is 16:00 in Paris) and
    its infusion ends Mon 1 Mar 16:00 Paris; cycle 2 starts Mon 15 Mar at 10:00 in Paris.
    """
    paris = "Europe/Paris"
    occ = expand(
        builtin("blinatumomab-mrd"),
        plan(
            "2027-02-01",
            cycles=2,
            weight_kg=70,
            adjustments=(ZoneChange(d("2027-03-01"), paris),),
        ),
    ).occurrences
    bags = [o.start for o in occ if o.kind is Kind.BAG_CHANGE and o.cycle == 1]
    assert bags[0] == at("2027-02-02 10:00") and at("2027-02-28 16:00", paris) in bags
    end = next(o for o in occ if o.kind is Kind.INFUSION_END and o.cycle == 1)
    assert end.start == at("2027-03-01 16:00", paris)
    assert next(o for o in occ if o.kind is Kind.INFUSION and o.cycle == 2).start == at(
        "2027-03-15 10:00", paris
    )
    premed = next(o for o in occ if o.kind is Kind.PREMEDICATION and o.cycle == 2)
    assert premed.start.tzinfo is not None and str(premed.start.tzinfo) == paris  # type: ignore[union-attr]


def test_the_plans_choices_say_the_band_of_the_last_weight_measured() -> None:
    """Weighed 31 kg on Mon 1 Feb 2027 (was 28 kg): the plan's facts say 30 kg to under 45 kg."""
    course = child_dasatinib(BodySize(d("2027-02-01"), 31.0))
    assert course.choices["child-weight"] == "30-to-45kg"
    assert child_dasatinib().choices["child-weight"] == "20-to-30kg"
