"""expand(schedule, plan): the pure core that turns a regimen and a start date into occurrences.

No I/O and no clock: the same schedule and plan always give the same tuple, adjustments
included: the plan is expanded once per step of its history, so that every event carries a
SEQUENCE that counts the adjustments that changed it, and an event that an adjustment removed
stays, cancelled, under its UID. Times are wall
clock times in the plan's zone: a dose at 08:00 is at 08:00 local time on every day, DST
change days included. A time that does not exist on a spring-forward day (02:30) moves forward
by the gap (03:30), as the clock on the wall does; an ambiguous autumn time takes its first
occurrence. Offsets ("60 minutes before") and durations are elapsed time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosecal.adjustments import Adjustment, ChoiceChange, Delay, DoseChange, Hold, Interruption, Stop
from dosecal.dosing import describe_dose
from dosecal.errors import PlanError, Problem
from dosecal.occurrence import Kind, Occurrence, OccurrenceId, Status
from dosecal.plan import DEFAULT_HORIZON_DAYS, Plan, agent_times, check, effective_choices
from dosecal.schedule import BAG_CHOICE, CycleDose, Daily, Infusion, Phase, Schedule
from dosecal.words import say

#: The longest interruption after which a continuous-infusion cycle goes on (blinatumomab
#: label, MIMS-HK / SKYSCAPE-BLIN); a longer one ends the cycle.
CONTINUE_WITHIN_DAYS = 7

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


@dataclass(frozen=True, slots=True)
class CycleSlot:
    """One planned cycle as it falls on the calendar, after delays and interruptions.

    Attributes:
        number: the cycle number.
        phase: its phase.
        first: day 1's date.
        length: its length in days, lengthened by a short interruption.
        interruption: the infusion interruption in this cycle, if any.
    """

    number: int
    phase: Phase
    first: date
    length: int
    interruption: Interruption | None = None

    @property
    def last(self) -> date:
        """The cycle's last day."""
        return self.first + timedelta(days=self.length - 1)


@dataclass(frozen=True, slots=True)
class _Clock:
    """Maps a cycle's label days to dates, shifting or cutting them after an interruption."""

    n: int
    first: date
    shift_from: int | None = None
    shift: int = 0
    cut: int | None = None

    def actual(self, day: int) -> int:
        return day + self.shift if self.shift_from is not None and day >= self.shift_from else day

    def on(self, day: int) -> date:
        return self.first + timedelta(days=self.actual(day) - 1)

    def keeps(self, day: int) -> bool:
        return self.cut is None or day < self.cut

    def label(self, day: int) -> str:
        return f"C{self.n}D{self.actual(day)}"


class _Refused(Exception):
    """An adjustment that contradicts the plan; turned into a PlanError naming it."""


def _clock(slot: CycleSlot) -> _Clock:
    i = slot.interruption
    if i is None:
        return _Clock(slot.number, slot.first)
    if i.days <= CONTINUE_WITHIN_DAYS:
        return _Clock(slot.number, slot.first, shift_from=i.day, shift=i.days)
    return _Clock(slot.number, slot.first, cut=i.day)


class _Builder:
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

    def ident(self, agent: str, kind: Kind, cycle: int | None, day: int) -> OccurrenceId:
        key = (agent, kind, cycle, day)
        self.ordinals[key] = self.ordinals.get(key, 0) + 1
        return OccurrenceId(self.plan_id, agent, kind, cycle, day, self.ordinals[key])

    def dose(self, written: str, agent: str | None = None, on: date | None = None) -> str:
        """The dose in force (a later dose change wins), with the amount for this body size."""
        for change in self.changes:
            if agent == change.agent and on is not None and on >= change.start:
                written = change.dose
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

    def made(
        self,
        kind: Kind,
        agent: str | None,
        phase: Phase | None,
        cycle: int | None,
        *,
        key: int,
        day: int,
        title: str,
        dose: str | None,
        start: date | datetime,
        end: date | datetime,
        notes: str,
        reminder: bool = False,
        busy: bool = True,
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
            title=title,
            dose=dose,
            start=start,
            end=end,
            notes=notes,
            reminder=reminder,
            busy=busy,
        )

    def point(self, moment: datetime, minutes: int = POINT_MINUTES) -> tuple[datetime, datetime]:
        return moment, shift(moment, minutes)

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
                dose = self.dose(step.dose, d.agent, day)
                for at in self.times[d.agent]:
                    start, end = self.point(local(day, at, self.tz))
                    yield self.made(
                        Kind.DOSE,
                        d.agent,
                        None,
                        None,
                        key=n,
                        day=n,
                        title=say("title.daily", agent=self.name(d.agent), dose=dose),
                        dose=dose,
                        start=start,
                        end=end,
                        notes=self.notes(instructions, missed, sources=step.sources + d.sources, when=day),
                        reminder=True,
                    )
                n += 1

    # -- cycles --------------------------------------------------------------------------

    def cycle(self, slot: CycleSlot) -> Iterator[Occurrence]:
        phase, n, clock = slot.phase, slot.number, _clock(slot)
        for stay in phase.stays:
            if stay.selector.applies(n, self.choices) and clock.keeps(stay.days.first):
                first = stay.days.first
                yield self.made(
                    Kind.HOSPITAL,
                    None,
                    phase,
                    n,
                    key=first,
                    day=clock.actual(first),
                    title=say("title.hospital"),
                    dose=None,
                    start=clock.on(first),
                    end=clock.on(first) + timedelta(days=stay.days.days),
                    notes=self.notes(sources=stay.sources),
                )
        r = phase.rest_with(self.choices)
        if r is not None and clock.keeps(r.first):
            yield self.made(
                Kind.REST,
                None,
                phase,
                n,
                key=r.first,
                day=clock.actual(r.first),
                title=say("title.rest"),
                dose=None,
                start=clock.on(r.first),
                end=clock.on(r.last) + timedelta(days=1),
                notes=self.notes(sources=phase.sources),
                busy=False,
            )
        for rule in phase.doses:
            if rule.selector.applies(n, self.choices):
                yield from self.cycle_dose(phase, clock, rule)
        restarts: list[int] = []
        for infusion in phase.infusions:
            if infusion.selector.applies(n, self.choices):
                yield from self.infusion(phase, clock, infusion, restarts)
        interrupted = slot.interruption
        if interrupted is not None and not restarts:
            raise _Refused(f"no infusion runs on C{n}D{interrupted.day} to interrupt")
        for pre in phase.premedications:
            if not pre.selector.applies(n, self.choices):
                continue
            days = [d for d in pre.days if clock.keeps(d)]
            if pre.restart:
                days += [d for d in restarts if d not in pre.days]
            for day in days:
                target = local(clock.on(day), self.times[pre.before][0], self.tz)
                start, end = self.point(shift(target, -(pre.minutes_before or 0)))
                dose = self.dose(pre.dose, pre.agent, clock.on(day))
                timing = (
                    say("note.premedication", minutes=pre.minutes_before, before=self.name(pre.before))
                    if pre.minutes_before
                    else say("note.premedication_before", before=self.name(pre.before))
                )
                yield self.made(
                    Kind.PREMEDICATION,
                    pre.agent,
                    phase,
                    n,
                    key=day,
                    day=clock.actual(day),
                    title=say(
                        "title.premedication",
                        agent=self.name(pre.agent),
                        dose=dose,
                        before=self.name(pre.before).lower(),
                    ),
                    dose=dose,
                    start=start,
                    end=end,
                    notes=self.notes(
                        timing,
                        say("note.restart") if day in restarts and day not in pre.days else None,
                        sources=pre.sources,
                        when=clock.on(day),
                    ),
                    reminder=True,
                )

    def cycle_dose(self, phase: Phase, clock: _Clock, dose: CycleDose) -> Iterator[Occurrence]:
        instructions, missed = self.agent_notes(dose.agent)
        n = clock.n
        for day in dose.days:
            if not clock.keeps(day):
                continue
            start, end = self.point(local(clock.on(day), self.times[dose.agent][0], self.tz), dose.minutes)
            window = None
            if dose.window_days:
                lo = clock.on(day) - timedelta(days=dose.window_days)
                hi = clock.on(day) + timedelta(days=dose.window_days)
                window = say(
                    "note.window",
                    window=f"{lo.isoformat()} to {hi.isoformat()} (day {clock.actual(day)} ± {dose.window_days})",
                    words=dose.window_note,
                )
            amount = self.dose(dose.dose, dose.agent, clock.on(day))
            yield self.made(
                Kind.DOSE,
                dose.agent,
                phase,
                n,
                key=day,
                day=clock.actual(day),
                title=say("title.dose", agent=self.name(dose.agent), dose=amount),
                dose=amount,
                start=start,
                end=end,
                notes=self.notes(window, instructions, missed, sources=dose.sources, when=clock.on(day)),
                reminder=True,
            )
            if dose.observe_minutes:
                yield self.made(
                    Kind.OBSERVATION,
                    dose.agent,
                    phase,
                    n,
                    key=day,
                    day=clock.actual(day),
                    title=say("title.observation", agent=self.name(dose.agent).lower()),
                    dose=None,
                    start=end,
                    end=shift(end, dose.observe_minutes),
                    notes=self.notes(
                        say("note.observation", minutes=dose.observe_minutes), sources=dose.sources
                    ),
                )

    def infusion(
        self, phase: Phase, clock: _Clock, inf: Infusion, restarts: list[int]
    ) -> Iterator[Occurrence]:
        """The infusion's spans, bag changes and end; an interruption splits a span in two."""
        agent = self.name(inf.agent)
        at = self.times[inf.agent][0]
        n = clock.n
        instructions, _ = self.agent_notes(inf.agent)
        hours = int(self.choices[BAG_CHOICE]) if inf.bag_changes else 0
        stop = clock.shift_from if clock.shift_from is not None else clock.cut
        pieces: list[tuple[int, int, int, str]] = []  # (first, last, step index, how it starts)
        for i, step in enumerate(inf.steps):
            a, b = step.days.first, step.days.last
            how = "start" if i == 0 else "step"
            if stop is not None and a < stop <= b:
                pieces += [(a, stop - 1, i, how), (stop, b, i, "restart")]
                restarts.append(stop)
            else:
                pieces.append((a, b, i, how))
        last_end: datetime | None = None
        for first, last, i, how in pieces:
            if not clock.keeps(first):
                continue
            step = inf.steps[i]
            start = local(clock.on(first), at, self.tz)
            end = local(clock.on(last) + timedelta(days=1), at, self.tz)
            last_end = end
            dose = self.dose(step.dose, inf.agent, clock.on(first))
            bags = (
                say("note.bag_interval", hours=hours, label=self.s.choices[BAG_CHOICE].label)
                if hours
                else None
            )
            yield self.made(
                Kind.INFUSION,
                inf.agent,
                phase,
                n,
                key=first,
                day=clock.actual(first),
                title=say("title.infusion", agent=agent, dose=dose),
                dose=dose,
                start=start,
                end=end,
                notes=self.notes(
                    say(
                        "note.infusion",
                        agent=agent,
                        dose=dose,
                        start=f"{start:%Y-%m-%d %H:%M} ({clock.label(first)})",
                        end=f"{end:%Y-%m-%d %H:%M} (C{n}D{(end.date() - clock.first).days + 1})",
                    ),
                    bags,
                    instructions,
                    sources=step.sources + inf.sources,
                    when=clock.on(first),
                ),
                reminder=True,
                busy=False,
            )
            if not hours:
                continue
            changes: list[tuple[datetime, int, str]] = []
            if how != "start":
                changes.append((start, first, how))
            k = 1
            while True:
                if hours % 24 == 0:
                    day = first + k * hours // 24
                    moment = local(clock.on(day), at, self.tz)
                else:
                    moment = shift(start, k * hours * 60)
                    day = first + (moment.date() - clock.on(first)).days
                if moment >= end:
                    break
                changes.append((moment, day, "change"))
                k += 1
            for moment, day, kind in changes:
                title = {
                    "step": say("title.bag_step", agent=agent, dose=dose),
                    "restart": say("title.bag_restart", agent=agent),
                    "change": say("title.bag_change", agent=agent),
                }[kind]
                at_moment, until = self.point(moment)
                yield self.made(
                    Kind.BAG_CHANGE,
                    inf.agent,
                    phase,
                    n,
                    key=day,
                    day=clock.actual(day),
                    title=title,
                    dose=dose,
                    start=at_moment,
                    end=until,
                    notes=self.notes(
                        bags,
                        instructions,
                        sources=step.sources + self.s.choices[BAG_CHOICE].sources,
                        when=moment.date(),
                    ),
                    reminder=True,
                )
        if last_end is None:
            return
        final = inf.steps[-1].days.last + 1
        start, end = self.point(last_end)
        yield self.made(
            Kind.INFUSION_END,
            inf.agent,
            phase,
            n,
            key=final,
            day=(last_end.date() - clock.first).days + 1,
            title=say("title.infusion_end", agent=agent),
            dose=None,
            start=start,
            end=end,
            notes=self.notes(instructions, sources=inf.sources, when=last_end.date()),
            reminder=True,
        )


def _refuse(plan: Plan, index: int, message: str) -> PlanError:
    return PlanError([Problem(plan.origin, f"adjustments[{index}]", message)])


def _choices(schedule: Schedule, plan: Plan, adjustments: Sequence[Adjustment]) -> dict[str, str]:
    choices = effective_choices(schedule, plan)
    for a in adjustments:
        if isinstance(a, ChoiceChange):
            choices[a.id] = a.value
    return choices


def _slots(
    schedule: Schedule, plan: Plan, adjustments: Sequence[Adjustment], choices: dict[str, str]
) -> list[CycleSlot]:
    planned = plan.cycles if plan.cycles is not None else schedule.total_cycles
    numbered = [
        (n, phase) for n, phase in enumerate((p for p in schedule.phases for _ in range(p.cycles)), 1)
    ]
    numbered = numbered[:planned]
    for i, a in enumerate(adjustments, 1):
        if isinstance(a, Delay | Interruption) and not 1 <= a.cycle <= len(numbered):
            raise _refuse(plan, i, f"cycle {a.cycle} is not in the plan, which has {len(numbered)} cycle(s)")
    out: list[CycleSlot] = []
    first = plan.start + timedelta(days=schedule.cycles_start_day - 1)
    for n, phase in numbered:
        for i, a in enumerate(adjustments, 1):
            if isinstance(a, Delay) and a.cycle == n:
                if a.days is not None:
                    first += timedelta(days=a.days)
                elif a.to is not None:
                    if a.to < first:
                        raise _refuse(
                            plan, i, f"cycle {n} cannot start on {a.to}: it is due on {first} at the earliest"
                        )
                    first = a.to
        length = phase.length_with(choices)
        stops = [(i, a) for i, a in enumerate(adjustments, 1) if isinstance(a, Interruption) and a.cycle == n]
        interruption = None
        if stops:
            i, interruption = stops[-1]
            if len(stops) > 1:
                raise _refuse(plan, i, f"cycle {n} already has an interruption; record one per cycle")
            if not 1 < interruption.day <= length:
                raise _refuse(
                    plan, i, f"C{n}D{interruption.day} is not a day of the {length}-day cycle after its first"
                )
            if interruption.days <= CONTINUE_WITHIN_DAYS:
                length += interruption.days
            else:
                length = interruption.day - 1 + interruption.days
        out.append(CycleSlot(n, phase, first, length, interruption))
        first += timedelta(days=length)
    return out


def cycle_slots(schedule: Schedule, plan: Plan) -> list[CycleSlot]:
    """Each planned cycle as it falls on the calendar, with every adjustment of the plan."""
    return _slots(schedule, plan, plan.adjustments, _choices(schedule, plan, plan.adjustments))


def cycle_starts(schedule: Schedule, plan: Plan) -> list[tuple[int, Phase, date]]:
    """Each planned cycle's number, phase and day 1, in order."""
    return [(s.number, s.phase, s.first) for s in cycle_slots(schedule, plan)]


def _horizon(schedule: Schedule, plan: Plan, slots: Sequence[CycleSlot]) -> date:
    if plan.until is not None:
        return plan.until
    ends = [s.last for s in slots]
    if schedule.open_ended:
        # A daily drug that never stops runs alongside the cycles, or for a default span.
        return max(ends) if ends else plan.start + timedelta(days=DEFAULT_HORIZON_DAYS - 1)
    closed = [plan.start + timedelta(days=d.steps[-1].days.last - 1) for d in schedule.daily]
    return max(ends + closed)


def horizon(schedule: Schedule, plan: Plan) -> date:
    """The last day planned: ``--until``, else the end of the last cycle, else a default span."""
    return _horizon(schedule, plan, cycle_slots(schedule, plan))


def _hold(plan: Plan, index: int, hold: Hold, found: list[Occurrence]) -> None:
    doses = [
        k
        for k, o in enumerate(found)
        if o.kind is Kind.DOSE
        and o.cycle == hold.cycle
        and o.day == hold.day
        and hold.agent in (None, o.agent)
    ]
    if not doses:
        rest = any(
            o.kind is Kind.REST and o.cycle == hold.cycle and o.day <= hold.day < o.day + len(o.dates)
            for o in found
        )
        reason = "it is a treatment-free day" if rest else "there is no single dose that day"
        raise _refuse(plan, index, f"no dose to hold on {hold.spec}: {reason}")
    agents = {found[k].agent for k in doses}
    if len(agents) > 1:
        names = ", ".join(sorted(a or "" for a in agents))
        raise _refuse(plan, index, f"several agents dose on {hold.spec} ({names}); write AGENT:{hold.spec}")
    held = {found[k].agent for k in doses}
    for k, o in enumerate(found):
        # The dose goes, and with it the premedication before it and the observation after it.
        same_day = o.cycle == hold.cycle and o.day == hold.day
        if k in doses or (same_day and o.kind is Kind.OBSERVATION and o.agent in held):
            found[k] = dataclasses.replace(o, status=Status.CANCELLED)
        elif same_day and o.kind is Kind.PREMEDICATION:
            others = [x for x in found if x.cycle == o.cycle and x.day == o.day and x.kind is Kind.DOSE]
            if all(x.status is Status.CANCELLED or x.agent in held for x in others):
                found[k] = dataclasses.replace(o, status=Status.CANCELLED)


def _stop(stop: Stop, found: list[Occurrence], tz: ZoneInfo) -> None:
    cutoff = local(stop.on, time(0), tz)
    for k, o in enumerate(found):
        if o.start_date >= stop.on:
            found[k] = dataclasses.replace(found[k], status=Status.CANCELLED)
        elif isinstance(o.end, datetime) and o.end > cutoff:
            found[k] = dataclasses.replace(o, end=cutoff)
        elif not isinstance(o.end, datetime) and o.end > stop.on:
            found[k] = dataclasses.replace(o, end=stop.on)


def _expand_once(schedule: Schedule, plan: Plan, adjustments: Sequence[Adjustment]) -> list[Occurrence]:
    """The plan with the first few adjustments of its history applied."""
    choices = _choices(schedule, plan, adjustments)
    for i, a in enumerate(adjustments, 1):
        if isinstance(a, ChoiceChange):
            choice = schedule.choices.get(a.id)
            if choice is None or a.value not in choice.options:
                options = "|".join(choice.options) if choice else ", ".join(schedule.choices) or "none"
                raise _refuse(plan, i, f"'{a.id}={a.value}' is not a choice of {schedule.id} ({options})")
        if isinstance(a, DoseChange) and a.agent not in schedule.agents:
            raise _refuse(plan, i, f"'{a.agent}' is not an agent of {schedule.id}")
    b = _Builder(schedule, plan, choices, [a for a in adjustments if isinstance(a, DoseChange)])
    slots = _slots(schedule, plan, adjustments, choices)
    last = _horizon(schedule, plan, slots)
    found: list[Occurrence] = []
    for d in schedule.daily:
        found.extend(b.daily(d, last))
    for slot in slots:
        if slot.first > last:
            break
        try:
            found.extend(o for o in b.cycle(slot) if o.start_date <= last)
        except _Refused as exc:
            index = next(
                i
                for i, a in enumerate(adjustments, 1)
                if isinstance(a, Interruption) and a.cycle == slot.number
            )
            raise _refuse(plan, index, str(exc)) from None
    for i, a in enumerate(adjustments, 1):
        if isinstance(a, Hold):
            _hold(plan, i, a, found)
        elif isinstance(a, Stop):
            _stop(a, found, b.tz)
    found.sort(key=lambda o: sort_key(o, b.tz))
    return found


def _what(o: Occurrence) -> tuple[object, ...]:
    return (o.start, o.end, o.status, o.title, o.dose, o.notes)


def expand(schedule: Schedule, plan: Plan) -> tuple[Occurrence, ...]:
    """Every occurrence of ``plan`` on ``schedule``, sorted by start.

    The plan is expanded once without adjustments and once more after each of them, in the
    order recorded. An event's SEQUENCE is the number of those steps that changed it; an
    event that a step removed is kept, cancelled, with its UID; ``moved_from`` is its date
    before any adjustment.

    Raises:
        PlanError: when the plan does not fit the schedule, or an adjustment contradicts it.
    """
    check(schedule, plan)
    versions = [_expand_once(schedule, plan, plan.adjustments[:k]) for k in range(len(plan.adjustments) + 1)]
    sequence: dict[str, int] = {}
    seen: dict[str, Occurrence] = {}
    previous: dict[str, Occurrence] = {}
    for k, version in enumerate(versions):
        current = {o.uid: o for o in version}
        if k:
            for uid, o in current.items():
                before = previous.get(uid) or seen.get(uid)
                if before is not None and _what(before) != _what(o):
                    sequence[uid] = sequence.get(uid, 0) + 1
            for uid in previous.keys() - current.keys():
                sequence[uid] = sequence.get(uid, 0) + 1
        seen.update(current)
        previous = current
    original = {o.uid: o.start_date for o in versions[0]}
    out = []
    for uid, o in seen.items():
        if uid not in previous:
            o = dataclasses.replace(o, status=Status.CANCELLED)
        was = original.get(uid)
        out.append(
            dataclasses.replace(
                o,
                sequence=sequence.get(uid, 0),
                moved_from=was if was is not None and was != o.start_date else None,
            )
        )
    out.sort(key=lambda o: sort_key(o, plan.tz))
    return tuple(out)


__all__ = ["CycleSlot", "Status", "cycle_slots", "cycle_starts", "expand", "horizon", "local", "shift"]
