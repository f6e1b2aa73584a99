"""The printable plan as one self-contained HTML page: what a nurse hands out and files.

No network fetch of any kind: styles and the timeline (SVG) are inline, fonts are the
system's. Every mark has a symbol and a pattern as well as a colour (Okabe-Ito, safe for
colour-blind readers), so a black-and-white printout reads the same. Patient-supplied text is
escaped. The page prints on A4 and US Letter; a month grid is never split across pages.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from html import escape

from dosecal import __version__
from dosecal.course import Course
from dosecal.dosing import FORMULA
from dosecal.occurrence import Kind, Occurrence, Status
from dosecal.plan import Plan
from dosecal.render.base import RenderOptions
from dosecal.render.layout import Layout
from dosecal.schedule import Schedule
from dosecal.words import say

#: Symbol, short word and CSS class for each kind; the legend is built from this table.
MARKS: dict[Kind, tuple[str, str, str]] = {
    Kind.DOSE: ("●", "Dose", "dose"),
    Kind.INFUSION: ("▬", "Infusion running", "infusion"),
    Kind.BAG_CHANGE: ("◆", "Bag change", "bag"),
    Kind.PREMEDICATION: ("▲", "Premedication", "premed"),
    Kind.OBSERVATION: ("○", "Observation", "observe"),
    Kind.HOSPITAL: ("H", "Hospital stay", "hospital"),
    Kind.REST: ("·", "Treatment-free", "rest"),
    Kind.INFUSION_END: ("■", "Infusion ends", "end"),
    Kind.VISIT: ("✚", "Visit", "visit"),
}

CSS = """
:root { --ink:#111; --muted:#555; --line:#999;
  --inf:#56B4E9; --hosp:#E69F00; --rest:#F0E442; --dose:#0072B2; --bag:#009E73; --pre:#D55E00; --obs:#CC79A7; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 11.5pt; color: var(--ink); }
body { margin: 0 auto; max-width: 190mm; padding: 6mm 0; line-height: 1.35; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 7mm 0 2mm; border-bottom: 2px solid var(--ink); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 12pt; margin: 4mm 0 1mm; break-after: avoid; }
p { margin: 1mm 0; }
.indication { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.5mm 4mm; margin: 3mm 0; }
.facts dt { font-weight: bold; }
.facts dd { margin: 0; }
.patient { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; margin: 3mm 0; }
.patient div { border-bottom: 1px solid var(--ink); padding-top: 6mm; font-size: 9.5pt; color: var(--muted); }
.patient.given { display: block; }
.patient.given div { border: 0; padding: 0; color: var(--ink); font-size: 12pt; }
.notice { border: 2px solid var(--ink); padding: 2mm 3mm; font-weight: bold; margin: 3mm 0; }
.call { border: 3px solid var(--ink); padding: 1mm 3mm; margin: 3mm 0; break-inside: avoid; }
.call h2 { margin-top: 1mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
tr { break-inside: avoid; page-break-inside: avoid; }
.timeline { width: 100%; height: auto; margin: 2mm 0 3mm; }
.monthbox { break-inside: avoid; page-break-inside: avoid; margin: 0 0 5mm; }
.monthbox h3 { font-size: 13pt; margin: 2mm 0 1mm; }
.month { table-layout: fixed; }
.month th { text-align: center; font-size: 10pt; }
.month td { height: 21mm; font-size: 8.5pt; line-height: 1.2; overflow: hidden; overflow-wrap: anywhere; }
.month td.out { background: #f4f4f4; }
.month .num { font-weight: bold; font-size: 11pt; }
.month .pday { display: block; clear: right; text-align: right; font-size: 7.5pt; color: var(--muted); }
.month .lab { float: right; font-weight: bold; font-size: 9.5pt; border: 1px solid var(--ink); padding: 0 1mm; }
.month .ev { display: block; }
td.infusion { background-image: linear-gradient(135deg, rgba(86,180,233,.5) 25%, transparent 25%, transparent 50%,
  rgba(86,180,233,.5) 50%, rgba(86,180,233,.5) 75%, transparent 75%); background-size: 9px 9px; }
td.rest { background-image: radial-gradient(rgba(120,110,0,.45) 1px, transparent 1.4px); background-size: 6px 6px; }
td.hospital { box-shadow: inset 0 0 0 2.5px var(--hosp); }
.sym { display: inline-block; width: 1.2em; text-align: center; font-weight: bold; }
.k-dose .sym { color: var(--dose); } .k-bag .sym { color: var(--bag); } .k-premed .sym { color: var(--pre); }
.k-observe .sym { color: var(--obs); } .k-end .sym { color: var(--ink); } .k-hospital .sym { color: #8a5a00; }
.k-infusion .sym { color: #1f6f99; } .k-rest .sym { color: #6b6300; }
.cancelled { text-decoration: line-through; color: var(--muted); }
tr.cancelled td { text-decoration: line-through; color: var(--muted); }
.flag { text-decoration: none; display: inline-block; border: 1px solid var(--ink); padding: 0 1mm; color: var(--ink); }
s.was { color: var(--muted); font-weight: normal; }
td.moved { outline: 2px dashed var(--ink); outline-offset: -3px; }
.days td.date { white-space: nowrap; font-weight: bold; }
.overview table { font-size: 10pt; }
.overview td.d { white-space: nowrap; }
.days td.time, .days td.lab { white-space: nowrap; }
.legend { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1mm 4mm; }
.legend span.swatch { display: inline-block; width: 8mm; height: 4mm; border: 1px solid var(--line); vertical-align: middle; margin-right: 1mm; }
ul { margin: 1mm 0; padding-left: 6mm; }
footer { margin-top: 6mm; border-top: 1px solid var(--line); padding-top: 2mm; font-size: 9pt; color: var(--muted); }
@page { margin: 12mm 10mm; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; }
}
"""


_KEEP_UNIT = re.compile(r"(\d) (mg|mcg|g)\b")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _date(d: date) -> str:
    return f"{d:%a} {d.isoformat()}"


def _time(o: Occurrence) -> str:
    return f"{o.start:%H:%M}" if isinstance(o.start, datetime) else say("all_day")


def _short(s: Schedule, agent: str) -> str:
    """The first word of an agent's name, for narrow places: "Inotuzumab", "Blinatumomab"."""
    return s.agents[agent].name.split(" (")[0].split(",")[0].split()[0]


def _header(s: Schedule, p: Plan, layout: Layout) -> str:
    facts = [
        ("Start (day 1)", _date(p.start)),
        ("Time zone", p.timezone),
        ("Planned through", _date(layout.last)),
    ]
    if layout.planned is not None:
        facts.append(("Cycles planned", f"{layout.planned} of at most {s.total_cycles}"))
    for key, value in sorted(layout.choices.items()):
        choice = s.choices[key]
        facts.append((choice.label[:1].upper() + choice.label[1:], choice.words(value)))
    if p.weight_kg is not None:
        facts.append(("Weight", f"{p.weight_kg:g} kg"))
    if p.height_cm is not None:
        facts.append(("Height", f"{p.height_cm:g} cm"))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    if p.patient:
        patient = f'<div class="patient given"><div>Patient: <strong>{_e(p.patient)}</strong></div></div>'
    else:
        patient = '<div class="patient"><div>Name</div><div>Date of birth</div><div>Record number</div></div>'
    return (
        f'<header><h1>{_e(s.title)}</h1><p class="indication">{_e(s.indication)}</p>'
        f'{patient}<dl class="facts">{dl}</dl><p class="notice">{_e(say("notice"))}</p></header>'
    )


def _timeline(layout: Layout) -> str:
    """An SVG swimlane of the whole course: one lane per agent, hospital and rest."""
    first, last = layout.first, layout.last
    total = (last - first).days + 1
    left, width, lane_h = 190, 800, 34
    lanes: list[tuple[str, list[Occurrence]]] = []
    drawn = (Kind.DOSE, Kind.INFUSION)
    agents = list(dict.fromkeys(o.agent for o in layout.occurrences if o.agent and o.kind in drawn))
    s = layout.schedule
    # What happens: a held dose or a span an interruption cancelled is not drawn as given.
    planned = [o for o in layout.occurrences if o.status is Status.PLANNED]
    for agent in agents:
        lanes.append((_short(s, agent), [o for o in planned if o.agent == agent]))
    for kind, name in ((Kind.HOSPITAL, "Hospital"), (Kind.REST, "Treatment-free")):
        mine = [o for o in planned if o.kind is kind]
        if mine:
            lanes.append((name, mine))
    height = 34 + lane_h * len(lanes) + 22

    def x(d: date) -> float:
        return left + width * (d - first).days / total

    parts = [
        (
            f'<svg class="timeline" viewBox="0 0 1000 {height}" role="img" '
            f'aria-label="Timeline of the course from {first} to {last}">'
        ),
        (
            "<defs>"
            '<pattern id="p-inf" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<rect width="6" height="6" fill="#cde9f9"/><rect width="3" height="6" fill="#56B4E9"/></pattern>'
            '<pattern id="p-hosp" width="6" height="6" patternUnits="userSpaceOnUse">'
            '<rect width="6" height="6" fill="#fbe3b0"/><path d="M0 0L6 6M6 0L0 6" stroke="#8a5a00" stroke-width="1"/></pattern>'
            '<pattern id="p-rest" width="5" height="5" patternUnits="userSpaceOnUse">'
            '<rect width="5" height="5" fill="#fbf7c8"/><circle cx="2.5" cy="2.5" r="0.9" fill="#6b6300"/></pattern>'
            "</defs>"
        ),
    ]
    # Month ticks.
    for year, month in layout.months():
        d = max(date(year, month, 1), first)
        xm = x(d)
        parts.append(
            f'<line x1="{xm:.1f}" y1="22" x2="{xm:.1f}" y2="{height - 20}" stroke="#bbb" stroke-width="0.8"/>'
        )
        if (len(layout.months()) <= 13 or month % 2 == 1) and xm < left + width - 60:
            parts.append(
                f'<text x="{xm + 2:.1f}" y="17" font-size="15" fill="#333">{calendar.month_abbr[month]} {year}</text>'
            )
    for i, (name, items) in enumerate(lanes):
        y = 28 + i * lane_h
        parts.append(f'<text x="4" y="{y + 22}" font-size="17" fill="#111">{_e(name)}</text>')
        for o in items:
            end = o.end_date
            x0 = x(o.start_date)
            if o.kind in (Kind.INFUSION, Kind.HOSPITAL, Kind.REST):
                fill = {
                    Kind.INFUSION: "url(#p-inf)",
                    Kind.HOSPITAL: "url(#p-hosp)",
                    Kind.REST: "url(#p-rest)",
                }[o.kind]
                w = max(x(end) - x0, 1.5)
                parts.append(
                    f'<rect x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" height="{lane_h - 6}" fill="{fill}" '
                    f'stroke="#333" stroke-width="0.6"><title>{_e(o.summary)}</title></rect>'
                )
            elif o.kind is Kind.DOSE:
                parts.append(
                    f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(width / total * 0.8, 1):.2f}" height="{lane_h - 10}" '
                    f'fill="#0072B2"><title>{_e(o.summary)}</title></rect>'
                )
    # Cycle boundaries and numbers.
    for n, _, cfirst, _ in layout.cycles:
        xc = x(cfirst)
        parts.append(
            f'<line x1="{xc:.1f}" y1="22" x2="{xc:.1f}" y2="{height - 18}" stroke="#111" stroke-width="1.5"/>'
        )
        parts.append(f'<text x="{xc + 2:.1f}" y="{height - 3}" font-size="15" font-weight="bold">C{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _overview(layout: Layout) -> str:
    rows = layout.rows()
    body = ""
    if rows:
        body = (
            "<table><thead><tr><th>Phase</th><th>Cycle</th><th>Day 1</th><th>Last day</th>"
            "<th>Treatment days</th><th>Treatment-free</th><th>Hospital</th></tr></thead><tbody>"
            + "".join(
                f'<tr><td>{_e(r.phase)}</td><td>C{r.number}</td><td class="d">{_e(_date(r.first))}</td>'
                f'<td class="d">{_e(_date(r.last))}</td><td>{_e(r.treatment)}</td><td>{_e(r.rest)}</td>'
                f"<td>{_e(r.hospital)}</td></tr>"
                for r in rows
            )
            + "</tbody></table>"
        )
    daily = [
        f"<li>{_e(layout.schedule.agents[d.agent].name)}: every day from day {d.start_day} "
        f"({_e(_date(layout.plan.start + timedelta(days=d.start_day - 1)))})"
        + (", no set end" if d.open_ended else f" to day {d.steps[-1].days.last}")
        + "</li>"
        for d in layout.schedule.daily
    ]
    daily_html = f"<ul>{''.join(daily)}</ul>" if daily else ""
    return (
        f'<section class="overview"><h2>Course overview</h2>{_timeline(layout)}{daily_html}{body}</section>'
    )


def _mark(o: Occurrence, text: str) -> str:
    sym, _, cls = MARKS[o.kind]
    strike = " cancelled" if o.status is Status.CANCELLED else ""
    return f'<span class="ev k-{cls}{strike}"><span class="sym">{sym}</span>{_e(text)}</span>'


def _cell_events(layout: Layout, day: date) -> tuple[str, list[str]]:
    classes = []
    lines = []
    for o in layout.covering.get(day, []):
        cls = MARKS[o.kind][2]
        classes.append(cls)
        if o.start_date == day:
            written = (o.dose or "").split(" = ")[0]
            short = {
                Kind.INFUSION: f"Infusion {written}",
                Kind.HOSPITAL: "Hospital",
                Kind.REST: "Treatment-free",
            }
            lines.append(_mark(o, short[o.kind]))
    for o in layout.by_day.get(day, []):
        # With one dosing agent its name is in the title; cells only need time and dose.
        name = _short(layout.schedule, o.agent) if o.agent and len(layout.dosing_agents) > 1 else ""
        written = (o.dose or "").split(" = ")[0]  # the computed amount is in the day list
        written = _KEEP_UNIT.sub("\\1\u00a0\\2", written)  # "400 mg" never breaks between lines
        word = {
            Kind.DOSE: f"{name} {written}".strip(),
            Kind.BAG_CHANGE: "Bag change",
            Kind.PREMEDICATION: "Premedication",
            Kind.OBSERVATION: "Observation",
            Kind.INFUSION_END: "Infusion ends",
            Kind.VISIT: o.title,
        }[o.kind]
        lines.append(_mark(o, f"{_time(o)} {word}"))
    return " ".join(dict.fromkeys(classes)), lines


def _month(layout: Layout, year: int, month: int) -> str:
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    head = "".join(f"<th>{calendar.day_abbr[i]}</th>" for i in range(7))
    rows = []
    for week in weeks:
        cells = []
        for day in week:
            if day.month != month:
                cells.append('<td class="out"></td>')
                continue
            inside = layout.first <= day <= layout.last
            classes, lines = _cell_events(layout, day) if inside else ("", [])
            label = layout.label(day) if inside else ""
            lab = f'<span class="lab">{_e(label)}</span>' if label else ""
            if inside and layout.schedule.daily and layout.schedule.phases and not label.startswith("Day"):
                lab += f'<span class="pday">Day {(day - layout.plan.start).days + 1}</span>'
            cells.append(
                f'<td class="{classes}" data-date="{day.isoformat()}">{lab}<span class="num">{day.day}</span>'
                f"{''.join(lines)}</td>"
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="monthbox"><h3>{calendar.month_name[month]} {year}</h3>'
        f'<table class="month" data-month="{year}-{month:02d}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _day_list(layout: Layout) -> str:
    rows = []
    for o in layout.occurrences:
        cls = ' class="cancelled"' if o.status is Status.CANCELLED else ""
        when = _e(_date(o.start_date))
        if o.moved_from is not None:
            when = f'<s class="was">{_e(_date(o.moved_from))}</s><br>{when}'
        what = _mark(o, o.title)
        if o.status is Status.CANCELLED:
            what = f'<strong class="flag">{_e(say("held") if o.kind is Kind.DOSE else say("cancelled"))}</strong> {what}'
        rows.append(
            f'<tr{cls}><td class="date">{when}</td><td class="lab">{_e(o.span_label)}</td>'
            f'<td class="time">{_e(_time(o))}</td><td>{what}</td></tr>'
        )
    return (
        '<section class="days"><h2>Day by day</h2><table class="days"><thead><tr><th>Date</th>'
        "<th>Day</th><th>Time</th><th>What</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _changes(layout: Layout) -> str:
    """The plan's history: every adjustment in the order it was recorded, with its reason."""
    if not layout.plan.adjustments:
        return ""
    items = "".join(
        f"<li>{_e(a.describe(layout.schedule))}" + (f" ({_e(a.note)})" if a.note else "") + "</li>"
        for a in layout.plan.adjustments
    )
    moved = sum(1 for o in layout.occurrences if o.moved_from is not None)
    held = sum(1 for o in layout.occurrences if o.status is Status.CANCELLED)
    summary = say("changes.summary", moved=moved, cancelled=held)
    return f'<section class="changes"><h2>{_e(say("heading.changes"))}</h2><ol>{items}</ol><p>{_e(summary)}</p></section>'


def _legend() -> str:
    items = "".join(
        f'<div class="k-{cls}"><span class="sym">{sym}</span>{_e(word)}</div>'
        for sym, word, cls in MARKS.values()
    )
    return f'<section class="legend-box"><h2>Legend</h2><div class="legend">{items}</div></section>'


def _when_to_call(s: Schedule) -> str:
    """The warning signs of the plan's drugs: call the care team at once."""
    items = "".join(
        f"<li><strong>{_e(a.short_name)}</strong>: {_e(x.text)}</li>"
        for a in s.agents.values()
        for x in a.advice
        if x.warning
    )
    if not items:
        return ""
    return f'<section class="call"><h2>{_e(say("heading.when_to_call"))}</h2><ul>{items}</ul></section>'


def _instructions(layout: Layout) -> str:
    s = layout.schedule
    parts = []
    for a in s.agents.values():
        items = list(a.instructions)
        if a.missed_dose:
            items.append(say("note.missed", text=a.missed_dose))
        elif a.oral:
            items.append(say("note.missed_unknown"))
        items += [x.text for x in a.advice if not x.warning]
        if a.continues:
            items.append(say("note.keep_taking", agent=a.short_name))
        if a.times_note:
            items.append(a.times_note)
        if items:
            parts.append(f"<h3>{_e(a.name)}</h3><ul>{''.join(f'<li>{_e(i)}</li>' for i in items)}</ul>")
    windows = sorted(
        {
            (dose.window_days, dose.window_note)
            for phase in s.phases
            for dose in phase.doses
            if dose.window_days
        }
    )
    if windows:
        parts.append(f"<h3>{_e(say('heading.dose_windows'))}</h3><ul>")
        parts += [f"<li>± {w} days: {_e(note)}</li>" for w, note in windows]
        parts.append("</ul>")
    if any("/m2" in (o.dose or "") for o in layout.occurrences):
        parts.append(
            f"<p>Doses per m² are computed with the {_e(FORMULA)} when height and weight are given.</p>"
        )
    notes = [x.text for x in s.patient_notes] + list(layout.course.beyond_limits())
    if notes:
        parts.append(f"<h3>Notes</h3><ul>{''.join(f'<li>{_e(n)}</li>' for n in notes)}</ul>")
    return f'<section class="instructions"><h2>Instructions</h2>{"".join(parts)}</section>'


def _sources(s: Schedule) -> str:
    items = "".join(
        f"<li>{_e(src.title)}" + (f' <a href="{_e(src.url)}">{_e(src.url)}</a>' if src.url else "") + "</li>"
        for src in s.sources.values()
    )
    return f'<section class="sources"><h2>Sources</h2><ul>{items}</ul></section>'


def to_html(course: Course) -> str:
    """Render the printable plan as a complete, self-contained HTML document."""
    layout = Layout(course)
    schedule, plan = course.schedule, course.plan
    months = "".join(_month(layout, y, m) for y, m in layout.months())
    footer = (
        f"<footer>Generated by dosecal {_e(__version__)} from the schedule '{_e(schedule.id)}' "
        f"(last checked against its sources {schedule.last_checked.isoformat()}), plan "
        f"'{_e(plan.plan_id(schedule))}', times in {_e(plan.timezone)}. {_e(say('notice'))}</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(schedule.title)}: treatment plan</title><style>{CSS}</style></head><body>"
        f"{_header(schedule, plan, layout)}{_when_to_call(schedule)}{_changes(layout)}{_overview(layout)}"
        f'<section class="months"><h2>Month by month</h2>{months}</section>'
        f"{_legend()}{_day_list(layout)}{_instructions(layout)}{_sources(schedule)}{footer}"
        "</body></html>\n"
    )


def render(course: Course, _: RenderOptions) -> bytes:
    """The printable plan (see :func:`to_html`)."""
    return to_html(course).encode()
