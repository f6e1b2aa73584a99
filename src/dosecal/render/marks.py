"""Each event as the printable plan marks it (templates/marks.html), and the day-by-day list.

A mark is a symbol, a time, flags in words (HELD, MOVED...) and the event's words, as plain
strings: the same mark in a month cell and in the day list, so that both say it alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from dosecal.core.premedication import UNTIMED_PREMEDICATION_MINUTES
from dosecal.model.adjustments import TimeChange
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.render.layout import Layout, called_off
from dosecal.words import Language, Msg, Value, msg

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


class Mark(NamedTuple):
    """One event: its class in :data:`MARKS` (or ``doses``, ``flag``, ``none``), words and flags.

    ``doses``: one drug's doses of a day on one line, a tick box for each of ``times``.
    ``flag``: a flag alone (MOVED, DELAYED); ``none``: a day without the drug by mouth.
    """

    kind: str
    text: str
    sym: str = ""
    when: str = ""
    flags: tuple[str, ...] = ()
    tick: bool = False
    struck: bool = False
    spoken: str = ""
    times: tuple[str, ...] = ()


def mark(
    o: Occurrence,
    text: str,
    flags: tuple[str, ...] = (),
    tick: bool = False,
    when: str = "",
    spoken: str = "",
) -> Mark:
    """``o``'s mark, struck through if it was called off; ``spoken`` names a symbol without words."""
    sym, _, cls = MARKS[o.kind]
    return Mark(cls, text, sym, when, flags, tick, o.status is Status.CANCELLED, spoken)


def called_off_flags(o: Occurrence, lang: Language) -> tuple[str, ...]:
    """The flags of an event in a cell or the day list: HELD or CANCELLED, if it was."""
    word = called_off(o, lang)
    return (word,) if word is not None else ()


def short(layout: Layout, agent: str) -> str:
    """The first word of an agent's name, for narrow places: "Inotuzumab", "Blinatumomab"."""
    return layout.lang.content(layout.schedule.agents[agent].short_name).split(",")[0].split()[0]


def written(o: Occurrence) -> Value:
    """The dose as written, without the computed amount (which the day list shows)."""
    dose = o.dose_text
    if isinstance(dose, Msg) and dose.key == "dose.computed":
        return dict(dose.values)["written"]
    return dose


def continuing(layout: Layout) -> bool:
    """Whether a daily drug goes on through the cycles' rest (so "treatment-free" would mislead)."""
    s = layout.schedule
    return any(s.agents[d.agent].continues for d in s.daily) and bool(s.phases)


def clock(o: Occurrence, layout: Layout) -> str:
    """The clock time, marked "*" where it is only the schedule's default."""
    if not isinstance(o.start, datetime):
        return layout.lang.say("all_day")
    return layout.lang.clock(o.start) + ("*" if _default_time(o, layout) else "")


def _default_time(o: Occurrence, layout: Layout) -> bool:
    """Whether an event's time comes from the schedule's default time, which the care team sets.

    A premedication's time follows the drug it comes before. A time that an interruption with a
    given stop time set (the stop itself, the restart and what moved with it) is the care
    team's, not a default. A plan that gives the schedule's own default times (the clinic's
    form fills them in, and the printout served by the clinic's pages comes from that form) has
    default times all the same: the "*" stays until the care team sets another time.
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
        if len(drugs := {before for before, _ in given}) != 1:
            return False
        agent_id, befores = drugs.pop(), {minutes for _, minutes in given}
    if any(
        isinstance(a, TimeChange) and a.agent == agent_id and a.start <= o.start_date
        for a in layout.plan.adjustments
    ):
        return False  # a time the care team changed to (--time-change) is theirs
    agent = layout.schedule.agents.get(agent_id)
    given_times = layout.plan.times.get(agent_id)
    if agent is None or not agent.times or (given_times is not None and set(given_times) != set(agent.times)):
        return False
    usual = {
        (datetime.combine(o.start_date, t) - timedelta(minutes=m)).time()
        for t in agent.times
        for m in befores
    }
    if o.start.time().replace(tzinfo=None) in usual:
        return True
    return not any(stop <= o.start for stop in layout.given_stops.get(agent_id, ()))


def moved_with_cycle(o: Occurrence, layout: Layout) -> bool:
    """Whether ``o`` moved just as far as its cycle did, on a later day than the cycle's first.

    Such an event is not flagged MOVED: where the cycle now starts says so, once.
    """
    if o.moved_from is None or o.cycle is None or o.day == 1:
        return False
    return layout.cycle_shift.get(o.cycle) == (o.start_date - o.moved_from).days


def new_dose(o: Occurrence, layout: Layout) -> tuple[str, ...]:
    """The NEW DOSE flag of the first dose the care team changed, or no flag."""
    return (layout.lang.say("cell.new_dose"),) if id(o) in layout.new_doses else ()


def ticked(o: Occurrence, layout: Layout) -> bool:
    """Whether a caregiver ticks the event off: every planned oral dose and bag change."""
    agent = layout.schedule.agents.get(o.agent or "")
    return o.status is Status.PLANNED and (
        o.kind is Kind.BAG_CHANGE or (o.kind is Kind.DOSE and agent is not None and agent.oral)
    )


def routine_bag(o: Occurrence) -> bool:
    """A planned bag change like the day before's: not a dose change, not moved on its own."""
    return (
        o.kind is Kind.BAG_CHANGE
        and o.status is Status.PLANNED
        and isinstance(o.title_text, Msg)
        and o.title_text.key == "title.bag_change"
    )


def _routine(o: Occurrence, lang: Language) -> str | None:
    """What makes an event one of a run of identical ones, if it is.

    A daily dose or a bag change, or the same premedication, dose, observation or test at the
    same time on several days of one cycle (inotuzumab's days 1, 8 and 15: one line each, not
    one a day, so that six cycles print in a few pages; the grid and page 1 list each day).
    """
    if o.status is not Status.PLANNED:
        return None
    # Events moved by the same delay still make one run: the shift is part of what they share.
    moved = (o.start_date - o.moved_from).days if o.moved_from is not None else 0
    if o.cycle is not None and o.kind in (Kind.DOSE, Kind.PREMEDICATION, Kind.OBSERVATION, Kind.TEST):
        at = f"{o.start:%H:%M}" if isinstance(o.start, datetime) else ""
        return f"cycle {o.kind} {o.agent} {o.cycle} {lang.text(o.title_text)} {at} {moved}"
    if not isinstance(o.start, datetime):
        return None
    if o.kind is Kind.DOSE and o.cycle is None:
        return f"dose {o.agent} {lang.text(o.title_text)} {o.start:%H:%M} {moved}"
    if routine_bag(o):
        return f"bag {o.agent} {o.cycle} {o.start:%H:%M} {moved}"  # a restart moves later changes
    return None


def _one_drug_words(o: Occurrence, layout: Layout) -> Value:
    """A bag change's or an infusion end's title, without the drug's name where the plan has one."""
    if len(layout.drugs) == 1 and routine_bag(o):
        return msg("cell.bag")
    if len(layout.drugs) == 1 and o.kind is Kind.INFUSION_END and not o.stopped:
        return msg("cell.end")
    return o.title_text


#: What the summarised day list names in full once, then in a word or two (see _words).
SAID_ONCE = (Kind.PREMEDICATION, Kind.OBSERVATION, Kind.TEST)


def _words(o: Occurrence, layout: Layout, named: set[str] | None) -> Value:
    """An event's words in the summarised day list: its whole title the first time, then short.

    A premedication, observation or test the list has named in full once says "Premedication",
    "Observation", "Blood tests" after that, as the month grid does: inotuzumab's 95-character
    premedication took two lines in each of six cycles. ``named``: what the list has named
    (``None``: the full list, every title whole).
    """
    short_words = {Kind.PREMEDICATION: msg("cell.premedication"), Kind.OBSERVATION: msg("cell.observation")}
    if named is None or o.status is not Status.PLANNED or o.kind not in SAID_ONCE:
        return _one_drug_words(o, layout)
    key = f"{o.kind} {o.agent} {layout.lang.text(o.title_text)}"
    if key not in named:
        named.add(key)
        return o.title_text
    return short_words.get(o.kind) or o.cell_text or o.title_text


#: A row of the day list: its class, date, former date (moved), label, time and event.
Row = tuple[str, str, str, str, str, Mark]


def _was(o: Occurrence, layout: Layout, said: set[tuple[date, date]]) -> str:
    """The date ``o`` had before it moved, in words, or "".

    Once a day, and for a cycle that moved whole on its first day only (as the grid says MOVED
    once). ``said``: the (date, was) pairs said so far.
    """
    if o.moved_from is None or moved_with_cycle(o, layout):
        return ""
    pair = (o.start_date, o.moved_from)
    if pair in said:
        return ""
    said.add(pair)
    return layout.lang.say("was", date=layout.lang.date(o.moved_from))


def _run_row(
    run: list[Occurrence],
    layout: Layout,
    named: set[str] | None = None,
    said: set[tuple[date, date]] | None = None,
) -> Row:
    """One row for a run of identical events: its first day, the days it spans, how often, the last.

    "Every day" is said only when the run has no gap (a held dose in the middle has a row of its
    own and breaks the "every day").
    """
    lang = layout.lang
    first, last = run[0], run[-1]
    days = [o.day for o in run]
    some = first.kind is not Kind.BAG_CHANGE and days != list(range(first.day, last.day + 1))
    if first.cycle is not None and first.cycle == last.cycle and some:
        label = msg("label.cycle_some_days", cycle=first.cycle, days=", ".join(map(str, days)))
    elif first.cycle is not None and first.cycle == last.cycle:
        label = msg("label.cycle_days", cycle=first.cycle, first=first.day, last=last.day)
    elif first.cycle is None and last.cycle is None:
        label = msg("label.plan_days", first=first.day, last=last.day)
    else:
        label = first.label_text
    daily = len({o.start_date for o in run}) == (last.start_date - first.start_date).days + 1 == len(run)
    what = lang.say(
        "days.run_daily" if daily else "days.run",
        what=_words(first, layout, named),
        count=len(run),
        last=last.start_date,
    )
    when = clock(first, layout) if isinstance(first.start, datetime) else ""
    return (
        "run",
        lang.date(first.start_date),
        _was(first, layout, said) if said is not None else "",
        lang.text(label),
        when,
        mark(first, what, new_dose(first, layout)),
    )


def day_list(layout: Layout, full: bool = False) -> list[Row]:
    """Every event by day, or (the default) special days and changes with each run summarised.

    A run of identical events (the same daily dose, routine bag changes of one cycle) takes one
    row, from its first day to its last; the month grid shows it day by day.
    """
    lang = layout.lang
    rows: list[Row] = []
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
        planned = [o for o in layout.occurrences if o.status is Status.PLANNED]
        rests = {(o.start_date, o.cycle): o for o in planned if o.kind is Kind.REST}
        for o in planned:
            if o.kind is Kind.INFUSION_END and (rest := rests.get((o.start_date, o.cycle))) is not None:
                rest_of[id(o)] = rest
    merged = {id(rest) for rest in rest_of.values()}
    said: set[tuple[date, date]] = set()  # the (date, was) pairs a row has said
    named: set[str] | None = None if full else set()  # what the list has named in full (_words)
    for o, key in order:
        if key is not None and len(runs[key]) > 1:
            rows.append(_run_row(runs[key], layout, named, said))
        elif (rest := rest_of.get(id(o))) is not None:
            ended = _one_drug_words(o, layout)
            words = lang.say("days.end_then_rest", what=ended, rest=rest.title_text, last=rest.dates[-1])
            label = lang.text(rest.span_label_text)
            rows.append(("", lang.date(o.start_date), "", label, clock(o, layout), mark(o, words)))
        elif id(o) not in merged:
            # The date to keep first; the old one after it, struck and said in words (see _was).
            was = _was(o, layout, said)
            # An all-day event has no time, as in the key dates: "toute la journée" took three lines of
            # the narrow column in French for every test and stay.
            when = clock(o, layout) if isinstance(o.start, datetime) else ""
            cls = "cancelled" if o.status is Status.CANCELLED else ""
            flags = new_dose(o, layout) + called_off_flags(o, lang)
            title = _words(o, layout, named) if o.kind in SAID_ONCE else o.title_text
            what = mark(o, lang.text(title), flags, ticked(o, layout))
            rows.append((cls, lang.date(o.start_date), was, lang.text(o.span_label_text), when, what))
    return rows
