"""Every PlanDefinition `dosecal fhir export` writes is valid FHIR R4, to two validators.

The ``fhir.resources`` R4B models (pydantic) and the official FHIR R4 JSON schema under Node.js
(the validator of tests/test_fhir_bundle.py): independent of each other, each shown able to
refuse. The import's fixtures, the agency's own regimens, are checked the same way, so that the
profile dosecal writes is the one it reads; three of the guide's examples are not valid R4 as
published, and the test holds what the schema says of them (tests/fhir/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.plandefinition import PlanDefinition
from pydantic import ValidationError

from conftest import builtin
from dosecal.inputs.definitions import builtin_ids
from dosecal.render.plandefinition import to_plandefinition
from test_fhir_bundle import schema_errors  # noqa: F401 (a fixture, used by name)

FIXTURES = Path(__file__).parent / "fhir"

#: What the official schema says of the guide's examples that are not valid R4 as published,
#: by the path of each error: an ``approvalDate`` written as a dateTime where R4 has a date, and
#: (60071000210106) a contained PlanDefinition whose id has a "|" (an id is letters, digits, "-"
#: and "."), so that it matches no resource type of the schema.
PUBLISHED_ERRORS = {
    "PlanDefinition-52401000210103": {"Bundle.approvalDate", "Bundle"},
    "PlanDefinition-52451000210102": {"Bundle.approvalDate", "Bundle"},
    "PlanDefinition-60071000210106": {"Bundle.contained[0]", "Bundle.contained[0].id", "Bundle"},
}


def exported(sid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_plandefinition(builtin(sid)).data)
    return data


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_exported_regimen_is_valid_to_the_fhir_resources_models(sid: str) -> None:
    resource = PlanDefinition.model_validate(exported(sid))
    assert resource.action and len(resource.action) == 1  # the profile's one top-level action
    top = resource.action[0]
    cycles = top.action if top.timingTiming is None else resource.action  # runs of cycles in it, or the cycle
    assert cycles and all(a.timingTiming is not None for a in cycles)


def test_the_models_refuse_a_plandefinition_with_a_wrong_element() -> None:
    broken = exported("imatinib")
    broken["action"][0]["timingTimming"] = broken["action"][0].pop("timingTiming")
    with pytest.raises(ValidationError, match="timingTimming"):
        PlanDefinition.model_validate(broken)


@pytest.mark.node
def test_every_exported_regimen_and_the_fixture_are_valid_to_the_official_json_schema(
    schema_errors: Callable[[dict[str, str]], dict[str, list[str]]],  # noqa: F811
) -> None:
    texts = {sid: json.dumps(exported(sid)) for sid in builtin_ids()}
    for path in sorted(FIXTURES.glob("*.json")):
        texts[path.stem] = path.read_text(encoding="utf-8")
    broken = exported("imatinib")
    broken["action"][0]["timingTiming"]["repeat"]["duration"] = "twenty-eight"
    texts["broken"] = json.dumps(broken)
    errors = schema_errors(texts)
    assert errors.pop("broken") != []  # the schema can refuse
    for name, paths in PUBLISHED_ERRORS.items():
        assert {e.split(":")[0] for e in errors.pop(name)} == paths
    assert errors == {name: [] for name in errors}
    assert len(errors) >= len(builtin_ids()) + 1
