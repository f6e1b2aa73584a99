"""The four example PlanDefinitions of the HL7 NZ Cancer Control Agency guide, imported.

Each fixture is the guide's example as published, less its narrative (tests/fhir/README.md):
52331000210102 (alectinib, metastatic: tests/test_fhir_regimens.py), 52401000210103
(alectinib, non-metastatic), 52451000210102 (abiraterone and dexamethasone) and
60071000210106, a regimen in two parts (cISplatin chemoradiation, then cARBOplatin and
PACLItaxel), whose parts are PlanDefinitions in its ``contained``. Plans start Monday
2027-01-04 in Pacific/Auckland (NZDT, +13:00, until Sunday 2027-04-04 03:00) unless a test
says otherwise; every expected date, time and dose is written out, to be read against the
fixture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conftest import at, d, plan
from dosecal.core.expand import expand
from dosecal.errors import FhirError
from dosecal.inputs import definitions, fhir
from dosecal.model.occurrence import Kind
from dosecal.model.schedule import Schedule

FIXTURES = Path(__file__).parent / "fhir"
ALECTINIB = FIXTURES / "PlanDefinition-52401000210103.json"
ABIRATERONE = FIXTURES / "PlanDefinition-52451000210102.json"
GYN = FIXTURES / "PlanDefinition-60071000210106.json"
NZ = "Pacific/Auckland"
GYN_TITLE = "GYN END Adjuvant - cISplatin chemoradiation followed by cARBOplatin and PACLItaxel"


def imported(data: bytes, name: str = "regimen.json", part: int | None = None) -> Schedule:
    return definitions.loads(fhir.loads(data, name, part=part).toml, name)


def doses(schedule: Schedule, start: str, until: str) -> list[tuple[object, str, str | None]]:
    occ = expand(schedule, plan(start, zone=NZ, until=d(until)))
    return [(o.start, schedule.agents[o.agent].name, o.dose) for o in occ if o.kind is Kind.DOSE and o.agent]


# 52401000210103: LUNG NSCLC NON-Metastatic - alectinib


def test_non_metastatic_alectinib_is_600_mg_at_0800_and_2000_every_day_until_stopped() -> None:
    """One 28-day cycle "(and all further cycles)", alectinib 600 mg flat Twice daily on days 1-28."""
    schedule = imported(ALECTINIB.read_bytes(), "alectinib.json")
    assert doses(schedule, "2027-01-04", "2027-01-05") == [
        (at("2027-01-04 08:00", NZ), "Alectinib", "600 mg"),
        (at("2027-01-04 20:00", NZ), "Alectinib", "600 mg"),
        (at("2027-01-05 08:00", NZ), "Alectinib", "600 mg"),
        (at("2027-01-05 20:00", NZ), "Alectinib", "600 mg"),
    ]
    # Day 28 (Sunday 2027-01-31) and the next cycle's day 1 (Monday 2027-02-01): no gap.
    assert doses(schedule, "2027-01-04", "2027-02-01")[-4:] == [
        (at("2027-01-31 08:00", NZ), "Alectinib", "600 mg"),
        (at("2027-01-31 20:00", NZ), "Alectinib", "600 mg"),
        (at("2027-02-01 08:00", NZ), "Alectinib", "600 mg"),
        (at("2027-02-01 20:00", NZ), "Alectinib", "600 mg"),
    ]
    assert schedule.agents["alectinib"].continues
    assert schedule.agents["alectinib"].instructions == (
        "Take with food. Swallow whole, do not crush or chew. Protect yourself from too much natural or artificial sunlight while being treated with this medicine.",
    )
    assert schedule.title == "LUNG NSCLC NON-Metastatic - alectinib"
    assert schedule.last_checked == d("2021-03-03")
    assert schedule.sources["FHIR"].url == "https://fhir.nzf.org.nz/fhir/PlanDefinition/52401000210103"


def test_non_metastatic_alectinib_leaves_out_loperamide_and_domperidone_taken_when_needed() -> None:
    result = fhir.loads(ALECTINIB.read_bytes(), "alectinib.json")
    assert [str(p) for p in result.left_out] == [
        "alectinib.json: action[0].action[1]: loperamide: taken only when needed (Take TWO capsules (=4 mg) at onset of loose bowel motions and a further ONE capsule (=2 mg) for every loose bowel motion (maximum of EIGHT capsules in 24 hours), or use as directed by oncologist or haematologist.): left out of the calendar, with a note",
        "alectinib.json: action[0].action[2]: domperidone: taken only when needed (When required for nausea and/or vomiting.): left out of the calendar, with a note",
    ]
    schedule = definitions.loads(result.toml, "alectinib.toml")
    assert list(schedule.agents) == ["alectinib"]
    assert [n.text.split(",")[0] for n in schedule.patient_notes] == [
        "This calendar does not show loperamide",
        "This calendar does not show domperidone",
    ]


# 52451000210102: GU PROS Castration resistant Metastatic - abiraterone and dexamethasone


def test_abiraterone_1000_mg_and_dexamethasone_500_microgram_once_daily_at_the_default_0800() -> None:
    """Both Once daily (229797004) on days 1-28 of a cycle "(and all further cycles)": every day."""
    schedule = imported(ABIRATERONE.read_bytes(), "abiraterone.json")
    assert doses(schedule, "2027-01-04", "2027-01-05") == [
        (at("2027-01-04 08:00", NZ), "Abiraterone", "1000 mg"),
        (at("2027-01-04 08:00", NZ), "Dexamethasone", "500 mcg"),
        (at("2027-01-05 08:00", NZ), "Abiraterone", "1000 mg"),
        (at("2027-01-05 08:00", NZ), "Dexamethasone", "500 mcg"),
    ]
    # 08:00 stays 08:00 when New Zealand leaves daylight time (Sunday 2027-04-04): +12:00 after.
    assert doses(schedule, "2027-01-04", "2027-04-05")[-2:] == [
        (at("2027-04-05 08:00", NZ), "Abiraterone", "1000 mg"),
        (at("2027-04-05 08:00", NZ), "Dexamethasone", "500 mcg"),
    ]
    assert at("2027-04-05 08:00", NZ).utcoffset().total_seconds() == 12 * 3600  # type: ignore[union-attr]
    assert schedule.agents["abiraterone"].continues and schedule.agents["dexamethasone"].continues
    assert schedule.agents["abiraterone"].instructions == (
        (
            "Take each dose on an empty stomach - one hour before OR two hours after food.\n"
            "Monitor blood pressure at least once a month during treatment; for patients with hypertension monitor blood pressure every 2 weeks for the first 3 months of treatment."
        ),
    )
    assert schedule.agents["dexamethasone"].instructions == (
        "Take with food. Do not stop taking this medicine without consulting your doctor.",
    )
    assert schedule.agents["dexamethasone"].times_note == (
        "Once daily: dosecal's default times, not the PlanDefinition's; set your own."
    )


def test_abiraterone_leaves_nothing_out_and_keeps_the_regimens_instructions_as_a_note() -> None:
    result = fhir.loads(ABIRATERONE.read_bytes(), "abiraterone.json")
    assert result.left_out == ()
    schedule = definitions.loads(result.toml, "abiraterone.toml")
    assert (
        "Instructions (extension[1]): This regimen is for corticosteroid switch after progression on abiraterone plus prEDNISone."
        in schedule.notes
    )
    assert schedule.sources["FHIR"].title == (
        "GU PROS Castration resistant Metastatic - abiraterone and dexamethasone, version 1.0.0, "
        "New Zealand Medicines Formulary LP (FHIR PlanDefinition)"
    )
    assert schedule.last_checked == d("2021-04-19")


# 60071000210106: a regimen in two parts


def test_a_regimen_in_parts_without_part_names_the_file_and_lists_the_parts(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "gyn.toml"
    result = cli("fhir", "import", str(GYN), "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f'dosecal: {GYN}: action: a regimen in 2 parts; choose one with --part: 1 "cISplatin chemoradiation", 2 "cARBOplatin and PACLItaxel"'
    ]
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("number", ["3", "0", "-1"])
def test_a_part_number_out_of_range_is_refused(
    cli: Callable[..., Result], tmp_path: Path, number: str
) -> None:
    out = tmp_path / "gyn.toml"
    result = cli("fhir", "import", str(GYN), "--part", number, "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f'dosecal: {GYN}: action: --part {number}: there is no such part; the regimen has 2 parts: 1 "cISplatin chemoradiation", 2 "cARBOplatin and PACLItaxel"'
    ]
    assert not out.exists()


def test_part_on_a_single_regimen_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "abiraterone.toml"
    result = cli("fhir", "import", str(ABIRATERONE), "--part", "1", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"dosecal: {ABIRATERONE}: action: --part 1: this PlanDefinition is one regimen, not a regimen in parts; import it without --part"
    ]
    assert not out.exists()


NO_FREQUENCY = "a frequency dosecal does not map (none): how many doses a day is not clear"
REFUSED = "refused: a calendar without these parts would not be a safe schedule; nothing was written"


def test_part_2_is_refused_for_carboplatin_by_auc_with_everything_else_that_blocks() -> None:
    """Part 2 (contained[1]): 4 cycles of 21 days; carboplatin 5 AUC, which the care team calculates.

    Also blocking: dexamethasone 20 mg on day 0 ("the night prior to PACLItaxel"), which no
    cycle of dosecal has, and no medicine but domperidone giving a frequency (the profile's
    timing code). Domperidone, "When required for nausea and/or vomiting", is left out.
    """
    with pytest.raises(FhirError) as caught:
        fhir.loads(GYN.read_bytes(), "gyn.json", part=2)
    assert [(p.key, str(p.message)) for p in caught.value.problems] == [
        (
            "contained[1].action[0].action[0].extension[0].extension[0]",
            "dexamethasone: day 0, the day before the cycle's day 1: dosecal's cycles start on day 1, so it is not mapped",
        ),
        ("contained[1].contained[0].dosage[0].timing.code", f"dexamethasone: {NO_FREQUENCY}"),
        ("contained[1].contained[1].dosage[0].timing.code", f"aprepitant: {NO_FREQUENCY}"),
        ("contained[1].contained[2].dosage[0].timing.code", f"aprepitant: {NO_FREQUENCY}"),
        ("contained[1].contained[3].dosage[0].timing.code", f"dexamethasone: {NO_FREQUENCY}"),
        ("contained[1].contained[4].dosage[0].timing.code", f"dexamethasone: {NO_FREQUENCY}"),
        ("contained[1].contained[5].dosage[0].timing.code", f"ondansetron: {NO_FREQUENCY}"),
        ("contained[1].contained[6].dosage[0].timing.code", f"loratadine: {NO_FREQUENCY}"),
        ("contained[1].contained[7].dosage[0].timing.code", f"famotidine: {NO_FREQUENCY}"),
        ("contained[1].contained[8].dosage[0].timing.code", f"PACLItaxel: {NO_FREQUENCY}"),
        (
            "contained[1].contained[9].dosage[0].doseAndRate[0].doseQuantity",
            "cARBOplatin: a dose by AUC (area under the curve), which the care team calculates: not mapped",
        ),
        ("contained[1].contained[9].dosage[0].timing.code", f"cARBOplatin: {NO_FREQUENCY}"),
        ("contained[1].contained[10].dosage[0].timing.code", f"ondansetron: {NO_FREQUENCY}"),
        (
            "contained[1].action[0].action[11]",
            "domperidone: taken only when needed (When required for nausea and/or vomiting. The choice of rescue antiemetic may be substituted to reflect institutional policy or individual patient characteristics.): left out of the calendar, with a note",
        ),
        ("", REFUSED),
    ]


def test_part_2_from_the_command_line_writes_nothing_and_names_the_auc_dose(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "part2.toml"
    result = cli("fhir", "import", str(GYN), "--part", "2", "-o", str(out))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        f"dosecal: {GYN}: contained[1].contained[9].dosage[0].doseAndRate[0].doseQuantity: cARBOplatin: a dose by AUC (area under the curve), which the care team calculates: not mapped"
        in lines
    )
    assert lines[-1] == f"dosecal: {GYN}: {REFUSED}"
    assert len(lines) == 15
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_part_1_is_refused_because_its_medicines_give_no_frequency() -> None:
    """Part 1 (contained[0]): none of the ten medicines given on set days has a timing code.

    One 28-day cycle, cISplatin 50 mg/m2 on days 1 and 22 with its supportive medicines; sodium
    chloride 0.9 % has a unit (%) that is not a dose. CycliZINE (asNeededBoolean) is left out.
    The words of the instructions ("ONCE daily in the morning") are not read as a frequency.
    """
    with pytest.raises(FhirError) as caught:
        fhir.loads(GYN.read_bytes(), "gyn.json", part=1)
    assert [(p.key, str(p.message)) for p in caught.value.problems] == [
        ("contained[0].contained[0].dosage[0].timing.code", f"olanzapine: {NO_FREQUENCY}"),
        ("contained[0].contained[1].dosage[0].timing.code", f"aprepitant: {NO_FREQUENCY}"),
        ("contained[0].contained[2].dosage[0].timing.code", f"aprepitant: {NO_FREQUENCY}"),
        ("contained[0].contained[3].dosage[0].timing.code", f"dexamethasone: {NO_FREQUENCY}"),
        ("contained[0].contained[4].dosage[0].timing.code", f"dexamethasone: {NO_FREQUENCY}"),
        ("contained[0].contained[5].dosage[0].timing.code", f"ondansetron: {NO_FREQUENCY}"),
        (
            "contained[0].contained[6].dosage[0].timing.code",
            f"magnesium sulfate heptahydrate: {NO_FREQUENCY}",
        ),
        ("contained[0].contained[7].dosage[0].timing.code", f"cISplatin: {NO_FREQUENCY}"),
        (
            "contained[0].contained[8].dosage[0].doseAndRate[0].doseQuantity",
            "sodium chloride: a dose unit dosecal does not map ('%')",
        ),
        ("contained[0].contained[8].dosage[0].timing.code", f"sodium chloride: {NO_FREQUENCY}"),
        ("contained[0].contained[9].dosage[0].timing.code", f"ondansetron: {NO_FREQUENCY}"),
        (
            "contained[0].action[0].action[10]",
            "cycliZINE: taken only when needed (When required for nausea and/or vomiting. Warning: may cause drowsiness. Consider starting dose at 25 mg and increasing as tolerated/required. The choice of rescue antiemetic may be substituted to reflect institutional policy or individual patient characteristics. Note that domperidone is not recommended in combination with olanzapine and ondansetron due to potential risk of QT prolongation.): left out of the calendar, with a note",
        ),
        ("", REFUSED),
    ]


def _cisplatin_alone(root: dict[str, Any]) -> None:
    """Part 1 with cISplatin alone, given the profile's "Once per one time" code it lacks."""
    part = root["contained"][0]
    part["action"][0]["action"] = [part["action"][0]["action"][7]]
    part["contained"][7]["dosage"][0]["timing"] = {
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "307486002"}],
            "text": "Once per one time",
        }
    }


def _gyn(change: Callable[[dict[str, Any]], None]) -> bytes:
    root = json.loads(GYN.read_bytes())
    change(root)
    return json.dumps(root).encode()


def test_a_part_that_maps_is_its_own_definition_citing_the_regimen_and_the_part() -> None:
    """Part 1 reduced to cISplatin 50 mg/m2 on days 1 and 22 of its one 28-day cycle."""
    result = fhir.loads(_gyn(_cisplatin_alone), "gyn.json", part=1)
    assert result.left_out == ()
    schedule = definitions.loads(result.toml, "part1.toml")
    assert schedule.title == f"Part 1: cISplatin chemoradiation ({GYN_TITLE})"
    assert schedule.sources["FHIR"].title == (
        f"{GYN_TITLE}, version 1.0.0, New Zealand Medicines Formulary LP, part 1: cISplatin chemoradiation "
        "(contained[0]) (FHIR PlanDefinition)"
    )
    assert schedule.sources["FHIR"].url == "https://fhir.nzf.org.nz/fhir/PlanDefinition/60071000210106"
    assert schedule.last_checked == d("2022-10-28")
    assert [(p.cycles, p.length, p.rest_from) for p in schedule.phases] == [(1, 28, 23)]
    assert doses(schedule, "2027-01-04", "2027-01-31") == [
        (at("2027-01-04 08:00", NZ), "CISplatin", "50 mg/m2"),
        (at("2027-01-25 08:00", NZ), "CISplatin", "50 mg/m2"),
    ]


def test_a_parts_instructions_are_notes_and_the_plan_starts_on_the_care_teams_date() -> None:
    """The part's instructions ("Commence within 4 to 6 weeks of surgery...") are notes, never a date."""
    schedule = imported(_gyn(_cisplatin_alone), "gyn.json", part=1)
    assert schedule.notes[1:4] == (
        "Part 1 of 2 of the regimen (contained[0]), imported on its own (--part 1): each part is a calendar of its own. Its instructions are kept in these notes and not turned into dates: the plan starts on the date the care team gives.",
        "Instructions (extension[1]): This regimen consists of two parts: cISplatin chemoradiation followed by cARBOplatin and PACLItaxel. Do not confuse with the chemotherapy-only regimen: GYN END Adjuvant - cARBOplatin and PACLItaxel [chemotherapy-only].",
        "Instructions (action[0].extension[0]): Commence within 4 to 6 weeks of surgery and in relation to radiation therapy as per institutional policy.",
    )
    # The same part started on another date: the doses move with the start, and nothing else.
    assert doses(schedule, "2027-03-01", "2027-03-31") == [
        (at("2027-03-01 08:00", NZ), "CISplatin", "50 mg/m2"),
        (at("2027-03-22 08:00", NZ), "CISplatin", "50 mg/m2"),
    ]


def test_a_regimen_with_parts_and_a_cycle_beside_them_is_refused() -> None:
    def cycle_beside(root: dict[str, Any]) -> None:
        root["action"].append(
            {"description": "Cycle 1 - 21 days", "timingTiming": {"repeat": {"duration": 21}}}
        )

    with pytest.raises(FhirError) as caught:
        fhir.loads(_gyn(cycle_beside), "gyn.json", part=1)
    assert [(p.key, str(p.message)) for p in caught.value.problems] == [
        (
            "action[2]",
            "an action that is not a part, beside actions that point at contained PlanDefinitions (the parts of a regimen): not understood",
        )
    ]


def test_the_abiraterone_regimen_through_the_commands_import_check_and_generate(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "abiraterone.toml"
    result = cli("fhir", "import", str(ABIRATERONE), "-o", str(out))
    assert result.exit_code == 0
    assert result.stderr == ""  # nothing left out
    assert cli("check", str(out)).exit_code == 0
    generated = cli("generate", str(out), "--start", "2027-01-04", "--tz", NZ, "--until", "2027-01-05", "--format", "json", "-o", "-")  # fmt: skip
    events = [(e["start"], e["title"]) for e in json.loads(generated.stdout)["events"] if e["kind"] == "dose"]
    assert [start for start, _ in events] == [
        "2027-01-04T08:00:00+13:00",
        "2027-01-04T08:00:00+13:00",
        "2027-01-05T08:00:00+13:00",
        "2027-01-05T08:00:00+13:00",
    ]
    assert "Abiraterone" in events[0][1] and "1000 mg" in events[0][1]
    assert "Dexamethasone" in events[1][1] and "500 mcg" in events[1][1]


def test_a_part_through_the_commands_import_and_generate(cli: Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "gyn.json"
    source.write_bytes(_gyn(_cisplatin_alone))
    out = tmp_path / "part1.toml"
    result = cli("fhir", "import", str(source), "--part", "1", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    generated = cli("generate", str(out), "--start", "2027-01-04", "--tz", NZ, "--format", "json", "-o", "-")  # fmt: skip
    starts = [e["start"] for e in json.loads(generated.stdout)["events"] if e["kind"] == "dose"]
    assert starts == ["2027-01-04T08:00:00+13:00", "2027-01-25T08:00:00+13:00"]
