"""The text renderer: a course timeline that fits the terminal, then every event by day.

Colour is opt-in (the CLI turns it on for a terminal, never when NO_COLOR is set); each lane
has its own character too, so nothing depends on colour.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from itertools import groupby

from dosecal.course import Course
from dosecal.occurrence import Kind, Occurrence, Status
from dosecal.render.base import RenderOptions
from dosecal.render.layout import Layout
from dosecal.words import say

_ANSI = {"bold": "1", "dim": "2", "blue": "34", "yellow": "33", "cyan": "36", "green": "32"}
#: Lane characters: full, partial.
_LANES = {
    Kind.INFUSION: ("█", "blue"),
    Kind.HOSPITAL: ("▓", "yellow"),
    Kind.REST: ("░", "dim"),
    Kind.DOSE: ("●", "cyan"),
}
_LABEL = 14


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_ANSI[style]}m{text}\x1b[0m" if color and text.strip() else text


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


def reader_notes(course: Course, indent: str) -> list[str]:
    """What a patient must know, as text: when to call, each drug's rules, notes on the plan."""
    schedule = course.schedule
    lines: list[str] = []
    warnings = [(a, x) for a in schedule.agents.values() for x in a.advice if x.warning]
    if warnings:
        lines += [say("heading.when_to_call")]
        lines += [f"{indent}{a.short_name}: {x.text}" for a, x in warnings]
        lines.append("")
    rules = [a for a in schedule.agents.values() if a.instructions or a.missed_dose or a.advice or a.oral]
    if rules:
        lines.append(say("heading.instructions"))
        for a in rules:
            for text in a.instructions:
                lines.append(f"{indent}{a.name}: {text}")
            if a.missed_dose:
                lines.append(f"{indent}{a.name}: {say('note.missed', text=a.missed_dose)}")
            elif a.oral:
                lines.append(f"{indent}{a.name}: {say('note.missed_unknown')}")
            lines += [f"{indent}{a.name}: {x.text}" for x in a.advice if not x.warning]
            if a.continues:
                lines.append(f"{indent}{a.name}: {say('note.keep_taking', agent=a.short_name)}")
    notes = [x.text for x in schedule.patient_notes] + list(course.beyond_limits())
    if notes:
        lines += ["", say("heading.notes")] + [f"{indent}{n}" for n in notes]
    return lines


def header(course: Course) -> list[str]:
    """The lines that head every text rendering of a plan."""
    schedule, plan = course.schedule, course.plan
    lines = [
        say("heading.plan", title=schedule.title, id=schedule.id),
        say("heading.start", start=_day(plan.start), zone=plan.timezone),
    ]
    choices = course.choices
    if course.planned_cycles is not None:
        lines.append(say("heading.cycles", count=course.planned_cycles))
    lines.append(say("heading.until", until=_day(course.horizon)))
    if choices:
        text = "; ".join(
            f"{schedule.choices[k].label}: {schedule.choices[k].words(v)}" for k, v in sorted(choices.items())
        )
        lines.append(say("heading.choices", choices=text))
    if plan.patient:
        lines.append(f"Patient: {plan.patient}")
    if plan.adjustments:
        lines += ["", say("heading.changes")]
        lines += [
            f"  {i}. {a.describe(schedule)}" + (f" ({a.note})" if a.note else "")
            for i, a in enumerate(plan.adjustments, 1)
        ]
    lines += ["", say("notice")]
    return lines


def timeline(layout: Layout, width: int, color: bool) -> list[str]:
    """The course as lanes of characters, one column per few days, fitting ``width``."""
    total = (layout.last - layout.first).days + 1
    cols = max(width - _LABEL - 1, 10)
    per = max(math.ceil(total / cols), 1)
    cols = math.ceil(total / per)

    def col(d: date) -> int:
        return (d - layout.first).days // per

    lanes: list[tuple[str, Kind, set[int]]] = []
    agents = list(
        dict.fromkeys(o.agent for o in layout.occurrences if o.agent and o.kind in (Kind.DOSE, Kind.INFUSION))
    )
    for agent in agents:
        name = layout.schedule.agents[agent].name.split(" (")[0].split()[0]
        mine = [o for o in layout.occurrences if o.agent == agent and o.status is Status.PLANNED]
        kind = Kind.INFUSION if any(o.kind is Kind.INFUSION for o in mine) else Kind.DOSE
        marks = {col(d) for o in mine if o.kind in (Kind.INFUSION, Kind.DOSE) for d in o.dates}
        lanes.append((name, kind, marks))
    for kind, name in ((Kind.HOSPITAL, "Hospital"), (Kind.REST, "Treatment-free")):
        marks = {
            col(d)
            for o in layout.occurrences
            if o.kind is kind and o.status is Status.PLANNED
            for d in o.dates
        }
        if marks:
            lanes.append((name, kind, marks))
    months = [" "] * cols
    for year, month in layout.months():
        c = col(max(date(year, month, 1), layout.first))
        text = date(year, month, 1).strftime("%b %Y" if month == 1 or c == 0 else "%b")
        if all(ch == " " for ch in months[max(c - 1, 0) : c + len(text) + 1]):
            months[c : c + len(text)] = list(text)
    out = [_paint(f"Course overview (one column = {per} day{'s' if per > 1 else ''})", "bold", color)]
    out.append(" " * (_LABEL + 1) + "".join(months).rstrip())
    for name, kind, marks in lanes:
        char, style = _LANES[kind]
        row = "".join(char if c in marks else " " for c in range(cols))
        out.append(f"{name[:_LABEL]:<{_LABEL}} " + _paint(row.rstrip(), style, color))
    if layout.cycles:
        axis = [" "] * cols
        for n, _, first, _ in layout.cycles:
            c = col(first)
            text = f"C{n}"
            if all(ch == " " for ch in axis[max(c - 1, 0) : c + len(text)]):
                axis[c : c + len(text)] = list(text)
        out.append(f"{'Cycles':<{_LABEL}} " + "".join(axis).rstrip())
        out.append("")
        rows = layout.rows()
        wide = min(max(len(r.phase) for r in rows), 34)
        for r in rows:
            out.append(
                f"C{r.number:<3}{r.phase[:wide]:<{wide}}  {_day(r.first)} – {_day(r.last)}  "
                f"treatment {r.treatment or '-'}; treatment-free {r.rest or '-'}"
                + (f"; hospital {r.hospital}" if r.hospital else "")
            )
    return out


def to_txt(
    course: Course,
    *,
    width: int = 100,
    color: bool = False,
) -> str:
    """Render the plan: header, course timeline, every event by day, instructions and sources.

    Args:
        course: what :func:`dosecal.expand.expand` returned.
        width: the columns the timeline may use (the terminal's width).
        color: whether to add ANSI colours (never for files).
    """
    schedule = course.schedule
    lines = header(course)
    lines.append("")
    lines += timeline(Layout(course), width, color)
    lines.append("")
    for day, group in groupby(course, key=lambda o: o.start_date):
        first = True
        for o in group:
            lead = _day(day) if first else ""
            mark = ""
            if o.status is Status.CANCELLED:
                mark = say("held" if o.kind is Kind.DOSE else "cancelled") + " "
            was = f"  ({say('was', date=_day(o.moved_from))})" if o.moved_from is not None else ""
            lines.append(f"{lead:<15}  {o.span_label:<10} {_time(o):<7}  {mark}{o.title}{_until(o)}{was}")
            first = False
    lines += ["", *reader_notes(course, "  ")]
    lines += ["", say("heading.sources")]
    for s in schedule.sources.values():
        lines.append(f"  {s.title}" + (f" <{s.url}>" if s.url else ""))
    lines += ["", f"Last checked against the sources: {schedule.last_checked.isoformat()}."]
    lines.append(say("notice"))
    return "\n".join(lines) + "\n"


def render(course: Course, options: RenderOptions) -> bytes:
    """The text plan (see :func:`to_txt`)."""
    return to_txt(course, width=options.width, color=options.color).encode()
