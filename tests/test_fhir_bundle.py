"""The FHIR Bundle an electronic record reads: valid to two independent validators, same times as the JSON.

Every Bundle (each built-in, and plans with a hold, a delay, an interruption and a stop) is
checked by the ``fhir.resources`` R4B models and by the official FHIR R4 JSON schema under
Node.js (ajv), which share no code. Its ``Timing.event`` lists are the JSON output's planned
administrations, its identifiers survive an adjustment, and the clinic pages offer it to a
signed-in nurse only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from flask import Flask
from pydantic import ValidationError

from conftest import INTEROP, builtin, d, plan
from dosecal.core.expand import expand
from dosecal.inputs import definitions
from dosecal.inputs import fhir as reading
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.adjustments import Delay, Hold, Interruption, Stop
from dosecal.model.course import Course
from dosecal.render import render
from dosecal.render.fhir import to_fhir
from dosecal.render.json import to_json
from test_web import LABEL, Run, app, create, dosecal, sign_in

__all__ = ["app", "dosecal"]  # the clinic's fixtures, from the web tests

FIXTURES = Path(__file__).parent / "fhir"
CHOICES = {"inotuzumab": {"response": "no-cr", "transplant": "no"}}

#: Adjusted plans: (name, schedule, adjustments), each from Monday 4 January 2027 in Toronto.
ADJUSTED: list[tuple[str, str, tuple[Any, ...]]] = [
    ("imatinib-hold", "imatinib", (Hold(day=3),)),
    ("inotuzumab-hold-delay", "inotuzumab", (Hold(cycle=1, day=8), Delay(cycle=2, days=7))),
    (
        "blinatumomab-interrupt-delay",
        "blinatumomab-rr",
        (Interruption(cycle=1, day=10, days=3), Delay(cycle=2, days=7)),
    ),
    ("dasatinib-blinatumomab-hold", "dasatinib-blinatumomab", (Hold(day=12, agent="dasatinib"),)),
    ("nilotinib-stop", "nilotinib", (Stop(on=plan("2027-02-01").start),)),
]


def course_of(
    sid: str, adjustments: tuple[Any, ...] = (), zone: str = "America/Toronto", **kw: Any
) -> Course:
    """The course of a built-in from Monday 4 January 2027, with ``adjustments``."""
    return expand(
        builtin(sid), plan("2027-01-04", zone, choices=CHOICES.get(sid, {}), adjustments=adjustments, **kw)
    )


#: The agency's alectinib regimen, imported from its FHIR PlanDefinition (tests/fhir/README.md):
#: a definition with drug codes and the canonical URL it instantiates.
ALECTINIB = definitions.loads(
    reading.loads((FIXTURES / "PlanDefinition-52331000210102.json").read_bytes(), "alectinib.json").toml,
    "alectinib.toml",
)

CASES: dict[str, Course] = (
    {sid: course_of(sid) for sid in builtin_ids()}
    | {name: course_of(sid, adjustments) for name, sid, adjustments in ADJUSTED}
    | {"alectinib-imported": expand(ALECTINIB, plan("2027-01-04", "Pacific/Auckland", until=d("2027-01-31")))}
    # A drug an older definition of the plan gave ("store upgrade" records it): sent stopped.
    | {"imatinib-withdrawn": course_of("imatinib", withdrawn={"old-drug": "A drug no longer planned"})}
)


def fhir(course: Course) -> dict[str, Any]:
    """The Bundle of ``course``, parsed."""
    return json.loads(to_fhir(course))  # type: ignore[no-any-return]


def requests(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The MedicationRequests of a Bundle, by the drug's name."""
    found = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    return {r["medicationCodeableConcept"]["text"]: r for r in found}


def events(request: dict[str, Any]) -> list[str]:
    """Every Timing.event of a MedicationRequest, its dosages in order."""
    return [t for d in request.get("dosageInstruction", ()) for t in d["timing"]["event"]]


@pytest.mark.parametrize("case", list(CASES))
def test_every_bundle_is_valid_to_the_fhir_resources_models(case: str) -> None:
    text = to_fhir(CASES[case])
    bundle = Bundle.model_validate_json(text)
    kinds = [type(e.resource).__name__ for e in bundle.entry]
    assert kinds[0] == "CarePlan" and set(kinds[1:]) == {"MedicationRequest"}


def test_the_models_refuse_a_bundle_with_a_misspelled_element() -> None:
    """The first validator can fail: a wrong element name is refused."""
    broken = fhir(CASES["imatinib-hold"])
    broken["entry"][1]["resource"]["intnt"] = broken["entry"][1]["resource"].pop("intent")
    with pytest.raises(ValidationError, match="intnt"):
        Bundle.model_validate(broken)


@pytest.fixture(scope="module")
def schema_errors(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[dict[str, str]], dict[str, list[str]]]:
    """Validate named Bundles with the official FHIR R4 JSON schema under Node.js, in one process."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed for the FHIR schema tests (apt-get install nodejs npm)")
    if not (INTEROP / "node_modules" / "@asymmetrik" / "fhir-json-schema-validator").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=INTEROP, check=True)
    folder = tmp_path_factory.mktemp("fhir")

    def validate(texts: dict[str, str]) -> dict[str, list[str]]:
        paths = {}
        for name, text in texts.items():
            paths[name] = folder / f"{name}.fhir.json"
            paths[name].write_text(text, encoding="utf-8")
        out = subprocess.run(
            [node, str(INTEROP / "fhir_validate.mjs"), *map(str, paths.values())],
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(out.stdout)
        return {name: found[str(path)] for name, path in paths.items()}

    return validate


@pytest.fixture(scope="module")
def every_case_by_schema(
    schema_errors: Callable[[dict[str, str]], dict[str, list[str]]],
) -> dict[str, list[str]]:
    """The schema's errors for every case, all checked in one Node process."""
    return schema_errors({name: to_fhir(course) for name, course in CASES.items()})


@pytest.mark.node
@pytest.mark.parametrize("case", list(CASES))
def test_every_bundle_is_valid_to_the_official_fhir_r4_json_schema(
    every_case_by_schema: dict[str, list[str]], case: str
) -> None:
    assert every_case_by_schema[case] == []


@pytest.mark.node
def test_the_schema_refuses_a_bundle_with_a_wrong_date_or_element(
    schema_errors: Callable[[dict[str, str]], dict[str, list[str]]],
) -> None:
    """The second validator can fail: a date not in FHIR's form, an unknown element."""
    broken = fhir(CASES["imatinib-hold"])
    broken["entry"][0]["resource"]["period"]["start"] = "4 Jan 2027"
    broken["entry"][1]["resource"]["intnt"] = "plan"
    errors = schema_errors({"broken": json.dumps(broken)})["broken"]
    assert any("CarePlan.period.start" in e for e in errors), errors
    assert any("intnt" in e for e in errors), errors


@pytest.mark.parametrize("case", list(CASES))
def test_timing_events_are_the_json_plans_planned_administrations(case: str) -> None:
    """Each drug's Timing.event lists the JSON's planned doses, infusion starts and premedications."""
    course = CASES[case]
    doc = json.loads(to_json(course))
    names = {a.id: a.name for a in course.schedule.agents.values()}
    expected: dict[str, list[str]] = {}
    for e in doc["events"]:
        if e["kind"] in ("dose", "infusion", "premedication") and e["status"] == "planned":
            expected.setdefault(names[e["agent"]], []).append(e["start"])
    got = {name: sorted(events(r)) for name, r in requests(fhir(course)).items()}
    assert {name: sorted(times) for name, times in expected.items()} == {n: t for n, t in got.items() if t}


def test_imatinib_from_monday_4_january_2027_lists_each_morning_but_the_held_one() -> None:
    course = course_of("imatinib", (Hold(day=3),), until=plan("2027-01-08").start)
    (imatinib,) = requests(fhir(course)).values()
    assert events(imatinib) == [
        "2027-01-04T08:00:00-05:00",
        "2027-01-05T08:00:00-05:00",
        "2027-01-07T08:00:00-05:00",
        "2027-01-08T08:00:00-05:00",
    ]
    assert imatinib["note"] == [{"text": "Dose held on day 3"}]
    (dosage,) = imatinib["dosageInstruction"]
    assert dosage["text"] == "600 mg"
    assert dosage["doseAndRate"] == [
        {"doseQuantity": {"value": 600, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}
    ]
    assert dosage["route"]["coding"][0]["code"] == "26643006"  # SNOMED CT: oral route


def test_times_are_in_the_plans_zone_across_a_change_of_clocks() -> None:
    """London's 08:00 dose is +00:00 in March and +01:00 after the clocks go forward on 28 March."""
    course = course_of("imatinib", zone="Europe/London", until=plan("2027-03-29").start)
    (imatinib,) = requests(fhir(course)).values()
    assert events(imatinib)[-3:] == [
        "2027-03-27T08:00:00+00:00",
        "2027-03-28T08:00:00+01:00",
        "2027-03-29T08:00:00+01:00",
    ]


def test_an_interruption_keeps_its_restart_as_a_dosage_of_its_own_and_says_so() -> None:
    bundle = fhir(CASES["blinatumomab-interrupt-delay"])
    blinatumomab = requests(bundle)["Blinatumomab (Blincyto)"]
    dosages = [(d["sequence"], d["text"], d["timing"]["event"][0]) for d in blinatumomab["dosageInstruction"]]
    assert dosages == [
        (1, "9 mcg/day", "2027-01-04T10:00:00-05:00"),
        (2, "28 mcg/day", "2027-01-11T10:00:00-05:00"),
        (3, "dose set by your care team", "2027-01-16T10:00:00-05:00"),
    ]
    assert blinatumomab["dosageInstruction"][0]["doseAndRate"][0]["rateQuantity"]["code"] == "ug/d"
    assert "doseAndRate" not in blinatumomab["dosageInstruction"][2]  # no amount: text only
    assert [n["text"] for n in blinatumomab["note"]] == [
        "Infusion stopped on cycle 1, day 10 for 3 days; the dose on restart is set by the care team"
    ]
    careplan = bundle["entry"][0]["resource"]
    stays = [a["detail"] for a in careplan["activity"] if "detail" in a]
    # The stays of cycle 1 (days 1-9, inclusive end) and of cycle 2 after its 7-day delay.
    assert [(s["kind"], s["scheduledPeriod"]) for s in stays] == [
        ("Appointment", {"start": "2027-01-04", "end": "2027-01-12"}),
        ("Appointment", {"start": "2027-02-25", "end": "2027-02-26"}),
    ]


def test_a_stopped_plan_is_revoked_and_its_requests_stopped() -> None:
    bundle = fhir(CASES["nilotinib-stop"])
    careplan = bundle["entry"][0]["resource"]
    (nilotinib,) = requests(bundle).values()
    assert careplan["status"] == "revoked" and nilotinib["status"] == "stopped"
    assert events(nilotinib)[-2:] == ["2027-01-31T10:00:00-05:00", "2027-01-31T22:00:00-05:00"]
    assert {"text": "Treatment stopped on Mon 1 Feb 2027"} in nilotinib["note"]


def test_the_same_course_gives_the_same_bytes_twice() -> None:
    assert render("fhir", course_of("dasatinib-blinatumomab")) == render(
        "fhir", course_of("dasatinib-blinatumomab")
    )


def _identities(bundle: dict[str, Any]) -> dict[str, Any]:
    """What a receiver matches resources on: fullUrls, identifiers, conditional URLs, activity ids."""
    careplan = bundle["entry"][0]["resource"]
    return {
        "entries": [
            (e["fullUrl"], e["resource"]["identifier"], e["request"]["url"]) for e in bundle["entry"]
        ],
        "activities": [a.get("id") or a["reference"]["reference"] for a in careplan["activity"]],
    }


def test_identifiers_stay_the_same_after_an_adjustment() -> None:
    """A re-export after a delay and an interruption updates the same resources: new dates, same ids."""
    before, after = fhir(CASES["blinatumomab-rr"]), fhir(CASES["blinatumomab-interrupt-delay"])
    assert _identities(before) == _identities(after)
    assert events(requests(before)["Blinatumomab (Blincyto)"]) != events(
        requests(after)["Blinatumomab (Blincyto)"]
    )
    urls = [e["fullUrl"] for e in before["entry"]]
    assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)
    assert before["type"] == "transaction"
    assert before["entry"][0]["request"] == {
        "method": "PUT",
        "url": f"CarePlan?identifier=urn:ietf:rfc:3986|{urls[0]}",
    }


def test_another_plan_of_the_same_schedule_gets_other_identifiers() -> None:
    first = fhir(course_of("imatinib"))
    other = fhir(expand(builtin("imatinib"), plan("2027-02-01")))
    assert {e["fullUrl"] for e in first["entry"]}.isdisjoint(e["fullUrl"] for e in other["entry"])


def test_generate_chooses_fhir_by_the_fhir_json_suffix(cli: Callable[..., Any], tmp_path: Path) -> None:
    out, json_out = tmp_path / "plan.fhir.json", tmp_path / "plan.json"
    args = [
        "generate",
        "imatinib",
        "--start",
        "2027-01-04",
        "--tz",
        "America/Toronto",
        "--until",
        "2027-01-08",
    ]
    assert cli(*args, "-o", str(out)).exit_code == 0
    assert cli(*args, "-o", str(json_out)).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    assert "resourceType" not in json.loads(json_out.read_text(encoding="utf-8"))
    printed = cli(*args, "--format", "fhir", "-o", "-")
    assert printed.output.encode() == out.read_bytes()


# The clinic pages and the plan store: the same render path as the command line.


def test_a_signed_in_nurse_downloads_the_bundle_beside_the_calendar_and_csv(app: Flask) -> None:
    nurse = app.test_client()
    plan_id = create(nurse, sign_in(nurse), schedule="imatinib", label=LABEL)
    page = nurse.get(f"/plans/{plan_id}").text
    assert f'href="/plans/{plan_id}/plan.fhir.json" id="download-fhir"' in page
    answer = nurse.get(f"/plans/{plan_id}/plan.fhir.json")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="plan-{plan_id}.fhir.json"'
    bundle = Bundle.model_validate_json(answer.data)
    assert bundle.type == "transaction"
    assert LABEL.encode() not in answer.data  # the label names a patient: never in the export
    assert nurse.get(f"/plans/{plan_id}/plan.fhir").status_code == 404


def test_the_bundle_download_is_refused_without_a_session(app: Flask) -> None:
    nurse = app.test_client()
    plan_id = create(nurse, sign_in(nurse), schedule="imatinib", label=LABEL)
    answer = app.test_client().get(f"/plans/{plan_id}/plan.fhir.json")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/signin?next=")
    assert b"Bundle" not in answer.data


def test_the_store_prints_a_plan_as_the_bundle_generate_writes(
    app: Flask, dosecal: Run, cli: Callable[..., Any], tmp_path: Path
) -> None:
    nurse = app.test_client()
    plan_id = create(nurse, sign_in(nurse), schedule="imatinib", label=LABEL)
    printed, plan_file = tmp_path / "plan.fhir.json", tmp_path / "plan.toml"
    assert dosecal("store", "print", plan_id, "-o", str(printed)).exit_code == 0
    assert dosecal("store", "export", plan_id, "-o", str(plan_file)).exit_code == 0
    generated = tmp_path / "generated.fhir.json"
    assert cli("generate", "--plan", str(plan_file), "-o", str(generated)).exit_code == 0
    assert printed.read_bytes() == generated.read_bytes()
    assert printed.read_bytes() == nurse.get(f"/plans/{plan_id}/plan.fhir.json").data


def test_a_reminder_is_an_activity_with_no_kind_and_a_stay_an_appointment() -> None:
    """D-ALBA's steroid (a "visit" event: what the care team sets) is not an appointment."""
    bundle = fhir(expand(builtin("dasatinib-blinatumomab"), plan("2027-01-04", weight_kg=70)))
    activities = [a["detail"] for a in bundle["entry"][0]["resource"]["activity"] if "detail" in a]
    steroid = [d for d in activities if d["description"].startswith("Steroid")]
    assert len(steroid) == 1 and "kind" not in steroid[0]
    stays = [d for d in activities if "Hospital stay" in d["description"]]
    assert stays and all(d["kind"] == "Appointment" for d in stays)


def test_an_imported_regimen_names_its_plandefinition_and_its_drug_code() -> None:
    """The CarePlan instantiates the agency's PlanDefinition; the request carries its NZMT code."""
    bundle = fhir(CASES["alectinib-imported"])
    careplan = bundle["entry"][0]["resource"]
    assert careplan["instantiatesCanonical"] == [
        "https://fhir.nzf.org.nz/fhir/PlanDefinition/52331000210102|1.0.0"
    ]
    request = requests(bundle)["Alectinib"]
    assert request["medicationCodeableConcept"]["coding"] == [
        {"system": "https://nzulm.org.nz/nzmt", "code": "46490541000116100", "display": "alectinib"}
    ]
    assert events(request)[:3] == [
        "2027-01-04T08:00:00+13:00",
        "2027-01-04T20:00:00+13:00",
        "2027-01-05T08:00:00+13:00",
    ]


def test_a_built_in_without_codes_names_its_drug_in_words_only() -> None:
    """No code is made up: a definition that cites none gives the name and no coding."""
    bundle = fhir(CASES["imatinib"])
    assert "instantiatesCanonical" not in bundle["entry"][0]["resource"]
    assert requests(bundle)["Imatinib (Gleevec)"]["medicationCodeableConcept"] == {
        "text": "Imatinib (Gleevec)"
    }


def test_a_withdrawn_drug_is_a_stopped_request_without_dosage() -> None:
    bundle = fhir(CASES["imatinib-withdrawn"])
    found = requests(bundle)
    assert found["Imatinib (Gleevec)"]["status"] == "active"
    withdrawn = found["A drug no longer planned"]
    assert withdrawn["status"] == "stopped" and "dosageInstruction" not in withdrawn
    assert withdrawn["basedOn"] == found["Imatinib (Gleevec)"]["basedOn"]
