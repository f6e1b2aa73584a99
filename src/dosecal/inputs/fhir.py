"""Reading a FHIR R4 regimen PlanDefinition (NZ Cancer Control Agency profile) into a definition.

The profile (HL7 NZ "CcaPlanDefinition", github.com/HL7NZ/cca): each top-level action is a
cycle, with ``timingTiming.repeat`` giving its length (``duration``, ``durationUnit``) and how
many times it runs (``count``; the agency's library writes "(and all further cycles)" in the
description instead of a count). Each child action is one medicine: ``sact-timing-of-days``
extensions (or HL7's ``timing-daysOfCycle``) list the days of the cycle, and
``definitionCanonical`` points at a contained ActivityDefinition with the dose, unit, route and
a frequency code. The result is the TOML text of a dosecal definition citing the PlanDefinition;
what cannot be mapped is reported, left out with a note where the rest is a safe schedule (a
medicine taken only when needed) and refused otherwise. Nothing is guessed silently.

A regimen in parts (the guide's 60071000210106, chemoradiation then chemotherapy) is a
PlanDefinition whose top-level actions point (``definitionCanonical`` "#id") at PlanDefinitions
in its ``contained``, each with its own cycles and contained ActivityDefinitions. One part is
imported at a time (``part``, 1-based in the order of the actions) as its own definition, with
the JSON paths inside ``contained[...]``; the parts' instructions ("Commence within 3 weeks
after completion of radiation therapy") are kept as notes for the care team, never turned into
dates: the plan starts on the date the care team gives.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from dosecal.errors import DefinitionError, FhirError, Problem
from dosecal.inputs import definitions
from dosecal.model import limits
from dosecal.model.schedule import code_written, web_address
from dosecal.words import say

#: The profile's day-of-cycle extension, and HL7's international one.
SACT_DAYS = "http://hl7.org.nz/fhir/StructureDefinition/sact-timing-of-days"
HL7_DAYS = "http://hl7.org/fhir/StructureDefinition/timing-daysOfCycle"
#: The profile's "taken only when needed" flag on an ActivityDefinition (sact-is-prn).
SACT_PRN = "http://hl7.org.nz/fhir/StructureDefinition/sact-is-prn"
#: The profile's instructions for a whole regimen, and for one part of a regimen in parts.
SACT_PLAN_INSTRUCTIONS = "http://hl7.org.nz/fhir/StructureDefinition/sact-plan-instructions"
SACT_PART_DETAILS = "http://hl7.org.nz/fhir/StructureDefinition/sact-child-regimen-extra-details"
SNOMED = "http://snomed.info/sct"

#: The profile's frequency codes (ValueSet sact-dose-administration-frequency) that dosecal
#: maps: the number of doses a day. The others (every N hours, five to eight times daily) are
#: reported and refused.
FREQUENCIES: dict[str, tuple[str, int]] = {
    "229797004": ("Once daily", 1),
    "307486002": ("Once per one time", 1),
    "229799001": ("Twice daily", 2),
    "229798009": ("Three times daily", 3),
    "307439001": ("Four times daily", 4),
}

#: The clock times dosecal gives a frequency when the PlanDefinition gives none (docs/fhir-regimens.md).
DEFAULT_TIMES: dict[int, tuple[str, ...]] = {
    1: ("08:00",),
    2: ("08:00", "20:00"),
    3: ("08:00", "14:00", "20:00"),
    4: ("08:00", "12:00", "16:00", "20:00"),
}

#: The profile's dose units (ValueSet sact-dose-unit) that dosecal writes, by SNOMED code, as a
#: definition writes them. AUC (413573002) is a dose the care team calculates: refused.
UNITS: dict[str, str] = {
    "258684004": "mg",
    "258685003": "mcg",
    "258682000": "g",
    "258718000": "mmol",
    "258773002": "mL",
    "404216004": "mg/m2",
    "396163008": "mg/kg",
    "258803005": "mcg/kg",
    "258997004": "international units",
    "414524001": "international units/m2",
    "396186001": "million units",
    "414745006": "million units/m2",
    "385055001": "tablet(s)",
    "420692007": "capsule(s)",
}
AUC = "413573002"
ORAL = "386359008"

#: Words that say a medicine is taken only when needed, in the instructions a library writes
#: ("When required for nausea", "at onset of loose bowel motions"). Such a medicine has no
#: dates to put on a calendar: it is left out, with a note.
_AS_NEEDED = re.compile(
    r"\b(when required|as required|if required|when needed|as needed|if needed|prn|at (the )?onset of)\b",
    re.IGNORECASE,
)
_FURTHER = re.compile(r"all further cycles", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Medicine:
    """One medication action of a cycle, read.

    Attributes:
        path: its JSON path (``action[0].action[1]``).
        name: the medicine's name, as the PlanDefinition writes it.
        days: the days of the cycle it is given on.
        dose: the dose as a definition writes it ("600 mg").
        times: its clock times, one per dose a day.
        defaults: whether the times are dosecal's defaults for the frequency (not the source's).
        frequency: the frequency's words ("Twice daily").
        route: how it is given.
        instructions: the instructions the days carry, each once.
        codes: the product's codes (system, code, display), as ``productCodeableConcept`` gives them.
    """

    path: str
    name: str
    days: tuple[int, ...]
    dose: str
    times: tuple[str, ...]
    defaults: bool
    frequency: str
    route: str
    instructions: tuple[str, ...]
    codes: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Cycle:
    """A cycle action: its length, how many times it runs, and its medicines.

    Attributes:
        path: its JSON path.
        name: its description, or "Cycle N".
        length: days per cycle.
        count: how many cycles, or ``None`` for "all further cycles".
        medicines: what is given.
    """

    path: str
    name: str
    length: int
    count: int | None
    medicines: tuple[Medicine, ...]


@dataclass(frozen=True, slots=True)
class Imported:
    """The definition made of a PlanDefinition, and what was left out of it.

    Attributes:
        toml: the definition's text, which ``dosecal check`` accepts.
        left_out: each part left out, with its JSON path and why (reported on stderr).
    """

    toml: str
    left_out: tuple[Problem, ...]


@dataclass
class _Reader:
    """Reads one PlanDefinition; collects what it cannot map, and whether that is safe to leave out.

    ``root`` is the regimen read: the file's PlanDefinition, or one part of a regimen in parts,
    whose JSON paths then start with ``prefix`` (``contained[1].``).
    """

    file: str
    root: dict[str, Any]
    prefix: str = ""
    left_out: list[Problem] = field(default_factory=list)
    blocking: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prn: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, path: str, text: str) -> FhirError:
        return FhirError([Problem(self.file, path, text)])

    def lose(self, path: str, text: str, *, safe: bool) -> None:
        """Record a part that is not mapped: left out (``safe``) or making the import refuse."""
        (self.left_out if safe else self.blocking).append(Problem(self.file, path, text))

    def contained(self) -> dict[str, tuple[str, dict[str, Any]]]:
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for i, res in enumerate(_list(self.root.get("contained"))):
            if isinstance(res, dict) and isinstance(res.get("id"), str):
                found["#" + res["id"]] = (f"{self.prefix}contained[{i}]", res)
        return found

    def cycles(self) -> list[Cycle]:
        actions = self.root.get("action")
        if not isinstance(actions, list) or not actions:
            raise self.fail(f"{self.prefix}action", say("error.fhir.no_cycles"))
        base = f"{self.prefix}action"
        # The guide's first drafts nest the cycles in one "regimen option" action: read through it.
        if len(actions) == 1 and isinstance(actions[0], dict) and "timingTiming" not in actions[0]:
            inner = actions[0].get("action")
            if (
                isinstance(inner, list)
                and inner
                and all(isinstance(a, dict) and "timingTiming" in a for a in inner)
            ):
                actions, base = inner, f"{self.prefix}action[0].action"
        resources = self.contained()
        cycles = []
        for i, action in enumerate(actions):
            path = f"{base}[{i}]"
            if not isinstance(action, dict):
                raise self.fail(path, say("error.fhir.not_object"))
            cycles.append(self.cycle(path, action, resources, last=i == len(actions) - 1))
        return cycles

    def cycle(
        self,
        path: str,
        action: dict[str, Any],
        resources: dict[str, tuple[str, dict[str, Any]]],
        *,
        last: bool,
    ) -> Cycle:
        if action.get("modifierExtension"):
            raise self.fail(f"{path}.modifierExtension", _modifier())
        repeat = (
            action.get("timingTiming", {}).get("repeat")
            if isinstance(action.get("timingTiming"), dict)
            else None
        )
        if not isinstance(repeat, dict) or "duration" not in repeat:
            raise self.fail(
                f"{path}.timingTiming.repeat.duration",
                say("error.fhir.cycle_without_length"),
            )
        unit = repeat.get("durationUnit", "d")
        scale = {"d": 1, "wk": 7}.get(unit) if isinstance(unit, str) else None
        if scale is None:
            raise self.fail(
                f"{path}.timingTiming.repeat.durationUnit",
                say(
                    "error.fhir.cycle_unit",
                    unit=unit,
                ),
            )
        duration = repeat["duration"]
        if not _whole(duration) or not 1 <= duration * scale <= limits.MAX_CYCLE_DAYS:
            raise self.fail(
                f"{path}.timingTiming.repeat.duration",
                say(
                    "error.fhir.cycle_length_bad",
                    most=limits.MAX_CYCLE_DAYS,
                    value=json.dumps(duration),
                ),
            )
        length = int(duration) * scale
        description = action.get("description") if isinstance(action.get("description"), str) else None
        count: int | None
        if "count" in repeat:
            raw: Any = repeat["count"]
            if not _whole(raw) or not 1 <= raw <= limits.MAX_CYCLES:
                raise self.fail(
                    f"{path}.timingTiming.repeat.count",
                    say(
                        "error.fhir.count_bad",
                        most=limits.MAX_CYCLES,
                    ),
                )
            count = int(raw)
        elif description and _FURTHER.search(description):
            if not last:
                raise self.fail(
                    f"{path}.description",
                    say("error.fhir.further_not_last"),
                )
            count = None
        else:
            count = 1
            self.notes.append(
                say(
                    "fhir.note_count_one",
                    path=path,
                )
            )
        medicines = []
        for j, child in enumerate(_list(action.get("action"))):
            sub = f"{path}.action[{j}]"
            if not isinstance(child, dict):
                raise self.fail(sub, say("error.fhir.not_object"))
            medicine = self.medicine(sub, child, length, resources)
            if medicine is not None:
                medicines.append(medicine)
        name = description or say("fhir.cycle_name", n=path)
        return Cycle(path, name, length, count, tuple(medicines))

    def days(self, path: str, action: dict[str, Any], length: int) -> tuple[list[int], list[str], list[str]]:
        """The days of the cycle, the instructions they carry (each once), and the paths of any day 0.

        Day 0 is the day before the cycle's day 1 (the agency's "the night prior to PACLItaxel"):
        dosecal's cycles start on day 1, so it is reported (by the caller) and refused, with
        everything else, rather than stopping the reading.
        """
        days: list[int] = []
        instructions: list[str] = []
        zero: list[str] = []
        for k, ext in enumerate(_list(action.get("extension"))):
            if not isinstance(ext, dict) or ext.get("url") not in (SACT_DAYS, HL7_DAYS):
                continue
            for m, part in enumerate(_list(ext.get("extension"))):
                where = f"{path}.extension[{k}].extension[{m}]"
                if not isinstance(part, dict):
                    raise self.fail(where, say("error.fhir.not_object"))
                if part.get("url") == "day":
                    day: Any = part.get("valueInteger")
                    if _whole(day) and day == 0:
                        zero.append(where)
                        continue
                    if not _whole(day) or not 1 <= day <= length:
                        raise self.fail(
                            where,
                            say(
                                "error.fhir.day_outside",
                                day=json.dumps(day),
                                length=length,
                            ),
                        )
                    days.append(int(day))
                elif part.get("url") == "instructions":
                    # valueString in the first examples, valueMarkdown in the regimen in parts.
                    said = part.get("valueString", part.get("valueMarkdown"))
                    text = said.strip() if isinstance(said, str) else ""
                    if text and text not in instructions:
                        instructions.append(text)
        return sorted(set(days)), instructions, zero

    def medicine(
        self, path: str, action: dict[str, Any], length: int, resources: dict[str, tuple[str, dict[str, Any]]]
    ) -> Medicine | None:
        if action.get("modifierExtension"):
            raise self.fail(f"{path}.modifierExtension", _modifier())
        days, instructions, zero = self.days(path, action, length)
        ref = action.get("definitionCanonical")
        found = resources.get(ref) if isinstance(ref, str) else None
        what = action.get("title") or action.get("description") or ref or path
        if found is None or found[1].get("resourceType") != "ActivityDefinition":
            self.lose(
                path,
                say(
                    "error.fhir.not_understood",
                    what=what,
                ),
                safe=False,
            )
            return None
        where, res = found
        name = _text(res.get("productCodeableConcept"))
        if not name:
            self.lose(
                where,
                say(
                    "error.fhir.not_medicine",
                    what=res.get("title") or res.get("name") or what,
                ),
                safe=False,
            )
            return None
        dosages = _list(res.get("dosage"))
        dosage = dosages[0] if len(dosages) == 1 and isinstance(dosages[0], dict) else None
        said = " ".join([*instructions, *([dosage.get("text", "")] if dosage else [])])
        prn = any(
            isinstance(e, dict) and e.get("url") == SACT_PRN and e.get("valueBoolean") is True
            for e in _list(res.get("extension"))
        ) or bool(dosage and (dosage.get("asNeededBoolean") is True or dosage.get("asNeededCodeableConcept")))
        if prn or _AS_NEEDED.search(said):
            self.lose(
                path,
                say(
                    "error.fhir.as_needed",
                    name=name,
                    why=" ".join(instructions[0].split()) if instructions else say("error.fhir.prn_flag"),
                ),
                safe=True,
            )
            self.prn.append((name, said.strip()))
            self.notes.append(
                say(
                    "fhir.note_as_needed",
                    name=name,
                    path=path,
                    said=said.strip(),
                )
            )
            return None
        for day_path in zero:
            self.lose(day_path, say("error.fhir.day_zero", name=name), safe=False)
        if dosage is None:
            self.lose(
                f"{where}.dosage",
                say("error.fhir.one_dosage", name=name),
                safe=False,
            )
            return None
        if not days and not zero:
            self.lose(path, say("error.fhir.no_days", name=name), safe=False)
            return None
        dose = self.dose(f"{where}.dosage[0]", dosage, name)
        timing = self.timing(f"{where}.dosage[0].timing", dosage, name)
        if dose is None or timing is None or zero:
            return None
        times, defaults, frequency = timing
        return Medicine(
            path,
            name,
            tuple(days),
            dose,
            times,
            defaults,
            frequency,
            _route(dosage),
            tuple(instructions),
            _codes(res.get("productCodeableConcept")),
        )

    def dose(self, path: str, dosage: dict[str, Any], name: str) -> str | None:
        rates = _list(dosage.get("doseAndRate"))
        quantity = rates[0].get("doseQuantity") if len(rates) == 1 and isinstance(rates[0], dict) else None
        if not isinstance(quantity, dict) or not _number(quantity.get("value")):
            self.lose(
                f"{path}.doseAndRate",
                say("error.fhir.no_dose", name=name),
                safe=False,
            )
            return None
        code = quantity.get("code") if quantity.get("system") == SNOMED else None
        words: str = quantity["unit"] if isinstance(quantity.get("unit"), str) else ""
        if code == AUC or "AUC" in words:
            self.lose(
                f"{path}.doseAndRate[0].doseQuantity",
                say(
                    "error.fhir.auc",
                    name=name,
                ),
                safe=False,
            )
            return None
        unit = UNITS.get(code) if isinstance(code, str) else None
        if unit is None:
            self.lose(
                f"{path}.doseAndRate[0].doseQuantity",
                say("error.fhir.unit", name=name, unit=words),
                safe=False,
            )
            return None
        return f"{_decimal(quantity['value'])} {unit}"

    def timing(
        self, path: str, dosage: dict[str, Any], name: str
    ) -> tuple[tuple[str, ...], bool, str] | None:
        timing: dict[str, Any] = dosage["timing"] if isinstance(dosage.get("timing"), dict) else {}
        code: dict[str, Any] = timing["code"] if isinstance(timing.get("code"), dict) else {}
        codes = [
            c.get("code")
            for c in _list(code.get("coding"))
            if isinstance(c, dict) and c.get("system") == SNOMED
        ]
        known = [FREQUENCIES[c] for c in codes if c in FREQUENCIES]
        if not known:
            said = _text(code) or say("error.fhir.none")
            self.lose(
                f"{path}.code",
                say(
                    "error.fhir.frequency",
                    name=name,
                    said=said,
                ),
                safe=False,
            )
            return None
        words, per_day = known[0]
        repeat: dict[str, Any] = timing["repeat"] if isinstance(timing.get("repeat"), dict) else {}
        given = repeat.get("timeOfDay")
        if given is not None:
            times = [
                t[:5] for t in _list(given) if isinstance(t, str) and re.fullmatch(r"\d\d:\d\d(:\d\d)?", t)
            ]
            if len(times) != per_day or len(_list(given)) != per_day:
                raise self.fail(
                    f"{path}.repeat.timeOfDay",
                    say(
                        "fhir.times_count",
                        count=len(_list(given)),
                        words=words,
                        name=name,
                    ),
                )
            return tuple(sorted(times)), False, words
        return DEFAULT_TIMES[per_day], True, words


def _modifier() -> str:
    return say("error.fhir.modifier")


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _whole(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _decimal(value: float) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - a float always converts
        return str(value)
    text = format(number.normalize(), "f")
    return text


def _text(concept: object) -> str:
    """A CodeableConcept's words: its text, else its first coding's display."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    for coding in _list(concept.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            return str(coding["display"]).strip()
    return ""


def _route(dosage: dict[str, Any]) -> str:
    route = dosage.get("route")
    codes = (
        [c.get("code") for c in _list(route.get("coding")) if isinstance(c, dict)]
        if isinstance(route, dict)
        else []
    )
    if ORAL in codes:
        return "oral"
    return _text(route) or say("fhir.route_unknown")


def slug(text: str) -> str:
    """An id of lowercase letters, digits and hyphens made of ``text`` ("LUNG NSCLC" → "lung-nsclc")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "regimen"


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: JSON's escapes are TOML's, and DEL is escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _strings(items: list[str] | tuple[str, ...], indent: str = "") -> str:
    if not items:
        return "[]"
    inner = "".join(f"{indent}  {toml_string(x)},\n" for x in items)
    return "[\n" + inner + indent + "]"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a regimen in parts.

    Attributes:
        number: its number, 1-based in the order of the top-level actions.
        name: its name ("cISplatin chemoradiation"): the action's title less "Part N:".
        action_path: the JSON path of the top-level action that points at it (``action[0]``).
        action: that action.
        path: the JSON path of the contained PlanDefinition (``contained[0]``).
        resource: the contained PlanDefinition: its own cycles and ActivityDefinitions.
    """

    number: int
    name: str
    action_path: str
    action: dict[str, Any]
    path: str
    resource: dict[str, Any]


def _parse(data: bytes, file: str) -> dict[str, Any]:
    try:
        root = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise FhirError(
            [
                Problem(
                    file,
                    "",
                    say("error.fhir.not_json", why=getattr(exc, "msg", str(exc))),
                    line,
                )
            ]
        ) from None
    if not isinstance(root, dict) or root.get("resourceType") != "PlanDefinition":
        kind = root.get("resourceType") if isinstance(root, dict) else type(root).__name__
        raise FhirError(
            [
                Problem(
                    file,
                    "resourceType",
                    say("error.fhir.not_plandefinition", kind=json.dumps(kind)),
                )
            ]
        )
    return root


def _parts(root: dict[str, Any], file: str) -> tuple[Part, ...]:
    """The parts of a regimen in parts, in the order of its top-level actions; none for one regimen.

    Raises:
        FhirError: some top-level actions are parts and others are not.
    """
    reader = _Reader(file, root)
    resources = reader.contained()
    actions = _list(root.get("action"))
    found: list[Part] = []
    others: list[str] = []
    for i, action in enumerate(actions):
        ref = action.get("definitionCanonical") if isinstance(action, dict) else None
        hit = resources.get(ref) if isinstance(ref, str) else None
        if hit is None or hit[1].get("resourceType") != "PlanDefinition":
            others.append(f"action[{i}]")
            continue
        number = len(found) + 1
        title = action.get("title") if isinstance(action.get("title"), str) else ""
        name = re.sub(rf"^\s*part\s*{number}\s*[:.\-\u2013]\s*", "", title, flags=re.IGNORECASE).strip()
        if not name:
            given = hit[1].get("title") or hit[1].get("name")
            name = given.strip() if isinstance(given, str) and given.strip() else hit[0]
        found.append(Part(number, name, f"action[{i}]", action, hit[0], hit[1]))
    if found and others:
        raise reader.fail(others[0], say("error.fhir.parts_mixed"))
    return tuple(found)


def parts(data: bytes, file: str) -> tuple[Part, ...]:
    """The parts of the regimen in ``data``, numbered as :func:`loads` takes ``part``; none for a single regimen.

    What a page asks before it imports: which part, when there are parts.

    Raises:
        FhirError: the file is not JSON or not a PlanDefinition, or its actions mix parts and cycles.
    """
    return _parts(_parse(data, file), file)


def _listing(found: tuple[Part, ...]) -> str:
    """The parts as the messages list them: 1 "cISplatin chemoradiation", 2 "cARBOplatin and PACLItaxel"."""
    return ", ".join(say("fhir.part_item", n=p.number, title=p.name) for p in found)


def _plain(markup: str) -> str:
    """The words of the agency's instructions, which are HTML in markdown ("<p>Commence ...</p>")."""
    text = re.sub(r"<\s*(br|/p|/div|/li)\b[^>]*>", " ", markup, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]*>", "", text)
    return " ".join(html.unescape(text).split())


def _instructions(resource: dict[str, Any], prefix: str, url: str) -> list[tuple[str, str]]:
    """Each extension ``url`` of ``resource`` that has words: its JSON path and its words."""
    found = []
    for k, ext in enumerate(_list(resource.get("extension"))):
        if not isinstance(ext, dict) or ext.get("url") != url:
            continue
        said = ext.get("valueMarkdown", ext.get("valueString"))
        text = _plain(said) if isinstance(said, str) else ""
        if text:
            found.append((f"{prefix}extension[{k}]", text))
    return found


def loads(data: bytes, file: str, *, part: int | None = None) -> Imported:
    """Read the PlanDefinition JSON ``data`` (from ``file``) into a dosecal definition.

    Args:
        data: the PlanDefinition's JSON.
        file: its name, for messages.
        part: for a regimen in parts, which part to import (1-based, in the order of the
            top-level actions); ``None`` for a single regimen.

    Raises:
        FhirError: the file is not JSON or not a PlanDefinition, a cycle has no length, a part
            that the calendar needs cannot be mapped (every such part is listed), or ``part``
            does not fit the file (a regimen in parts without it, a single regimen with it, a
            number out of range).
    """
    root = _parse(data, file)
    regimen = root.get("title") or root.get("name")
    if not isinstance(regimen, str) or not regimen.strip():
        raise FhirError([Problem(file, "title", say("error.fhir.no_title"))])
    regimen = regimen.strip()
    when = next(
        (root[k] for k in ("date", "lastReviewDate", "approvalDate") if isinstance(root.get(k), str)), None
    )
    if when is None or not re.match(r"^\d{4}-\d{2}-\d{2}", when):
        raise FhirError([Problem(file, "date", say("error.fhir.no_date"))])
    found = _parts(root, file)
    if found and part is None:
        raise FhirError(
            [Problem(file, "action", say("error.fhir.parts_choose", count=len(found), parts=_listing(found)))]
        )
    if not found and part is not None:
        raise FhirError([Problem(file, "action", say("error.fhir.part_single", n=part))])
    lead = [
        say("fhir.note_instructions", path=path, text=text)
        for path, text in _instructions(root, "", SACT_PLAN_INSTRUCTIONS)
    ]
    chosen: Part | None = None
    if part is None:
        reader = _Reader(file, root)
        title = regimen
    else:
        if not 1 <= part <= len(found):
            raise FhirError(
                [
                    Problem(
                        file,
                        "action",
                        say("error.fhir.part_range", n=part, count=len(found), parts=_listing(found)),
                    )
                ]
            )
        chosen = found[part - 1]
        reader = _Reader(file, chosen.resource, prefix=chosen.path + ".")
        title = say("fhir.part_title", n=chosen.number, part=chosen.name, regimen=regimen)
        seen: set[str] = set()
        said = [
            *_instructions(chosen.action, chosen.action_path + ".", SACT_PART_DETAILS),
            *_instructions(chosen.resource, chosen.path + ".", SACT_PLAN_INSTRUCTIONS),
        ]
        lead.insert(0, say("fhir.note_part", n=chosen.number, count=len(found), path=chosen.path))
        for path, text in said:
            if text not in seen:
                seen.add(text)
                lead.append(say("fhir.note_instructions", path=path, text=text))
    cycles = reader.cycles()
    if reader.blocking:
        raise FhirError(
            [
                *reader.blocking,
                *reader.left_out,
                Problem(
                    file,
                    "",
                    say(
                        "error.fhir.refused",
                    ),
                ),
            ]
        )
    if not any(c.medicines for c in cycles):
        raise reader.fail(f"{reader.prefix}action", say("error.fhir.nothing"))
    text = _definition(root, title, when[:10], cycles, [*lead, *reader.notes], reader.prn, chosen)
    try:
        definitions.loads(text, file)
    except DefinitionError as exc:  # pragma: no cover - a bug of this module, said as such
        raise FhirError(
            [
                Problem(
                    file,
                    "",
                    say("error.fhir.bad_output", why=str(exc)),
                )
            ]
        ) from None
    return Imported(text, tuple(reader.left_out))


def _codes(concept: Any) -> tuple[tuple[str, str, str], ...]:
    """A product's codes the definition can carry: a web-address system, one code, its words.

    Others (no system, a code with spaces) are not carried: the drug's name still is, and a
    record that needs the code asks the library.
    """
    found = []
    for c in _list(concept.get("coding")) if isinstance(concept, dict) else ():
        if not isinstance(c, dict):
            continue
        system, code, display = c.get("system"), c.get("code"), c.get("display")
        if isinstance(system, str) and web_address(system) and isinstance(code, str) and code_written(code):
            found.append((system, code, display if isinstance(display, str) and display.strip() else code))
    return tuple(found)


def _definition(
    root: dict[str, Any],
    title: str,
    when: str,
    cycles: list[Cycle],
    notes: list[str],
    prn: list[tuple[str, str]],
    part: Part | None = None,
) -> str:
    """The definition's TOML text; every fact cites the PlanDefinition (source key ``FHIR``).

    ``root`` is the file's PlanDefinition, which the source cites (its title, version,
    publisher and url), with the ``part`` imported when it is a regimen in parts.
    """
    version = root.get("version") if isinstance(root.get("version"), str) else None
    publisher = root.get("publisher") if isinstance(root.get("publisher"), str) else None
    url = root.get("url") if isinstance(root.get("url"), str) else None
    linked = url if url is not None and web_address(url) else None  # a source's url, a canonical
    regimen = str(root.get("title") or root.get("name")).strip()
    cited = regimen + (f", version {version}" if version else "") + (f", {publisher}" if publisher else "")
    if part is not None:
        cited = say("fhir.part_cited", cited=cited, n=part.number, part=part.name, path=part.path)
    indication = next(
        (root[k] for k in ("subtitle", "description") if isinstance(root.get(k), str) and root[k].strip()),
        title,
    )
    daily = (
        len(cycles) == 1
        and cycles[0].count is None
        and all(m.days == tuple(range(1, cycles[0].length + 1)) for m in cycles[0].medicines)
    )
    lines = [
        f"# Imported by 'dosecal fhir import' from the FHIR PlanDefinition {url or title}"
        + (f", part {part.number} ({part.path})." if part is not None else "."),
        "# Every day, dose and cycle length below is the PlanDefinition's; the JSON path of each is in a comment.",
        "",
        "[schedule]",
        f"id = {toml_string(slug(title))}",
        f"title = {toml_string(title)}",
        f"indication = {toml_string(indication.strip())}",
        f"last_checked = {when}",
    ]
    if linked:
        lines.append(f"canonical = {toml_string(linked + (f'|{version}' if version else ''))}")
    notes = [
        say(
            "fhir.note_imported",
            cited=cited,
        ),
        *notes,
    ]
    agents: dict[str, tuple[Medicine, tuple[str, ...], list[str]]] = {}
    ids: dict[int, list[str]] = {}
    for c in cycles:
        for m in c.medicines:
            base = slug(m.name.split(" (")[0])
            mine: list[str] = []
            count = len(m.times) if not daily else 1
            for k in range(count):
                ident = base if count == 1 else f"{base}-{k + 1}"
                times = m.times if count == 1 else (m.times[k],)
                while ident in agents and (agents[ident][1], agents[ident][0].route) != (times, m.route):
                    ident += "-x"
                if ident in agents:
                    agents[ident][2].extend(x for x in m.instructions if x not in agents[ident][2])
                else:
                    agents[ident] = (m, times, list(m.instructions))
                mine.append(ident)
            ids[id(m)] = mine
    if any(m.defaults for c in cycles for m in c.medicines):
        notes.append(
            say(
                "fhir.note_defaults",
            )
        )
    if not daily and any(len(m.times) > 1 for c in cycles for m in c.medicines):
        notes.append(
            say(
                "fhir.note_split",
            )
        )
    lines.append(f"notes = {_strings(notes)}")
    lines += [
        "",
        "[sources.FHIR]",
        f"title = {toml_string(cited + ' (FHIR PlanDefinition)')}",
        f'date = "{when}"',
    ]
    if linked:
        lines.append(f"url = {toml_string(linked)}")
    for name, said in prn:
        text = say(
            "fhir.patient_left_out",
            name=name,
            said=said,
        )
        lines += ["", "[[patient_notes]]", f"text = {toml_string(text)}", 'source = "FHIR"']
    for ident, (m, times, instructions) in agents.items():
        why = (
            say(
                "fhir.times_default",
                words=m.frequency,
            )
            if m.defaults
            else say("fhir.times_given", words=m.frequency)
        )
        lines += [
            "",
            f"# {m.path}: {m.name}, {m.frequency}, {m.route}",
            f"[agents.{ident}]",
            f"name = {toml_string(m.name[:1].upper() + m.name[1:])}",
            f"route = {toml_string(m.route)}",
            f"times = [{', '.join(toml_string(t) for t in times)}]",
            f"times_note = {toml_string(why)}",
        ]
        if instructions:
            lines += [f"instructions = {_strings(instructions)}", 'source = "FHIR"']
        if daily:
            lines.append("continues = true")
        for system, code, display in m.codes:
            lines += [
                "",
                f"[[agents.{ident}.codes]]",
                f"system = {toml_string(system)}",
                f"code = {toml_string(code)}",
                f"display = {toml_string(display)}",
                'source = "FHIR"',
            ]
    if daily:
        c = cycles[0]
        for m in c.medicines:
            (ident,) = ids[id(m)]
            lines += [
                "",
                f"# {c.path}: '{c.name}' ({c.length} days, all further cycles), every day: taken every day until the care team stops it.",
                "[[daily]]",
                f"agent = {toml_string(ident)}",
                'source = "FHIR"',
                "",
                "  [[daily.steps]]",
                "  from_day = 1",
                f"  dose = {toml_string(m.dose)}",
                '  source = "FHIR"',
            ]
        return "\n".join(lines) + "\n"
    total = 0
    for c in cycles:
        if c.count is not None:
            count = c.count
        else:
            room = (limits.MAX_PLAN_DAYS - total) // c.length
            count = max(1, min(limits.MAX_CYCLES - sum(x.count or 0 for x in cycles), room))
            lines += [
                "",
                f"# {c.path}: 'all further cycles': dosecal plans 1 unless asked (--cycles N), at most {count}.",
                "[[limits]]",
                "when = {}",
                f"most = {sum(x.count or 0 for x in cycles) + count}",
                f"default = {sum(x.count or 0 for x in cycles) + 1}",
                f"reason = {toml_string(say('fhir.limit_reason'))}",
                'source = "FHIR"',
            ]
        total += count * c.length
        last = max((d for m in c.medicines for d in m.days), default=0)
        lines += [
            "",
            f"# {c.path}: {c.length} days, {'all further cycles' if c.count is None else f'{count} cycle(s)'}",
            "[[phases]]",
            f"name = {toml_string(c.name)}",
            f"cycles = {count}",
            f"length = {c.length}",
        ]
        if 0 < last < c.length:
            lines.append(f'rest = "{last + 1}-end"')
        lines.append('source = "FHIR"')
        for m in c.medicines:
            for ident in ids[id(m)]:
                lines += [
                    "",
                    f"  # {m.path}: {m.name} {m.dose}, {m.frequency}",
                    "  [[phases.doses]]",
                    f"  agent = {toml_string(ident)}",
                    f"  days = [{', '.join(str(d) for d in m.days)}]",
                    f"  dose = {toml_string(m.dose)}",
                    '  source = "FHIR"',
                ]
    return "\n".join(lines) + "\n"
