"""What the printable plan says, as plain data for its templates (``templates/plan.html``).

Python decides what goes on the page: which sections and events, in which words, how many key
dates page 1 holds. Every string is rendered in the reader's language and not escaped: the
templates escape it and say how it looks.
"""

from __future__ import annotations

import re
import string
import textwrap
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from dosecal import __version__
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.render.grid import month
from dosecal.render.layout import SPANS, Layout
from dosecal.render.marks import MARKS, clock, continuing, day_list, short
from dosecal.words import Cap, Content, Language, Value, msg

#: How many key dates page 1 lists at most; the course overview and the month grids have the rest.
KEY_DATES = 8
#: The id (with the language's code) of a mark at the end of page 1's legend: a PDF renderer
#: checks that it is on page 1 and lists fewer key dates if it is not.
PAGE_1_END = "end-of-page-1"
#: The fixed words the templates print (headings, column heads...), by message id.
WORDS = (
    "fact.patient", "blank.name", "blank.dob", "blank.record", "notice", "heading.when_to_call",
    "contact.daytime", "contact.after_hours", "contact.pharmacy", "contact.bag_change", "heading.key_dates",
    "heading.legend", "legend.tick", "legend.default_time", "heading.changes", "heading.course_overview",
    "col.phase", "col.cycle", "col.day1", "col.last", "col.treatment", "col.break", "col.rest",
    "col.hospital", "heading.months", "heading.day_by_day", "days.summary", "col.date", "col.day",
    "col.time", "col.what", "heading.instructions", "heading.dose_windows", "heading.notes",
    "heading.care_team", "care_team.dates", "heading.sources", "heading.subscribe", "subscribe.intro",
    "subscribe.iphone", "subscribe.android", "subscribe.outlook", "subscribe.private", "heading.notes_page",
    "heading.words",
)  # fmt: skip
#: The "Words on this plan" box: what each term means, and how to find the term in the plan's
#: words: by its own message (in the reader's language) or, for units and markers that read the
#: same in every language, by a pattern (the box then names them as the plan prints them).
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("gloss.cycle_day.means", "gloss.cycle_day"),
    ("gloss.plan_day.means", "gloss.plan_day"),
    ("gloss.mg.means", r"\bmg\b"),
    ("gloss.mcg.means", r"\bmcg\b"),
    ("gloss.per_m2.means", r"\bm?c?g/m(?:2|²)"),
    ("gloss.bsa.means", "gloss.bsa"),
    ("gloss.cr.means", "gloss.cr"),
    ("gloss.mrd.means", "gloss.mrd"),
    ("gloss.premedication.means", "gloss.premedication"),
    ("gloss.iv.means", "gloss.iv"),
    ("gloss.ecg.means", "gloss.ecg"),
    ("gloss.label.means", "gloss.label"),
    ("gloss.all.means", "gloss.all"),
    ("gloss.cml.means", "gloss.cml"),
    ("gloss.ph.means", "gloss.ph"),
    ("gloss.cd.means", r"\bCD\d+\b"),
    ("gloss.tki.means", "gloss.tki"),
    ("gloss.cns.means", "gloss.cns"),
)


def _facts(layout: Layout) -> list[tuple[Value, Value]]:
    """The plan's facts under the title: start, zone, last day, cycles, choices, body size."""
    s, p = layout.schedule, layout.plan
    facts: list[tuple[Value, Value]] = [
        (msg("fact.start"), p.start),
        (msg("fact.clock"), p.timezone),
        (msg("fact.until"), layout.last),
    ]
    if layout.planned is not None:
        facts.append(
            (msg("fact.cycles_planned"), msg("fact.cycles_count", count=layout.planned, most=s.total_cycles))
        )
    for key, value in sorted(layout.choices.items()):
        facts.append((Cap(Content(s.choices[key].label)), Content(s.choices[key].words(value))))
    if p.weight_kg is not None:
        facts.append((msg("fact.weight"), msg("fact.kg", value=f"{p.weight_kg:g}")))
    if p.height_cm is not None:
        facts.append((msg("fact.height"), msg("fact.cm", value=f"{p.height_cm:g}")))
    return facts


#: A key date: the date, the time (or ""), the label (C1D1), what happens, and whether page 1
#: lists it before the others (a new dose, wherever it falls in the course).
KeyDate = tuple[date, str, Value, Value, bool]


def _key_date_rows(layout: Layout) -> list[KeyDate]:
    """Admissions, discharges, cycle starts, dose days, restarts, new doses, first and last days.

    A dose the care team gives (an injection or infusion in a cycle: inotuzumab's days 1, 8 and
    15) is a visit to plan for, each one a key date; a dose taken at home every day is not.
    """
    rows: list[KeyDate] = []
    planned = [o for o in layout.occurrences if o.status is Status.PLANNED]
    started: set[int] = set()
    tests: set[Value] = set()
    for o in planned:
        # A default time is marked "*" here too, as in the month grid and the day list.
        when = clock(o, layout) if isinstance(o.start, datetime) else ""
        if id(o) in layout.new_doses:
            rows.append((o.start_date, when, o.label_text, msg("key.new_dose", what=o.title_text), True))
        if o.kind is Kind.HOSPITAL:
            stay = msg("key.admission", stay=msg("length.stay", count=len(o.dates)))
            rows.append((o.start_date, "", o.label_text, stay, False))
            rows.append((o.dates[-1], "", layout.label(o.dates[-1]), msg("key.discharge"), False))
        elif o.kind in (Kind.INFUSION, Kind.DOSE) and o.cycle is not None and o.cycle not in started:
            started.add(o.cycle)
            what = msg("key.cycle_start", cycle=o.cycle, what=o.title_text)
            rows.append((o.start_date, when, o.label_text, what, False))
        elif (
            o.kind is Kind.DOSE
            and o.cycle is not None
            and not _oral(layout, o)
            and id(o) not in layout.new_doses
        ):
            rows.append((o.start_date, when, o.label_text, msg("key.dose_day", what=o.title_text), False))
        elif o.kind is Kind.INFUSION and o.restart:
            rows.append((o.start_date, when, o.label_text, msg("key.restart", what=o.title_text), False))
        elif o.kind is Kind.INFUSION_END and o.stopped:
            rows.append((o.start_date, when, o.label_text, msg("key.stop"), False))
        elif o.kind is Kind.VISIT:
            rows.append((o.start_date, when, o.label_text, o.title_text, False))
        elif o.kind is Kind.TEST and (o.agent is None or o.title_text not in tests):
            # A test before every dose is a key date once, the first time; the grid has the rest.
            tests.add(o.title_text)
            rows.append((o.start_date, when, o.label_text, o.title_text, False))
    if daily := [o for o in planned if o.kind is Kind.DOSE and o.cycle is None]:
        first, last = daily[0], daily[-1]
        rows.append(
            (first.start_date, "", first.label_text, msg("key.first_dose", what=first.title_text), False)
        )
        rows.append((last.start_date, "", last.label_text, msg("key.last_day", what=last.title_text), False))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def _oral(layout: Layout, o: Occurrence) -> bool:
    """Whether ``o`` is a dose of a drug taken by mouth (at home, not a visit)."""
    agent = layout.schedule.agents.get(o.agent or "")
    return agent is not None and agent.oral


def _shown(rows: list[KeyDate], most: int) -> list[KeyDate]:
    """The key dates page 1 lists when it holds ``most``: new doses first, then the earliest.

    A dose changed months ahead is still on the fridge page; the list stays in date order.
    """
    first = [r for r in rows if r[4]][:most]
    rest = [r for r in rows if not r[4]][: most - len(first)]
    return sorted(first + rest, key=lambda r: (r[0], r[1]))


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
        lang.template("line.agent_emergency" if urgent else "line.agent").format(
            agent=name, text=" ".join(texts)
        )
        for (name, urgent), texts in grouped.items()
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


def key_dates_estimate(layout: Layout) -> int:
    """How many key dates page 1 in ``layout``'s language is estimated to hold.

    As many as page 1 holds: a long title, many facts or a long legend leave fewer lines.
    """
    lines, shown = _page_1_lines(layout), 0
    for _, _, _, what, _ in _shown(_key_date_rows(layout), KEY_DATES):
        lines -= _lines(layout.lang.text(what), 50)
        if lines < 0:
            break
        shown += 1
    return shown


def _call(layout: Layout) -> dict[str, Any]:
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
    signs = []  # each line in pieces, (words, strong): the drug's name stands out
    for (agent, urgent), texts in grouped.items():
        pieces: list[tuple[str, bool]] = []
        line = lang.template("line.agent_emergency" if urgent else "line.agent")
        for words, field, _, _ in string.Formatter().parse(line):
            pieces.append((words, False))
            if field is not None:
                pieces.append((names[agent], True) if field == "agent" else (" ".join(texts), False))
        signs.append(pieces)
    return {
        "signs": signs,
        "fever": lang.text(layout.course.fever_line()),
        "contacts": [(kind, layout.plan.contacts.get(kind, "")) for kind in layout.course.contacts],
    }


def _instructions(layout: Layout) -> dict[str, Any]:
    """Each drug's instructions and advice, dose windows, the per-m² note, notes, the care team's."""
    lang, s = layout.lang, layout.schedule
    agents = []
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
            agents.append((lang.content(a.name), [lang.text(i) for i in items]))
    windows = sorted(
        {(d.window_days, d.window_note) for phase in s.phases for d in phase.doses if d.window_days}
    )
    per_m2 = lang.say("note.per_m2", formula=msg("formula.mosteller"), rounding=msg("formula.rounding"))
    notes = [x.text for x in layout.course.patient_notes()] + list(layout.course.beyond_limits())
    return {
        "agents": agents,
        "windows": [lang.say("window.line", days=w, note=Content(note or "")) for w, note in windows],
        "per_m2": per_m2 if any("/m2" in (o.dose or "") for o in layout.occurrences) else "",
        "notes": [lang.content(n) for n in notes],
        "care_team": [lang.content(x.text) for x in layout.course.care_team()],
    }


def _overview(layout: Layout) -> dict[str, Any]:
    """The course at a glance: a swimlane per drug, hospital and rest, daily drugs, a row per cycle."""
    lang, first, s, p = layout.lang, layout.first, layout.schedule, layout.plan
    total = (layout.last - first).days + 1

    def x(d: date) -> float:  # 190 to 990 of the timeline's 1000: the lanes' names on the left
        return 190 + 800 * (d - first).days / total

    def bar(o: Occurrence) -> tuple[str, float, float, str]:
        width = max(x(o.end_date) - x(o.start_date), 1.5) if o.kind in SPANS else max(800 / total * 0.8, 1)
        return MARKS[o.kind][2], x(o.start_date), width, lang.text(o.summary_text)

    # What happens: a held dose or a span an interruption cancelled is not drawn as given.
    planned = [o for o in layout.occurrences if o.status is Status.PLANNED and o.kind in (*SPANS, Kind.DOSE)]
    lanes = [(short(layout, agent), [bar(o) for o in planned if o.agent == agent]) for agent in layout.drugs]
    rest = "mark.rest_continue" if continuing(layout) else "lane.rest"
    for kind, key in ((Kind.HOSPITAL, "lane.hospital"), (Kind.REST, rest)):
        if mine := [bar(o) for o in planned if o.kind is kind]:
            lanes.append((lang.say(key), mine))
    months = [(x(max(date(y, m, 1), first)), date(y, m, 1)) for y, m in layout.months()]
    every = len(months) <= 13  # else every other month is named
    daily = [d for d in s.daily if d.applies(layout.choices)]
    return {
        "label": lang.say("timeline.label", first=first.isoformat(), last=layout.last.isoformat()),
        "months": [
            (at, lang.month(m, year=True) if (every or m.month % 2) and at < 930 else "") for at, m in months
        ],
        "lanes": lanes,
        "cycle_lines": [(x(start), lang.say("label.cycle", cycle=n)) for n, _, start, _ in layout.cycles],
        "daily": [
            lang.say(
                "overview.daily_open" if d.open_ended else "overview.daily_until",
                agent=Content(s.agents[d.agent].name),
                day=d.start_day,
                date=p.start + timedelta(days=d.start_day - 1),
                last=d.steps[-1].days.last,
            )
            for d in daily
        ],
        "rest_column": "col.break" if continuing(layout) else "col.rest",  # not "treatment-free" then
        # Each column's name as a phone prints it before each value ("Cycle: C2").
        "named": [
            lang.say("col.named", column=msg(key))
            for key in ("col.phase", "col.cycle", "col.day1", "col.last", "col.treatment")
        ]
        + [lang.say("col.named", column=msg("col.break" if continuing(layout) else "col.rest"))]
        + [lang.say("col.named", column=msg("col.hospital"))],
        "cycles": [
            (
                lang.content(r.phase),
                lang.say("label.cycle", cycle=r.number),
                *map(lang.date, (r.first, r.last)),
                *map(lang.text, (r.treatment, r.rest, r.hospital)),
            )
            for r in layout.rows()
        ],
    }


def _strings(value: object) -> Iterator[str]:
    """Every string in a sheet's value, however deep (marks are tuples of strings)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _glossary(layout: Layout, said: dict[str, Any]) -> list[tuple[str, str]]:
    """Each term the plan's words use that a family may not know, with what it means.

    Found in what the plan says to the family in ``said`` (not its sources or footer, which are
    for the care team), in the reader's language: a term is in the box only if it is in the
    plan. ``C1D8`` is explained wherever the plan has cycles, ``Day 12`` wherever it has plan days.
    """
    lang = layout.lang
    text = " ".join(_strings(said)).replace("\u00ad", "").replace("\u2060", "")
    found: list[tuple[str, str]] = []
    for means, term in GLOSSARY:
        if term == "gloss.cycle_day":
            terms = [lang.say(term)] if layout.cycles else []
        elif term == "gloss.plan_day":
            plan_days = layout.schedule.daily and any(
                (label := layout.label(o.start_date)) is not None and label.key == "label.plan_day"
                for o in layout.occurrences
            )
            terms = [lang.say(term)] if plan_days else []
        elif term.startswith("gloss."):
            words = lang.say(term)
            # "Premedication" is found as "premedication" too; "CR", "CRi" or "US label" as written.
            terms = (
                [words]
                if any(
                    re.search(
                        rf"(?<!\w){re.escape(t)}(?!\w)", text, 0 if t[1:] != t[1:].lower() else re.IGNORECASE
                    )
                    for t in words.split(", ")
                )
                else []
            )
        else:
            terms = list(dict.fromkeys(re.findall(term, text)))
        if terms:
            found.append((", ".join(terms), lang.say(means)))
    return found


def _glossary_lines(entries: list[tuple[str, str]], lang: Language) -> list[list[tuple[str, bool]]]:
    """Each entry of the box as a line in pieces, (words, strong): the term stands out."""
    line = lang.template("gloss.entry")
    out = []
    for term, means in entries:
        pieces: list[tuple[str, bool]] = []
        for words, field, _, _ in string.Formatter().parse(line):
            pieces.append((words, False))
            if field is not None:
                pieces.append((term, True) if field == "term" else (means, False))
        out.append([p for p in pieces if p[0]])
    return out


def _subscribe(feed_url: str) -> dict[str, Any]:
    """For a stored plan: its feed link as a QR code and a line per app on how to subscribe.

    The code holds the ``webcal://`` link, which an iPhone's camera hands straight to Calendar's
    subscribe sheet; the https link is printed for Outlook and Google, which take it pasted.
    """
    import segno
    from markupsafe import Markup

    from dosecal.render.feedlink import webcal

    # segno's own SVG, drawn from the link (which it escapes): markup to insert as it is.
    code = Markup(segno.make(webcal(feed_url), error="m").svg_inline(scale=3, border=2))
    return {"url": feed_url, "code": code}


def sheet(
    course: Course,
    lang: Language,
    full: bool,
    key_dates: int | None,
    feed_url: str | None,
    *,
    first_page: bool = False,
) -> dict[str, Any]:
    """Everything the printable plan says in ``lang``, section by section (see sections.html).

    ``full``: every event in the day list; ``key_dates``: at most so many on page 1 (by default
    as many as it is estimated to hold); ``feed_url``: a stored plan's, with how to subscribe.
    ``first_page``: only what page 1 shows (a PDF measures page 1 several times: the month
    grids, the day list and the glossary were a third of each measure, and page 1 shows none).
    """
    if first_page:
        return _page_1(course, lang, key_dates)
    return _sheet(course, lang, full, key_dates, feed_url)


def _page_1(course: Course, lang: Language, key_dates: int | None) -> dict[str, Any]:
    """What page 1 shows, as :func:`_sheet` says it; the later sections are left empty."""
    layout = Layout(course, lang)
    said = _sheet_first(layout, key_dates)
    said.update(changes=[], overview=None, months=[], days=[], instructions=None, sources=[])
    said.update(subscribe=None, full_list=False, glossary=[], days_hint="", changes_summary="")
    return said


def _sheet_first(layout: Layout, key_dates: int | None) -> dict[str, Any]:
    """Page 1's values: the heading, facts, whom to call, key dates and the legend."""
    lang, s, p = layout.lang, layout.course.schedule, layout.course.plan
    rows = _key_date_rows(layout)
    shown = min(key_dates_estimate(layout) if key_dates is None else key_dates, len(rows))
    more = len(rows) - shown
    used = {o.kind for o in layout.occurrences}
    rest = "mark.rest_continue" if continuing(layout) else "mark.rest"
    return {
        "code": lang.code,
        "words": {key: lang.say(key) for key in WORDS},
        "title": lang.content(s.title),
        "indication": lang.content(layout.course.indication),
        "patient": p.patient,
        "facts": [(lang.text(k), lang.text(v)) for k, v in _facts(layout)],
        "call": _call(layout),
        "key_dates": [
            (lang.date(d), lang.text(label), at, lang.text(what))
            for d, at, label, what, _ in _shown(rows, shown)
        ],
        # Not one key date fits beside a long call box (a two-drug regimen in French on US Letter):
        # one line says where they are, so that the legend stays whole on page 1.
        "more": lang.say("key.more" if shown else "key.elsewhere", count=more) if more > 0 else "",
        "legend": [
            (cls, sym, lang.say(rest if k is Kind.REST else key))
            for k, (sym, key, cls) in MARKS.items()
            if k in used
        ],
        "page_1_end": f"{PAGE_1_END}-{lang.code}",
    }


def _sheet(
    course: Course, lang: Language, full: bool, key_dates: int | None, feed_url: str | None
) -> dict[str, Any]:
    """The whole printable plan's values (see :func:`sheet`)."""
    layout = Layout(course, lang)
    s, p = course.schedule, course.plan
    moved = msg("changes.moved", count=sum(1 for o in layout.occurrences if o.moved_from is not None))
    held = msg("changes.cancelled", count=sum(1 for o in layout.occurrences if o.status is Status.CANCELLED))
    said: dict[str, Any] = {
        **_sheet_first(layout, key_dates),
        "changes": [(lang.text(a.describe(s)), a.note) for a in p.adjustments],
        "changes_summary": lang.say("changes.summary", moved=moved, cancelled=held),
        "overview": _overview(layout),
        "months": [month(layout, y, m) for y, m in layout.months()],
        "full_list": full,
        "days_hint": lang.say("days.summary_cycles" if layout.cycles else "days.summary"),
        "days": day_list(layout, full),
        "instructions": _instructions(layout),
        "sources": [
            (lang.content(x.title), x.dated, x.url if x.url and x.linkable else "")
            for x in s.sources.values()
        ],
        "subscribe": _subscribe(feed_url) if feed_url is not None else None,
        "footer": lang.say(
            "footer",
            version=__version__,
            schedule=s.id,
            checked=s.last_checked.isoformat(),
            plan=p.plan_id(s),
            zone=p.timezone,
            notice=msg("notice"),
        ),
    }
    family = {k: v for k, v in said.items() if k not in ("words", "sources", "footer", "subscribe", "code")}
    said["glossary"] = _glossary_lines(_glossary(layout, family), lang)
    return said
