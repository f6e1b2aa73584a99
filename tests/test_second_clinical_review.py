"""The clinical review of 2026-12-06 (clinical-reference.md section 7): each finding, literal dates.

Plans start Monday 2027-01-04 in America/Toronto unless a test says otherwise. Blinatumomab R/R:
cycle 1 runs 2027-01-04 to 2027-02-14 with the step to 28 mcg/day on Mon 2027-01-11 (C1D8) and
the hospital stay on days 1-9 (to Tue 2027-01-12); cycle 2 starts Mon 2027-02-15. The infusion
starts at 10:00; adult dexamethasone is 1 hour before it, a child's 30 minutes (no time in the
label). Each test quotes the source it follows.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import at, builtin, d, plan
from dosecal.core.expand import expand
from dosecal.errors import PlanError
from dosecal.inputs.definitions import builtin_ids
from dosecal.inputs.planfile import loads
from dosecal.model.adjustments import Delay, Hold, Interruption, parse_interruption
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.model.plan import Fever
from dosecal.render.html import to_html
from dosecal.render.ics import to_ics
from dosecal.render.json import to_json
from dosecal.render.txt import to_txt
from dosecal.words import language

CHILD = {"weight_kg": 20, "height_cm": 115, "choices": {"patient": "child"}}  # BSA 0.7993, shown 0.80


def live(occ: tuple[Occurrence, ...], kind: Kind, cycle: int | None = None) -> list[Occurrence]:
    return [
        o
        for o in occ
        if o.kind is kind and o.status is Status.PLANNED and (cycle is None or o.cycle == cycle)
    ]


def blin(*adjustments: Interruption | Hold, cycles: int = 2, **kw: object) -> tuple[Occurrence, ...]:
    return expand(
        builtin("blinatumomab-rr"), plan("2027-01-04", cycles=cycles, adjustments=adjustments, **kw)
    )


def spans(occ: tuple[Occurrence, ...], cycle: int) -> list[tuple[datetime, datetime, str | None]]:
    return [(o.start, o.end, o.dose) for o in live(occ, Kind.INFUSION, cycle)]  # type: ignore[misc]


# -- N4, N5: premedication belongs to a start, a step or a restart of 4 hours or more -------------


def test_a_childs_step_back_up_in_cycle_2_gets_dexamethasone() -> None:
    """N4. AMGEN-HCP-RR-PREP, children: dexamethasone "prior to a step dose (such as cycle 1 day 8)".

    Stopped Wed 2027-02-24 10:00 (C2D10) for 2 days after a reaction: restarts Fri 2027-02-26 at
    5 mcg/m2/day (0.80 m2: 4 mcg/day) and steps back up to 15 mcg/m2/day (12 mcg/day) on Fri
    2027-03-05; dexamethasone 5 mg/m2 (4 mg) 30 minutes before that step. The restart itself in
    cycle 2 gets none ("when restarting ... in the first cycle").
    """
    occ = blin(parse_interruption("C2D10=2:cause=toxicity"), **CHILD)
    assert spans(occ, 2)[1:] == [
        (
            at("2027-02-26 10:00"),
            at("2027-03-05 10:00"),
            "5 mcg/m2/day (max 9 mcg/day) = 4 mcg/day for BSA 0.80 m²",
        ),
        (
            at("2027-03-05 10:00"),
            at("2027-03-17 10:00"),
            "15 mcg/m2/day (max 28 mcg/day) = 12 mcg/day for BSA 0.80 m²",
        ),
    ]
    premeds = [(o.label, o.start, o.dose) for o in live(occ, Kind.PREMEDICATION, 2)]
    assert premeds == [("C2D19", at("2027-03-05 09:30"), "5 mg/m2 (max 20 mg) = 4 mg for BSA 0.80 m²")]
    assert "steps back up" in (live(occ, Kind.PREMEDICATION, 2)[0].notes or "")


def test_a_pause_under_4_hours_resumes_the_running_dose_with_no_premedication() -> None:
    """N5. A 3-hour pause on Wed 2027-01-13 (C1D10) from 10:00: the 28 mcg/day infusion resumes at 13:00.

    No "dose set by your care team", no restart or step premedication (AMGEN-HCP-RR-PREP: "an
    interruption of 4 or more hours"), and no supervision mark (AMGEN-HCP-ADJUST: "reinitiation
    (eg, if treatment is interrupted for 4 or more hours)").
    """
    occ = blin(parse_interruption("C1D10=3h"), cycles=1)
    assert spans(occ, 1) == [
        (at("2027-01-04 10:00"), at("2027-01-11 10:00"), "9 mcg/day"),
        (at("2027-01-11 10:00"), at("2027-01-13 10:00"), "28 mcg/day"),
        (at("2027-01-13 13:00"), at("2027-02-01 13:00"), "28 mcg/day"),
    ]
    assert [o.label for o in live(occ, Kind.PREMEDICATION)] == ["C1D1", "C1D8"]
    restart = live(occ, Kind.INFUSION, 1)[2]
    assert not restart.supervised and "supervised" not in restart.title


def test_the_mrd_schedule_never_premedicates_a_step() -> None:
    """N5. The MRD-positive label has no step dose, so no premedication before one.

    A child's restart at 5 mcg/m2/day after a reaction (stopped Tue 2027-01-05, C1D2, for 1 day)
    returns to 15 mcg/m2/day on Wed 2027-01-13 with no dexamethasone; the restart on Wed 2027-01-06
    has the label's ("when restarting an infusion after an interruption of 4 or more hours in the
    first cycle").
    """
    occ = expand(
        builtin("blinatumomab-mrd"),
        plan("2027-01-04", cycles=1, adjustments=(parse_interruption("C1D2=1:cause=toxicity"),), **CHILD),
    )
    assert [(o.label, o.start) for o in live(occ, Kind.PREMEDICATION)] == [
        ("C1D1", at("2027-01-04 09:30")),
        ("C1D3", at("2027-01-06 09:30")),
    ]
    assert [o.start for o in live(occ, Kind.INFUSION)][-1] == at("2027-01-13 10:00")


# -- N6: the first stay covers the step ----------------------------------------------------------


def test_an_interruption_before_the_step_lengthens_the_first_stay() -> None:
    """N6. AMGEN-HCP-ADMIN: "Hospitalization is recommended for the first 9 days of the first cycle".

    Stopped Sat 2027-01-09 10:00 (C1D6) for 3 days: the step to 28 mcg/day, planned Mon 2027-01-11,
    moves to Thu 2027-01-14; the stay (Mon 2027-01-04 to Tue 2027-01-12) grows 3 days to Fri
    2027-01-15, still covering the step and the day after it, and says why.
    """
    occ = blin(parse_interruption("C1D6=3"), cycles=1)
    stay = live(occ, Kind.HOSPITAL, 1)[0]
    assert (stay.start, stay.end) == (d("2027-01-04"), d("2027-01-16"))  # end exclusive
    assert "stay is longer than the label's" in (stay.notes or "")
    assert not live(occ, Kind.INFUSION, 1)[1].supervised  # the restart on Tue 2027-01-12 is in hospital


def test_a_pause_of_hours_that_leaves_the_step_on_its_day_keeps_the_stay() -> None:
    """C1D5@14:00 for 6 hours: the step moves from 10:00 to 16:00 on Mon 2027-01-11, inside the stay."""
    occ = blin(parse_interruption("C1D5@14:00=6h:restart=same"), cycles=1)
    stay = live(occ, Kind.HOSPITAL, 1)[0]
    assert (stay.start, stay.end) == (d("2027-01-04"), d("2027-01-13"))
    assert "longer" not in (stay.notes or "")


# -- N7: windows keep 6 days across cycles ---------------------------------------------------------


def test_the_last_window_of_a_21_day_cycle_ends_6_days_before_the_next_cycle() -> None:
    """N7. PFIZERPRO-BESP: "+/- 2 days (maintain a minimum of 6 days between doses)".

    Cycle 1 of 21 days: C1D15 Mon 2027-01-18, C2D1 Mon 2027-01-25, so the C1D15 window ends Tue
    2027-01-19 (not Wed 2027-01-20, 5 days before C2D1). With a 28-day cycle 1 (C2D1 Mon 2027-02-01)
    it runs to Wed 2027-01-20.
    """
    short = expand(
        builtin("inotuzumab"), plan("2027-01-04", cycles=2, choices={"response": "cr", "transplant": "yes"})
    )
    long = expand(
        builtin("inotuzumab"),
        plan("2027-01-04", cycles=2, choices={"response": "cr", "transplant": "yes", "cycle1-days": "28"}),
    )
    assert [(o.label, o.window) for o in live(short, Kind.DOSE, 1)] == [
        ("C1D1", None),
        ("C1D8", (d("2027-01-10"), d("2027-01-13"))),
        ("C1D15", (d("2027-01-17"), d("2027-01-19"))),
    ]
    assert live(long, Kind.DOSE, 1)[2].window == (d("2027-01-17"), d("2027-01-20"))


# -- N8: a child's dasatinib --------------------------------------------------------------------


def test_a_childs_dasatinib_plan_speaks_of_the_pediatric_regimen_and_checks_the_weight() -> None:
    """N8. A child's dasatinib is the pediatric regimen, with a weight check every 3 months.

    FDA-SPRYCEL: children "with newly diagnosed Ph+ ALL in combination with chemotherapy"; "begin
    SPRYCEL therapy on or before day 15 of induction chemotherapy ... and continue for 2 years";
    "Recalculate the dose every 3 months based on changes in body weight".

    25 kg: 60 mg once daily. Weight checks 3 and 6 months after Mon 2027-01-04: Sun 2027-04-04 and
    Sun 2027-07-04 (planned through Sun 2027-08-01). An adult plan has none and the adult indication.
    """
    child = expand(
        builtin("dasatinib"),
        plan("2027-01-04", until=d("2027-08-01"), weight_kg=25, choices={"patient": "child"}),
    )
    assert [(o.start, o.title) for o in live(child, Kind.TEST)] == [
        (d("2027-04-04"), "Weight check: the dasatinib dose is recalculated"),
        (d("2027-07-04"), "Weight check: the dasatinib dose is recalculated"),
    ]
    assert (
        child.indication
        == "Newly diagnosed Ph+ ALL in children 1 year and older, with chemotherapy (US label)"
    )
    page = to_html(child)
    assert "continues for 2 years" in page and "Adult Ph+ ALL" not in page
    adult = expand(builtin("dasatinib"), plan("2027-01-04", until=d("2027-08-01")))
    assert not live(adult, Kind.TEST)
    assert adult.indication == "Adult Ph+ ALL with resistance or intolerance to prior therapy (US label)"
    assert "continues for 2 years" not in to_html(adult)


def test_a_check_every_3_months_from_the_31st_falls_on_the_last_day_of_a_short_month() -> None:
    """From Thu 2026-12-31: Wed 2027-03-31, Wed 2027-06-30, Thu 2027-09-30 (no day 31 in June)."""
    occ = expand(
        builtin("dasatinib"),
        plan("2026-12-31", until=d("2027-10-31"), weight_kg=25, choices={"patient": "child"}),
    )
    assert [o.start for o in live(occ, Kind.TEST)] == [d("2027-03-31"), d("2027-06-30"), d("2027-09-30")]


# -- N9: D-ALBA follows the MRD hospital rule --------------------------------------------------------


def test_dalba_blinatumomab_cycles_have_the_mrd_hospital_stays() -> None:
    """N9. D-ALBA's blinatumomab cycles follow the MRD-positive hospital rule.

    AMGEN-HCP-ADMIN: "MRD(+): Hospitalization is recommended for the first 3 days of the first cycle
    and the first 2 days of the second cycle". Blinatumomab starts on day 86, Tue 2027-03-30.
    """
    occ = expand(builtin("dasatinib-blinatumomab"), plan("2027-01-04", cycles=3))
    stays = [(o.label, o.start, o.end) for o in live(occ, Kind.HOSPITAL)]
    assert stays == [
        ("C1D1", d("2027-03-30"), d("2027-04-02")),  # days 1-3, end exclusive
        ("C2D1", d("2027-05-11"), d("2027-05-13")),
    ]
    starts = live(occ, Kind.INFUSION)
    assert [o.supervised for o in starts] == [False, False, True]  # cycle 3 starts at home


# -- N10: CNS prophylaxis on every blinatumomab plan ------------------------------------------------


@pytest.mark.parametrize("sid", ["blinatumomab-rr", "blinatumomab-mrd", "dasatinib-blinatumomab"])
def test_every_blinatumomab_plan_names_cns_prophylaxis_with_no_invented_day(sid: str) -> None:
    """N10. Every blinatumomab plan names CNS prophylaxis and leaves its dates to the care team.

    CCS-ALL-IMMUNO: "Chemotherapy for CNS prophylaxis is usually given before and during
    blinatumomab treatment"; the care team schedules it, so no event carries it as its own.
    """
    course = expand(builtin(sid), plan("2027-01-04", cycles=1))
    html, text = to_html(course), to_txt(course)
    for out in (html, text):
        assert "CNS prophylaxis" in out
    assert "Your care team also plans" in html and "Dates, from your care team:" in html
    first = next(o for o in live(course, Kind.INFUSION) if o.cycle == 1)
    assert "Your care team also plans, on dates they give you: Chemotherapy to protect the brain" in (
        first.notes or ""
    )
    assert not [o for o in course if "CNS" in o.title]


# -- N11: tests and visits on the calendar --------------------------------------------------------


def test_inotuzumab_blood_tests_stand_on_each_dose_day() -> None:
    """N11. Liver tests and blood counts stand on each inotuzumab dose day.

    PFIZERPRO-IE: "Complete blood counts should be monitored prior to each dose"; liver tests "prior
    to each dose". All-day events on Mon 2027-01-04, 11 and 18, the dose days; a kind of their own
    in every format.
    """
    course = expand(builtin("inotuzumab"), plan("2027-01-04", cycles=1))
    tests = live(course, Kind.TEST)
    assert [(o.start, o.end, o.label) for o in tests] == [
        (d("2027-01-04"), d("2027-01-05"), "C1D1"),
        (d("2027-01-11"), d("2027-01-12"), "C1D8"),
        (d("2027-01-18"), d("2027-01-19"), "C1D15"),
    ]
    assert "your care team may take them the day before" in (tests[0].notes or "")
    assert '"kind": "test"' in to_json(course)
    ics = to_ics(course).decode()
    assert "UID:inotuzumab-2027-01-04.inotuzumab.test.c1.d8.1@dosecal" in ics
    assert "DTSTART;VALUE=DATE:20270111" in ics
    assert "Blood tests before the inotuzumab dose" in to_html(course)


def test_nilotinib_ecg_at_baseline_and_7_days_after_the_start() -> None:
    """N11. NVS-TASIGNA-HCP: "Obtain ECGs to monitor the QTc at baseline, 7 days after initiation"."""
    course = expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-31")))
    assert [(o.start, o.title) for o in live(course, Kind.TEST)] == [
        (d("2027-01-04"), "Heart test (ECG) before you start nilotinib"),
        (d("2027-01-11"), "Heart test (ECG), 7 days after starting nilotinib"),
    ]
    keydates = re.search(r'<section class="keydates">(.*?)</section>', to_html(course), re.DOTALL)
    assert keydates is not None and "Heart test (ECG), 7 days after starting nilotinib" in keydates.group(1)


def test_an_admission_says_what_happens_and_to_ask_what_to_bring() -> None:
    """N11. An admission says what happens, cited, and to ask what to bring.

    AMGEN-PATIENT-RR: "BLINCYTO treatment starts in the hospital to make sure that it is safe"; no
    official list of what to bring was found, so the stay says to ask.
    """
    stay = live(blin(cycles=1), Kind.HOSPITAL)[0]
    assert "Treatment starts in hospital so that it is safe for you" in (stay.notes or "")
    assert "Ask your care team what to bring for the stay" in (stay.notes or "")


def test_who_changes_a_bag_at_home_is_a_contact_line_where_bags_change() -> None:
    """N11. Who changes a bag at home is a plan-file contact, printed where bags change.

    AMGEN-PATIENT-RR: "whether your IV bag will be changed at an outpatient center or by your home
    health care provider". The plan file names them; a daily drug's plan has no such line.
    """
    p = loads(
        'start = 2027-01-04\ntimezone = "America/Toronto"\ncycles = 1\n'
        '[contacts]\nbag_change = "CLSC home care 514 555-0142"\n',
        "plan.toml",
    )
    page = to_html(expand(builtin("blinatumomab-rr"), p))
    assert "Bag changes at home" in page and "CLSC home care 514 555-0142" in page
    # Without it, the instructions say the care team tells the patient, and no blank line takes room.
    unnamed = to_html(expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=1)))
    assert "Bag changes at home" not in unnamed
    assert "Your care team tells you whether your bag is changed at an outpatient clinic" in unnamed
    assert "Bag changes at home" not in to_html(
        expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-10")))
    )


# -- N1-N3: the call box --------------------------------------------------------------------------


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_drug_given_has_signs_in_the_call_box(sid: str) -> None:
    """N1. Each drug of each built-in (not a premedication) has at least one sign to call about."""
    s = builtin(sid)
    choices = {k: v for k, v in {"response": "cr", "transplant": "no"}.items() if k in s.choices}
    course = expand(s, plan("2027-01-04", cycles=min(1, s.total_cycles) or None, choices=choices))
    drugs = {o.agent for o in course if o.kind in (Kind.DOSE, Kind.INFUSION)}
    assert drugs
    assert drugs <= {a.id for a, _ in course.warnings()}


def test_ponatinib_and_nilotinib_name_their_own_urgent_signs() -> None:
    """N1. Ponatinib and nilotinib name their own urgent signs.

    FDA-ICLUSIG-MG: clots, "Get medical help right away" (an emergency line); EU-ICLUSIG: heart
    failure and liver signs. FDA-TASIGNA-MG: "lightheaded, faint, or have an irregular heartbeat".
    """
    pon = to_html(expand(builtin("ponatinib"), plan("2027-01-04", until=d("2027-01-10"))))
    call = re.search(r'<section class="call">(.*?)</section>', pon, re.DOTALL)
    assert call is not None
    box = call.group(1)
    assert "call your care team or get emergency medical help right away" in box
    assert "Signs of a blood clot or a blocked blood vessel: chest pain or pressure" in box
    assert "Signs of heart failure: weakness, tiredness, swollen legs" in box
    assert "Signs of liver problems: yellowing of the skin or the whites of the eyes." in box
    nil = to_txt(expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-10"))))
    assert "Nilotinib: Feeling lightheaded or faint, fainting, or an irregular heartbeat." in nil


def test_seizures_say_emergency_help_apart_from_calling_the_care_team() -> None:
    """N2. FDA-BLIN-2014: "Call your healthcare provider or get emergency medical help right away"."""
    text = to_txt(blin(cycles=1), width=1000)
    assert (
        "Blinatumomab, call your care team or get emergency medical help right away: Signs of "
        "neurological problems: seizures" in text
    )
    assert "Blinatumomab: A problem with the pump, or the pump's alarm sounds." in text


def test_the_fever_threshold_is_the_clinics_or_the_box_says_to_ask() -> None:
    """N3. No label gives a temperature: the plan file's [fever] does, printed as the clinic wrote it."""
    ask = to_txt(blin(cycles=1), width=1000)
    assert (
        "Fever: ask your care team at what temperature to call them at once, and about signs of an "
        "infection or of bleeding." in ask
    )
    p = loads(
        'start = 2027-01-04\ntimezone = "America/Toronto"\ncycles = 1\n[fever]\ncelsius = 38.3\n', "plan.toml"
    )
    assert p.fever == Fever(Decimal("38.3"), "C")
    course = expand(builtin("blinatumomab-rr"), p)
    assert (
        "Fever of 38.3 °C or higher, or signs of an infection or of bleeding: call your care team at once."
        in to_html(course)
    )
    assert "Fièvre de 38,3\u00a0°C ou plus" in to_html(
        course, lang=language("fr")
    )  # the French writes a decimal comma
    notes = live(course, Kind.INFUSION)[0].notes or ""
    assert "Fever of 38.3 °C or higher" in notes


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("celsius = 101", "101 looks like degrees Fahrenheit"),
        ("celsius = 38.25", "give the temperature with one decimal at most"),
        ("fahrenheit = 38.3", "is not a fever threshold dosecal prints: give 99.5 to 104.0 °F"),
        ("celsius = 38.3\nfahrenheit = 100.9", "give the clinic's fever threshold once"),
        ('celsius = "high"', "must be a temperature such as 38.3"),
    ],
)
def test_a_wrong_fever_threshold_is_refused_with_its_line(table: str, words: str) -> None:
    text = f'start = 2027-01-04\ntimezone = "America/Toronto"\n[fever]\n{table}\n'
    with pytest.raises(PlanError) as caught:
        loads(text, "plan.toml")
    assert words in str(caught.value)
    assert "plan.toml:" in str(caught.value)


# -- #20: a bag cut short says so -----------------------------------------------------------------


def test_a_96_hour_bag_before_the_step_and_at_the_end_says_how_long_it_runs() -> None:
    """Section 6, #20. A 96-hour bag that a step or the end cuts short says how long it runs.

    96-hour bags in cycle 1: hung Mon 2027-01-04 10:00, changed Fri 2027-01-08 10:00; the step on Mon
    2027-01-11 cuts the second bag to 72 hours. From the step, bags on Fri 15, Tue 19, Sat 23, Wed 27
    and Sun 31 Jan; the infusion ends Mon 2027-02-01 10:00, so the last runs 24.
    """
    occ = blin(cycles=1, choices={"bag-hours": "96"})
    short = {
        o.start: re.search(r"This bag runs (\d+) hours, not 96", o.notes or "")
        for o in live(occ, Kind.BAG_CHANGE)
    }
    assert {when: m.group(1) for when, m in short.items() if m} == {
        at("2027-01-08 10:00"): "72",
        at("2027-01-31 10:00"): "24",
    }


# -- N13: one rounding rule, stated --------------------------------------------------------------


def test_the_rounding_rule_is_stated_where_amounts_are_shown() -> None:
    """N13. "computed with the Mosteller: BSA" missed a word; one rule, stated once."""
    course = blin(cycles=1, **CHILD)
    for out in (to_html(course), to_txt(course, width=1000)):
        assert "computed with the Mosteller formula: BSA (m²)" in out
        assert "rounded to 2 decimals, and each amount (dose per m² × BSA) to 3 significant figures" in out


# -- Properties -----------------------------------------------------------------------------------


@given(
    cycle1=st.sampled_from(["21", "28"]),
    response=st.sampled_from(["cr", "no-cr"]),
    delays=st.lists(st.tuples(st.integers(2, 3), st.integers(1, 14)), max_size=2),
)
def test_a_dose_on_the_last_day_of_its_window_leaves_the_next_one_6_days(
    cycle1: str, response: str, delays: list[tuple[int, int]]
) -> None:
    """PFIZERPRO-BESP: "maintain a minimum of 6 days between doses", across cycles too (N7).

    Given on the last day of its window, every dose leaves the next dose of the drug a day in its own
    window (or its planned day, where it has none, as a cycle's day 1) at least 6 days later.
    """
    p = plan(
        "2027-01-04",
        cycles=3,
        choices={"cycle1-days": cycle1, "response": response, "transplant": "no"},
        adjustments=tuple(Delay(cycle=c, days=n) for c, n in sorted(dict(delays).items())),
    )
    doses = live(expand(builtin("inotuzumab"), p), Kind.DOSE)
    for this, after in itertools.pairwise(doses):
        latest = this.window[1] if this.window else this.start_date
        room = after.window[1] if after.window else after.start_date
        assert room - latest >= timedelta(days=6), (this.label, after.label)


@given(
    cycle=st.integers(1, 2),
    day=st.integers(2, 27),
    hours=st.integers(1, 7 * 24 + 48),
    cause=st.sampled_from(["", ":cause=toxicity", ":restart=same", ":restart=9"]),
    child=st.booleans(),
)
def test_no_premedication_without_a_start_a_step_or_a_restart_after_4_hours(
    cycle: int, day: int, hours: int, cause: str, child: bool
) -> None:
    """Every premedication stands before an infusion that starts there.

    A cycle's first bag, a dose step, or a restart after an interruption of 4 hours or more
    (AMGEN-HCP-RR-PREP).
    """
    spec = f"C{cycle}D{day}={hours}h{cause}"
    kw: dict[str, object] = dict(CHILD) if child else {}
    occ = blin(parse_interruption(spec), **kw)
    segments = live(occ, Kind.INFUSION)
    starts = {o.start: o for o in segments}
    bags = {o.start: o for o in live(occ, Kind.BAG_CHANGE)}
    stopped = {o.start for o in live(occ, Kind.INFUSION_END) if o.stopped}
    for pre in live(occ, Kind.PREMEDICATION):
        minutes = 60 if not child else 30
        target = pre.start + timedelta(minutes=minutes)
        assert target in starts, (spec, pre.label, pre.start)
        seg = starts[target]
        if seg.restart and hours < 4:
            pytest.fail(f"{spec}: premedication before a restart after {hours} h")
        dose_changes = (
            target in bags or target == segments[0].start or seg.restart or seg.label.endswith("D1")
        )
        assert dose_changes or target not in stopped, (spec, pre.label)


def test_a_new_kind_reads_back_from_every_format() -> None:
    """The test kind is a JSON ``kind`` value and an all-day event like a stay, in order with the doses."""
    course = expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-04")))
    kinds = [o.kind for o in course]
    assert kinds == [Kind.TEST, Kind.DOSE, Kind.DOSE]
    assert isinstance(course[0].start, date) and not isinstance(course[0].start, datetime)


# -- The closing check of this review (an oncology pharmacist's and nurse's read of the outputs) --


def _first_run(occ: tuple[Occurrence, ...], dose: str) -> Occurrence:
    return next(o for o in live(occ, Kind.INFUSION) if o.dose == dose)


def test_a_step_moved_by_the_restart_week_stays_inside_the_longer_stay() -> None:
    """The stay grows to cover a step the restart week moved.

    AMGEN-HCP-ADJUST: after a reaction "restart ... at 9 mcg/day, and escalate to 28 mcg/day after
    7 days". Stopped Sat 2027-01-09 10:00 (C1D6) for 3 days: restarts Tue 2027-01-12 at 9 mcg/day and
    steps to 28 mcg/day on Tue 2027-01-19. The stay (days 1-9 by the label) grows to cover that day
    and the day after it: Mon 2027-01-04 to Wed 2027-01-20 inclusive.
    """
    occ = blin(parse_interruption("C1D6=3:cause=toxicity"))
    step = _first_run(occ, "28 mcg/day")
    assert step.start == at("2027-01-19 10:00")
    stay = live(occ, Kind.HOSPITAL, 1)[0]
    assert (stay.start, stay.end) == (d("2027-01-04"), d("2027-01-21"))
    assert "still covers the step and the day after it" in (stay.notes or "")
    assert not step.supervised and "first time at this dose" not in step.title


def test_a_step_after_a_restart_dose_the_care_team_sets_is_the_labelled_one_moved() -> None:
    """No cause, no dose said: the labelled step, moved 3 days, inside the stay grown 3 days.

    The care team's restart dose runs to the step on Thu 2027-01-14 (C1D11); the stay ends Fri
    2027-01-15 inclusive.
    """
    occ = blin(parse_interruption("C1D6=3"))
    assert _first_run(occ, "28 mcg/day").start == at("2027-01-14 10:00")
    stay = live(occ, Kind.HOSPITAL, 1)[0]
    assert (stay.start, stay.end) == (d("2027-01-04"), d("2027-01-16"))


def test_a_first_step_up_outside_any_stay_is_marked_first_time_at_this_dose() -> None:
    """A first step up after a new cycle started, outside any stay, is marked.

    AMGEN-HCP-ADJUST: "If an interruption due to an adverse reaction is longer than 7 days, start
    a new cycle." Stopped Sat 2027-01-09 (C1D6) for 10 days, before the first step: cycle 2 starts
    Tue 2027-01-19 at 9 mcg/day and steps to 28 mcg/day on Tue 2027-01-26 (C2D8), after its 2-day
    stay. The patient has never had 28 mcg/day: the event says so and asks where it will be.
    """
    occ = blin(parse_interruption("C1D6=10:cause=toxicity"))
    step = _first_run(occ, "28 mcg/day")
    assert (step.label, step.start) == ("C2D8", at("2027-01-26 10:00"))
    assert step.title == "Blinatumomab infusion 28 mcg/day: first time at this dose"
    assert "The label gives the first step up during a hospital stay" in (step.notes or "")
    # Without the interruption the step is inside the first stay: no such mark anywhere.
    assert not [o for o in blin() if "first time at this dose" in o.title]


def test_a_restart_the_care_team_doses_is_not_followed_by_a_step_nobody_prescribed() -> None:
    """A reinitiation the care team doses runs at that dose to the end: no step a week later.

    Stopped Wed 2027-01-13 14:00 (C1D10) for 4 hours, no cause: premedicated at 17:00 and
    supervised at 18:00 (AMGEN-HCP-ADMIN). Its dose is the care team's to the end of the infusion,
    moved 4 hours to Mon 2027-02-01 14:00: no dexamethasone and no "dose changes" a week later.
    """
    occ = blin(parse_interruption("C1D10@14:00=4h"))
    assert spans(occ, 1)[-1] == (at("2027-01-13 18:00"), at("2027-02-01 14:00"), "dose set by your care team")
    premeds = [o.start for o in live(occ, Kind.PREMEDICATION, 1)]
    assert premeds == [at("2027-01-04 09:00"), at("2027-01-11 09:00"), at("2027-01-13 17:00")]
    changes = [o.start for o in live(occ, Kind.BAG_CHANGE, 1) if "dose changes" in o.title]
    assert changes == [at("2027-01-11 10:00")]  # the labelled step on C1D8 only


def test_a_pause_under_4_hours_is_described_as_the_running_dose_resuming() -> None:
    """A 3-hour stop resumes the 28 mcg/day that was running; the change log says so too."""
    schedule = builtin("blinatumomab-rr")
    text = to_txt(
        expand(schedule, plan("2027-01-04", cycles=1, adjustments=(parse_interruption("C1D10=3h"),)))
    )
    assert "Infusion stopped on cycle 1, day 10 for 3 hours; restarted at the same dose" in " ".join(
        text.split()
    )
    assert "set by the care team" not in text


def test_a_bag_cut_short_says_its_hours_in_every_output() -> None:
    """#20. A bag a step or the end cuts short says its hours in the calendar, list and printout.

    96-hour bags from Mon 2027-01-04: the one hung Fri 2027-01-08 (C1D5) runs to the step on Mon
    2027-01-11, 72 hours; the one hung Sun 2027-01-31 (C1D28) to the end on Mon 2027-02-01, 24.
    """
    occ = blin(cycles=1, choices={"bag-hours": "96"})
    short = [(o.start, o.title) for o in live(occ, Kind.BAG_CHANGE) if "runs" in o.title]
    assert short == [
        (at("2027-01-08 10:00"), "Blinatumomab bag change: this bag runs 72 hours"),
        (at("2027-01-31 10:00"), "Blinatumomab bag change: this bag runs 24 hours"),
    ]
    for text in (to_txt(occ, width=1000), to_html(occ), to_ics(occ).decode()):
        assert "this bag runs 72 hours" in text and "this bag runs 24 hours" in text


@pytest.mark.parametrize(
    ("zone", "forward"),
    [("America/Toronto", "2027-03-14"), ("Europe/Paris", "2027-03-28"), ("Australia/Sydney", "2027-10-03")],
)
def test_the_clock_change_never_makes_a_bag_short(zone: str, forward: str) -> None:
    """A bag over the spring-forward night is a full bag, in three zones.

    Bags are changed every 24 or 96 hours at the same clock time: the one hung before the clocks go
    forward runs 23 (95) hours by the watch and is not called short. Each plan starts 13 days
    before the change, so that it falls on C1D14, in the 28 mcg/day stretch.
    """
    for hours in ("24", "96"):
        occ = expand(
            builtin("blinatumomab-rr"),
            plan(str(d(forward) - timedelta(days=13)), zone, cycles=1, choices={"bag-hours": hours}),
        )
        day = d(forward)
        around = [o for o in live(occ, Kind.BAG_CHANGE) if day - timedelta(days=4) <= o.start_date <= day]
        assert around, "a bag is changed in the days before the clock change"
        assert not [o for o in around if "runs" in o.title]
        assert "runs 23 hours" not in to_ics(occ).decode() and "runs 95 hours" not in to_ics(occ).decode()


@pytest.mark.parametrize("sid", ["blinatumomab-rr", "blinatumomab-mrd"])
def test_a_childs_cycle_2_stay_promises_no_medicine_the_calendar_does_not_give(sid: str) -> None:
    """FDA-BLIN: a child's dexamethasone is "prior to the first dose ... in the first cycle"."""
    occ = expand(builtin(sid), plan("2027-01-04", cycles=2, **CHILD))  # type: ignore[arg-type]
    assert not live(occ, Kind.PREMEDICATION, 2)
    first, second = live(occ, Kind.HOSPITAL, 1)[0], live(occ, Kind.HOSPITAL, 2)[0]
    assert "you get a medicine before the infusion" in (first.notes or "")
    assert "you get a medicine before the infusion" not in (second.notes or "")
    assert "you are watched and treated for any serious reaction" in (second.notes or "")


def test_dalba_plans_the_two_mandatory_cycles_and_says_what_more_would_be() -> None:
    """D-ALBA plans its 2 mandatory blinatumomab cycles unless the plan asks for more.

    DALBA-ASH2019: "A minimum of 2 cycles was mandatory, while ... up to 3 additional cycles was
    allowed". Blinatumomab cycles start Tue 2027-03-30 and Tue 2027-05-11; a third, asked for,
    starts Tue 2027-06-22 and the plan says what the trial said of it.
    """
    schedule = builtin("dasatinib-blinatumomab")
    two = expand(schedule, plan("2027-01-04"))
    assert [o.start_date for o in live(two, Kind.INFUSION)] == [d("2027-03-30"), d("2027-05-11")]
    three = expand(schedule, plan("2027-01-04", cycles=3))
    assert [o.start_date for o in live(three, Kind.INFUSION)][-1] == d("2027-06-22")
    beyond = "in D-ALBA, up to 3 more were given depending on the response to blinatumomab"
    assert beyond in " ".join(to_txt(three).split()) and beyond not in " ".join(to_txt(two).split())
    with pytest.raises(PlanError):
        expand(schedule, plan("2027-01-04", cycles=6))


def test_the_imatinib_call_box_has_skin_blistering_and_no_source_dates_from_copies() -> None:
    """Imatinib's call box has skin blistering; no source carries a copy site's date.

    NVS-GLEEVEC-PATIENT: "Skin blistering" is a side effect to "speak with your doctor immediately"
    about. A date read from a copy site is not the label's: FDA-BLIN and FDA-TASIGNA carry none.
    """
    text = to_txt(expand(builtin("imatinib"), plan("2027-01-04", until=d("2027-01-10"))), width=1000)
    assert "Imatinib: Blistering of the skin." in text
    assert builtin("blinatumomab-rr").sources["FDA-BLIN"].date is None
    assert builtin("nilotinib").sources["FDA-TASIGNA"].date is None
    dalba = builtin("dasatinib-blinatumomab").sources["DALBA-ASH2019"]
    assert "Chiaretti" not in dalba.title and dalba.date == "2019"
