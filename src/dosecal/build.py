"""Building occurrences: daily doses, cycle doses, premedication, stays and rest, with their words.

A :class:`Builder` holds what every occurrence of one version of a plan shares (the schedule,
the plan, the choices in force, the dose changes) and makes the occurrences of daily dosing
and of each cycle; continuous infusions are built in :mod:`dosecal.infusion`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta

from dosecal.adjustments import DoseChange
from dosecal.clock import POINT_MINUTES, add_months, clocks_change, local, shift
from dosecal.cycles import CycleClock, CycleSlot, Refused, clock_of
from dosecal.dosing import describe_dose
from dosecal.infusion import Segment, infusion_events
from dosecal.occurrence import Kind, Occurrence, OccurrenceId
from dosecal.plan import Plan, agent_times, fever_line
from dosecal.premedication import premedication_events
from dosecal.schedule import CycleDose, Daily, Phase, Schedule, Stay
from dosecal.words import Content, Msg, Seq, Text, Value, msg


class Builder:
    """Holds what every occurrence of one plan version shares, and makes them."""

    def __init__(
        self, schedule: Schedule, plan: Plan, choices: dict[str, str], changes: Sequence[DoseChange]
    ) -> None:
        self.s = schedule
        self.plan = plan
        self.tz = plan.tz
        self.plan_id = plan.plan_id(schedule)
        self.times = agent_times(schedule, plan)
        self.choices = choices
        self.changes = changes
        self.ordinals: dict[tuple[str, Kind, int | None, int], int] = {}
        self.stopped_dose: dict[int, str | None] = {}  # cycle -> dose in force when it stopped
        self.segment_log: dict[tuple[int, str], list[Segment]] = {}  # (cycle, agent) -> stretches
        self.slots: Sequence[CycleSlot] = ()  # every planned cycle, for what a cycle's neighbour does

    def ident(self, agent: str, kind: Kind, cycle: int | None, day: int) -> OccurrenceId:
        """The identity of the next occurrence of this kind on this day (ordinals count repeats)."""
        key = (agent, kind, cycle, day)
        self.ordinals[key] = self.ordinals.get(key, 0) + 1
        return OccurrenceId(self.plan_id, agent, kind, cycle, day, self.ordinals[key])

    def dose(self, written: str | None, agent: str | None = None, on: date | None = None) -> Text:
        """The dose in force (a later dose change wins), with the amount for this body size."""
        if written is None:
            return msg("dose.care_team")
        for change in self.changes:
            if agent == change.agent and on is not None and on >= change.start:
                written = change.dose
        return describe_dose(written, self.plan.height_cm, self.plan.weight_kg)

    def name(self, agent: str, *, lower: bool = False) -> Content:
        """The short name for titles: "Blinatumomab", not "Blinatumomab (Blincyto)"."""
        name = self.s.agents[agent].short_name
        return Content(name.lower() if lower else name)

    def notes(
        self, *parts: Value, sources: tuple[str, ...] = (), when: date | None = None
    ) -> tuple[Value, ...]:
        """An event's notes: its parts, a clock-change warning, its sources and the notice."""
        lines = [p for p in parts if p]
        if when is not None and clocks_change(when, self.tz):
            lines.append(msg("note.dst", zone=self.plan.timezone))
        if sources:
            titles = tuple(
                Seq((Content(self.s.sources[k].title), self.s.sources[k].dated), "")
                for k in dict.fromkeys(sources)
                if k in self.s.sources
            )
            lines.append(msg("note.sources", keys=Seq(titles, "; ")))
        lines.append(msg("notice"))
        return tuple(lines)

    def agent_notes(self, agent: str) -> tuple[Value, Value]:
        """An agent's instructions and missed-dose rule as notes."""
        a = self.s.agents[agent]
        instructions = (
            msg("note.instructions", text=Seq(tuple(Content(x) for x in a.instructions)))
            if a.instructions
            else None
        )
        if a.missed_dose:
            missed: Value = msg("note.missed", text=Content(a.missed_dose))
        else:
            missed = msg("note.missed_unknown") if a.oral else None
        return instructions, missed

    def advice(self, agent: str) -> tuple[Value, tuple[str, ...]]:
        """The agent's warning signs and rules as one note, with their sources."""
        a = self.s.agents[agent]
        if not a.advice:
            return None, ()
        emergency = tuple(Content(x.text) for x in a.advice if x.warning and x.emergency)
        warnings = tuple(Content(x.text) for x in a.advice if x.warning and not x.emergency)
        rules = tuple(Content(x.text) for x in a.advice if not x.warning)
        parts: tuple[Value, ...] = (
            ((msg("note.emergency", text=Seq(emergency)),) if emergency else ())
            + ((msg("note.warnings", text=Seq(warnings)),) if warnings else ())
            + ((self.fever(),) if emergency or warnings else ())
            + rules
        )
        return Seq(parts, "\n"), tuple(k for x in a.advice for k in x.sources)

    def fever(self) -> Msg:
        """The fever line beside the warning signs: the clinic's threshold, or to ask for it."""
        return fever_line(self.plan.fever)

    def care_team(self) -> tuple[Value, tuple[str, ...]]:
        """What the care team schedules beside the calendar (CNS prophylaxis), as a note, and its sources."""
        planned = [x for x in self.s.care_team if x.applies(self.choices)]
        if not planned:
            return None, ()
        note = msg("note.care_team", text=Seq(tuple(Content(x.text) for x in planned)))
        return note, tuple(k for x in planned for k in x.sources)

    def made(
        self,
        kind: Kind,
        agent: str | None,
        phase: Phase | None,
        cycle: int | None,
        *,
        key: int,
        day: int,
        title: Text,
        dose: Text | None,
        start: date | datetime,
        end: date | datetime,
        notes: tuple[Value, ...],
        reminder: bool = False,
        busy: bool = True,
        window: tuple[date, date] | None = None,
        supervised: bool = False,
        restart: bool = False,
        stopped: bool = False,
        cell: Text | None = None,
    ) -> Occurrence:
        """An occurrence whose identity is (agent, kind, cycle, ``key``) and whose label day is ``day``.

        ``key`` is the day the schedule gives the event; ``day`` is where it falls after an
        interruption moved the rest of the cycle, so the UID survives the move.
        """
        return Occurrence(
            id=self.ident(agent or "course", kind, cycle, key),
            kind=kind,
            agent=agent,
            phase=phase.name if phase is not None else None,
            cycle=cycle,
            day=day,
            title_text=title,
            dose_text=dose,
            start=start,
            end=end,
            note_parts=notes,
            reminder=reminder,
            busy=busy,
            window=window,
            supervised=supervised,
            restart=restart,
            stopped=stopped,
            cell_text=cell,
        )

    def point(self, moment: datetime, minutes: int = POINT_MINUTES) -> tuple[datetime, datetime]:
        """The start and end of an event at ``moment`` lasting ``minutes`` of elapsed time."""
        return moment, shift(moment, minutes)

    # -- daily dosing --------------------------------------------------------------------

    def daily(self, d: Daily, last: date) -> Iterator[Occurrence]:
        """Every dose of a daily drug up to ``last``, at each of its times."""
        if not d.applies(self.choices):
            return
        a = self.s.agents[d.agent]
        instructions, missed = self.agent_notes(d.agent)
        advice, advice_sources = self.advice(d.agent)
        for step in d.steps:
            final = None if (d.open_ended and step is d.steps[-1]) else step.days.last
            n = step.days.first
            while final is None or n <= final:
                day = self.plan.start + timedelta(days=n - 1)
                if day > last:
                    break
                dose = self.dose(step.dose, d.agent, day)
                ends = d.open_ended and a.continues and day == last
                for at in self.times[d.agent]:
                    start, end = self.point(local(day, at, self.tz))
                    if a.fast_before_minutes or a.fast_after_minutes:
                        title = msg(
                            "title.daily_fasting",
                            agent=self.name(d.agent),
                            dose=dose,
                            since=shift(start, -a.fast_before_minutes).time(),
                            until=shift(start, a.fast_after_minutes).time(),
                        )
                    else:
                        title = msg("title.daily", agent=self.name(d.agent), dose=dose)
                    yield self.made(
                        Kind.DOSE,
                        d.agent,
                        None,
                        None,
                        key=n,
                        day=n,
                        title=title,
                        dose=dose,
                        start=start,
                        end=end,
                        notes=self.notes(
                            msg("note.continues", agent=self.name(d.agent)) if ends else None,
                            instructions,
                            missed,
                            advice,
                            sources=step.sources + d.sources + a.sources + advice_sources,
                            when=day,
                        ),
                        reminder=True,
                    )
                n += 1

    # -- tests and check-ups -------------------------------------------------------------

    def checks(self, last: date) -> Iterator[Occurrence]:
        """The schedule's tests on plan days and every so many months, up to ``last``, all-day."""
        for c in self.s.checks:
            if not c.selector.applies(0, self.choices):
                continue
            days = {self.plan.start + timedelta(days=n - 1) for n in c.days}
            if c.every_months:
                k = 1
                while (on := add_months(self.plan.start, k * c.every_months)) <= last:
                    days.add(on)
                    k += 1
            for on in sorted(x for x in days if x <= last):
                n = (on - self.plan.start).days + 1
                yield self.made(
                    Kind.TEST,
                    None,
                    None,
                    None,
                    key=n,
                    day=n,
                    title=Content(c.title),
                    dose=None,
                    start=on,
                    end=on + timedelta(days=1),
                    notes=self.notes(Content(c.text), sources=c.sources, when=on),
                    busy=False,
                    cell=Content(c.short) if c.short else None,
                )

    def cycle_checks(self, slot: CycleSlot, clock: CycleClock) -> Iterator[Occurrence]:
        """A phase's tests on each dose day of the agent they come before, all-day."""
        phase, n = slot.phase, slot.number
        for c in phase.checks:
            if c.before is None or not c.selector.applies(n, self.choices):
                continue
            at = self.times[c.before][0]
            days = sorted(
                {
                    day
                    for rule in phase.doses
                    if rule.agent == c.before and rule.selector.applies(n, self.choices)
                    for day in rule.days
                }
            )
            for day in days:
                moment = clock.moment(day, at)
                if not clock.keeps(moment):
                    continue
                on = moment.date()
                yield self.made(
                    Kind.TEST,
                    c.before,
                    phase,
                    n,
                    key=day,
                    day=clock.day_of(on),
                    title=Content(c.title),
                    dose=None,
                    start=on,
                    end=on + timedelta(days=1),
                    notes=self.notes(Content(c.text), sources=c.sources, when=on),
                    busy=False,
                    cell=Content(c.short) if c.short else None,
                )

    # -- cycles --------------------------------------------------------------------------

    def time_of(self, agent: str, slot: CycleSlot) -> time:
        """An agent's time in this cycle: a restart's time for the infusion it restarts."""
        if slot.start_at is not None and any(i.agent == agent for i in slot.phase.infusions):
            return slot.start_at.time()
        return self.times[agent][0]

    def cycle(self, slot: CycleSlot) -> Iterator[Occurrence]:
        """Everything in one cycle: stays, rest, doses, infusions and premedication.

        Raises:
            Refused: when the cycle's interruption falls where no infusion runs.
        """
        phase, n, clock = slot.phase, slot.number, clock_of(slot, self.tz)
        hospital: set[date] = set()
        for stay in phase.stays:
            start = clock.on(stay.days.first)
            if stay.selector.applies(n, self.choices) and clock.keeps(local(start, time(0), self.tz)):
                first = stay.days.first
                longer = self.stay_extension(slot, clock, stay)
                days = stay.days.days + longer
                hospital.update(start + timedelta(days=k) for k in range(days))
                yield self.made(
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
                    notes=self.notes(
                        msg("note.stay_longer") if longer else None,
                        Content(stay.text) if stay.text else None,
                        msg("note.stay_bring"),
                        sources=stay.sources + stay.text_sources,
                    ),
                )
        r = phase.rest_with(self.choices)
        infused = [i.agent for i in phase.infusions]
        if r is not None:
            # The rest begins on the day the infusion ends, wherever an interruption moved it.
            at = self.time_of(infused[0], slot) if infused else time(0)
            begins = clock.moment(r.first, at)
            # A break from the cycle's drug is not a break from a daily drug that goes on
            # (D-ALBA: dasatinib continues during the blinatumomab rest): say so.
            daily = [d for d in self.s.daily if d.applies(self.choices) and self.s.agents[d.agent].continues]
            cycle_drugs = [*infused, *(x.agent for x in phase.doses)]
            title = (
                msg(
                    "title.rest_continue",
                    agent=self.name(cycle_drugs[0]),
                    daily=self.name(daily[0].agent, lower=True),
                )
                if daily and cycle_drugs
                else msg("title.rest")
            )
            if clock.keeps(begins):
                yield self.made(
                    Kind.REST,
                    None,
                    phase,
                    n,
                    key=r.first,
                    day=clock.day_of(begins.date()),
                    title=title,
                    dose=None,
                    start=begins.date(),
                    end=slot.last + timedelta(days=1),
                    notes=self.notes(sources=phase.sources),
                    busy=False,
                )
        rules = [rule for rule in phase.doses if rule.selector.applies(n, self.choices)]
        for rule in rules:
            given = sorted(
                (clock.moment(day, self.times[rule.agent][0]).date(), other.window_days)
                for other in rules
                if other.agent == rule.agent
                for day in other.days
            )
            yield from self.cycle_dose(phase, clock, rule, given + self.following(slot, rule.agent))
        restarts: list[tuple[datetime, int]] = []
        for infusion in phase.infusions:
            if infusion.selector.applies(n, self.choices):
                yield from infusion_events(self, slot, clock, infusion, restarts, hospital)
        yield from self.cycle_checks(slot, clock)
        interrupted = slot.interruption
        if interrupted is not None and not restarts:
            raise Refused(msg("error.build.no_infusion_runs_on", n=n, day=interrupted.day))
        yield from premedication_events(self, slot, clock, restarts)

    def following(self, slot: CycleSlot, agent: str) -> list[tuple[date, int]]:
        """The next planned cycle's first dose of ``agent``, with its window days (none past the plan)."""
        after = next((x for x in self.slots if x.number == slot.number + 1), None)
        if after is None:
            return []
        clock = clock_of(after, self.tz)
        found = [
            (clock.moment(day, self.times[agent][0]).date(), rule.window_days)
            for rule in after.phase.doses
            if rule.agent == agent and rule.selector.applies(after.number, self.choices)
            for day in rule.days
        ]
        return [min(found)] if found else []

    def stay_extension(self, slot: CycleSlot, clock: CycleClock, stay: Stay) -> int:
        """Days a stay grows because an interruption moved a dose step it covers past its last day.

        The label's first stay ("the first 9 days of the first cycle") covers the step up on day
        8 and a day after it; an interruption before the step moves it later, and the stay
        grows by as many days so that it still covers the step and the day after it.
        """
        if slot.interruption is None or not slot.continues:
            return 0
        longer = 0
        for inf in slot.phase.infusions:
            if not inf.selector.applies(slot.number, self.choices):
                continue
            at = self.time_of(inf.agent, slot)
            for step in inf.steps[1:]:
                k = step.days.first
                if k in stay.days:
                    moved = (clock.moment(k, at).date() - clock.raw(k, at).date()).days
                    longer = max(longer, moved)
        return longer

    def cycle_dose(
        self, phase: Phase, clock: CycleClock, dose: CycleDose, given: list[tuple[date, int]]
    ) -> Iterator[Occurrence]:
        """Single administrations, each with its window where the label allows one.

        The window is the label's ± days, starting no earlier than the minimum gap after the
        previous planned dose of the same agent and ending no later than the minimum gap before
        the latest day the next dose may take, in this cycle or the next (inotuzumab: "maintain a
        minimum of 6 days between doses"): a dose given on the last day of its window still
        leaves the next one a day in its own window, or its planned day, 6 days later.
        """
        instructions, missed = self.agent_notes(dose.agent)
        advice, advice_sources = self.advice(dose.agent)
        n = clock.n
        at = self.times[dose.agent][0]
        for day in dose.days:
            moment = clock.moment(day, at)
            if not clock.keeps(moment):
                continue
            on = moment.date()
            start, end = self.point(moment, dose.minutes)
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
            amount = self.dose(dose.dose, dose.agent, on)
            yield self.made(
                Kind.DOSE,
                dose.agent,
                phase,
                n,
                key=day,
                day=clock.day_of(on),
                title=msg("title.dose", agent=self.name(dose.agent), dose=amount),
                dose=amount,
                start=start,
                end=end,
                notes=self.notes(
                    window_note,
                    instructions,
                    missed,
                    advice,
                    sources=dose.sources + self.s.agents[dose.agent].sources + advice_sources,
                    when=on,
                ),
                reminder=True,
                window=window,
            )
            if dose.observe_minutes:
                yield self.made(
                    Kind.OBSERVATION,
                    dose.agent,
                    phase,
                    n,
                    key=day,
                    day=clock.day_of(on),
                    title=msg("title.observation", agent=self.name(dose.agent, lower=True)),
                    dose=None,
                    start=end,
                    end=shift(end, dose.observe_minutes),
                    notes=self.notes(
                        msg("note.observation", minutes=dose.observe_minutes), sources=dose.sources
                    ),
                )

    # -- continuous infusions ------------------------------------------------------------
