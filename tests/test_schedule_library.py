"""The schedule library: every built-in and its main options, against literal dates and doses.

Plans start Monday 2027-01-04 in America/Toronto unless a test says otherwise; each expected
value names the source line it comes from.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import at, builtin, d, plan
from dosecal.core.dosing import describe_dose, mosteller, per_m2_amount
from dosecal.core.expand import expand
from dosecal.errors import PlanError
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.occurrence import Kind, Occurrence
from dosecal.words import ENGLISH

REQUIRED = [
    "imatinib",
    "dasatinib",
    "nilotinib",
    "bosutinib",
    "ponatinib",
    "blinatumomab-rr",
    "blinatumomab-mrd",
    "inotuzumab",
    "dasatinib-blinatumomab",
]


def of(occ: tuple[Occurrence, ...], kind: Kind) -> list[Occurrence]:
    return [o for o in occ if o.kind is kind]


def test_every_required_id_is_built_in() -> None:
    assert set(REQUIRED) <= set(builtin_ids())
    assert "ponatinib-monotherapy" in builtin_ids()


@pytest.mark.parametrize(
    ("sid", "dose", "time"),
    [
        ("imatinib", "600 mg", "08:00"),  # GLEEVEC-PI-2009: 600 mg once daily
        ("bosutinib", "500 mg", "08:00"),  # DRUGS-BOSULIF: 500 mg once daily
        ("ponatinib", "30 mg", "08:00"),  # MPR-ICLUSIG: 30 mg once daily with chemotherapy
        ("ponatinib-monotherapy", "45 mg", "08:00"),  # MPR-ICLUSIG: 45 mg once daily
        ("dasatinib", "140 mg", "08:00"),  # SPRYCEL-PI-HL: 140 mg once daily
    ],
)
def test_once_daily_tkis(sid: str, dose: str, time: str) -> None:
    occ = expand(builtin(sid), plan("2027-01-04", until=d("2027-01-06")))
    assert [(o.start, o.dose) for o in occ] == [
        (at(f"2027-01-04 {time}"), dose),
        (at(f"2027-01-05 {time}"), dose),
        (at(f"2027-01-06 {time}"), dose),
    ]


@pytest.mark.parametrize(
    ("sid", "words"),
    [
        ("imatinib", "Take with a meal and a large glass of water."),
        ("bosutinib", "If more than 12 hours have passed since the missed dose, skip it"),
        ("ponatinib", "Skip the missed dose and take the next dose at the usual time the next day."),
        ("nilotinib", "no food for at least 2 hours before and at least 1 hour after each dose"),
        ("dasatinib", "Swallow the tablet whole; do not crush, cut or chew it."),
    ],
)
def test_tki_events_carry_food_and_missed_dose_instructions(sid: str, words: str) -> None:
    occ = expand(builtin(sid), plan("2027-01-04", until=d("2027-01-04")))
    first = next(o for o in occ if o.kind is Kind.DOSE)
    assert words in (first.notes or "")


# DRUGS-BLIN-MRD / PMC-TAB1: 1 induction + up to 3 consolidation cycles of 42 days, 28 mcg/day on
# days 1-28 with no step-up; hospital the first 3 days of C1 and 2 days of C2 (HCP-ADMIN).
def test_blinatumomab_mrd_four_cycles() -> None:
    occ = expand(builtin("blinatumomab-mrd"), plan("2027-01-04"))
    infusions = of(occ, Kind.INFUSION)
    assert [(o.label, o.start_date, o.dose) for o in infusions] == [
        ("C1D1", d("2027-01-04"), "28 mcg/day"),
        ("C2D1", d("2027-02-15"), "28 mcg/day"),
        ("C3D1", d("2027-03-29"), "28 mcg/day"),
        ("C4D1", d("2027-05-10"), "28 mcg/day"),
    ]
    assert [o.start_date for o in of(occ, Kind.INFUSION_END)] == [
        d("2027-02-01"),
        d("2027-03-15"),
        d("2027-04-26"),
        d("2027-06-07"),  # day 29, after day 28
    ]
    assert [(o.start, o.end) for o in of(occ, Kind.HOSPITAL)] == [
        (d("2027-01-04"), d("2027-01-07")),
        (d("2027-02-15"), d("2027-02-17")),
    ]
    premeds = of(occ, Kind.PREMEDICATION)
    assert [(o.label, o.start) for o in premeds] == [
        ("C1D1", at("2027-01-04 09:00")),
        ("C2D1", at("2027-02-15 09:00")),
        ("C3D1", at("2027-03-29 09:00")),
        ("C4D1", at("2027-05-10 09:00")),
    ]
    assert (
        premeds[0].title
        == "Prednisone 100 mg IV (or equivalent, e.g. dexamethasone 16 mg) before blinatumomab"
    )


def test_blinatumomab_rr_under_45_kg_uses_per_m2_doses_and_computes_them() -> None:
    """DRUGS-BLIN-RR: < 45 kg, 5 mcg/m2/day (max 9) days 1-7 then 15 mcg/m2/day (max 28)."""
    occ = expand(
        builtin("blinatumomab-rr"),
        plan("2027-01-04", cycles=1, weight_kg=38, height_cm=140, choices={"patient": "adult"}),
    )
    # Mosteller: sqrt(140 x 38 / 3600) = sqrt(1.4778) = 1.2156 m2, shown 1.22 -> 5 x 1.22 = 6.1 and
    # 15 x 1.22 = 18.3 mcg/day (the area shown, 3 significant figures).
    assert [o.dose for o in of(occ, Kind.INFUSION)] == [
        "5 mcg/m2/day (max 9 mcg/day) = 6.1 mcg/day for BSA 1.22 m²",
        "15 mcg/m2/day (max 28 mcg/day) = 18.3 mcg/day for BSA 1.22 m²",
    ]


def test_blinatumomab_weight_without_height_shows_the_written_dose() -> None:
    occ = expand(
        builtin("blinatumomab-rr"), plan("2027-01-04", cycles=1, weight_kg=30, choices={"patient": "adult"})
    )
    assert [o.dose for o in of(occ, Kind.INFUSION)] == [
        "5 mcg/m2/day (max 9 mcg/day)",
        "15 mcg/m2/day (max 28 mcg/day)",
    ]


def test_blinatumomab_45_kg_is_the_fixed_dose_band() -> None:
    occ = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=1, weight_kg=45))
    assert [o.dose for o in of(occ, Kind.INFUSION)] == ["9 mcg/day", "28 mcg/day"]


def test_a_band_choice_that_contradicts_the_weight_is_refused() -> None:
    with pytest.raises(PlanError, match="'45kg-or-more' contradicts the weight of 38 kg"):
        expand(
            builtin("blinatumomab-rr"), plan("2027-01-04", weight_kg=38, choices={"weight": "45kg-or-more"})
        )


def test_blinatumomab_rr_child_premedication_only_in_cycle_1() -> None:
    """HCP-RR-PREP: children, dexamethasone 5 mg/m2 (max 20 mg) before C1D1 and the C1D8 step.

    The label says only "prior to" for children, so the calendar places it 30 minutes before the
    10:00 infusion and says the care team sets the time; never at the infusion's minute.
    """
    occ = expand(
        builtin("blinatumomab-rr"), plan("2027-01-04", cycles=3, weight_kg=30, choices={"patient": "child"})
    )
    assert [(o.label, o.dose, o.start) for o in of(occ, Kind.PREMEDICATION)] == [
        ("C1D1", "5 mg/m2 (max 20 mg)", at("2027-01-04 09:30")),
        ("C1D8", "5 mg/m2 (max 20 mg)", at("2027-01-11 09:30")),
    ]
    assert "the label gives no exact time" in (of(occ, Kind.PREMEDICATION)[0].notes or "")


def test_mosteller_and_caps_worked_by_hand() -> None:
    assert round(mosteller(180, 80), 4) == 2.0  # sqrt(180 x 80 / 3600) = sqrt(4) = 2
    assert round(mosteller(140, 38), 4) == 1.2156
    assert per_m2_amount("15 mcg/m2/day (max 28 mcg/day)", Decimal("2.0")) == "28 mcg/day (capped)"  # 30 > 28
    assert per_m2_amount("5 mcg/m2/day (max 9 mcg/day)", Decimal("1.7")) == "8.5 mcg/day"
    assert per_m2_amount("5 mcg/m2/day (max 9 mcg/day)", Decimal("1.9")) == "9 mcg/day (capped)"  # 9.5 > 9
    assert per_m2_amount("5 mg/m2 (max 20 mg)", Decimal("1.0")) == "5 mg"
    assert per_m2_amount("28 mcg/day", Decimal("2.0")) is None
    assert ENGLISH.text(describe_dose("0.8 mg/m2", 180, 80)) == "0.8 mg/m2 = 1.6 mg for BSA 2.00 m²"
    assert ENGLISH.text(describe_dose("0.8 mg/m2", None, 80)) == "0.8 mg/m2"


def test_amounts_are_computed_from_the_area_shown_and_rounded_to_three_figures() -> None:
    """N13: "11.99 where 15 x 0.80 reads 12". 20 kg, 115 cm: sqrt(115 x 20 / 3600) = 0.7993, shown 0.80.

    Each amount is the dose per m² times the area shown, to 3 significant figures and at most 2
    decimals: 15 x 0.80 = 12; 5 x 0.80 = 4; 0.8 x 0.80 = 0.64. 170 cm, 73 kg: 1.8559, shown 1.86;
    5 mg/m2 x 1.86 = 9.3 mg; 340 mg/m2 x 1.86 = 632.4 -> 632 mg.
    """
    child = [
        ENGLISH.text(describe_dose(x, 115, 20))
        for x in ("15 mcg/m2/day (max 28 mcg/day)", "5 mg/m2 (max 20 mg)", "0.8 mg/m2")
    ]
    assert child == [
        "15 mcg/m2/day (max 28 mcg/day) = 12 mcg/day for BSA 0.80 m²",
        "5 mg/m2 (max 20 mg) = 4 mg for BSA 0.80 m²",
        "0.8 mg/m2 = 0.64 mg for BSA 0.80 m²",
    ]
    assert (
        ENGLISH.text(describe_dose("5 mg/m2 (max 20 mg)", 170, 73))
        == "5 mg/m2 (max 20 mg) = 9.3 mg for BSA 1.86 m²"
    )
    assert ENGLISH.text(describe_dose("340 mg/m2", 170, 73)) == "340 mg/m2 = 632 mg for BSA 1.86 m²"


# PFIZER-MI-BESP: cycle 1 may be 28 days instead of 21; later cycles 28 days; days 1, 8, 15.
def test_inotuzumab_with_a_28_day_first_cycle() -> None:
    occ = expand(
        builtin("inotuzumab"),
        plan("2027-01-04", cycles=3, choices={"response": "cr", "cycle1-days": "28", "transplant": "no"}),
    )
    assert [o.start_date for o in of(occ, Kind.DOSE)] == [
        d("2027-01-04"),
        d("2027-01-11"),
        d("2027-01-18"),
        d("2027-02-01"),
        d("2027-02-08"),
        d("2027-02-15"),  # C2D1 = C1 day 29
        d("2027-03-01"),
        d("2027-03-08"),
        d("2027-03-15"),
    ]
    assert next((o.start, o.end) for o in of(occ, Kind.REST)) == (
        d("2027-01-19"),
        d("2027-02-01"),
    )  # days 16-28


def test_inotuzumab_premedication_before_each_dose_and_observation_after() -> None:
    occ = expand(builtin("inotuzumab"), plan("2027-01-04", cycles=1))
    assert [o.label for o in of(occ, Kind.PREMEDICATION)] == ["C1D1", "C1D8", "C1D15"]
    assert [o.start for o in of(occ, Kind.OBSERVATION)] == [
        at("2027-01-04 10:00"),
        at("2027-01-11 10:00"),
        at("2027-01-18 10:00"),
    ]


def test_inotuzumab_six_cycles_at_most() -> None:
    with pytest.raises(PlanError, match="inotuzumab has at most 6 cycles, not 7"):
        expand(
            builtin("inotuzumab"),
            plan("2027-01-04", cycles=7, choices={"response": "cr", "transplant": "no"}),
        )


# DALBA-EHA / DALBA-NEJM: dasatinib 140 mg/day from day 1; induction ends day 85; blinatumomab
# from day 86 (this file's choice) in 42-day cycles, with dasatinib continued.
def test_dasatinib_blinatumomab_structure() -> None:
    """All 5 blinatumomab cycles, when the plan asks for them (the 2 mandatory ones by default)."""
    occ = expand(builtin("dasatinib-blinatumomab"), plan("2027-01-04", cycles=5))
    firsts = [o.start_date for o in of(occ, Kind.INFUSION)]
    assert firsts == [d("2027-03-30"), d("2027-05-11"), d("2027-06-22"), d("2027-08-03"), d("2027-09-14")]
    das = [o for o in of(occ, Kind.DOSE) if o.agent == "dasatinib"]
    assert das[0].start == at("2027-01-04 08:00") and das[0].label == "Day 1"
    assert das[84].start_date == d("2027-03-29") and das[84].label == "Day 85"
    assert das[-1].start_date == d("2027-10-25")  # the last day of cycle 5 (C5D42)
    assert len(das) == 295  # 2027-01-04 to 2027-10-25 inclusive
    cycle1 = [o for o in occ if o.cycle == 1]
    assert {o.agent for o in cycle1} >= {"blinatumomab", "premedication"}


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_listed_source_is_cited_and_every_citation_is_listed(sid: str) -> None:
    s = builtin(sid)
    cited = s.cited()
    # Sources named only in the notes' words count too: notes cite keys in parentheses.
    cited.update(k for k in s.sources if any(k in note for note in s.notes))
    assert cited == set(s.sources), f"listed but never cited: {set(s.sources) - cited}"
