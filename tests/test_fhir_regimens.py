"""FHIR regimens in and out: the NZ Cancer Control Agency's PlanDefinitions (issue 25, items 2-3).

The real example is the agency's alectinib regimen from the guide's repository
(tests/fhir/README.md). Plans start Monday 2027-01-04 in Pacific/Auckland unless a test says
otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import at, builtin, d, plan
from dosecal.core.expand import expand
from dosecal.errors import FhirError
from dosecal.inputs import definitions, fhir
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.occurrence import Kind
from dosecal.model.schedule import Code, Schedule
from dosecal.render.plandefinition import to_plandefinition

FIXTURES = Path(__file__).parent / "fhir"
ALECTINIB = FIXTURES / "PlanDefinition-52331000210102.json"
NZ = "Pacific/Auckland"


def imported(data: bytes, name: str = "regimen.json") -> Schedule:
    return definitions.loads(fhir.loads(data, name).toml, name)


def test_the_alectinib_regimen_becomes_a_twice_daily_drug_with_default_times() -> None:
    """Cycle 1 (and all further cycles), days 1-28, 600 mg Twice daily: every day at 08:00 and 20:00."""
    schedule = imported(ALECTINIB.read_bytes())
    occ = expand(schedule, plan("2027-01-04", zone=NZ, until=d("2027-01-05")))
    doses = [(o.start, o.dose) for o in occ if o.kind is Kind.DOSE]
    assert doses == [
        (at("2027-01-04 08:00", NZ), "600 mg"),
        (at("2027-01-04 20:00", NZ), "600 mg"),
        (at("2027-01-05 08:00", NZ), "600 mg"),
        (at("2027-01-05 20:00", NZ), "600 mg"),
    ]
    assert schedule.agents["alectinib"].continues
    source = schedule.sources["FHIR"]
    assert source.url == "https://fhir.nzf.org.nz/fhir/PlanDefinition/52331000210102"
    assert source.title == (
        "LUNG NSCLC Metastatic - alectinib, version 1.0.0, New Zealand Medicines Formulary LP (FHIR PlanDefinition)"
    )
    assert "default" in (schedule.agents["alectinib"].times_note or "")
    assert schedule.canonical == "https://fhir.nzf.org.nz/fhir/PlanDefinition/52331000210102|1.0.0"
    assert schedule.agents["alectinib"].codes == (
        Code("https://nzulm.org.nz/nzmt", "46490541000116100", "alectinib", ("FHIR",)),
    )


def test_the_medicines_taken_when_needed_are_reported_and_noted() -> None:
    """Loperamide ('at onset of loose bowel motions') and domperidone ('When required') are left out."""
    result = fhir.loads(ALECTINIB.read_bytes(), "alectinib.json")
    assert [(p.key, str(p.message).split(":")[0]) for p in result.left_out] == [
        ("action[0].action[1]", "loperamide"),
        ("action[0].action[2]", "domperidone"),
    ]
    schedule = definitions.loads(result.toml, "alectinib.toml")
    assert set(schedule.agents) == {"alectinib"}
    assert [n.text.split(",")[0] for n in schedule.patient_notes] == [
        "This calendar does not show loperamide",
        "This calendar does not show domperidone",
    ]


def test_the_import_is_byte_for_byte_the_same_twice() -> None:
    data = ALECTINIB.read_bytes()
    assert fhir.loads(data, "a.json").toml == fhir.loads(data, "a.json").toml


def test_the_commands_import_check_and_generate(cli: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "alectinib.toml"
    result = cli("fhir", "import", str(ALECTINIB), "-o", str(out))
    assert result.exit_code == 0
    assert "action[0].action[2]: domperidone: taken only when needed" in result.stderr
    assert cli("check", str(out)).exit_code == 0
    generated = cli("generate", str(out), "--start", "2027-01-04", "--tz", NZ, "--until", "2027-01-04", "--format", "json", "-o", "-")  # fmt: skip
    starts = [e["start"] for e in json.loads(generated.stdout)["events"] if e["kind"] == "dose"]
    assert starts == ["2027-01-04T08:00:00+13:00", "2027-01-04T20:00:00+13:00"]


def _with(change: Callable[[dict[str, object]], None]) -> bytes:
    root = json.loads(ALECTINIB.read_bytes())
    change(root)
    return json.dumps(root).encode()


def _cycle(root: dict[str, object]) -> dict[str, object]:
    return root["action"][0]  # type: ignore[index,no-any-return]


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        (b"{not json", "", "not JSON"),
        (b'{"resourceType": "Patient"}', "resourceType", 'not a FHIR PlanDefinition ("Patient")'),
        (
            _with(lambda r: _cycle(r).pop("timingTiming")),
            "action[0].timingTiming.repeat.duration",
            "a cycle without a length",
        ),
        (
            _with(lambda r: _cycle(r)["action"][0]["extension"][2]["extension"][0].update(valueInteger=29)),  # type: ignore[index]
            "action[0].action[0].extension[2].extension[0]",
            "day 29 is outside the 28-day cycle",
        ),
    ],
)
def test_a_bad_file_is_named_with_its_json_path(
    cli: Callable[..., Result], tmp_path: Path, data: bytes, key: str, words: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    result = cli("fhir", "import", str(path), "-o", str(tmp_path / "out.toml"))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"dosecal: {path}: {key}: " if key else f"dosecal: {path}:1: ")
    assert words in line
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.toml").exists()


def test_a_dose_by_auc_is_refused_with_everything_that_is_wrong() -> None:
    """Carboplatin by AUC is a dose the care team calculates: the import refuses, and says why."""

    def auc(root: dict[str, object]) -> None:
        quantity = root["contained"][0]["dosage"][0]["doseAndRate"][0]["doseQuantity"]  # type: ignore[index]
        quantity.update(unit="AUC", code="413573002")

    with pytest.raises(FhirError) as caught:
        fhir.loads(_with(auc), "auc.json")
    keys = [p.key for p in caught.value.problems]
    assert keys == [
        "contained[0].dosage[0].doseAndRate[0].doseQuantity",
        "action[0].action[1]",
        "action[0].action[2]",
        "",
    ]
    assert "AUC" in str(caught.value.problems[0].message)


def test_a_counted_cycle_with_listed_days_becomes_a_phase() -> None:
    """Four 21-day cycles of a once-daily medicine on days 1-14 (the profile's count)."""

    def counted(root: dict[str, object]) -> None:
        cycle = _cycle(root)
        cycle["timingTiming"] = {"repeat": {"count": 4, "duration": 21, "durationUnit": "d"}}  # type: ignore[index]
        cycle["description"] = "Cycles 1-4 - 21 days"  # type: ignore[index]
        cycle["action"] = cycle["action"][:1]  # type: ignore[index]
        cycle["action"][0]["extension"] = cycle["action"][0]["extension"][:14]  # type: ignore[index]
        root["contained"][0]["dosage"][0]["timing"]["code"] = {  # type: ignore[index]
            "coding": [{"system": "http://snomed.info/sct", "code": "229797004"}],
            "text": "Once daily",
        }

    schedule = imported(_with(counted))
    assert [(p.cycles, p.length, p.rest_from) for p in schedule.phases] == [(4, 21, 15)]
    occ = expand(schedule, plan("2027-01-04", zone=NZ))
    doses = [o.start for o in occ if o.kind is Kind.DOSE]
    assert len(doses) == 56
    assert doses[13] == at("2027-01-17 08:00", NZ)
    assert doses[14] == at("2027-01-25 08:00", NZ)  # cycle 2 day 1


@pytest.mark.parametrize("sid", builtin_ids())
def test_the_round_trip_gives_the_same_dates_times_and_doses(sid: str) -> None:
    """Export then import: each carried dose on the same date, at the same time, with the same dose.

    What the profile cannot carry is listed by the export; a built-in with nothing carried
    (blinatumomab's continuous infusions, D-ALBA) is refused on import, and its cycles are
    compared instead.
    """
    original = builtin(sid)
    exported = to_plandefinition(original)
    resource = json.loads(exported.data)
    p = plan("2027-01-04", until=d("2027-03-31"))
    if not resource.get("contained"):
        assert any("continuous infusion" in line for line in exported.not_carried)
        with pytest.raises(FhirError):
            fhir.loads(exported.data, f"{sid}.json")
        cycles = resource["action"]
        if len(cycles) == 1 and "timingTiming" not in cycles[0]:
            cycles = cycles[0]["action"]  # runs of different cycles, in the profile's one top-level action
        lengths = [a["timingTiming"]["repeat"]["duration"] for a in cycles]
        assert lengths == [ph.length for ph in original.phases][: len(lengths)]
        return
    again = imported(exported.data, f"{sid}.json")
    carried = {original.agents[a].short_name for a in original.agents} & {
        a.short_name for a in again.agents.values()
    }

    def doses(schedule: Schedule) -> list[tuple[str, object, object]]:
        occ = expand(schedule, p)
        return sorted(
            (schedule.agents[o.agent].short_name, o.start, o.dose)
            for o in occ
            if o.kind is Kind.DOSE and o.agent and schedule.agents[o.agent].short_name in carried
        )

    assert carried
    assert doses(original) == doses(again)
    assert len(doses(again)) > 0


def test_the_export_of_an_imported_regimen_keeps_its_drug_code() -> None:
    """Import, export, import again: the NZMT code of alectinib survives the round trip."""
    schedule = imported(ALECTINIB.read_bytes())
    exported = json.loads(to_plandefinition(schedule).data)
    (activity,) = exported["contained"]
    assert activity["productCodeableConcept"]["coding"] == [
        {"system": "https://nzulm.org.nz/nzmt", "code": "46490541000116100", "display": "alectinib"}
    ]
    again = imported(to_plandefinition(schedule).data)
    assert again.agents["alectinib"].codes == schedule.agents["alectinib"].codes
