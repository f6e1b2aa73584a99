"""The FHIR renderer: a plan as an HL7 FHIR R4 transaction Bundle for an electronic record.

What each resource holds and what is left out is in docs/fhir.md. In short:

- one ``CarePlan`` for the course (status, intent ``plan``, period, title, the notice, the
  schedule's sources and the plan's history as notes), whose activities reference the
  medication requests and hold the hospital stays, visits and tests as ``detail`` entries;
- one ``MedicationRequest`` per drug (intent ``plan``): one ``Dosage`` per dose as written, each
  with a ``Timing`` whose ``event`` lists every planned administration (dose, infusion start
  or restart, premedication) at the JSON output's instants; held and cancelled
  administrations are left out of ``event`` and said in the request's notes.

The Bundle is a ``transaction`` and not a ``collection``: posted to a FHIR server's base, each
entry is a conditional update (``PUT CarePlan?identifier=...``) on an identifier derived from
the plan's UIDs, so a re-export after a change updates the same resources instead of adding
copies, which a collection leaves to each receiver to work out. A file read without a server
is still the whole plan. ``fullUrl`` is ``urn:uuid:`` with a UUID derived from the UID
(uuid5), and resources carry no ``id``: a server assigns its own, and a conditional update
whose body named another id would be refused.

Nothing here reads the clock or draws a random number: the same course gives the same bytes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dosecal.model.adjustments import Hold, Interruption, Stop
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.model.schedule import Agent
from dosecal.render.base import RenderOptions
from dosecal.words import ENGLISH, Content, Language, Seq, msg

#: The identifier system of a URI value (RFC 3986): here ``urn:uuid:`` values.
URI_SYSTEM = "urn:ietf:rfc:3986"

#: UCUM, the system of every quantity's code.
UCUM = "http://unitsofmeasure.org"

#: SNOMED CT, the system of the route codes.
SNOMED = "http://snomed.info/sct"

#: Salts every UUID this module derives, so that they never equal another tool's uuid5 of a UID.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dosecal:fhir")

#: Administrations: what a MedicationRequest's timing lists.
ADMINISTRATIONS = (Kind.DOSE, Kind.INFUSION, Kind.PREMEDICATION)

#: Events the CarePlan holds as activities of its own, with the activity kind FHIR gives them.
#: A "visit" event is an all-day reminder of what the care team sets or decides (D-ALBA's
#: steroid, the response after a cycle), not an appointment: it has no kind, only its words.
ACTIVITY_KINDS: dict[Kind, str | None] = {
    Kind.HOSPITAL: "Appointment",
    Kind.TEST: "ServiceRequest",
    Kind.VISIT: None,
}

#: Units as definitions write them, and their UCUM codes; a dose in another unit is text only.
UNITS = {
    "mg": "mg",
    "mcg": "ug",
    "g": "g",
    "mg/m2": "mg/m2",
    "mcg/m2": "ug/m2",
    "mg/kg": "mg/kg",
    "mcg/kg": "ug/kg",
    "mg/day": "mg/d",
    "mcg/day": "ug/d",
    "mg/m2/day": "mg/m2/d",
    "mcg/m2/day": "ug/m2/d",
}

#: "600 mg", "28 mcg/day", "20 mg IV": an amount and a unit (a route word may follow: the route
#: is coded on its own).
_DOSE = re.compile(r"^(?P<value>\d+(?:\.\d+)?) (?P<unit>[a-z0-9/]+)(?: (?:IV|oral))?$")

#: "0.5 mg/m2 = 0.91 mg for BSA 1.82 m²": a dose per body size with the amount computed for the
#: plan's body size, which is what is given.
_COMPUTED = re.compile(r"^.* = (?P<value>\d+(?:\.\d+)?) (?P<unit>[a-z0-9/]+) for .*$")


def uuid_of(uid: str) -> str:
    """The ``urn:uuid:`` derived from a dosecal UID: the same UID, the same URN, every export."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, uid)}"


def careplan_uid(course: Course) -> str:
    """The UID of the plan's CarePlan, from the plan id that begins every UID of the plan."""
    return f"{course.plan.plan_id(course.schedule)}.course.careplan@dosecal"


def request_uid(course: Course, agent: str) -> str:
    """The UID of one drug's MedicationRequest."""
    return f"{course.plan.plan_id(course.schedule)}.{agent}.medicationrequest@dosecal"


def _when(value: date | datetime) -> str:
    """A FHIR date or dateTime: the JSON output's text for the same value."""
    return value.isoformat()


def quantity(dose: str) -> dict[str, Any] | None:
    """The dose as a FHIR Quantity with its UCUM code, or ``None`` when it does not map.

    The English text as the definition writes it is read, never a translation, so a decimal
    comma cannot be misread; anything but an amount and a known unit ("as prescribed",
    "100 mg IV (or equivalent, ...)") stays text only, nothing guessed.

    >>> quantity("28 mcg/day")
    {'value': 28, 'unit': 'mcg/day', 'system': 'http://unitsofmeasure.org', 'code': 'ug/d'}
    >>> quantity("as prescribed") is None
    True
    """
    found = _DOSE.match(dose) or _COMPUTED.match(dose)
    if found is None or found["unit"] not in UNITS:
        return None
    text = found["value"]
    value: int | float = float(text) if "." in text else int(text)
    return {"value": value, "unit": found["unit"], "system": UCUM, "code": UNITS[found["unit"]]}


def route(agent: Agent, lang: Language) -> dict[str, Any]:
    """The route as the definition writes it, coded in SNOMED CT where it is one route."""
    words = agent.route.lower()
    concept: dict[str, Any] = {"text": lang.content(agent.route)}
    if words == "oral":
        concept["coding"] = [{"system": SNOMED, "code": "26643006", "display": "Oral route"}]
    elif " or " not in words and ("iv" in words.split() or "intravenous" in words):
        concept["coding"] = [{"system": SNOMED, "code": "47625008", "display": "Intravenous route"}]
    return concept


@dataclass(frozen=True, slots=True)
class _Entry:
    """One Bundle entry before it is written: its type, UID and resource."""

    kind: str
    uid: str
    resource: dict[str, Any]

    def json(self) -> dict[str, Any]:
        """The entry as the Bundle holds it: fullUrl, resource and its conditional update."""
        urn = uuid_of(self.uid)
        return {
            "fullUrl": urn,
            "resource": self.resource,
            "request": {"method": "PUT", "url": f"{self.kind}?identifier={URI_SYSTEM}|{urn}"},
        }


def _identifier(uid: str) -> list[dict[str, str]]:
    """A resource's identifier: its UID's URN, on which a re-export updates it."""
    return [{"system": URI_SYSTEM, "value": uuid_of(uid)}]


def _period(o: Occurrence) -> dict[str, str]:
    """An event's period; FHIR's end includes its day, so an all-day span ends the day before."""
    if isinstance(o.start, datetime):
        return {"start": _when(o.start), "end": _when(o.end)}
    last = o.end_date - timedelta(days=1)
    return {"start": _when(o.start), "end": _when(max(last, o.start_date))}


def _history(course: Course, agent: str, lang: Language) -> list[dict[str, str]]:
    """The plan's history as it concerns one drug, a note each: holds, stops, restarts, changes."""
    mine = [o for o in course if o.agent == agent and o.kind in ADMINISTRATIONS]
    held = {(o.cycle, o.day) for o in mine if o.status is Status.CANCELLED}
    infused = {o.cycle for o in mine if o.kind is Kind.INFUSION}
    notes = []
    for a in course.plan.adjustments:
        if isinstance(a, Hold):
            concerns = (a.cycle, a.day) in held and a.agent in (None, agent)
        elif isinstance(a, Interruption):
            concerns = a.cycle in infused
        elif isinstance(a, Stop):
            concerns = True
        else:
            concerns = getattr(a, "agent", None) == agent
        if concerns:
            notes.append({"text": lang.text(a.describe(course.schedule))})
    return notes


def _dosages(course: Course, agent: Agent, lang: Language) -> list[dict[str, Any]]:
    """One Dosage per dose as written, in the order first given, each timing its planned starts."""
    groups: dict[str, list[Occurrence]] = {}
    for o in course:
        if o.agent == agent.id and o.kind in ADMINISTRATIONS and o.status is Status.PLANNED:
            groups.setdefault(lang.text(o.dose_text) if o.dose_text is not None else "", []).append(o)
    dosages = []
    instructions = tuple(Content(text) for text in agent.instructions)
    for n, (text, given) in enumerate(groups.items(), 1):
        dosage: dict[str, Any] = {"sequence": n}
        if text:
            dosage["text"] = text
        if instructions:
            dosage["patientInstruction"] = lang.text(msg("note.instructions", text=Seq(instructions)))
        dosage["timing"] = {"event": [_when(o.start) for o in given]}
        dosage["route"] = route(agent, lang)
        english = ENGLISH.text(given[0].dose_text) if given[0].dose_text is not None else ""
        amount = quantity(english)
        if amount is not None:
            rate = amount["unit"].endswith("/day")
            dosage["doseAndRate"] = [{"rateQuantity" if rate else "doseQuantity": amount}]
        dosages.append(dosage)
    return dosages


def concept(agent: Agent, name: str) -> dict[str, Any]:
    """The drug as a CodeableConcept: its name, and its codes where the definition cites them.

    A record matches a drug by its code; dosecal writes only the codes a source gave.
    """
    coded = [{"system": c.system, "code": c.code, "display": c.display} for c in agent.codes]
    return {"coding": coded, "text": name} if coded else {"text": name}


def _request(uid: str, careplan: str, status: str, drug: dict[str, Any], lang: Language) -> dict[str, Any]:
    """A MedicationRequest's elements that every drug's has: who, what, and the CarePlan it belongs to."""
    return {
        "resourceType": "MedicationRequest",
        "language": lang.code,
        "identifier": _identifier(uid),
        "status": status,
        "intent": "plan",
        "medicationCodeableConcept": drug,
        "subject": {"type": "Patient"},
        "basedOn": [{"reference": uuid_of(careplan)}],
        "groupIdentifier": _identifier(careplan)[0],
    }


def _requests(course: Course, careplan: str, lang: Language) -> list[_Entry]:
    """One MedicationRequest per drug the plan gives, in the schedule's order of drugs.

    Then one, stopped, per drug an older definition of the plan gave (``store upgrade``
    records them): a server keeps a resource it no longer receives, so a request that is no
    longer planned is sent as stopped rather than left out.
    """
    stopped = any(isinstance(a, Stop) for a in course.plan.adjustments)
    given = {o.agent for o in course if o.kind in ADMINISTRATIONS}
    entries = []
    for agent in course.schedule.agents.values():
        if agent.id not in given:
            continue
        uid = request_uid(course, agent.id)
        resource = _request(
            uid, careplan, "stopped" if stopped else "active", concept(agent, lang.content(agent.name)), lang
        )
        if notes := _history(course, agent.id, lang):
            resource["note"] = notes
        if dosages := _dosages(course, agent, lang):
            resource["dosageInstruction"] = dosages
        entries.append(_Entry("MedicationRequest", uid, resource))
    for agent_id, name in sorted(course.plan.withdrawn.items()):
        if agent_id in given:
            continue
        uid = request_uid(course, agent_id)
        resource = _request(uid, careplan, "stopped", {"text": lang.content(name)}, lang)
        resource["note"] = [{"text": lang.say("fhir.withdrawn")}]
        entries.append(_Entry("MedicationRequest", uid, resource))
    return entries


def _activity(o: Occurrence, lang: Language) -> dict[str, Any]:
    """A stay, test or reminder as a CarePlan activity, its element id derived from its UID."""
    kind = ACTIVITY_KINDS[o.kind]
    return {
        "id": uuid_of(o.uid).removeprefix("urn:uuid:"),
        "detail": {
            **({"kind": kind} if kind is not None else {}),
            "status": "cancelled" if o.status is Status.CANCELLED else "scheduled",
            "description": lang.text(o.summary_text),
            "scheduledPeriod": _period(o),
        },
    }


def _careplan(course: Course, requests: Sequence[_Entry], lang: Language) -> _Entry:
    """The course's CarePlan: what it is for, when, its history, and its activities."""
    schedule, plan = course.schedule, course.plan
    uid = careplan_uid(course)
    sources = Seq(
        tuple(
            msg("source.numbered", number=n, title=Seq((Content(src.title), src.dated), ""))
            for n, src in enumerate(schedule.sources.values(), 1)
        ),
        "; ",
    )
    notes: Iterable[str] = (
        lang.say("notice"),
        lang.say("note.sources", keys=sources),
        *(lang.text(a.describe(schedule)) for a in plan.adjustments),
    )
    activities = [{"reference": {"reference": uuid_of(r.uid)}} for r in requests]
    activities += [_activity(o, lang) for o in course if o.kind in ACTIVITY_KINDS]
    stopped = any(isinstance(a, Stop) for a in plan.adjustments)
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "language": lang.code,
        "identifier": _identifier(uid),
        **({"instantiatesCanonical": [schedule.canonical]} if schedule.canonical else {}),
        "status": "revoked" if stopped else "active",
        "intent": "plan",
        "title": lang.content(schedule.title),
        "description": lang.content(course.indication),
        "subject": {"type": "Patient"},
        "period": {"start": _when(plan.start), "end": _when(course.horizon)},
        "activity": activities,
        "note": [{"text": text} for text in notes],
    }
    return _Entry("CarePlan", uid, resource)


def bundle(course: Course, *, lang: Language = ENGLISH) -> dict[str, Any]:
    """The plan as a FHIR R4 transaction Bundle (a dict ready for :func:`json.dumps`)."""
    requests = _requests(course, careplan_uid(course), lang)
    entries = [_careplan(course, requests, lang), *requests]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [e.json() for e in entries]}


def to_fhir(course: Course, *, lang: Language = ENGLISH) -> str:
    """The Bundle as JSON text, keys in the order written, ending with a newline."""
    return json.dumps(bundle(course, lang=lang), indent=2, ensure_ascii=False) + "\n"


def render(course: Course, options: RenderOptions) -> bytes:
    """The FHIR Bundle (see :func:`to_fhir`)."""
    return to_fhir(course, lang=options.lang).encode()
