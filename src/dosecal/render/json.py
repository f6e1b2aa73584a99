"""The JSON renderer: the document for other programs described in docs/json.md."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from dosecal.model.course import Course
from dosecal.model.occurrence import Occurrence
from dosecal.model.plan import agent_times
from dosecal.render.base import RenderOptions
from dosecal.words import ENGLISH, Language


def _when(value: date | datetime) -> str:
    """``YYYY-MM-DD`` for all-day events, ``YYYY-MM-DDTHH:MM:SS+HH:MM`` for timed ones."""
    return value.isoformat()


def event_record(o: Occurrence, lang: Language = ENGLISH) -> dict[str, Any]:
    """One event as the JSON contract describes it (plus ``label`` and ``sequence``)."""
    return {
        "uid": o.uid,
        "kind": o.kind.value,
        "agent": o.agent,
        "phase": o.phase,
        "cycle": o.cycle,
        "day": o.day,
        "label": o.label,
        "title": lang.text(o.summary_text),
        "dose": lang.text(o.dose_text) if o.dose_text is not None else None,
        "all_day": o.all_day,
        "start": _when(o.start),
        "end": _when(o.end),
        "status": o.status.value,
        "sequence": o.sequence,
        "notes": lang.lines(o.note_parts) if o.note_parts else None,
        "moved_from": o.moved_from.isoformat() if o.moved_from else None,
        "window": {"earliest": o.window[0].isoformat(), "latest": o.window[1].isoformat()}
        if o.window is not None
        else None,
        "supervised": o.supervised,
    }


def plan_record(course: Course, lang: Language = ENGLISH) -> dict[str, Any]:
    """The plan as applied: explicit values and the schedule's defaults they fell back to."""
    schedule, plan, choices = course.schedule, course.plan, dict(course.choices)
    return {
        "id": plan.plan_id(schedule),
        "start": plan.start.isoformat(),
        "timezone": plan.timezone,
        "until": course.horizon.isoformat(),
        "cycles": course.planned_cycles,
        "times": {
            agent: [t.strftime("%H:%M") for t in times]
            for agent, times in agent_times(schedule, plan).items()
            if times
        },
        "choices": choices,
        "adjustments": [lang.text(a.describe(schedule)) for a in plan.adjustments],
        # The language of every text meant for a reader (titles, notes, adjustments).
        "language": lang.code,
    }


def to_json(course: Course, *, lang: Language = ENGLISH) -> str:
    """Render the plan as JSON text, keys in contract order, ending with a newline."""
    schedule = course.schedule
    doc = {
        "schedule": {
            "id": schedule.id,
            "title": schedule.title,
            "indication": schedule.indication,
            "last_checked": schedule.last_checked.isoformat(),
            "sources": [
                {"key": s.key, "title": s.title, "date": s.date, "url": s.url}
                for s in schedule.sources.values()
            ],
        },
        "plan": plan_record(course, lang),
        "notice": lang.say("notice"),
        "events": [event_record(o, lang) for o in course],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(course: Course, options: RenderOptions) -> bytes:
    """The JSON document (see :func:`to_json`)."""
    return to_json(course, lang=options.lang).encode()
