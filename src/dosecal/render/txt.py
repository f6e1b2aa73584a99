"""The text renderer: the plan as a readable list for a terminal or a plain-text printout."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import groupby

from dosecal.expand import horizon
from dosecal.occurrence import Occurrence, Status
from dosecal.plan import Plan, effective_choices
from dosecal.schedule import Schedule
from dosecal.words import say


def _day(d: date) -> str:
    return f"{d:%a} {d.isoformat()}"


def _time(o: Occurrence) -> str:
    if not isinstance(o.start, datetime):
        return say("all_day")
    return f"{o.start:%H:%M}"


def _until(o: Occurrence) -> str:
    """Where a span ends, when it does not end the same day."""
    if isinstance(o.end, datetime) and isinstance(o.start, datetime):
        if o.end.date() != o.start.date() and (o.end - o.start) > timedelta(hours=1):
            return f"  → {_day(o.end.date())} {o.end:%H:%M}"
        return ""
    if isinstance(o.end, date) and (o.end - o.start_date).days > 1:
        return f"  → {_day(o.end - timedelta(days=1))}"
    return ""


def header(schedule: Schedule, plan: Plan) -> list[str]:
    """The lines that head every text rendering of a plan."""
    lines = [
        say("heading.plan", title=schedule.title, id=schedule.id),
        say("heading.start", start=_day(plan.start), zone=plan.timezone),
    ]
    if schedule.phases:
        count = plan.cycles if plan.cycles is not None else schedule.total_cycles
        lines.append(say("heading.cycles", count=count))
    lines.append(say("heading.until", until=_day(horizon(schedule, plan))))
    choices = effective_choices(schedule, plan)
    if choices:
        text = "; ".join(f"{schedule.choices[k].label} = {v}" for k, v in sorted(choices.items()))
        lines.append(say("heading.choices", choices=text))
    if plan.patient:
        lines.append(f"Patient: {plan.patient}")
    lines += ["", say("notice")]
    return lines


def to_txt(occurrences: Sequence[Occurrence], schedule: Schedule, plan: Plan) -> str:
    """Render the plan: header, every event grouped by day, instructions and sources."""
    lines = header(schedule, plan)
    lines.append("")
    for day, group in groupby(occurrences, key=lambda o: o.start_date):
        first = True
        for o in group:
            lead = _day(day) if first else ""
            mark = "CANCELLED " if o.status is Status.CANCELLED else ""
            lines.append(f"{lead:<15}  {o.span_label:<10} {_time(o):<7}  {mark}{o.title}{_until(o)}")
            first = False
    agents = [a for a in schedule.agents.values() if a.instructions or a.missed_dose]
    if agents:
        lines += ["", say("heading.instructions")]
        for a in agents:
            for text in a.instructions:
                lines.append(f"  {a.name}: {text}")
            if a.missed_dose:
                lines.append(f"  {a.name}: {say('note.missed', text=a.missed_dose)}")
    if schedule.notes:
        lines += ["", say("heading.notes")]
        lines += [f"  {note}" for note in schedule.notes]
    lines += ["", say("heading.sources")]
    for s in schedule.sources.values():
        lines.append(f"  [{s.key}] {s.title}" + (f" <{s.url}>" if s.url else ""))
    lines += ["", f"Last checked against the sources: {schedule.last_checked.isoformat()}."]
    lines.append(say("notice"))
    return "\n".join(lines) + "\n"
