"""The text renderer: a course timeline that fits the terminal, then every event by day.

Colour is opt-in (the CLI turns it on for a terminal, never when NO_COLOR is set); each lane
has its own character too, so nothing depends on colour.
"""

from __future__ import annotations

import math
import textwrap
from datetime import date, datetime, timedelta
from itertools import groupby

from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.render.base import RenderOptions
from dosecal.render.layout import Layout, called_off
from dosecal.words import ENGLISH, Content, Language, Seq, Value, msg

_ANSI = {"bold": "1", "dim": "2", "blue": "34", "yellow": "33", "cyan": "36", "green": "32"}
#: Lane characters: full, partial.
_LANES = {
    Kind.INFUSION: ("█", "blue"),
    Kind.HOSPITAL: ("▓", "yellow"),
    Kind.REST: ("░", "dim"),
    Kind.DOSE: ("●", "cyan"),
}
_LABEL = 14


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` after ``first``, wrapped at ``width`` with the next lines indented by ``rest``."""
    return textwrap.wrap(
        text,
        width=max(width, len(first) + 20),
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_ANSI[style]}m{text}\x1b[0m" if color and text.strip() else text


def _time(o: Occurrence, lang: Language) -> str:
    if not isinstance(o.start, datetime):
        return lang.say("all_day")
    return lang.clock(o.start)


def _until(o: Occurrence, lang: Language) -> str:
    """Where a span ends, when it does not end the same day."""
    if isinstance(o.end, datetime) and isinstance(o.start, datetime):
        if o.end.date() != o.start.date() and (o.end - o.start) > timedelta(hours=1):
            return "  " + lang.say("arrow", end=f"{lang.date(o.end.date())} {lang.clock(o.end)}")
        return ""
    if isinstance(o.end, date) and (o.end - o.start_date).days > 1:
        return "  " + lang.say("arrow", end=o.end - timedelta(days=1))
    return ""


def reader_notes(course: Course, indent: str, lang: Language = ENGLISH) -> list[str]:
    """What a patient must know, as text: when to call, each drug's rules, notes on the plan."""
    schedule = course.schedule
    lines: list[str] = []

    def line(agent: str, text: Value) -> str:
        return indent + lang.say("line.agent", agent=Content(agent), text=text)

    lines += [lang.say("heading.when_to_call")]
    lines += [
        indent
        + lang.say(
            "line.agent_emergency" if x.emergency else "line.agent",
            agent=Content(a.short_name),
            text=Content(x.text),
        )
        for a, x in course.warnings()
    ]
    lines += [indent + lang.text(course.fever_line())]
    lines += [
        indent + lang.say("line.contact", kind=msg(f"contact.{kind}"), number=course.plan.contacts[kind])
        for kind in course.contacts
        if course.plan.contacts.get(kind)
    ]
    lines.append("")
    rules = [a for a in schedule.agents.values() if a.instructions or a.missed_dose or a.advice or a.oral]
    if rules:
        lines.append(lang.say("heading.instructions"))
        for a in rules:
            lines += [line(a.name, Content(text)) for text in a.instructions]
            if a.missed_dose:
                lines.append(line(a.name, msg("note.missed", text=Content(a.missed_dose))))
            elif a.oral:
                lines.append(line(a.name, msg("note.missed_unknown")))
            lines += [line(a.name, Content(x.text)) for x in a.advice if not x.warning]
            if a.continues:
                lines.append(line(a.name, msg("note.keep_taking", agent=Content(a.short_name))))
    notes = [lang.content(x.text) for x in course.patient_notes()] + [
        lang.content(t) for t in course.beyond_limits()
    ]
    if notes:
        lines += ["", lang.say("heading.notes")] + [f"{indent}{n}" for n in notes]
    planned = course.care_team()
    if planned:
        lines += ["", lang.say("heading.care_team")] + [f"{indent}{lang.content(x.text)}" for x in planned]
    if any("/m2" in (o.dose or "") for o in course) and course.plan.height_cm and course.plan.weight_kg:
        lines += [
            "",
            lang.say("note.per_m2", formula=msg("formula.mosteller"), rounding=msg("formula.rounding")),
        ]
    return lines


def header(course: Course, lang: Language = ENGLISH) -> list[str]:
    """The lines that head every text rendering of a plan."""
    schedule, plan = course.schedule, course.plan
    lines = [
        lang.say("heading.plan", title=Content(schedule.title), id=schedule.id),
        lang.say("heading.start", start=plan.start, zone=plan.timezone),
    ]
    choices = course.choices
    if course.planned_cycles is not None:
        lines.append(lang.say("heading.cycles", count=course.planned_cycles))
    lines.append(lang.say("heading.until", until=course.horizon))
    if choices:
        listed = tuple(
            msg(
                "choice",
                label=Content(schedule.choices[k].label),
                value=Content(schedule.choices[k].words(v)),
            )
            for k, v in sorted(choices.items())
        )
        lines.append(lang.say("heading.choices", choices=Seq(listed, "; ")))
    if plan.patient:
        lines.append(lang.say("heading.patient", patient=plan.patient))
    if plan.adjustments:
        lines += ["", lang.say("heading.changes")]
        lines += [
            f"  {i}. {lang.text(a.describe(schedule))}" + (f" ({a.note})" if a.note else "")
            for i, a in enumerate(plan.adjustments, 1)
        ]
    lines += ["", lang.say("notice")]
    return lines


def timeline(layout: Layout, width: int, color: bool, lang: Language = ENGLISH) -> list[str]:
    """The course as lanes of characters, one column per few days, fitting ``width``."""
    total = (layout.last - layout.first).days + 1
    # The lanes' names take the width the longest needs (French "Sans traitement"), 14 at least.
    continuing = any(layout.schedule.agents[d.agent].continues for d in layout.schedule.daily)
    names = [lang.content(layout.schedule.agents[a].short_name).split()[0] for a in layout.drugs]
    names += [
        lang.say(key) for key in ("lane.hospital", "lane.break" if continuing else "lane.rest", "lane.cycles")
    ]
    label_w = min(max(_LABEL, *(len(n) for n in names)), 20)
    cols = max(width - label_w - 1, 10)
    per = max(math.ceil(total / cols), 1)
    cols = math.ceil(total / per)

    def col(d: date) -> int:
        return (d - layout.first).days // per

    lanes: list[tuple[str, Kind, set[int]]] = []
    for agent in layout.drugs:
        name = lang.content(layout.schedule.agents[agent].short_name).split()[0]
        mine = [o for o in layout.occurrences if o.agent == agent and o.status is Status.PLANNED]
        kind = Kind.INFUSION if any(o.kind is Kind.INFUSION for o in mine) else Kind.DOSE
        marks = {col(d) for o in mine if o.kind in (Kind.INFUSION, Kind.DOSE) for d in o.dates}
        lanes.append((name, kind, marks))
    for kind, key in (
        (Kind.HOSPITAL, "lane.hospital"),
        (Kind.REST, "lane.break" if continuing else "lane.rest"),
    ):
        marks = {
            col(d)
            for o in layout.occurrences
            if o.kind is kind and o.status is Status.PLANNED
            for d in o.dates
        }
        if marks:
            lanes.append((lang.say(key), kind, marks))
    # Every month is labelled: on one row where the labels fit, else on the first of two or
    # three rows where each label has room.
    rows_of_months: list[list[str]] = []
    span = max(cols, width - label_w - 1)  # a label may run past the last column, not the window
    for count in (1, 2, 3):
        rows_of_months = [[" "] * span for _ in range(count)]
        fitted = True
        for year, month in layout.months():
            c = col(max(date(year, month, 1), layout.first))
            text = lang.month(date(year, month, 1), year=month == 1 or c == 0)
            free = [
                row
                for row in rows_of_months
                if c + len(text) <= span and all(ch == " " for ch in row[max(c - 1, 0) : c + len(text) + 1])
            ]
            if free:
                free[0][c : c + len(text)] = list(text)
            else:
                fitted = False
        if fitted:
            break
    title = lang.say("heading.overview", count=per) if per > 1 else lang.say("heading.overview_one")
    out = [_paint(title, "bold", color)]
    out += [" " * (label_w + 1) + "".join(row).rstrip() for row in rows_of_months]
    for name, kind, marks in lanes:
        char, style = _LANES[kind]
        row = "".join(char if c in marks else " " for c in range(cols))
        out.append(f"{name[:label_w]:<{label_w}} " + _paint(row.rstrip(), style, color))
    if layout.cycles:
        axis = [" "] * cols
        for n, _, first, _ in layout.cycles:
            c = col(first)
            text = lang.say("label.cycle", cycle=n)
            if all(ch == " " for ch in axis[max(c - 1, 0) : c + len(text)]):
                axis[c : c + len(text)] = list(text)
        out.append(f"{lang.say('lane.cycles'):<{label_w}} " + "".join(axis).rstrip())
        out.append("")
        rows = layout.rows()
        phases = [lang.content(r.phase) for r in rows]
        wide = min(max(len(p) for p in phases), 34)
        for r, phase in zip(rows, phases, strict=True):
            cycle = lang.say("label.cycle", cycle=r.number)
            out.append(
                f"{cycle:<4}{phase[:wide]:<{wide}}  {lang.date(r.first)} – {lang.date(r.last)}  "
                + lang.say(
                    "overview.row_continue" if continuing else "overview.row",
                    treatment=r.treatment or "-",
                    rest=r.rest or "-",
                )
                + (lang.say("overview.hospital", hospital=r.hospital) if r.hospital else "")
            )
    return out


def to_txt(
    course: Course,
    *,
    width: int = 100,
    color: bool = False,
    lang: Language = ENGLISH,
) -> str:
    """Render the plan: header, course timeline, every event by day, instructions and sources.

    Args:
        course: what :func:`dosecal.core.expand.expand` returned.
        width: the columns the timeline may use (the terminal's width).
        color: whether to add ANSI colours (never for files).
        lang: the language of everything it says.
    """
    schedule = course.schedule
    lines = header(course, lang)
    lines.append("")
    lines += timeline(Layout(course), width, color, lang)
    lines.append("")
    # Columns as wide as this plan's longest date, label and time need ("mer. 15 sept. 2027").
    date_w = max([15, *(len(lang.date(o.start_date)) for o in course)])
    label_w = max([10, *(len(lang.text(o.span_label_text)) for o in course)])
    time_w = max([7, *(len(_time(o, lang)) for o in course)])
    for day, group in groupby(course, key=lambda o: o.start_date):
        first = True
        for o in group:
            lead = lang.date(day) if first else ""
            word = called_off(o, lang)
            mark = f"{word} " if word is not None else ""
            was = f"  ({lang.say('was', date=o.moved_from)})" if o.moved_from is not None else ""
            label = lang.text(o.span_label_text)
            title = lang.text(o.title_text)
            head = f"{lead:<{date_w}}  {label:<{label_w}} {_time(o, lang):<{time_w}}  "
            lines += _wrap(f"{mark}{title}{_until(o, lang)}{was}", width, head, " " * len(head))
            first = False
    lines += ["", *reader_notes(course, "  ", lang)]
    lines += ["", lang.say("heading.sources")]
    for s in schedule.sources.values():
        lines.append(f"  {lang.content(s.title)}{s.dated}" + (f" <{s.url}>" if s.url else ""))
    lines += ["", lang.say("heading.last_checked", date=schedule.last_checked.isoformat())]
    lines.append(lang.say("notice"))
    return (
        "\n".join(
            out for line in lines for out in (_wrap(line, width, "", "  ") if len(line) > width else [line])
        )
        + "\n"
    )


def render(course: Course, options: RenderOptions) -> bytes:
    """The text plan (see :func:`to_txt`)."""
    text = to_txt(course, width=options.width, color=options.color, lang=options.lang)
    if options.also is not None:
        # A bilingual hand-out: the whole text in the first language, then in the second.
        text += "\n" + "=" * min(options.width, 80) + "\n\n"
        text += to_txt(course, width=options.width, color=options.color, lang=options.also)
    return text.encode()
