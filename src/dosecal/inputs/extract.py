"""What a translator translates from a schedule definition, for Babel's extraction.

A definition's reader-facing text (names, instructions, warnings, choices and their
explanations, the reasons for cycle limits, doses, source titles, the clinician notes)
reaches outputs as :class:`~dosecal.words.Content`, translated under the gettext context
``schedule``. :func:`extract_schedule` is a Babel extraction method, so that one
``pybabel extract`` puts it in the same catalogue as the messages (see docs/translating.md).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from dosecal.inputs.definitions import loads
from dosecal.model.rules import Check, CycleDose, Infusion, Premedication, Stay
from dosecal.model.schedule import Schedule, brief_written
from dosecal.words import CONTENT

_UNIT = re.compile(r"^\s*\d+(?:\.\d+)?\s*(?P<unit>mg|mcg|g)/m2(?P<per>/day)?")


def schedule_texts(schedule: Schedule) -> Iterator[str]:
    """Every text of ``schedule`` that a reader may see, each once, in file order."""
    seen: set[str] = set()

    def once(*texts: str | None) -> Iterator[str]:
        for text in texts:
            if text and text not in seen:
                seen.add(text)
                yield text

    yield from once(schedule.title, schedule.indication)
    for a in schedule.agents.values():
        yield from once(a.name, a.short_name, a.short_name.lower(), a.route, a.times_note, a.missed_dose)
        yield from once(a.brief, a.brief.lower() if a.brief else None)
        yield from once(*a.instructions, *(x.text for x in a.advice))
    for note in (*schedule.patient_notes, *schedule.care_team, *schedule.indications):
        yield from once(note.text)
    for check in schedule.checks:
        yield from once(check.title, check.short, check.text)
    for c in schedule.choices.values():
        yield from once(c.label, *(c.words(o) for o in c.options), *c.refused.values(), c.note)
    for limit in schedule.limits:
        yield from once(limit.reason, limit.beyond_default)
    for r in schedule.reminders:
        yield from once(r.title, r.short, r.text)
    doses = [step.dose for d in schedule.daily for step in d.steps]
    for phase in schedule.phases:
        yield from once(phase.name)
        for rule in phase.rules:
            if isinstance(rule, CycleDose):
                doses.append(rule.dose)
                yield from once(rule.window_note)
            elif isinstance(rule, Infusion):
                doses += [step.dose for step in rule.steps]
                doses += [rule.toxicity_restart] if rule.toxicity_restart else []
            elif isinstance(rule, Premedication):
                doses.append(rule.dose)
            elif isinstance(rule, Check):
                yield from once(rule.title, rule.short, rule.text)
            elif isinstance(rule, Stay):
                yield from once(rule.text)
    for dose in doses:
        yield from once(dose, brief_written(dose))
        m = _UNIT.match(dose)
        if m is not None:  # the unit of the amount computed for a body size
            yield from once(m.group("unit") + (m.group("per") or ""))
    for src in schedule.sources.values():
        yield from once(src.title)
    yield from once(*schedule.notes)  # the clinician notes `dosecal show` ends with


def extract_schedule(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extraction method for schedule definitions (``[dosecal.inputs.extract:extract_schedule: ...]``).

    Yields each text as a ``pgettext`` call in the ``schedule`` context.
    """
    del keywords, comment_tags, options  # Babel's signature; nothing here depends on them
    name = getattr(fileobj, "name", "schedule.toml")
    schedule = loads(fileobj.read().decode("utf-8"), str(name))
    for text in schedule_texts(schedule):
        yield 1, "pgettext", (CONTENT, text), [f"schedule {schedule.id}"]
