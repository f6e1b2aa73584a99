"""Building occurrences: daily doses, tests, and each cycle's stays, rest, doses and infusions.

Each function takes the :class:`~dosecal.core.builder.Builder` of one version of a plan. A
cycle's continuous infusions are built in :mod:`dosecal.core.infusion` and its premedication in
:mod:`dosecal.core.premedication`; :func:`cycle` puts them together in the cycle's order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, time, timedelta

from dosecal.core.builder import Builder
from dosecal.core.cycles import CycleClock, Refused, clock_of
from dosecal.core.infusion import infusion_events, segments
from dosecal.core.premedication import premedication_events
from dosecal.model.clock import add_months, local, shift
from dosecal.model.occurrence import Kind, Occurrence
from dosecal.model.plan import decided_after
from dosecal.model.rules import Check, CycleDose, Phase, Stay
from dosecal.model.schedule import Daily
from dosecal.model.slot import CycleSlot, InfusionStop
from dosecal.words import Cap, Content, Text, msg


def daily(b: Builder, d: Daily, last: date) -> Iterator[Occurrence]:
    """Every dose of a daily drug up to ``last``, at each of its times.

    A dose by weight band is the band's from the day a new weight is measured: each day is the
    entry's whose band the weight then falls in.
    """
    if not b.body_sizes and not d.applies(b.choices):
        return
    a = b.s.agents[d.agent]
    instructions, missed = b.agent_notes(d.agent)
    _, advice_sources = b.advice(d.agent)
    for step in d.steps:
        final = None if (d.open_ended and step is d.steps[-1]) else step.days.last
        n = step.days.first
        while final is None or n <= final:
            day = b.plan.start + timedelta(days=n - 1)
            if day > last:
                break
            if b.body_sizes and not d.applies(b.choices_on(day)):
                n += 1
                continue
            dose = b.dose(step.dose, d.agent, day)
            ends = d.open_ended and a.continues and day == last
            for at in b.times_on(d.agent, day):
                start, end = b.point(local(day, at, b.tz))
                if a.fast_before_minutes or a.fast_after_minutes:
                    title = msg(
                        "title.daily_fasting",
                        agent=b.name(d.agent),
                        dose=dose,
                        since=shift(start, -a.fast_before_minutes).time(),
                        until=shift(start, a.fast_after_minutes).time(),
                    )
                    brief: Text | None = msg(
                        "brief.fasting",
                        agent=b.brief_name(d.agent),
                        dose=b.brief_dose(step.dose, d.agent, day),
                    )
                else:
                    title = msg("title.daily", agent=b.name(d.agent), dose=dose)
                    brief = None
                yield b.made(
                    Kind.DOSE,
                    d.agent,
                    None,
                    None,
                    key=n,
                    day=n,
                    title=title,
                    brief=brief,
                    dose=dose,
                    start=start,
                    end=end,
                    notes=b.notes(
                        msg("note.continues", agent=b.name(d.agent, lower=True)) if ends else None,
                        # A fasting dose's notes open with its window ("no food 08:00-11:00"):
                        # the rest of the instructions are on its key days and the printed plan.
                        instructions if brief is None or n == step.days.first else None,
                        missed,
                        advice=b.key_advice(d.agent) if n == step.days.first else None,
                        key=n == step.days.first,
                        sources=step.sources + d.sources + a.sources + advice_sources,
                        when=day,
                    ),
                    reminder=True,
                )
            n += 1


def checks(b: Builder, last: date) -> Iterator[Occurrence]:
    """The schedule's tests on plan days and every so many months, up to ``last``, all-day."""
    for c in b.s.checks:
        if not c.selector.applies(0, b.choices):
            continue
        days = {b.plan.start + timedelta(days=n - 1) for n in c.days}
        if c.every_months:
            k = 1
            while (on := add_months(b.plan.start, k * c.every_months)) <= last:
                days.add(on)
                k += 1
        for on in sorted(x for x in days if x <= last):
            n = (on - b.plan.start).days + 1
            yield _test(b, c, on, None, None, key=n, day=n)


def decisions(
    b: Builder, slots: Sequence[CycleSlot], pending: Sequence[str], decided: set[str], last: date
) -> Iterator[Occurrence]:
    """What the care team decides before the next cycles, on the last day of the cycle before them.

    Inotuzumab's doses from cycle 2 depend on the response after cycle 1: a plan made before it
    is known plans cycle 1 and says, on its last day, that the care team decides. Recorded later
    (``dosecal adjust --choice response=cr``), the same event says what was decided and the
    next cycles appear: it changes, under its UID, rather than being cancelled.
    """
    for k, choice in enumerate(b.s.choices):
        after = decided_after(b.s, choice)
        if after is None or after > len(slots) or not (choice in pending or choice in decided):
            continue
        slot = slots[after - 1]
        if slot.last > last:
            continue
        c = b.s.choices[choice]
        label = Content(c.label)
        if choice in pending:
            title, note = msg("title.decision", label=label), msg("note.decision", label=label)
            brief = msg("brief.decision")
        else:
            value = Content(c.words(b.choices[choice]))
            title, note = msg("title.decided", value=value), msg("note.decided", label=Cap(label))
            brief = msg("brief.decided")
        yield b.made(
            Kind.VISIT,
            None,
            slot.phase,
            slot.number,
            key=1000 + k,  # after every day a cycle can have: never another event's identity
            day=(slot.last - slot.first).days + 1,
            title=title,
            brief=brief,
            dose=None,
            start=slot.last,
            end=slot.last + timedelta(days=1),
            notes=b.notes(note, sources=c.sources),
            busy=False,
        )


def _test(
    b: Builder, c: Check, on: date, phase: Phase | None, n: int | None, *, key: int, day: int
) -> Occurrence:
    """One test, all-day on ``on``: of the schedule (no phase, no agent) or before a cycle's dose."""
    return b.made(
        Kind.TEST,
        c.before if phase else None,
        phase,
        n,
        key=key,
        day=day,
        title=Content(c.title),
        brief=Content(c.short) if c.short else None,
        dose=None,
        start=on,
        end=on + timedelta(days=1),
        notes=b.notes(Content(c.text), sources=c.sources, when=on),
        busy=False,
        cell=Content(c.short) if c.short else None,
    )


def cycle_checks(b: Builder, slot: CycleSlot, clock: CycleClock) -> Iterator[Occurrence]:
    """A phase's tests on each dose day of the agent they come before, all-day."""
    phase, n = slot.phase, slot.number
    for c in phase.checks:
        if c.before is None or not c.selector.applies(n, b.choices):
            continue
        at = b.times[c.before][0]
        days = sorted(
            {
                day
                for rule in phase.doses
                if rule.agent == c.before and rule.selector.applies(n, b.choices)
                for day in rule.days
            }
        )
        for day in days:
            moment = clock.moment(day, at)
            if not clock.keeps(moment):
                continue
            on = moment.date()
            yield _test(b, c, on, phase, n, key=day, day=clock.day_of(on))


def cycle(b: Builder, slot: CycleSlot) -> Iterator[Occurrence]:
    """Everything in one cycle: stays, rest, doses, infusions and premedication.

    Raises:
        Refused: when the cycle's interruption falls where no infusion runs.
    """
    phase, n, clock = slot.phase, slot.number, clock_of(slot, b.tz)
    hospital: set[date] = set()
    # An admission carries the warning signs of the cycle's infusion: it is where a course starts.
    advice, advice_sources = b.advice(phase.infusions[0].agent) if phase.infusions else (None, ())
    for stay in phase.stays:
        start = clock.on(stay.days.first)
        if stay.selector.applies(n, b.choices) and clock.keeps(local(start, time(0), b.tz)):
            first = stay.days.first
            longer = stay_extension(b, slot, clock, stay)
            days = stay.days.days + longer
            hospital.update(start + timedelta(days=k) for k in range(days))
            yield b.made(
                Kind.HOSPITAL,
                None,
                phase,
                n,
                key=first,
                day=clock.day_of(start),
                title=msg("title.hospital"),
                dose=None,
                start=start,
                end=start + timedelta(days=days),
                notes=b.notes(
                    msg("note.stay_longer") if longer else None,
                    Content(stay.text) if stay.text else None,
                    msg("note.stay_bring"),
                    advice=advice,
                    sources=stay.sources + stay.text_sources + advice_sources,
                ),
            )
    r = phase.rest_with(b.choices)
    infused = [i.agent for i in phase.infusions]
    if r is not None:
        # The rest begins on the day the infusion ends, wherever an interruption moved it.
        at = b.time_of(infused[0], slot) if infused else time(0)
        begins = clock.moment(r.first, at)
        # A break from the cycle's drug is not a break from a daily drug that goes on
        # (D-ALBA: dasatinib continues during the blinatumomab rest): say so.
        daily = [d for d in b.s.daily if d.applies(b.choices) and b.s.agents[d.agent].continues]
        cycle_drugs = [*infused, *(x.agent for x in phase.doses)]
        title = (
            msg(
                "title.rest_continue",
                agent=b.name(cycle_drugs[0]),
                daily=b.name(daily[0].agent, lower=True),
            )
            if daily and cycle_drugs
            else msg("title.rest")
        )
        brief = (
            msg("brief.rest_continue", daily=b.brief_name(daily[0].agent, lower=True))
            if daily and cycle_drugs
            else None
        )
        if clock.keeps(begins):
            yield b.made(
                Kind.REST,
                None,
                phase,
                n,
                key=r.first,
                day=clock.day_of(begins.date()),
                title=title,
                brief=brief,
                dose=None,
                start=begins.date(),
                end=slot.last + timedelta(days=1),
                notes=b.notes(sources=phase.sources, key=False),
                busy=False,
            )
    rules = [rule for rule in phase.doses if rule.selector.applies(n, b.choices)]
    for rule in rules:
        given = sorted(
            (clock.moment(day, b.times[rule.agent][0]).date(), other.window_days)
            for other in rules
            if other.agent == rule.agent
            for day in other.days
        )
        first = min(day for other in rules if other.agent == rule.agent for day in other.days)
        yield from cycle_dose(b, phase, clock, rule, given + following(b, slot, rule.agent), first)
    restarts: list[InfusionStop] = []
    for infusion in phase.infusions:
        if infusion.selector.applies(n, b.choices):
            yield from infusion_events(b, slot, clock, infusion, restarts, hospital)
    yield from cycle_checks(b, slot, clock)
    for stop in slot.stops:
        if stop not in restarts:
            raise Refused(
                msg("error.build.no_infusion_runs_on", n=n, day=stop.interruption.day), stop.interruption
            )
    yield from premedication_events(b, slot, clock, restarts)


def following(b: Builder, slot: CycleSlot, agent: str) -> list[tuple[date, int]]:
    """The next planned cycle's first dose of ``agent``, with its window days (none past the plan)."""
    after = next((x for x in b.slots if x.number == slot.number + 1), None)
    if after is None:
        return []
    clock = clock_of(after, b.tz)
    found = [
        (clock.moment(day, b.times[agent][0]).date(), rule.window_days)
        for rule in after.phase.doses
        if rule.agent == agent and rule.selector.applies(after.number, b.choices)
        for day in rule.days
    ]
    return [min(found)] if found else []


def stay_extension(b: Builder, slot: CycleSlot, clock: CycleClock, stay: Stay) -> int:
    """Days a stay grows because an interruption moved a dose step it covers past its last day.

    The label's first stay ("the first 9 days of the first cycle") covers the step up on day
    8 and a day after it. An interruption before the step moves it later: by the length of the
    stop, and after a reaction by the week at the restart dose too (the label: "escalate to 28
    mcg/day after 7 days"). The stay grows until it covers the day the step's dose really
    begins and the day after it, as the label's stay does.
    """
    if not slot.moving:
        return 0
    last = clock.on(stay.days.first) + timedelta(days=stay.days.days - 1)
    longer = 0
    for inf in slot.phase.infusions:
        if not inf.selector.applies(slot.number, b.choices):
            continue
        at = b.time_of(inf.agent, slot)
        found = segments(b, slot, clock, inf, [])
        for step in inf.steps[1:]:
            if step.days.first not in stay.days:
                continue
            labelled = clock.raw(step.days.first, at)
            begins = next(
                (
                    seg.start.date()
                    for seg in found
                    if seg.dose == step.dose and not seg.restart and seg.start >= labelled
                ),
                None,
            )
            if begins is not None:
                longer = max(longer, (begins + timedelta(days=1) - last).days)
    return longer


def cycle_dose(
    b: Builder,
    phase: Phase,
    clock: CycleClock,
    dose: CycleDose,
    given: list[tuple[date, int]],
    first: int | None = None,
) -> Iterator[Occurrence]:
    """Single administrations, each with its window where the label allows one.

    ``first``: the cycle's first day of this drug, whose dose carries the warning signs.

    The window is the label's ± days, starting no earlier than the minimum gap after the
    previous planned dose of the same agent and ending no later than the minimum gap before
    the latest day the next dose may take, in this cycle or the next (inotuzumab: "maintain a
    minimum of 6 days between doses"): a dose given on the last day of its window still
    leaves the next one a day in its own window, or its planned day, 6 days later.
    """
    instructions, missed = b.agent_notes(dose.agent)
    _, advice_sources = b.advice(dose.agent)
    n = clock.n
    for day in dose.days:
        moment = clock.moment(day, b.dose_time(dose.agent, clock, day))
        if not clock.keeps(moment):
            continue
        on = moment.date()
        start, end = b.point(moment, dose.minutes)
        window: tuple[date, date] | None = None
        window_note = None
        if dose.window_days:
            earliest = on - timedelta(days=dose.window_days)
            latest = on + timedelta(days=dose.window_days)
            before = [g for g, _ in given if g < on]
            after = [g + timedelta(days=w) for g, w in given if g > on]
            if dose.window_gap_days:
                gap = timedelta(days=dose.window_gap_days)
                if before:
                    earliest = max(earliest, before[-1] + gap)
                if after:
                    latest = min(latest, min(after) - gap)
            window = (earliest, latest)
            window_note = msg(
                "note.window",
                earliest=window[0],
                latest=window[1],
                words=Content(dose.window_note or ""),
            )
        amount = b.dose(dose.dose, dose.agent, on)
        yield b.made(
            Kind.DOSE,
            dose.agent,
            phase,
            n,
            key=day,
            day=clock.day_of(on),
            title=msg("title.dose", agent=b.name(dose.agent), dose=amount),
            brief=msg(
                "title.dose", agent=b.brief_name(dose.agent), dose=b.brief_dose(dose.dose, dose.agent, on)
            ),
            dose=amount,
            start=start,
            end=end,
            notes=b.notes(
                window_note,
                instructions,
                missed,
                advice=b.key_advice(dose.agent) if day == first else None,
                key=day == first,
                sources=dose.sources + b.s.agents[dose.agent].sources + advice_sources,
                when=on,
            ),
            reminder=True,
            window=window,
        )
        if dose.observe_minutes:
            yield b.made(
                Kind.OBSERVATION,
                dose.agent,
                phase,
                n,
                key=day,
                day=clock.day_of(on),
                title=msg("title.observation", agent=b.name(dose.agent, lower=True)),
                brief=msg("title.observation", agent=b.brief_name(dose.agent, lower=True)),
                dose=None,
                start=end,
                end=shift(end, dose.observe_minutes),
                notes=b.notes(
                    msg("note.observation", minutes=dose.observe_minutes), sources=dose.sources, key=False
                ),
            )
