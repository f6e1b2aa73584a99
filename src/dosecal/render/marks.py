"""Each event as the printable plan marks it (templates/marks.html), and the day-by-day list.

A mark is a symbol, a time, flags in words (HELD, MOVED...) and the event's words, as plain
strings: the same mark in a month cell and in the day list, so that both say it alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from dosecal.core.premedication import UNTIMED_PREMEDICATION_MINUTES
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
        if len(drugs := {before for before, _ in given}) != 1:
            return False
        agent_id, befores = drugs.pop(), {minutes for _, minutes in given}
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
    """What makes an event one of a run of identical ones (a daily dose, a bag change), if it is."""
    if o.status is not Status.PLANNED or not isinstance(o.start, datetime):
        return None
    # Events moved by the same delay still make one run: the shift is part of what they share.
    moved = (o.start_date - o.moved_from).days if o.moved_from is not None else 0
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


#: A row of the day list: its class, date, former date (moved), label, time and event.
Row = tuple[str, str, str, str, str, Mark]


def _run_row(run: list[Occurrence], layout: Layout) -> Row:
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
    return "run", lang.date(first.start_date), "", lang.text(label), clock(first, layout), mark(first, what)


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
    for o, key in order:
        if key is not None and len(runs[key]) > 1:
            rows.append(_run_row(runs[key], layout))
        elif (rest := rest_of.get(id(o))) is not None:
            ended = _one_drug_words(o, layout)
            words = lang.say("days.end_then_rest", what=ended, rest=rest.title_text, last=rest.dates[-1])
            label = lang.text(rest.span_label_text)
            rows.append(("", lang.date(o.start_date), "", label, clock(o, layout), mark(o, words)))
        elif id(o) not in merged:
            # The date to keep first; the old one after it, struck and said in words.
            was = lang.say("was", date=lang.date(o.moved_from)) if o.moved_from is not None else ""
            # An all-day event has no time, as in the key dates: "toute la journée" took three lines of
            # the narrow column in French for every test and stay.
            when = clock(o, layout) if isinstance(o.start, datetime) else ""
            cls = "cancelled" if o.status is Status.CANCELLED else ""
            what = mark(o, lang.text(o.title_text), called_off_flags(o, lang), ticked(o, layout))
            rows.append((cls, lang.date(o.start_date), was, lang.text(o.span_label_text), when, what))
    return rows
