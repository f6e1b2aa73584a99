"""The printable plan's month grids: each day's label, its events in time order, its shading.

A cell is 27 mm wide: words are short ("Bag change" said once a month), amounts keep their
units, and long words get soft hyphens, so that a cell breaks at a syllable, never mid-letter.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date, datetime
from typing import Any

import pyphen

from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.render.layout import SPANS, Layout
from dosecal.render.marks import (
    MARKS,
    Mark,
    called_off_flags,
    clock,
    continuing,
    mark,
    moved_with_cycle,
    routine_bag,
    short,
    ticked,
    written,
)
from dosecal.words import msg

_KEEP_UNIT = re.compile(r"(\d) (mg|mcg|g)\b")
_LONG_WORD = re.compile(r"[^\W\d_]{9,}")
#: An amount and its unit ("28 mcg/day", "0,5 mg/m²"): kept on one line in a cell.
_AMOUNT = re.compile(r"(\d)[ \u00a0]((?:mg|mcg|g)(?:/\S+)?)")


@functools.cache
def _hyphenator(code: str) -> pyphen.Pyphen | None:
    """The hyphenation patterns of a language, or None where pyphen has none (pseudo-locales)."""
    found = pyphen.language_fallback(code.replace("-", "_"))
    return pyphen.Pyphen(lang=found) if found else None


def _soft_hyphens(text: str, code: str, keep: frozenset[str]) -> str:
    """``text`` with soft hyphens at the syllables of long words, for narrow calendar cells.

    Words in ``keep`` (the drugs' names, lower case) are never broken: "Nilo-tinib" misleads.
    Both print engines break a word only at a soft hyphen and draw the hyphen only there;
    without one, a 10 pt "Dexamethasone" breaks at whatever letter reaches the cell's edge.
    """
    hyphenator = _hyphenator(code)
    if hyphenator is None:
        return text

    def hyphenate(w: re.Match[str]) -> str:
        word = w.group(0)
        return word if word.lower() in keep else hyphenator.inserted(word, hyphen="\u00ad")

    # No break between an amount and its unit, nor after the unit's slash (U+2060 word joiner).
    text = _LONG_WORD.sub(hyphenate, text)
    return _AMOUNT.sub(lambda a: a.group(1) + "\u00a0" + a.group(2).replace("/", "/\u2060"), text)


def _keep_unit(text: str) -> str:
    """``text`` with "400 mg" joined by a no-break space, so an amount never breaks between lines."""
    return _KEEP_UNIT.sub("\\1\u00a0\\2", text)


def _moved(o: Occurrence, layout: Layout) -> str | None:
    """The MOVED flag with the date the event had before: "MOVED (was Mon 25 Jan)".

    Said where a cycle now starts, and for an event that moved otherwise than its cycle (after
    an interruption), not on every later day of a delayed cycle.
    """
    if o.moved_from is None or o.status is Status.CANCELLED:
        return None
    if moved_with_cycle(o, layout):
        return None
    return layout.lang.say("cell.moved", date=layout.lang.short_date(o.moved_from))


def _said_key(o: Occurrence, layout: Layout) -> str | None:
    """What a month names once, then shows by its symbol alone (``None``: always in words).

    Routine bag changes, and each planned premedication and observation (by drug and time) and
    test (by name).

    A dose the care team gives in a plan of one drug (inotuzumab) names the drug once a month,
    then shows its amount: the name took a line of its own in a 27 mm cell. A tablet taken at
    home always says which one it is.
    """
    if o.status is not Status.PLANNED:
        return None  # HELD or CANCELLED is always said with the words it strikes
    if routine_bag(o):
        return "bag"
    agent = layout.schedule.agents.get(o.agent or "")
    if o.kind is Kind.DOSE and len(layout.drugs) == 1 and agent is not None and not agent.oral:
        return f"dose {o.agent}"
    lang = layout.lang
    if o.kind in (Kind.PREMEDICATION, Kind.OBSERVATION):
        # At its usual time: a premedication before a restart at another hour is named again.
        return f"{o.kind.value} {o.agent} {_sort_time(o)}"
    if o.kind is Kind.TEST:
        return f"test {lang.text(o.cell_text or o.title_text)}"
    return None


def _sort_time(o: Occurrence) -> str:
    return f"{o.start:%H:%M}" if isinstance(o.start, datetime) else ""


def _cell_events(layout: Layout, day: date, said: set[str] | None = None) -> tuple[str, list[Mark]]:
    """What happens on ``day``, in time order, each with its words and flags; the cell's classes.

    ``said``: the words this month's cells have said already. A routine bag change, a
    premedication, an observation or a test the month has named shows its tick box, symbol and
    time without the words, which the month's first one says (and the legend on page 1): a week
    of routine bag changes then takes one line of the page, not two, and an inotuzumab day four
    short lines, not nine (issue 22: the plan must stay short on paper).

    ``None``: the agenda a phone shows instead of the grid, where there is room for every
    event's whole title (its dose worked out for the body size), each dose on a line of its own.
    """
    full = said is None
    lang, s = layout.lang, layout.schedule
    classes: list[str] = []
    items: list[tuple[tuple[int, str], Mark]] = []
    today = layout.by_day.get(day, [])
    dosing_today = {o.agent for o in today if o.kind is Kind.DOSE and o.agent}
    for o in layout.covering.get(day, []):
        classes.append(MARKS[o.kind][2])
        if o.kind is Kind.HOSPITAL:
            n, m = (day - o.start_date).days + 1, len(o.dates)
            flag = lang.say("cell.discharge") if n == m and m > 1 else lang.say("cell.in_hospital")
            items.append(((0, ""), mark(o, lang.say("cell.hospital_day", day=n, days=m), (flag,))))
        elif o.start_date == day and o.kind is Kind.REST:
            phases = [p for p in s.phases if p.name == o.phase]  # the drugs of the rest's own phase
            ours = {i.agent for p in phases for i in p.infusions} | {d.agent for p in phases for d in p.doses}
            others = dosing_today - ours or continuing(layout)
            words = lang.text(o.title_text) if others or full else lang.say("cell.rest")
            items.append(((0, ""), mark(o, words)))
        elif o.start_date == day and o.kind is Kind.INFUSION:
            # An infusion is named where the plan gives more than one drug; alone, "Infusion" is enough.
            name = f"{short(layout, o.agent)} " if len(layout.drugs) > 1 and o.agent else ""
            text = (
                f"{name}{lang.text(msg('cell.infusion', dose=written(o)))}"
                if not full
                else _keep_unit(lang.text(o.title_text))
            )
            flags = tuple(
                lang.say(key)
                for key, on in (("cell.restart", o.restart), ("cell.supervised", o.supervised))
                if on
            )
            items.append(((1, _sort_time(o)), mark(o, text, flags, when=clock(o, layout))))
    # Several planned doses of one oral drug on a day share a line, a tick box for each time.
    doses: dict[tuple[str, str], list[Occurrence]] = {}
    for o in today if not full else ():
        if o.kind is Kind.DOSE and ticked(o, layout):
            doses.setdefault((o.agent or "", lang.text(written(o))), []).append(o)
    grouped = {id(o) for group in doses.values() if len(group) > 1 for o in group}
    for (drug, words), group in doses.items():
        if len(group) > 1:  # each box on the line of its own time: nobody ticks the wrong dose
            times = tuple(clock(o, layout) for o in group)
            text = _keep_unit(f"{short(layout, drug)} {words}")
            items.append(((1, _sort_time(group[0])), Mark("doses", text, "●", times=times)))
    for o in today:
        if id(o) in grouped or o.kind in SPANS:  # a cancelled span is listed, not a cell event
            continue
        name = short(layout, o.agent) if o.agent else ""  # a dose in a cell always says which drug
        word = {
            Kind.DOSE: f"{name} {_keep_unit(lang.text(written(o)))}".strip(),  # the amount: in the day list
            Kind.BAG_CHANGE: lang.say("cell.bag"),
            Kind.PREMEDICATION: lang.say("cell.premedication"),
            Kind.OBSERVATION: lang.say("cell.observation"),
            Kind.INFUSION_END: lang.say("cell.stopped" if o.stopped else "cell.end"),
            Kind.VISIT: lang.text(o.title_text),
            Kind.TEST: lang.text(o.cell_text or o.title_text),
        }[o.kind]
        spoken, key = word, _said_key(o, layout)
        if said is None:
            word = _keep_unit(lang.text(o.title_text))
        elif key is not None and key in said and o.kind is Kind.DOSE:
            # The amount alone: the month's first dose named the drug.
            word = _keep_unit(lang.text(written(o)))
        elif key is not None and key in said:
            word = ""  # the symbol and time alone: the month's first one said it (named for screen readers)
        elif key is not None:
            said.add(key)
        # An all-day test or visit needs no "all day" in a narrow cell: its mark says it.
        when = clock(o, layout) if isinstance(o.start, datetime) else ""
        mine = mark(o, word, called_off_flags(o, lang), ticked(o, layout), when, spoken=spoken)
        items.append(((1, _sort_time(o)), mine))
    # MOVED once a cell, for whatever moved there (a cycle moves all its events together).
    starting = [*today, *(o for o in layout.covering.get(day, []) if o.start_date == day)]
    moved = dict.fromkeys(was for was in (_moved(o, layout) for o in starting) if was is not None)
    items += [((0, "~"), Mark("flag", was)) for was in moved]
    if any(id(o) in layout.new_doses for o in starting):
        # A dose the care team changed (--change-dose, a new weight band) says so where it starts.
        items.append(((0, "+"), Mark("flag", lang.say("cell.new_dose"))))
    if day in layout.was_due:
        # The day a delayed cycle was due is not left blank: it says where the cycle went.
        cycle, now = layout.was_due[day]
        items.append(
            ((0, "!"), Mark("flag", lang.say("cell.delayed", cycle=cycle, date=lang.short_date(now))))
        )
    # A day on which every dose of a drug by mouth is held says so first, in words: nobody takes
    # "the usual" tablet because a struck line was missed.
    for drug in dict.fromkeys(o.agent or "" for o in today if o.kind is Kind.DOSE):
        agent = s.agents.get(drug)
        given = [o for o in today if o.kind is Kind.DOSE and o.agent == drug]
        if agent is not None and agent.oral and all(o.status is Status.CANCELLED for o in given):
            items.append(
                ((0, "!"), Mark("none", lang.say("cell.none_today", agent=short(layout, drug).lower())))
            )
    items.sort(key=lambda item: item[0])
    return " ".join(dict.fromkeys(classes)), [m for _, m in items]


def month(layout: Layout, year: int, number: int) -> dict[str, Any]:
    """One month's grid: the weeks of the plan, each day's label, events and shading."""
    lang, s = layout.lang, layout.schedule
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, number)
    names = frozenset(
        w.lower() for a in s.agents.values() for w in re.findall(r"[^\W\d_]+", lang.content(a.name))
    )
    hy = functools.partial(_soft_hyphens, code=lang.code, keep=names)
    rows = []
    said: set[str] = set()  # what this month's cells have said in words (see _cell_events)
    for week in weeks:
        if all(not layout.first <= day <= layout.last for day in week if day.month == number):
            continue  # a week wholly before the plan starts or after it ends
        cells: list[tuple[str, date, str, str, list[Mark]] | None] = []
        for day in week:
            if day.month != number:
                cells.append(None)
                continue
            inside = layout.first <= day <= layout.last
            classes, marks = _cell_events(layout, day, said) if inside else ("", [])
            label = layout.label(day) if inside else None
            plan_day = ""
            if label and s.daily and s.phases and label.key != "label.plan_day":
                plan_day = lang.say("label.plan_day", day=(day - layout.plan.start).days + 1)
            # Soft hyphens in every word the cell prints; not in a symbol's name for screen readers.
            marks = [
                m._replace(
                    text=hy(m.text),
                    when=hy(m.when),
                    flags=tuple(map(hy, m.flags)),
                    times=tuple(map(hy, m.times)),
                )
                for m in marks
            ]
            cells.append((classes, day, lang.text(label) if label else "", plan_day, marks))
        # A week in which nothing happens (a long rest) takes a short row: the page holds more months.
        rows.append((not any(cell and cell[4] for cell in cells), cells))
    first = date(year, number, 1)
    weekdays = [lang.weekday(d) for d in weeks[0]]
    return {
        "name": lang.month_name(first),
        "key": f"{year}-{number:02d}",
        "weekdays": weekdays,
        "weeks": rows,
        "agenda": agenda(layout, year, number),
    }


def agenda(layout: Layout, year: int, number: int) -> list[tuple[str, str, str, list[Mark]]]:
    """The month as a phone shows it (below 600 px, in place of the grid): a row a day.

    A row for each day something happens: the date in words, its label, then each event in full.
    Seven 55 px columns cannot hold a time or a word whole ("09:0", "HOSP/ITAL"); a list can.
    Each row: the ISO date, the date in words, the label (``C1D8``, ``Day 12``) and the marks.
    """
    lang = layout.lang
    out = []
    for n in range(1, calendar.monthrange(year, number)[1] + 1):
        day = date(year, number, n)
        if not layout.first <= day <= layout.last:
            continue
        _, marks = _cell_events(layout, day)
        if marks:
            label = layout.label(day)
            out.append((day.isoformat(), lang.date(day), lang.text(label) if label else "", marks))
    return out
