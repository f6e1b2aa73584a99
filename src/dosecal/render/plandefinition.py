"""A definition as a FHIR R4 regimen PlanDefinition of the NZ Cancer Control Agency profile.

The same profile ``dosecal fhir import`` reads (:mod:`dosecal.inputs.fhir`): one cycle action
per run of identical cycles (``timingTiming.repeat`` with the length and the count), the
top-level action when there is one run, the children of one top-level "regimen" action when
there are more (the profile allows one top-level action); one child action per medicine with a ``sact-timing-of-days`` extension per day, pointing at a
contained ActivityDefinition with the dose, route, frequency code and the clock times
(``timing.repeat.timeOfDay``), so that importing the export gives the same dates, times and
doses. A daily drug taken until the care team stops it is one 28-day cycle "(and all further
cycles)" with a dose every day, as the agency's library writes alectinib.

What the profile cannot carry (continuous infusions and their bags, premedication, hospital
stays, tests, dose windows, choices other than the defaults, dose changes over time, a daily
drug beside cycles) is left out and listed in :attr:`Exported.not_carried`, never dropped in
silence. Output is deterministic: the same definition gives the same bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from dosecal.model.plan import Plan, planned_cycles
from dosecal.model.rules import CycleDose
from dosecal.model.schedule import Schedule
from dosecal.render.fhir import concept
from dosecal.words import say

PROFILE = "http://hl7.org.nz/fhir/StructureDefinition/CcaPlanDefinition"
ACTIVITY_PROFILE = "http://hl7.org.nz/fhir/StructureDefinition/CcaActivityDefinition"
DAYS = "http://hl7.org.nz/fhir/StructureDefinition/sact-timing-of-days"
SNOMED = "http://snomed.info/sct"

#: The frequency code for a number of doses a day (ValueSet sact-dose-administration-frequency).
FREQUENCY = {1: ("229797004", "Once daily"), 2: ("229799001", "Twice daily"), 3: ("229798009", "Three times daily"), 4: ("307439001", "Four times daily")}  # fmt: skip

#: The dose units written, with their SNOMED codes (ValueSet sact-dose-unit).
UNITS = {"mg": ("258684004", "mg"), "mcg": ("258685003", "microgram"), "g": ("258682000", "g"), "mg/m2": ("404216004", "mg/m²"), "mg/kg": ("396163008", "mg/kg"), "mcg/kg": ("258803005", "microgram/kg")}  # fmt: skip

_DOSE = re.compile(r"^(\d+(?:\.\d+)?) (mg|mcg|g|mg/m2|mg/kg|mcg/kg)$")

#: The cycle a daily drug is written in: a length for the profile's shape, not a clinical fact.
DAILY_CYCLE_DAYS = 28


@dataclass(frozen=True, slots=True)
class Exported:
    """A PlanDefinition's JSON, and what of the definition it does not carry.

    Attributes:
        data: the JSON, UTF-8, ending in a newline.
        not_carried: one line for each part left out, saying what and why.
    """

    data: bytes
    not_carried: tuple[str, ...]


def _quantity(dose: str) -> dict[str, Any] | None:
    found = _DOSE.match(dose)
    if found is None:
        return None
    number = float(found.group(1))
    code, unit = UNITS[found.group(2)]
    value: int | float = int(number) if number.is_integer() else number
    return {"value": value, "unit": unit, "system": SNOMED, "code": code}


def to_plandefinition(schedule: Schedule) -> Exported:
    """``schedule`` as a PlanDefinition, under its default choices.

    Cycles that need a choice without a default (inotuzumab's cycles 2 onwards need the
    response) are left out and said; so is every part the profile cannot carry.
    """
    lost: list[str] = []
    choices = {c.id: c.default for c in schedule.choices.values() if c.default is not None}
    for c in schedule.choices.values():
        if c.default is not None and len(c.options) > 1:
            lost.append(
                say(
                    "error.fhir.export_choice",
                    id=c.id,
                    value=c.default,
                )
            )
    contained: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    names: dict[str, str] = {}

    def medicine(agent: str, days: list[int], dose: str, times: tuple[str, ...]) -> dict[str, Any] | None:
        a = schedule.agents[agent]
        quantity = _quantity(dose)
        if quantity is None or len(times) not in FREQUENCY:
            lost.append(
                say(
                    "error.fhir.export_dose",
                    agent=a.name,
                    dose=dose,
                    n=len(times),
                )
            )
            return None
        key = f"{agent}-{len(contained) + 1}"
        code, words = FREQUENCY[len(times)]
        route: dict[str, Any] = {"text": a.route}
        if a.oral:
            route = {"coding": [{"system": SNOMED, "code": "386359008"}], "text": "oral administration"}
        contained.append(
            {
                "resourceType": "ActivityDefinition",
                "id": key,
                "meta": {"profile": [ACTIVITY_PROFILE]},
                "name": re.sub(r"\W", "_", key),
                "status": "active",
                "productCodeableConcept": concept(a, a.name),
                "dosage": [
                    {
                        "text": f"{dose} {words} by {a.route}",
                        "timing": {
                            "repeat": {"timeOfDay": [f"{t}:00" for t in times]},
                            "code": {"coding": [{"system": SNOMED, "code": code}], "text": words},
                        },
                        "route": route,
                        "doseAndRate": [{"doseQuantity": quantity}],
                    }
                ],
            }
        )
        said = " ".join(a.instructions)
        days_ext = []
        for day in days:
            parts: list[dict[str, Any]] = [{"url": "day", "valueInteger": day}]
            if said:
                parts.append({"url": "instructions", "valueString": said})
            days_ext.append({"extension": parts, "url": DAYS})
        names[agent] = a.name
        return {"id": f"medicine-{key}", "extension": days_ext, "definitionCanonical": f"#{key}"}

    daily = [d for d in schedule.daily if d.applies(choices)]
    for d in schedule.daily:
        if d not in daily:
            lost.append(
                say(
                    "error.fhir.export_other_choices",
                    agent=schedule.agents[d.agent].name,
                )
            )
    if daily and schedule.phases:
        for d in daily:
            lost.append(
                say(
                    "error.fhir.export_daily_beside",
                    agent=schedule.agents[d.agent].name,
                    day=d.start_day,
                )
            )
    elif daily:
        children = []
        for d in daily:
            if not d.open_ended or len(d.steps) != 1 or d.start_day != 1:
                lost.append(
                    say(
                        "error.fhir.export_daily_steps",
                        agent=schedule.agents[d.agent].name,
                    )
                )
                continue
            times = tuple(t.strftime("%H:%M") for t in schedule.agents[d.agent].times)
            child = medicine(d.agent, list(range(1, DAILY_CYCLE_DAYS + 1)), d.steps[0].dose, times)
            if child is not None:
                children.append(child)
        if children:
            actions.append(
                {
                    "id": "cycle-1",
                    "prefix": "1",
                    "description": f"Cycle 1 (and all further cycles) - {DAILY_CYCLE_DAYS} days",
                    "timingTiming": {"repeat": {"duration": DAILY_CYCLE_DAYS, "durationUnit": "d"}},
                    "selectionBehavior": "all",
                    "action": children,
                }
            )
    if schedule.phases:
        plan = Plan(start=date(2000, 1, 3), timezone="UTC")
        try:
            planned = planned_cycles(schedule, plan, choices)
        except Exception:  # noqa: BLE001 - a schedule that needs choices to plan: export none of its cycles
            planned = 0
        if planned < schedule.total_cycles:
            lost.append(
                say(
                    "error.fhir.export_cycles",
                    first=planned + 1,
                    last=schedule.total_cycles,
                )
            )
        first = 1
        runs: list[tuple[str, int, tuple[CycleDose, ...], int]] = []
        for phase in schedule.phases:
            for what, parts in (
                (say("fhir.what_infusion"), phase.infusions),
                (say("fhir.what_premedication"), phase.premedications),
                (say("fhir.what_stay"), phase.stays),
                (say("fhir.what_check"), phase.checks),
            ):
                if parts:
                    lost.append(say("error.fhir.export_phase_part", phase=phase.name, what=what))
            for rule in phase.doses:
                if rule.window_days or rule.observe_minutes:
                    lost.append(
                        say(
                            "error.fhir.export_window",
                            phase=phase.name,
                            agent=schedule.agents[rule.agent].name,
                        )
                    )
            for n in range(first, first + phase.cycles):
                if n > planned:
                    break
                rules = tuple(r for r in phase.doses if r.selector.applies(n, choices))
                length = phase.length_with(choices)
                if runs and runs[-1][0] == phase.name and runs[-1][2] == rules and runs[-1][3] == length:
                    name, count, _, _ = runs[-1]
                    runs[-1] = (name, count + 1, rules, length)
                else:
                    runs.append((phase.name, 1, rules, length))
            first += phase.cycles
        number = 1
        for name, count, rules, length in runs:
            children = []
            for rule in rules:
                at = schedule.agents[rule.agent].times[0].strftime("%H:%M")
                child = medicine(rule.agent, list(rule.days), rule.dose, (at,))
                if child is not None:
                    children.append(child)
            last = number + count - 1
            label = f"Cycle {number}" if count == 1 else f"Cycles {number}-{last}"
            actions.append(
                {
                    "id": f"cycle-{number}",
                    "prefix": str(number),
                    "title": name,
                    "description": f"{label} - {length} days",
                    "timingTiming": {"repeat": {"count": count, "duration": length, "durationUnit": "d"}},
                    "selectionBehavior": "all",
                    "action": children,
                }
            )
            number = last + 1
    for cycle in actions:
        if not cycle["action"]:  # a cycle with no medicine carried: FHIR has no empty arrays
            del cycle["action"]
    if len(actions) > 1:
        # The profile allows one top-level action (PlanDefinition.action 1..1): runs of different
        # cycles go in it as its child actions, as the guide's first drafts nest them in one
        # "regimen option" action (the import reads through it).
        actions = [{"id": "regimen", "title": schedule.title, "selectionBehavior": "all", "action": actions}]
    resource: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": schedule.id,
        "meta": {"profile": [PROFILE]},
        "contained": contained,
        "version": schedule.last_checked.isoformat(),
        "name": re.sub(r"\W", "_", schedule.id),
        "title": schedule.title,
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                    "code": "clinical-protocol",
                }
            ]
        },
        "status": "draft",
        "date": schedule.last_checked.isoformat(),
        "publisher": say("fhir.publisher", id=schedule.id),
        "description": schedule.indication,
        "relatedArtifact": [
            {"type": "citation", "display": s.title + s.dated, **({"url": s.url} if s.linkable else {})}
            for s in schedule.sources.values()
        ],
        "action": actions,
    }
    if not contained:
        del resource["contained"]
    text = json.dumps(resource, indent=2, ensure_ascii=False) + "\n"
    return Exported(text.encode("utf-8"), tuple(dict.fromkeys(lost)))
