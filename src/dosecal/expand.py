"""expand(schedule, plan): the pure core that turns a regimen and a start date into occurrences.

No I/O and no clock: the same schedule and plan always give the same tuple. Times are wall
clock times in the plan's zone: a dose at 08:00 is at 08:00 local time on every day, DST
change days included. A time that does not exist on a spring-forward day (02:30) moves forward
by the gap (03:30), as the clock on the wall does; an ambiguous autumn time takes its first
occurrence. Offsets ("60 minutes before") and durations are elapsed time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosecal.dosing import describe_dose
from dosecal.occurrence import Kind, Occurrence, OccurrenceId, Status
from dosecal.plan import DEFAULT_HORIZON_DAYS, Plan, agent_times, check, effective_choices
from dosecal.schedule import BAG_CHOICE, CycleDose, Daily, Infusion, Phase, Schedule
from dosecal.words import say

DayFn = Callable[[int], date]
LabelFn = Callable[[int], str]

#: How long a point event (an oral dose, a bag change) lasts in a calendar; display only.
POINT_MINUTES = 15

_KIND_ORDER = {
    k: i
    for i, k in enumerate(
        (
            Kind.HOSPITAL,
            Kind.REST,
            Kind.VISIT,
            Kind.PREMEDICATION,
            Kind.INFUSION,
            Kind.BAG_CHANGE,
            Kind.DOSE,
            Kind.OBSERVATION,
            Kind.INFUSION_END,
        )
    )
}


def local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The aware local datetime of wall-clock time ``at`` on ``day``.

    A time inside a spring-forward gap is moved forward by the gap; an ambiguous time takes
    the first (daylight) occurrence.
    """
    # fold=0 whatever the caller passed: with fold=1 zoneinfo would move a gap time backward.
    return datetime.combine(day, at.replace(fold=0), tz).astimezone(UTC).astimezone(tz)


def shift(moment: datetime, minutes: int) -> datetime:
    """``moment`` moved by elapsed minutes (not wall-clock minutes), in the same zone."""
    tz = moment.tzinfo
    return (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)


def clocks_change(day: date, tz: ZoneInfo) -> bool:
    """Whether the zone's UTC offset changes during ``day``."""
    start = local(day, time(0), tz)
    end = local(day + timedelta(days=1), time(0), tz)
    return start.utcoffset() != end.utcoffset()


def sort_key(o: Occurrence, tz: ZoneInfo) -> tuple[datetime, int, str, str]:
    """Order by start instant (all-day events at local midnight), then kind, agent, UID."""
    start = o.start if isinstance(o.start, datetime) else local(o.start, time(0), tz)
    return (start.astimezone(UTC), _KIND_ORDER[o.kind], o.agent or "", o.uid)


class _Builder:
    """Holds what every occurrence of one plan shares, and makes them."""

    def __init__(self, schedule: Schedule, plan: Plan) -> None:
        self.s = schedule
        self.plan = plan
        self.tz = plan.tz
        self.plan_id = plan.plan_id(schedule)
        self.times = agent_times(schedule, plan)
        self.choices = effective_choices(schedule, plan)
        self.ordinals: dict[tuple[str, Kind, int | None, int], int] = {}

    def ident(self, agent: str, kind: Kind, cycle: int | None, day: int) -> OccurrenceId:
        key = (agent, kind, cycle, day)
        self.ordinals[key] = self.ordinals.get(key, 0) + 1
        return OccurrenceId(self.plan_id, agent, kind, cycle, day, self.ordinals[key])

    def dose(self, written: str) -> str:
        """The dose as written, with the amount for this patient's body size when known."""
        return describe_dose(written, self.plan.height_cm, self.plan.weight_kg)

    def name(self, agent: str) -> str:
        """The short name for titles: "Blinatumomab", not "Blinatumomab (Blincyto)"."""
        return self.s.agents[agent].name.split(" (")[0]

    def notes(self, *parts: str | None, sources: tuple[str, ...] = (), when: date | None = None) -> str:
        lines = [p for p in parts if p]
        if when is not None and clocks_change(when, self.tz):
            lines.append(say("note.dst", zone=self.plan.timezone))
        if sources:
            lines.append(say("note.sources", keys=", ".join(dict.fromkeys(sources))))
        lines.append(say("notice"))
        return "\n".join(lines)

    def agent_notes(self, agent: str) -> tuple[str | None, str | None]:
        a = self.s.agents[agent]
        instructions = say("note.instructions", text=" ".join(a.instructions)) if a.instructions else None
        missed = say("note.missed", text=a.missed_dose) if a.missed_dose else None
        return instructions, missed

    # -- daily dosing --------------------------------------------------------------------

    def daily(self, d: Daily, last: date) -> Iterator[Occurrence]:
        instructions, missed = self.agent_notes(d.agent)
        for step in d.steps:
            final = None if (d.open_ended and step is d.steps[-1]) else step.days.last
            n = step.days.first
            while final is None or n <= final:
                day = self.plan.start + timedelta(days=n - 1)
                if day > last:
                    break
                for at in self.times[d.agent]:
                    start = local(day, at, self.tz)
                    yield Occurrence(
                        id=self.ident(d.agent, Kind.DOSE, None, n),
                        kind=Kind.DOSE,
                        agent=d.agent,
                        phase=None,
                        cycle=None,
                        day=n,
                        title=say("title.daily", agent=self.name(d.agent), dose=self.dose(step.dose)),
                        dose=self.dose(step.dose),
                        start=start,
                        end=shift(start, POINT_MINUTES),
                        notes=self.notes(instructions, missed, sources=step.sources + d.sources, when=day),
                        reminder=True,
                    )
                n += 1

    # -- cycles --------------------------------------------------------------------------

    def cycle(self, phase: Phase, n: int, first: date) -> Iterator[Occurrence]:
        def on(day: int) -> date:
            return first + timedelta(days=day - 1)

        def label(day: int) -> str:
            return f"C{n}D{day}"

        for stay in phase.stays:
            if stay.selector.applies(n, self.choices):
                yield Occurrence(
                    id=self.ident("course", Kind.HOSPITAL, n, stay.days.first),
                    kind=Kind.HOSPITAL,
                    agent=None,
                    phase=phase.name,
                    cycle=n,
                    day=stay.days.first,
                    title=say("title.hospital"),
                    dose=None,
                    start=on(stay.days.first),
                    end=on(stay.days.last + 1),
                    notes=self.notes(sources=stay.sources),
                )
        r = phase.rest_with(self.choices)
        if r is not None:
            yield Occurrence(
                id=self.ident("course", Kind.REST, n, r.first),
                kind=Kind.REST,
                agent=None,
                phase=phase.name,
                cycle=n,
                day=r.first,
                title=say("title.rest"),
                dose=None,
                start=on(r.first),
                end=on(r.last + 1),
                notes=self.notes(sources=phase.sources),
                busy=False,
            )
        for dose in phase.doses:
            if dose.selector.applies(n, self.choices):
                yield from self.cycle_dose(phase, n, dose, on, label)
        for infusion in phase.infusions:
            if infusion.selector.applies(n, self.choices):
                yield from self.infusion(phase, n, infusion, on, label)
        for pre in phase.premedications:
            if not pre.selector.applies(n, self.choices):
                continue
            for day in pre.days:
                target = local(on(day), self.times[pre.before][0], self.tz)
                start = shift(target, -(pre.minutes_before or 0))
                yield Occurrence(
                    id=self.ident(pre.agent, Kind.PREMEDICATION, n, day),
                    kind=Kind.PREMEDICATION,
                    agent=pre.agent,
                    phase=phase.name,
                    cycle=n,
                    day=day,
                    title=say(
                        "title.premedication",
                        agent=self.name(pre.agent),
                        dose=self.dose(pre.dose),
                        before=self.name(pre.before).lower(),
                    ),
                    dose=self.dose(pre.dose),
                    start=start,
                    end=shift(start, POINT_MINUTES),
                    notes=self.notes(
                        say("note.premedication", minutes=pre.minutes_before, before=self.name(pre.before))
                        if pre.minutes_before
                        else say("note.premedication_before", before=self.name(pre.before)),
                        sources=pre.sources,
                        when=on(day),
                    ),
                    reminder=True,
                )

    def cycle_dose(
        self, phase: Phase, n: int, dose: CycleDose, on: DayFn, label: LabelFn
    ) -> Iterator[Occurrence]:
        instructions, missed = self.agent_notes(dose.agent)
        for day in dose.days:
            start = local(on(day), self.times[dose.agent][0], self.tz)
            end = shift(start, dose.minutes)
            window = None
            if dose.window_days:
                lo, hi = on(day - dose.window_days), on(day + dose.window_days)
                window = say(
                    "note.window",
                    window=f"{lo.isoformat()} to {hi.isoformat()} (day {day} ± {dose.window_days})",
                    words=dose.window_note,
                )
            yield Occurrence(
                id=self.ident(dose.agent, Kind.DOSE, n, day),
                kind=Kind.DOSE,
                agent=dose.agent,
                phase=phase.name,
                cycle=n,
                day=day,
                title=say("title.dose", agent=self.name(dose.agent), dose=self.dose(dose.dose)),
                dose=self.dose(dose.dose),
                start=start,
                end=end,
                notes=self.notes(window, instructions, missed, sources=dose.sources, when=on(day)),
                reminder=True,
            )
            if dose.observe_minutes:
                yield Occurrence(
                    id=self.ident(dose.agent, Kind.OBSERVATION, n, day),
                    kind=Kind.OBSERVATION,
                    agent=dose.agent,
                    phase=phase.name,
                    cycle=n,
                    day=day,
                    title=say("title.observation", agent=self.name(dose.agent).lower()),
                    dose=None,
                    start=end,
                    end=shift(end, dose.observe_minutes),
                    notes=self.notes(
                        say("note.observation", minutes=dose.observe_minutes), sources=dose.sources
                    ),
                )

    def infusion(
        self, phase: Phase, n: int, inf: Infusion, on: DayFn, label: LabelFn
    ) -> Iterator[Occurrence]:
        agent = self.name(inf.agent)
        at = self.times[inf.agent][0]
        instructions, _ = self.agent_notes(inf.agent)
        hours = int(self.choices[BAG_CHOICE]) if inf.bag_changes else 0
        for i, step in enumerate(inf.steps):
            start = local(on(step.days.first), at, self.tz)
            end = local(on(step.days.last + 1), at, self.tz)
            first, last = step.days.first, step.days.last
            yield Occurrence(
                id=self.ident(inf.agent, Kind.INFUSION, n, first),
                kind=Kind.INFUSION,
                agent=inf.agent,
                phase=phase.name,
                cycle=n,
                day=first,
                title=say(
                    "title.infusion",
                    agent=agent,
                    dose=self.dose(step.dose),
                ),
                dose=self.dose(step.dose),
                start=start,
                end=end,
                notes=self.notes(
                    say(
                        "note.infusion",
                        agent=agent,
                        dose=self.dose(step.dose),
                        start=f"{start:%Y-%m-%d %H:%M} ({label(first)})",
                        end=f"{end:%Y-%m-%d %H:%M} ({label(last + 1)})",
                    ),
                    say("note.bag_interval", hours=hours, label=self.s.choices[BAG_CHOICE].label)
                    if hours
                    else None,
                    instructions,
                    sources=step.sources + inf.sources,
                    when=on(first),
                ),
                reminder=True,
                busy=False,
            )
            if not hours:
                continue
            changes: list[tuple[datetime, int, bool]] = []
            if i > 0:
                changes.append((start, first, True))
            k = 1
            while True:
                if hours % 24 == 0:
                    day = first + k * hours // 24
                    moment = local(on(day), at, self.tz)
                else:
                    moment = shift(start, k * hours * 60)
                    day = first + (moment.date() - on(first)).days
                if moment >= end:
                    break
                changes.append((moment, day, False))
                k += 1
            for moment, day, is_step in changes:
                title = (
                    say("title.bag_step", agent=agent, dose=self.dose(step.dose))
                    if is_step
                    else say("title.bag_change", agent=agent)
                )
                yield Occurrence(
                    id=self.ident(inf.agent, Kind.BAG_CHANGE, n, day),
                    kind=Kind.BAG_CHANGE,
                    agent=inf.agent,
                    phase=phase.name,
                    cycle=n,
                    day=day,
                    title=title,
                    dose=self.dose(step.dose),
                    start=moment,
                    end=shift(moment, POINT_MINUTES),
                    notes=self.notes(
                        say("note.bag_interval", hours=hours, label=self.s.choices[BAG_CHOICE].label),
                        instructions,
                        sources=step.sources + self.s.choices[BAG_CHOICE].sources,
                        when=moment.date(),
                    ),
                    reminder=True,
                )
        last = inf.steps[-1].days.last + 1
        end = local(on(last), at, self.tz)
        yield Occurrence(
            id=self.ident(inf.agent, Kind.INFUSION_END, n, last),
            kind=Kind.INFUSION_END,
            agent=inf.agent,
            phase=phase.name,
            cycle=n,
            day=last,
            title=say("title.infusion_end", agent=agent),
            dose=None,
            start=end,
            end=shift(end, POINT_MINUTES),
            notes=self.notes(instructions, sources=inf.sources, when=on(last)),
            reminder=True,
        )


def cycle_starts(schedule: Schedule, plan: Plan) -> list[tuple[int, Phase, date]]:
    """Each planned cycle's number, phase and day 1, in order."""
    planned = plan.cycles if plan.cycles is not None else schedule.total_cycles
    choices = effective_choices(schedule, plan)
    first = plan.start + timedelta(days=schedule.cycles_start_day - 1)
    out: list[tuple[int, Phase, date]] = []
    n = 0
    for phase in schedule.phases:
        for _ in range(phase.cycles):
            n += 1
            if n > planned:
                return out
            out.append((n, phase, first))
            first += timedelta(days=phase.length_with(choices))
    return out


def horizon(schedule: Schedule, plan: Plan) -> date:
    """The last day planned: ``--until``, else the end of the last cycle, else a default span."""
    if plan.until is not None:
        return plan.until
    choices = effective_choices(schedule, plan)
    ends = [
        first + timedelta(days=phase.length_with(choices) - 1)
        for _, phase, first in cycle_starts(schedule, plan)
    ]
    if schedule.open_ended:
        # A daily drug that never stops runs alongside the cycles, or for a default span.
        return max(ends) if ends else plan.start + timedelta(days=DEFAULT_HORIZON_DAYS - 1)
    closed = [plan.start + timedelta(days=d.steps[-1].days.last - 1) for d in schedule.daily]
    return max(ends + closed)


def expand(schedule: Schedule, plan: Plan) -> tuple[Occurrence, ...]:
    """Every occurrence of ``plan`` on ``schedule``, sorted by start.

    Raises:
        PlanError: when the plan does not fit the schedule (see :func:`dosecal.plan.check`).
    """
    check(schedule, plan)
    b = _Builder(schedule, plan)
    last = horizon(schedule, plan)
    found: list[Occurrence] = []
    for d in schedule.daily:
        found.extend(b.daily(d, last))
    for n, phase, first in cycle_starts(schedule, plan):
        if first > last:
            break
        found.extend(o for o in b.cycle(phase, n, first) if o.start_date <= last)
    found.sort(key=lambda o: sort_key(o, b.tz))
    return tuple(found)


__all__ = ["Status", "expand", "horizon", "local", "shift"]
