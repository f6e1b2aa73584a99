"""The printable plan as one self-contained HTML page: what a nurse hands out and files.

No network fetch of any kind: styles and the timeline (SVG) are inline, fonts are the
system's. Every mark has a symbol and a pattern as well as a colour (Okabe-Ito, safe for
colour-blind readers), so a black-and-white printout reads the same. Patient-supplied text is
escaped. The page prints on A4 and US Letter; a month grid is never split across pages.
"""

from __future__ import annotations

import calendar
import functools
import re
import textwrap
from datetime import date, datetime, timedelta
from html import escape

import pyphen

from dosecal import __version__
from dosecal.core.premedication import UNTIMED_PREMEDICATION_MINUTES
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.model.plan import Plan
from dosecal.model.schedule import Schedule
from dosecal.render.base import RenderOptions
from dosecal.render.layout import SPANS, Layout, called_off
from dosecal.words import ENGLISH, Cap, Content, Language, Msg, Value, msg

#: Symbol, legend message and CSS class for each kind; the legend is built from this table.
MARKS: dict[Kind, tuple[str, str, str]] = {
    Kind.DOSE: ("●", "mark.dose", "dose"),
    Kind.INFUSION: ("▬", "mark.infusion", "infusion"),
    Kind.BAG_CHANGE: ("◆", "mark.bag", "bag"),
    Kind.PREMEDICATION: ("▲", "mark.premedication", "premed"),
    Kind.OBSERVATION: ("○", "mark.observation", "observe"),
    Kind.HOSPITAL: ("H", "mark.hospital", "hospital"),
    Kind.REST: ("·", "mark.rest", "rest"),
    Kind.INFUSION_END: ("■", "mark.end", "end"),
    Kind.VISIT: ("✚", "mark.visit", "visit"),
    Kind.TEST: ("⚕", "mark.test", "test"),
}

CSS = """
:root { --ink:#111; --muted:#555; --line:#767676;
  --inf:#56B4E9; --hosp:#E69F00; --rest:#F0E442; --dose:#0072B2; --bag:#00734F; --pre:#A84500; --obs:#8F3F6D;
  --hosp-ink:#7A4F00; --inf-ink:#1F6F99; --rest-ink:#5E5700; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 12pt; color: var(--ink); }
body { margin: 0 auto; max-width: 190mm; padding: 6mm 0; line-height: 1.35; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 5mm 0 2mm; border-bottom: 2px solid var(--ink); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 12pt; margin: 4mm 0 1mm; break-after: avoid; }
p { margin: 1mm 0; }
.indication { color: var(--muted); }
/* The plan's facts in two columns, each a key and its value on a line. */
.facts { column-count: 2; column-gap: 6mm; margin: 2mm 0; }
.facts div { break-inside: avoid; padding: 0; line-height: 1.25; }
.facts dt { display: inline; font-weight: bold; margin-right: 2mm; }
.facts dd { display: inline; margin: 0; }
.patient { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; margin: 3mm 0; }
.patient div { border-bottom: 1px solid var(--ink); padding-top: 6mm; font-size: 10pt; color: var(--muted); }
.patient.given { display: block; }
.patient.given div { border: 0; padding: 0; color: var(--ink); font-size: 12pt; }
.notice { border: 2px solid var(--ink); padding: 1.5mm 3mm; font-weight: bold; margin: 2mm 0; }
.call { border: 3px solid var(--ink); padding: 1mm 3mm; margin: 2mm 0; break-inside: avoid; }
.call h2 { margin-top: 1mm; }
.call ul { margin: 1mm 0; padding-left: 5mm; }
.contacts { display: grid; grid-template-columns: 1fr; gap: 0.5mm; margin: 1mm 0; }
.contact { display: flex; gap: 3mm; align-items: flex-end; }
.contact span:first-child { min-width: 55mm; font-weight: bold; }
.contact .number { flex: 1; border-bottom: 1px solid var(--ink); min-height: 6mm; }
.first { break-after: page; }
.first h2 { margin-top: 2mm; }
.call h2, .first .call h2 { margin-top: 1mm; }
.notes-page { break-before: page; }
.ruled { border-bottom: 1px solid var(--line); height: 10mm; }
.care-team .dates { display: flex; gap: 2mm; align-items: flex-end; margin: 1mm 0 2mm; }
.care-team .blank { flex: 1; border-bottom: 1px solid var(--line); height: 7mm; }
.care-team div.blank { margin-bottom: 1mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
tr { break-inside: avoid; page-break-inside: avoid; }
.timeline { width: 100%; height: auto; margin: 2mm 0 3mm; }
.monthbox { break-inside: avoid; page-break-inside: avoid; margin: 0 0 3mm; }
.monthbox h3 { font-size: 13pt; margin: 1mm 0 0.5mm; }
.month { table-layout: fixed; }
.month th { text-align: center; font-size: 10pt; padding: 0.3mm 1mm; }
/* Cell text at 10 pt in a 27 mm column: a condensed face (DejaVu Sans Condensed, Debian's
   fonts-dejavu-extra) and soft hyphens in long words keep words whole or broken at a syllable. */
.month td { height: 10mm; font-size: 10pt; line-height: 1.08; padding: 0.8mm 1mm; overflow: hidden;
  overflow-wrap: break-word; font-family: "DejaVu Sans Condensed", "Arial Narrow", "DejaVu Sans", sans-serif;
  font-stretch: condensed; }
.month td.out { background: #f4f4f4; }
.month tr.quiet td { height: 8mm; }
.month .num { font-weight: bold; font-size: 11pt; }
.month .pday { display: block; clear: right; text-align: right; font-size: 10pt; color: var(--muted); }
.month .lab { float: right; font-weight: bold; font-size: 10pt; border: 1px solid var(--ink); padding: 0 0.6mm; }
.month .ev { display: block; }
td.infusion { background-image: linear-gradient(135deg, rgba(86,180,233,.5) 25%, transparent 25%, transparent 50%,
  rgba(86,180,233,.5) 50%, rgba(86,180,233,.5) 75%, transparent 75%); background-size: 9px 9px; }
td.rest { background-image: radial-gradient(rgba(120,110,0,.45) 1px, transparent 1.4px); background-size: 6px 6px; }
/* Cues that print without background graphics: borders and outlines, beside the words. */
td.infusion { border-left: 4px solid var(--inf-ink); }
td.rest { border-left: 4px dotted var(--rest-ink); }
td.hospital { outline: 3px solid var(--hosp-ink); outline-offset: -3px; }
.sym { display: inline-block; width: 1.2em; text-align: center; font-weight: bold; }
.k-dose .sym { color: var(--dose); } .k-bag .sym { color: var(--bag); } .k-premed .sym { color: var(--pre); }
.k-observe .sym { color: var(--obs); } .k-end .sym { color: var(--ink); } .k-hospital .sym { color: var(--hosp-ink); }
.k-infusion .sym { color: var(--inf-ink); } .k-rest .sym { color: var(--rest-ink); }
.cancelled { text-decoration: line-through; color: var(--muted); }
tr.more td { font-style: italic; color: var(--ink); }
.hint { font-style: italic; }
.boxed, .head { white-space: nowrap; }
.boxed { display: inline-block; }
.month .sym { width: 1em; }
.tick { display: inline-block; font-size: 1.15em; line-height: 1; margin-right: 0.5mm; }
tr.cancelled td { text-decoration: line-through; color: var(--muted); }
.flag { text-decoration: none; border: 1px solid var(--ink); padding: 0 0.5mm; color: var(--ink);
  -webkit-box-decoration-break: clone; box-decoration-break: clone; }
s.was { color: var(--muted); font-weight: normal; }
td.moved { outline: 2px dashed var(--ink); outline-offset: -3px; }
.days td.date { white-space: nowrap; font-weight: bold; }
section.days td.date { font-weight: normal; }
.keydates td { padding: 0.5mm 1.5mm; }
.overview table { font-size: 10pt; }
.overview td.d { white-space: nowrap; }
.days td.lab { white-space: nowrap; }
/* A time never breaks inside (no-break spaces in "9 h 30"); "toute la journée" may. */
.days td.time { white-space: normal; }
/* Date, day and time take only their width: the words get the rest of the line. */
section.days table { table-layout: fixed; }
section.days th:nth-child(1) { width: 42mm; } section.days th:nth-child(2) { width: 26mm; }
section.days th:nth-child(3) { width: 18mm; }
section.days td { padding: 0.4mm 1mm; line-height: 1.18; }
.overview td, .overview th { padding: 0.5mm 1.5mm; }
.overview th:first-child { width: 40mm; }
/* The sources are for the care team, not the family: smaller, like the footer. */
.sources { font-size: 10pt; line-height: 1.2; }
/* The subscribe sheet stays whole: the code, the link and the steps on one page. */
.subscribe { break-inside: avoid; page-break-inside: avoid; }
.subscribe code { overflow-wrap: anywhere; }
.legend { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1mm 4mm; }
.legend span.swatch { display: inline-block; width: 8mm; height: 4mm; border: 1px solid var(--line); vertical-align: middle; margin-right: 1mm; }
ul { margin: 1mm 0; padding-left: 6mm; }
a { overflow-wrap: anywhere; }
footer { margin-top: 6mm; border-top: 1px solid var(--line); padding-top: 2mm; font-size: 10pt; color: var(--muted); }
@media screen and (max-width: 600px) {
  body { padding: 3mm; }
  .legend, .patient, .contacts { grid-template-columns: 1fr; }
  .facts { column-count: 1; }
  .contact { flex-wrap: wrap; } .contact span:first-child { min-width: 0; }
  .days td.date, .days td.time, .days td.lab, .overview td.d { white-space: normal; }
  .overview th:first-child { width: auto; }
  section.days table { table-layout: auto; } section.days th { width: auto !important; }
  .month .lab { float: none; display: block; }
  table { font-size: 10pt; } th, td { padding: 0.5mm; overflow-wrap: anywhere; }
}
@page { margin: 12mm 10mm; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; }
}
"""


_KEEP_UNIT = re.compile(r"(\d) (mg|mcg|g)\b")
_TICK = '<span class="tick" aria-hidden="true">☐</span>'


_LONG_WORD = re.compile(r"[^\W\d_]{9,}")
_TEXT = re.compile(r">([^<]+)<")


@functools.cache
def _hyphenator(code: str) -> pyphen.Pyphen | None:
    """The hyphenation patterns of a language, or None where pyphen has none (pseudo-locales)."""
    found = pyphen.language_fallback(code.replace("-", "_"))
    return pyphen.Pyphen(lang=found) if found else None


#: An amount and its unit ("28 mcg/day", "0,5 mg/m²"): kept on one line in a cell.
_AMOUNT = re.compile(r"(\d)[ \u00a0]((?:mg|mcg|g)(?:/[^\s<]+)?)")


def _soft_hyphens(markup: str, code: str, keep: frozenset[str] = frozenset()) -> str:
    """``markup`` with soft hyphens at the syllables of long words, for narrow calendar cells.

    Words in ``keep`` (the drugs' names, lower case) are never broken: "Nilo-tinib" misleads.

    Both print engines break a word only at a soft hyphen and draw the hyphen only there;
    without one, a 10 pt "Dexamethasone" breaks at whatever letter reaches the cell's edge.
    """
    hyphenator = _hyphenator(code)
    if hyphenator is None:
        return markup

    def hyphenate(w: re.Match[str]) -> str:
        word = w.group(0)
        return word if word.lower() in keep else hyphenator.inserted(word, hyphen="\u00ad")

    def words(m: re.Match[str]) -> str:
        text = _LONG_WORD.sub(hyphenate, m.group(1))
        # No break between an amount and its unit, nor after the unit's slash (U+2060 word joiner).
        text = _AMOUNT.sub(lambda a: a.group(1) + "\u00a0" + a.group(2).replace("/", "/\u2060"), text)
        return ">" + text + "<"

    return _TEXT.sub(words, markup)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _time(o: Occurrence, layout: Layout) -> str:
    """The clock time, marked "*" where it is only the schedule's default."""
    if not isinstance(o.start, datetime):
        return layout.lang.say("all_day")
    return layout.lang.clock(o.start) + ("*" if _default_time(o, layout) else "")


def _short(s: Schedule, agent: str, lang: Language) -> str:
    """The first word of an agent's name, for narrow places: "Inotuzumab", "Blinatumomab"."""
    return lang.content(s.agents[agent].short_name).split(",")[0].split()[0]


def _written(o: Occurrence) -> Value:
    """The dose as written, without the computed amount (which the day list shows)."""
    dose = o.dose_text
    if isinstance(dose, Msg) and dose.key == "dose.computed":
        return dict(dose.values)["written"]
    return dose


def _facts(layout: Layout) -> list[tuple[Value, Value]]:
    """The plan's facts under the title: start, zone, last day, cycles, choices, body size."""
    s, p = layout.schedule, layout.plan
    facts: list[tuple[Value, Value]] = [
        (msg("fact.start"), p.start),
        (msg("fact.zone"), p.timezone),
        (msg("fact.until"), layout.last),
    ]
    if layout.planned is not None:
        facts.append(
            (msg("fact.cycles"), msg("fact.cycles_value", count=layout.planned, most=s.total_cycles))
        )
    for key, value in sorted(layout.choices.items()):
        choice = s.choices[key]
        facts.append((Cap(Content(choice.label)), Content(choice.words(value))))
    if p.weight_kg is not None:
        facts.append((msg("fact.weight"), msg("fact.kg", value=f"{p.weight_kg:g}")))
    if p.height_cm is not None:
        facts.append((msg("fact.height"), msg("fact.cm", value=f"{p.height_cm:g}")))
    return facts


def _header(s: Schedule, p: Plan, layout: Layout) -> str:
    lang = layout.lang
    facts = _facts(layout)
    dl = "".join(f"<div><dt>{_e(lang.text(k))}</dt><dd>{_e(lang.text(v))}</dd></div>" for k, v in facts)
    if p.patient:
        patient = (
            f'<div class="patient given"><div>{_e(lang.say("fact.patient"))} '
            f"<strong>{_e(p.patient)}</strong></div></div>"
        )
    else:
        blanks = "".join(
            f"<div>{_e(lang.say(key))}</div>" for key in ("blank.name", "blank.dob", "blank.record")
        )
        patient = f'<div class="patient">{blanks}</div>'
    return (
        f'<header><h1>{_e(lang.content(s.title))}</h1><p class="indication">{_e(lang.content(layout.course.indication))}</p>'
        f'{patient}<dl class="facts">{dl}</dl><p class="notice">{_e(lang.say("notice"))}</p></header>'
    )


def _timeline(layout: Layout) -> str:
    """An SVG swimlane of the whole course: one lane per agent, hospital and rest."""
    lang = layout.lang
    first, last = layout.first, layout.last
    total = (last - first).days + 1
    left, width, lane_h = 190, 800, 34
    lanes: list[tuple[str, list[Occurrence]]] = []
    s = layout.schedule
    # What happens: a held dose or a span an interruption cancelled is not drawn as given.
    planned = [o for o in layout.occurrences if o.status is Status.PLANNED]
    for agent in layout.drugs:
        lanes.append((_short(s, agent, lang), [o for o in planned if o.agent == agent]))
    rest_lane = "mark.rest_continue" if _continuing(layout) else "lane.rest"
    for kind, key in ((Kind.HOSPITAL, "lane.hospital"), (Kind.REST, rest_lane)):
        mine = [o for o in planned if o.kind is kind]
        if mine:
            lanes.append((lang.say(key), mine))
    height = 34 + lane_h * len(lanes) + 22

    def x(d: date) -> float:
        return left + width * (d - first).days / total

    parts = [
        (
            f'<svg class="timeline" viewBox="0 0 1000 {height}" role="img" '
            f'aria-label="{_e(lang.say("timeline.label", first=first.isoformat(), last=last.isoformat()))}">'
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
                f'<text x="{xm + 2:.1f}" y="17" font-size="15" fill="#333">'
                f"{_e(lang.month(date(year, month, 1), year=True))}</text>"
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
                    f'stroke="#333" stroke-width="0.6"><title>{_e(lang.text(o.summary_text))}</title></rect>'
                )
            elif o.kind is Kind.DOSE:
                parts.append(
                    f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(width / total * 0.8, 1):.2f}" height="{lane_h - 10}" '
                    f'fill="#0072B2"><title>{_e(lang.text(o.summary_text))}</title></rect>'
                )
    # Cycle boundaries and numbers.
    for n, _, cfirst, _ in layout.cycles:
        xc = x(cfirst)
        parts.append(
            f'<line x1="{xc:.1f}" y1="22" x2="{xc:.1f}" y2="{height - 18}" stroke="#111" stroke-width="1.5"/>'
        )
        parts.append(
            f'<text x="{xc + 2:.1f}" y="{height - 3}" font-size="15" font-weight="bold">'
            f"{_e(lang.say('label.cycle', cycle=n))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _overview(layout: Layout) -> str:
    lang = layout.lang
    rows = layout.rows()
    body = ""
    if rows:
        heads = (
            "col.phase",
            "col.cycle",
            "col.day1",
            "col.last",
            "col.treatment",
            "col.break" if _continuing(layout) else "col.rest",  # not "treatment-free" beside a daily drug
            "col.hospital",
        )
        body = (
            "<table><thead><tr>"
            + "".join(f"<th>{_e(lang.say(h))}</th>" for h in heads)
            + "</tr></thead><tbody>"
            + "".join(
                f"<tr><td>{_e(lang.content(r.phase))}</td><td>{_e(lang.say('label.cycle', cycle=r.number))}</td>"
                f'<td class="d">{_e(lang.date(r.first))}</td>'
                f'<td class="d">{_e(lang.date(r.last))}</td><td>{_e(lang.text(r.treatment))}</td>'
                f"<td>{_e(lang.text(r.rest))}</td><td>{_e(lang.text(r.hospital))}</td></tr>"
                for r in rows
            )
            + "</tbody></table>"
        )
    daily = [
        "<li>"
        + _e(
            lang.say(
                "overview.daily_open" if d.open_ended else "overview.daily_until",
                agent=Content(layout.schedule.agents[d.agent].name),
                day=d.start_day,
                date=layout.plan.start + timedelta(days=d.start_day - 1),
                last=d.steps[-1].days.last,
            )
        )
        + "</li>"
        for d in layout.schedule.daily
        if d.applies(layout.choices)
    ]
    daily_html = f"<ul>{''.join(daily)}</ul>" if daily else ""
    return (
        f'<section class="overview"><h2>{_e(lang.say("heading.course_overview"))}</h2>'
        f"{_timeline(layout)}{daily_html}{body}</section>"
    )


def _mark(
    o: Occurrence,
    text: str,
    flags: tuple[str, ...] = (),
    tick: bool = False,
    when: str = "",
    spoken: str = "",
) -> str:
    """One event in a cell or the day list: its symbol, its time, its words, and flags in words.

    The tick box, the symbol and the time stay together on one line (so a box is never parted
    from the time it is for); the flags (HELD, MOVED, RESTART...) stand outside the
    struck-through text, so that they read plainly in every browser and in WeasyPrint.
    """
    sym, _, cls = MARKS[o.kind]
    strike = " cancelled" if o.status is Status.CANCELLED else ""
    box = _TICK if tick else ""
    clock = f" {_e(when)}" if when else ""
    shown = "".join(f' <strong class="flag">{_e(f)}</strong>' for f in flags)
    words = f' <span class="what{strike}">{_e(text)}</span>' if text else ""
    # A symbol without words beside it is named for screen readers.
    named = f' role="img" aria-label="{_e(spoken)}"' if spoken and not text else ""
    return (
        f'<span class="ev k-{cls}"><span class="head">{box}<span class="sym"{named}>{sym}</span>{clock}</span>'
        f"{shown}{words}</span>"
    )


def _keep_unit(text: str) -> str:
    """``text`` with "400 mg" joined by a no-break space, so an amount never breaks between lines."""
    return _KEEP_UNIT.sub("\\1\u00a0\\2", text)


def _called_off(o: Occurrence, lang: Language) -> tuple[str, ...]:
    """The flags of an event in a cell or the day list: HELD or CANCELLED, if it was."""
    word = called_off(o, lang)
    return (word,) if word is not None else ()


def _moved(o: Occurrence, layout: Layout) -> str | None:
    """The MOVED flag with the date the event had before: "MOVED (was Mon 25 Jan)".

    Said where a cycle now starts, and for an event that moved otherwise than its cycle (after
    an interruption), not on every later day of a delayed cycle.
    """
    if o.moved_from is None or o.status is Status.CANCELLED:
        return None
    shift = (o.start_date - o.moved_from).days
    first = o.cycle is not None and o.day == 1
    if o.cycle is not None and not first and layout.cycle_shift.get(o.cycle) == shift:
        return None
    return layout.lang.say("cell.moved", date=layout.lang.short_date(o.moved_from))


def _ticked(o: Occurrence, layout: Layout) -> bool:
    """Whether a caregiver ticks the event off: every planned oral dose and bag change."""
    agent = layout.schedule.agents.get(o.agent or "")
    return o.status is Status.PLANNED and (
        o.kind is Kind.BAG_CHANGE or (o.kind is Kind.DOSE and agent is not None and agent.oral)
    )


def _default_time(o: Occurrence, layout: Layout) -> bool:
    """Whether an event's time comes from the schedule's default time, which the care team sets.

    A premedication's time follows the drug it comes before. A time that an interruption with a
    given stop time set (the stop itself, the restart and what moved with it) is the care
    team's, not a default.
    """
    if not isinstance(o.start, datetime):
        return False
    agent_id, befores = o.agent or "", {0}
    if o.kind is Kind.PREMEDICATION:
        given = {
            (pre.before, pre.minutes_before or UNTIMED_PREMEDICATION_MINUTES)
            for phase in layout.schedule.phases
            for pre in phase.premedications
            if pre.agent == o.agent
        }
        drugs = {before for before, _ in given}
        before = drugs.pop() if len(drugs) == 1 else None
        if before is None:
            return False
        agent_id, befores = before, {minutes for _, minutes in given}
    agent = layout.schedule.agents.get(agent_id)
    if agent is None or not agent.times or agent_id in layout.plan.times:
        return False
    usual = {
        (datetime.combine(o.start_date, t) - timedelta(minutes=m)).time()
        for t in agent.times
        for m in befores
    }
    if o.start.time().replace(tzinfo=None) in usual:
        return True
    return not any(stop <= o.start for stop in layout.given_stops.get(agent_id, ()))


def _routine_bag(o: Occurrence) -> bool:
    """A planned bag change like the day before's: not a dose change, not moved on its own."""
    return (
        o.kind is Kind.BAG_CHANGE
        and o.status is Status.PLANNED
        and isinstance(o.title_text, Msg)
        and o.title_text.key == "title.bag_change"
    )


def _cell_events(layout: Layout, day: date, terse: bool = False) -> tuple[str, list[str]]:
    """What happens on ``day``, in time order, each with its words and flags.

    ``terse``: a routine bag change shows its tick box, symbol and time without the words
    "Bag change", which the month's first one says (and the legend on page 1): a week of
    routine bag changes then takes one line of the page, not two.
    """
    lang = layout.lang
    classes: list[str] = []
    items: list[tuple[tuple[int, str], str]] = []
    named = True  # a dose in a cell always says which drug: never "140 mg" alone
    dosing_today = {o.agent for o in layout.by_day.get(day, []) if o.kind is Kind.DOSE and o.agent}
    for o in layout.covering.get(day, []):
        classes.append(MARKS[o.kind][2])
        if o.kind is Kind.HOSPITAL:
            n, m = (day - o.start_date).days + 1, len(o.dates)
            flag = lang.say("cell.discharge") if n == m and m > 1 else lang.say("cell.in_hospital")
            items.append(((0, ""), _mark(o, lang.say("cell.hospital_day", day=n, days=m), (flag,))))
        elif o.start_date == day and o.kind is Kind.REST:
            others = dosing_today - {a for a in _phase_agents(layout, o)}
            words = lang.text(o.title_text) if others or _continuing(layout) else lang.say("cell.rest")
            items.append(((0, ""), _mark(o, words)))
        elif o.start_date == day and o.kind is Kind.INFUSION:
            # An infusion is named where the plan gives more than one drug; alone, "Infusion" is enough.
            name = f"{_short(layout.schedule, o.agent, lang)} " if len(layout.drugs) > 1 and o.agent else ""
            text = f"{name}{lang.text(msg('cell.infusion', dose=_written(o)))}"
            marks = tuple(
                f
                for f in (
                    lang.say("cell.restart") if o.restart else None,
                    lang.say("cell.supervised") if o.supervised else None,
                )
                if f
            )
            items.append(((1, _sort_time(o)), _mark(o, text, marks, when=_time(o, layout))))
    # Several planned doses of one oral drug on a day share a line, a tick box for each time.
    doses: dict[tuple[str, str], list[Occurrence]] = {}
    for o in layout.by_day.get(day, []):
        if o.kind is Kind.DOSE and _ticked(o, layout):
            doses.setdefault((o.agent or "", lang.text(_written(o))), []).append(o)
    grouped = {id(o) for group in doses.values() if len(group) > 1 for o in group}
    for (agent_id, written), group in doses.items():
        if len(group) > 1:
            # Each box stays on the line of its own time, so nobody ticks the wrong dose.
            times = " ".join(f'<span class="boxed">{_TICK}{_e(_time(o, layout))}</span>' for o in group)
            name = _short(layout.schedule, agent_id, lang)
            text = _keep_unit(f"{name} {written}")
            items.append(
                (
                    (1, _sort_time(group[0])),
                    f'<span class="ev k-dose">{times} <span class="sym">●</span>{_e(text)}</span>',
                )
            )
    for o in layout.by_day.get(day, []):
        if id(o) in grouped or o.kind in SPANS:  # a cancelled span is listed, not a cell event
            continue
        name = _short(layout.schedule, o.agent, lang) if o.agent and named else ""
        written = _keep_unit(lang.text(_written(o)))  # the computed amount is in the day list
        word = {
            Kind.DOSE: f"{name} {written}".strip(),
            Kind.BAG_CHANGE: "" if terse and _routine_bag(o) else lang.say("cell.bag"),
            Kind.PREMEDICATION: lang.say("cell.premedication"),
            Kind.OBSERVATION: lang.say("cell.observation"),
            Kind.INFUSION_END: lang.say("cell.stopped" if o.stopped else "cell.end"),
            Kind.VISIT: lang.text(o.title_text),
            Kind.TEST: lang.text(o.cell_text or o.title_text),
        }[o.kind]
        tick = _ticked(o, layout)
        items.append(
            (
                (1, _sort_time(o)),
                _mark(
                    o,
                    word,
                    _called_off(o, lang),
                    tick,
                    # An all-day test or visit needs no "all day" in a narrow cell: its mark says it.
                    when=_time(o, layout) if isinstance(o.start, datetime) else "",
                    spoken=lang.say("cell.bag"),
                ),
            )
        )
    # MOVED once a cell, for whatever moved there (a cycle moves all its events together).
    starting = [
        *layout.by_day.get(day, []),
        *(o for o in layout.covering.get(day, []) if o.start_date == day),
    ]
    moved = dict.fromkeys(was for was in (_moved(o, layout) for o in starting) if was is not None)
    items += [((0, "~"), f'<span class="ev"><strong class="flag">{_e(was)}</strong></span>') for was in moved]
    if day in layout.was_due:
        # The day a delayed cycle was due is not left blank: it says where the cycle went.
        cycle, now = layout.was_due[day]
        words = lang.say("cell.delayed", cycle=cycle, date=lang.short_date(now))
        items.append(((0, "!"), f'<span class="ev"><strong class="flag">{_e(words)}</strong></span>'))
    # A day on which every dose of a drug by mouth is held says so first, in words: nobody takes
    # "the usual" tablet because a struck line was missed.
    for drug in dict.fromkeys(o.agent or "" for o in layout.by_day.get(day, []) if o.kind is Kind.DOSE):
        agent = layout.schedule.agents.get(drug)
        today = [o for o in layout.by_day[day] if o.kind is Kind.DOSE and o.agent == drug]
        if agent is not None and agent.oral and all(o.status is Status.CANCELLED for o in today):
            none = lang.say("cell.none_today", agent=_short(layout.schedule, drug, lang).lower())
            items.append(((0, "!"), f'<span class="ev none"><strong>{_e(none)}</strong></span>'))
    items.sort(key=lambda item: item[0])
    return " ".join(dict.fromkeys(classes)), [html for _, html in items]


def _continuing(layout: Layout) -> bool:
    """Whether a daily drug goes on through the cycles' rest (so "treatment-free" would mislead)."""
    return any(layout.schedule.agents[d.agent].continues for d in layout.schedule.daily) and bool(
        layout.schedule.phases
    )


def _sort_time(o: Occurrence) -> str:
    return f"{o.start:%H:%M}" if isinstance(o.start, datetime) else ""


def _phase_agents(layout: Layout, o: Occurrence) -> set[str]:
    """The agents given in the phase a rest period belongs to."""
    phases = [p for p in layout.schedule.phases if p.name == o.phase]
    return {i.agent for p in phases for i in p.infusions} | {d.agent for p in phases for d in p.doses}


def _month(layout: Layout, year: int, month: int) -> str:
    lang = layout.lang
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    head = "".join(f"<th>{_e(lang.weekday(d))}</th>" for d in weeks[0])
    rows = []
    names = frozenset(
        word.lower()
        for agent in layout.schedule.agents.values()
        for word in re.findall(r"[^\W\d_]+", lang.content(agent.name))
    )
    worded = False  # whether a routine bag change in this month has said "Bag change" yet
    for week in weeks:
        if all(not layout.first <= day <= layout.last for day in week if day.month == month):
            continue  # a week wholly before the plan starts or after it ends
        cells = []
        busy = False
        for day in week:
            if day.month != month:
                cells.append('<td class="out"></td>')
                continue
            inside = layout.first <= day <= layout.last
            classes, lines = _cell_events(layout, day, terse=worded) if inside else ("", [])
            worded = worded or any(_routine_bag(o) for o in layout.by_day.get(day, []) if inside)
            busy = busy or bool(lines)
            label = layout.label(day) if inside else None
            lab = f'<span class="lab">{_e(lang.text(label))}</span>' if label else ""
            if (
                inside
                and layout.schedule.daily
                and layout.schedule.phases
                and label
                and label.key != "label.plan_day"
            ):
                pday = lang.say("label.plan_day", day=(day - layout.plan.start).days + 1)
                lab += f'<span class="pday">{_e(pday)}</span>'
            cells.append(
                f'<td class="{classes}" data-date="{day.isoformat()}">{lab}<span class="num">{day.day}</span>'
                f"{_soft_hyphens(''.join(lines), lang.code, names)}</td>"
            )
        # A week in which nothing happens (a long rest) takes a short row: the page holds more months.
        rows.append(f"<tr>{''.join(cells)}</tr>" if busy else f'<tr class="quiet">{"".join(cells)}</tr>')
    return (
        f'<div class="monthbox"><h3>{_e(lang.month_name(date(year, month, 1)))}</h3>'
        f'<table class="month" data-month="{year}-{month:02d}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _routine(o: Occurrence, lang: Language) -> str | None:
    """What makes an event one of a run of identical ones (a daily dose, a bag change), if it is."""
    if o.status is not Status.PLANNED or not isinstance(o.start, datetime):
        return None
    # Events moved by the same delay still make one run: the shift is part of what they share.
    moved = (o.start_date - o.moved_from).days if o.moved_from is not None else 0
    if o.kind is Kind.DOSE and o.cycle is None:
        return f"dose {o.agent} {lang.text(o.title_text)} {o.start:%H:%M} {moved}"
    if o.kind is Kind.BAG_CHANGE and isinstance(o.title_text, Msg) and o.title_text.key == "title.bag_change":
        return f"bag {o.agent} {o.cycle} {o.start:%H:%M} {moved}"  # a restart moves later changes
    return None


def _one_drug_words(o: Occurrence, layout: Layout) -> Value:
    """A bag change's or an infusion end's title, without the drug's name where the plan has one."""
    if len(layout.drugs) == 1 and o.kind is Kind.BAG_CHANGE and _routine_bag(o):
        return msg("cell.bag")
    if len(layout.drugs) == 1 and o.kind is Kind.INFUSION_END and not o.stopped:
        return msg("cell.end")
    return o.title_text


def _run_row(run: list[Occurrence], layout: Layout) -> str:
    """One row for a run of identical events: its first day, the days it spans, how often, the last.

    "Every day" is said only when the run has no gap (a held dose in the middle has a row of its
    own and breaks the "every day").
    """
    lang = layout.lang
    first, last = run[0], run[-1]
    if first.cycle is not None and first.cycle == last.cycle:
        label = msg("label.cycle_days", cycle=first.cycle, first=first.day, last=last.day)
    elif first.cycle is None and last.cycle is None:
        label = msg("label.plan_days", first=first.day, last=last.day)
    else:
        label = first.label_text
    daily = len({o.start_date for o in run}) == (last.start_date - first.start_date).days + 1 == len(run)
    what = lang.say(
        "days.run_daily" if daily else "days.run",
        what=_one_drug_words(first, layout),
        count=len(run),
        last=last.start_date,
    )
    return (
        f'<tr class="run"><td class="date">{_e(lang.date(first.start_date))}</td>'
        f'<td class="lab">{_e(lang.text(label))}</td><td class="time">{_e(_time(first, layout))}</td>'
        f"<td>{_mark(first, what)}</td></tr>"
    )


def _day_list(layout: Layout, full: bool = False) -> str:
    """Every event by day, or (the default) special days and changes with each run summarised.

    A run of identical events (the same daily dose, routine bag changes of one cycle) takes one
    row, from its first day to its last; the month grid shows it day by day.
    """
    lang = layout.lang
    rows = []
    runs: dict[str, list[Occurrence]] = {}
    order: list[tuple[Occurrence, str | None]] = []
    for o in layout.occurrences:
        key = None if full else _routine(o, lang)
        if key is None or key not in runs:
            order.append((o, key))
        if key is not None:
            runs.setdefault(key, []).append(o)
    # Where an infusion ends and the days without it begin, one row says both.
    rest_of: dict[int, Occurrence] = {}
    if not full:
        rests = {
            (o.start_date, o.cycle): o
            for o in layout.occurrences
            if o.kind is Kind.REST and o.status is Status.PLANNED
        }
        for o in layout.occurrences:
            rest = rests.get((o.start_date, o.cycle))
            if o.kind is Kind.INFUSION_END and o.status is Status.PLANNED and rest is not None:
                rest_of[id(o)] = rest
    merged = {id(rest) for rest in rest_of.values()}
    for o, key in order:
        if key is not None and len(runs[key]) > 1:
            rows.append(_run_row(runs[key], layout))
            continue
        if id(o) in merged:
            continue
        if id(o) in rest_of:
            rest = rest_of[id(o)]
            words = lang.say(
                "days.end_then_rest",
                what=_one_drug_words(o, layout),
                rest=rest.title_text,
                last=rest.dates[-1],
            )
            rows.append(
                f'<tr><td class="date">{_e(lang.date(o.start_date))}</td>'
                f'<td class="lab">{_e(lang.text(rest.span_label_text))}</td>'
                f'<td class="time">{_e(_time(o, layout))}</td><td>{_mark(o, words)}</td></tr>'
            )
            continue
        cls = ' class="cancelled"' if o.status is Status.CANCELLED else ""
        when = _e(lang.date(o.start_date))
        if o.moved_from is not None:
            # The date to keep first; the old one after it, struck and said in words.
            was = lang.say("was", date=lang.date(o.moved_from))
            when = f'{when}<br><s class="was">{_e(was)}</s>'
        what = _mark(o, lang.text(o.title_text), _called_off(o, lang), _ticked(o, layout))
        # An all-day event has no time, as in the key dates: "toute la journée" took three lines of
        # the narrow column in French for every test and stay.
        clock = _time(o, layout) if isinstance(o.start, datetime) else ""
        rows.append(
            f'<tr{cls}><td class="date">{when}</td><td class="lab">{_e(lang.text(o.span_label_text))}</td>'
            f'<td class="time">{_e(clock)}</td><td>{what}</td></tr>'
        )
    heads = "".join(f"<th>{_e(lang.say(h))}</th>" for h in ("col.date", "col.day", "col.time", "col.what"))
    note = "" if full else f'<p class="hint">{_e(lang.say("days.summary"))}</p>'
    return (
        f'<section class="days"><h2>{_e(lang.say("heading.day_by_day"))}</h2>{note}<table class="days"><thead><tr>'
        f"{heads}</tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )


def _changes(layout: Layout) -> str:
    """The plan's history: every adjustment in the order it was recorded, with its reason."""
    if not layout.plan.adjustments:
        return ""
    lang = layout.lang
    items = "".join(
        f"<li>{_e(lang.text(a.describe(layout.schedule)))}" + (f" ({_e(a.note)})" if a.note else "") + "</li>"
        for a in layout.plan.adjustments
    )
    moved = sum(1 for o in layout.occurrences if o.moved_from is not None)
    held = sum(1 for o in layout.occurrences if o.status is Status.CANCELLED)
    summary = lang.say(
        "changes.summary",
        moved=msg("changes.moved", count=moved),
        cancelled=msg("changes.cancelled", count=held),
    )
    return (
        f'<section class="changes"><h2>{_e(lang.say("heading.changes"))}</h2><ol>{items}</ol>'
        f"<p>{_e(summary)}</p></section>"
    )


def _legend(layout: Layout) -> str:
    """A sample of every mark the plan uses, and what the tick box and "*" mean."""
    lang = layout.lang
    used = {o.kind for o in layout.occurrences}
    rest_word = "mark.rest_continue" if _continuing(layout) else "mark.rest"
    items = "".join(
        f'<div class="k-{cls}"><span class="sym">{sym}</span>'
        f"{_e(lang.say(rest_word if kind is Kind.REST else key))}</div>"
        for kind, (sym, key, cls) in MARKS.items()
        if kind in used
    )
    extra = "".join(f"<p>{_e(lang.say(key))}</p>" for key in ("legend.tick", "legend.default_time"))
    return (
        f'<section class="legend-box"><h2>{_e(lang.say("heading.legend"))}</h2>'
        f'<div class="legend">{items}</div>{extra}<span id="{PAGE_1_END}-{_e(lang.code)}"></span></section>'
    )


def _when_to_call(layout: Layout) -> str:
    """The warning signs of the plan's drugs, the fever line and the numbers to call.

    On page 1 and the last page. A sign whose source says "or get emergency medical help"
    says so; the fever threshold is the clinic's (plan file), or the box says to ask for it.
    """
    lang = layout.lang
    # One item per drug and urgency, its signs one after the other: the drug's name once, so that
    # the box of a two-drug regimen still leaves page 1 room for the key dates and the legend.
    grouped: dict[tuple[str, bool], list[str]] = {}
    names: dict[str, str] = {}
    for a, x in layout.course.warnings():
        grouped.setdefault((a.id, x.emergency), []).append(lang.content(x.text))
        names[a.id] = lang.content(a.short_name)
    items = "".join(
        "<li>"
        + _e(lang.template("line.agent_emergency" if emergency else "line.agent")).format(
            agent=f"<strong>{_e(names[agent])}</strong>", text=_e(" ".join(texts))
        )
        + "</li>"
        for (agent, emergency), texts in grouped.items()
    )
    items += f'<li class="fever">{_e(lang.text(layout.course.fever_line()))}</li>'
    numbers = "".join(
        f'<div class="contact"><span>{_e(lang.say(_CONTACT_WORDS[kind]))}</span>'
        f'<span class="number">{_e(layout.plan.contacts.get(kind, ""))}</span></div>'
        for kind in layout.course.contacts
    )
    return (
        f'<section class="call"><h2>{_e(lang.say("heading.when_to_call"))}</h2><ul>{items}</ul>'
        f'<div class="contacts">{numbers}</div></section>'
    )


#: How many key dates page 1 lists at most; the course overview and the month grids have the rest.
KEY_DATES = 8
#: The id (with the language's code) of a mark at the end of page 1's legend: a PDF renderer
#: checks that it is on page 1 and lists fewer key dates if it is not.
PAGE_1_END = "end-of-page-1"


def _lines(text: str, width: int) -> int:
    """How many lines ``text`` takes wrapped at ``width`` characters (12 pt on A4: about 80)."""
    return max(1, len(textwrap.wrap(text, width)))


def _page_1_lines(layout: Layout) -> int:
    """The lines page 1 has left for key dates, after what else it must hold.

    An estimate in lines of 12 pt text, against the full blinatumomab course (8 lines for key
    dates with its title, indication, facts, warning signs and legend). A test prints every
    example plan, on A4 and US Letter, in WeasyPrint and Chromium, and finds the whole legend
    on page 1.
    """
    lang, s = layout.lang, layout.schedule
    grouped: dict[tuple[str, bool], list[str]] = {}
    for a, x in layout.course.warnings():
        grouped.setdefault((lang.content(a.short_name), x.emergency), []).append(lang.content(x.text))
    signs = [
        lang.template("line.agent_emergency" if emergency else "line.agent").format(
            agent=name, text=" ".join(texts)
        )
        for (name, emergency), texts in grouped.items()
    ] + [lang.text(layout.course.fever_line())]
    used = (
        _lines(lang.content(s.title), 45)
        - 1
        + _lines(lang.content(layout.course.indication), 80)
        - 1
        + max(0, (sum(_lines(f"{lang.text(k)} {lang.text(v)}", 40) for k, v in _facts(layout)) + 1) // 2 - 4)
        + max(0, sum(_lines(sign, 76) for sign in signs) - 5)
        # A line a telephone number past the three every plan has (who changes a bag at home).
        + max(0, len(layout.course.contacts) - 3)
        + max(0, (len({o.kind for o in layout.occurrences} & set(MARKS)) + 2) // 3 - 2)
        # Sentences every page 1 has, longer in some languages than in English.
        + _lines(lang.say("legend.tick"), 84)
        - 1
        + _lines(lang.say("legend.default_time"), 84)
        - 1
        + _lines(lang.say("notice"), 76)
        - 2
    )
    return 10 - used


_CONTACT_WORDS = {
    "daytime": "contact.daytime",
    "after_hours": "contact.after_hours",
    "pharmacy": "contact.pharmacy",
    "bag_change": "contact.bag_change",
}


def _key_date_rows(layout: Layout) -> list[tuple[date, str, Value, Value]]:
    """Admissions, discharges, cycle starts, restarts and the first and last days, in order.

    Each row: the date, the time (or ""), the label (C1D1) and what happens.
    """
    lang = layout.lang
    rows: list[tuple[date, str, Value, Value]] = []
    planned = [o for o in layout.occurrences if o.status is Status.PLANNED]
    started: set[int] = set()
    tests: set[Value] = set()
    for o in planned:
        when = lang.clock(o.start) if isinstance(o.start, datetime) else ""
        if o.kind is Kind.HOSPITAL:
            rows.append(
                (
                    o.start_date,
                    "",
                    o.label_text,
                    msg("key.admission", stay=msg("length.stay", count=len(o.dates))),
                )
            )
            last = o.dates[-1]
            label = layout.label(last)
            rows.append((last, "", label, msg("key.discharge")))
        elif o.kind in (Kind.INFUSION, Kind.DOSE) and o.cycle is not None and o.cycle not in started:
            started.add(o.cycle)
            rows.append(
                (o.start_date, when, o.label_text, msg("key.cycle_start", cycle=o.cycle, what=o.title_text))
            )
        elif o.kind is Kind.INFUSION and o.restart:
            rows.append((o.start_date, when, o.label_text, msg("key.restart", what=o.title_text)))
        elif o.kind is Kind.INFUSION_END and o.stopped:
            rows.append((o.start_date, when, o.label_text, msg("key.stop")))
        elif o.kind is Kind.VISIT:
            rows.append((o.start_date, when, o.label_text, o.title_text))
        elif o.kind is Kind.TEST and (o.agent is None or o.title_text not in tests):
            # A test before every dose is a key date once, the first time; the grid has the rest.
            tests.add(o.title_text)
            rows.append((o.start_date, when, o.label_text, o.title_text))
    daily = [o for o in planned if o.kind is Kind.DOSE and o.cycle is None]
    if daily:
        rows.append(
            (daily[0].start_date, "", daily[0].label_text, msg("key.first_dose", what=daily[0].title_text))
        )
        rows.append(
            (daily[-1].start_date, "", daily[-1].label_text, msg("key.last_day", what=daily[-1].title_text))
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def _key_dates_estimate(layout: Layout) -> int:
    """How many key dates page 1 in ``layout``'s language is estimated to hold.

    As many as page 1 holds: a long title, many facts or a long legend leave fewer lines.
    """
    lines, shown = _page_1_lines(layout), 0
    for _, _, _, what in _key_date_rows(layout)[:KEY_DATES]:
        lines -= _lines(layout.lang.text(what), 50)
        if lines < 0:
            break
        shown += 1
    return shown


def _key_dates(layout: Layout, most: int | None = None) -> str:
    """Page 1's key dates: at most ``most`` (by default, as many as page 1 is estimated to hold)."""
    lang = layout.lang
    rows = _key_date_rows(layout)
    shown = min(_key_dates_estimate(layout) if most is None else most, len(rows))
    more = len(rows) - shown
    rows = rows[:shown]
    body = "".join(
        f'<tr><td class="date">{_e(lang.date(day))}</td><td class="lab">{_e(lang.text(label))}</td>'
        f"<td>{_e(time)}</td><td>{_e(lang.text(what))}</td></tr>"
        for day, time, label, what in rows
    )
    if not rows and more:
        # Not one key date fits beside a long call box (a two-drug regimen in French on US Letter):
        # one line says where they are, so that the legend stays whole on page 1.
        heading = f"<strong>{_e(lang.say('heading.key_dates'))}</strong>"
        hint = _e(lang.say("key.elsewhere", count=more))
        return f'<section class="keydates"><p class="hint">{heading} {hint}</p></section>'
    rest = f'<p class="hint">{_e(lang.say("key.more", count=more))}</p>' if more > 0 else ""
    return (
        f'<section class="keydates"><h2>{_e(lang.say("heading.key_dates"))}</h2>'
        f'<table class="days"><tbody>{body}</tbody></table>{rest}</section>'
    )


def _notes_page(layout: Layout) -> str:
    """The last page: the call box again, then ruled lines for notes and questions."""
    lines = '<div class="ruled"></div>' * 12
    heading = _e(layout.lang.say("heading.notes_page"))
    return f'<section class="notes-page">{_when_to_call(layout)}<h2>{heading}</h2>{lines}</section>'


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal inside a <style> element (for the running header).

    Every character but letters and digits is written as a CSS hex escape, so that
    patient text can neither end the string nor the style element (``</style>``).
    """
    safe = "".join(ch if ch.isalnum() else f"\\{ord(ch):06x}" for ch in text)
    return f'"{safe}"'


def _page_css(layout: Layout, also: Language | None = None) -> str:
    """The running header (patient label, plan) and "Page n of m" on every printed page.

    A bilingual printout says both, first language first: its pages hold both languages.
    """
    langs = [layout.lang, *([also] if also is not None else [])]
    patient = f"{layout.plan.patient} · " if layout.plan.patient else ""
    title = Content(layout.schedule.title)
    header = " / ".join(dict.fromkeys(x.say("page.header", patient=patient, title=title) for x in langs))
    numbers = []
    for x in langs:
        before, _, rest = x.template("page.number").partition("{page}")
        middle, _, after = rest.partition("{pages}")
        numbers.append(
            f"{_css_string(before)} counter(page) {_css_string(middle)} counter(pages) {_css_string(after)}"
        )
    number = f" {_css_string(' / ')} ".join(numbers)
    return (
        "@page { @top-left { content: " + _css_string(header) + "; font-size: 9pt; color: #333; }"
        " @bottom-right { content: " + number + "; font-size: 9pt; color: #333; } }"
    )


def _instructions(layout: Layout) -> str:
    lang = layout.lang
    s = layout.schedule
    parts = []
    for a in s.agents.values():
        items: list[Value] = [Content(x) for x in a.instructions]
        if a.missed_dose:
            items.append(msg("note.missed", text=Content(a.missed_dose)))
        elif a.oral:
            items.append(msg("note.missed_unknown"))
        items += [Content(x.text) for x in a.advice if not x.warning]
        if a.continues:
            items.append(msg("note.keep_taking", agent=Content(a.short_name)))
        if a.times_note:
            items.append(Content(a.times_note))
        if items:
            listed = "".join(f"<li>{_e(lang.text(i))}</li>" for i in items)
            parts.append(f"<h3>{_e(lang.content(a.name))}</h3><ul>{listed}</ul>")
    windows = sorted(
        {
            (dose.window_days, dose.window_note)
            for phase in s.phases
            for dose in phase.doses
            if dose.window_days
        }
    )
    if windows:
        parts.append(f"<h3>{_e(lang.say('heading.dose_windows'))}</h3><ul>")
        parts += [
            f"<li>{_e(lang.say('window.line', days=w, note=Content(note or '')))}</li>" for w, note in windows
        ]
        parts.append("</ul>")
    if any("/m2" in (o.dose or "") for o in layout.occurrences):
        parts.append(
            f"<p>{_e(lang.say('note.per_m2', formula=msg('formula.mosteller'), rounding=msg('formula.rounding')))}</p>"
        )
    notes = [x.text for x in layout.course.patient_notes()] + list(layout.course.beyond_limits())
    if notes:
        listed = "".join(f"<li>{_e(lang.content(n))}</li>" for n in notes)
        parts.append(f"<h3>{_e(lang.say('heading.notes'))}</h3><ul>{listed}</ul>")
    planned = layout.course.care_team()
    if planned:
        dates = _e(lang.say("care_team.dates"))
        listed = "".join(
            f'<li>{_e(lang.content(x.text))}<div class="dates">{dates}<span class="blank"></span></div>'
            + '<div class="blank"></div>' * 2
            + "</li>"
            for x in planned
        )
        parts.append(f'<h3>{_e(lang.say("heading.care_team"))}</h3><ul class="care-team">{listed}</ul>')
    return f'<section class="instructions"><h2>{_e(lang.say("heading.instructions"))}</h2>{"".join(parts)}</section>'


def _sources(s: Schedule, lang: Language) -> str:
    items = "".join(
        f"<li>{_e(lang.content(src.title))}{_e(src.dated)}"
        + (f' <a href="{_e(src.url)}">{_e(src.url)}</a>' if src.url and src.linkable else "")
        + "</li>"
        for src in s.sources.values()
    )
    return f'<section class="sources"><h2>{_e(lang.say("heading.sources"))}</h2><ul>{items}</ul></section>'


def _subscribe(feed_url: str | None, lang: Language) -> str:
    """For a stored plan: its feed link as a QR code and a line per app on how to subscribe.

    The code holds the ``webcal://`` link, which an iPhone's camera hands straight to Calendar's
    subscribe sheet; the https link is printed for Outlook and Google, which take it pasted.
    """
    if feed_url is None:
        return ""
    import segno

    from dosecal.render.feedlink import webcal

    code = segno.make(webcal(feed_url), error="m").svg_inline(scale=3, border=2)
    steps = "".join(
        f"<li>{_e(lang.say(key))}</li>"
        for key in ("subscribe.iphone", "subscribe.android", "subscribe.outlook")
    )
    return (
        f'<section class="subscribe"><h2>{_e(lang.say("heading.subscribe"))}</h2>'
        f'<p>{_e(lang.say("subscribe.intro"))}</p><div class="qr">{code}</div>'
        f"<p><code>{_e(feed_url)}</code></p><ul>{steps}</ul>"
        f"<p>{_e(lang.say('subscribe.private'))}</p></section>"
    )


def _sections(
    course: Course,
    lang: Language,
    full_list: bool,
    key_dates: int | None = None,
    feed_url: str | None = None,
) -> list[str]:
    """The printable plan's sections in ``lang``, in reading order."""
    layout = Layout(course, lang)
    schedule, plan = course.schedule, course.plan
    months = "".join(_month(layout, y, m) for y, m in layout.months())
    generated = lang.say(
        "footer",
        version=__version__,
        schedule=schedule.id,
        checked=schedule.last_checked.isoformat(),
        plan=plan.plan_id(schedule),
        zone=plan.timezone,
        notice=msg("notice"),
    )
    return [
        _header(schedule, plan, layout),
        f'<div class="first">{_when_to_call(layout)}{_key_dates(layout, key_dates)}{_legend(layout)}</div>',
        _changes(layout),
        _overview(layout),
        f'<section class="months"><h2>{_e(lang.say("heading.months"))}</h2>{months}</section>',
        _day_list(layout, full_list),
        _instructions(layout),
        _sources(schedule, lang),
        _subscribe(feed_url, lang),
        _notes_page(layout),
        f"<footer>{_e(generated)}</footer>",
    ]


def to_html(
    course: Course,
    *,
    lang: Language = ENGLISH,
    full_list: bool = False,
    also: Language | None = None,
    key_dates: int | None = None,
    first_page: bool = False,
    feed_url: str | None = None,
) -> str:
    """Render the printable plan as a complete, self-contained HTML document in ``lang``.

    ``full_list`` lists every event by day; by default runs of identical events are summarised.
    ``also``: a second language; each section is printed in ``lang``, then in ``also``, each
    marked with its language (so screen readers and hyphenation follow it). ``key_dates``: at
    most this many key dates on page 1 (by default, as many as page 1 is estimated to hold).
    ``first_page``: only page 1 (for measuring it). ``feed_url``: a stored plan's feed link,
    printed before the notes page with its QR code.
    """
    layout = Layout(course, lang)
    if also is not None and key_dates is None:
        # Both languages list the same key dates: as many as page 1 holds in each of them.
        key_dates = min(_key_dates_estimate(layout), _key_dates_estimate(Layout(course, also)))
    header, *parts, footer = _sections(course, lang, full_list, key_dates, feed_url)
    if first_page:
        parts, footer = parts[:1], ""
    if also is not None:
        # Page 1 in each language (the fridge page), then every later section in both.
        other_header, *others, other_footer = _sections(course, also, full_list, key_dates, feed_url)
        parts[0], others[0] = header + parts[0], other_header + others[0]
        header, footer = "", footer + other_footer
        parts = [
            f'<div lang="{_e(code)}">{part}</div>'
            for first, second in zip(parts, others, strict=True)
            for code, part in ((lang.code, first), (also.code, second))
            if part
        ]
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang.code)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(lang.say('html.title', title=Content(course.schedule.title)))}</title>"
        f"<style>{CSS}{_page_css(layout, also)}</style></head><body>"
        f"{header}<main>{''.join(parts)}</main>{footer}</body></html>\n"
    )


def render(course: Course, options: RenderOptions) -> bytes:
    """The printable plan (see :func:`to_html`)."""
    return to_html(
        course, lang=options.lang, full_list=options.full_list, also=options.also, feed_url=options.feed_url
    ).encode()
