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
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosecal.adjustments import (
    SAME_DOSE,
    Adjustment,
    ChoiceChange,
    Delay,
    DoseChange,
    Hold,
    Interruption,
    Stop,
    with_unit,
)
from dosecal.dosing import describe_dose
from dosecal.errors import PlanError, Problem
from dosecal.occurrence import Kind, Occurrence, OccurrenceId, Status
from dosecal.plan import DEFAULT_HORIZON_DAYS, Plan, agent_times, check, effective_choices, planned_cycles
from dosecal.schedule import BAG_CHOICE, CycleDose, Daily, Infusion, Phase, Premedication, Schedule
from dosecal.words import say

#: The longest interruption after which a continuous-infusion cycle goes on (blinatumomab
#: label, MIMS-HK / SKYSCAPE-BLIN / HCP-ADJUST: "If the interruption ... is no longer than 7 days,
#: continue the same cycle ... If ... longer than 7 days, start a new cycle"); longer ends the cycle.
MAX_CONTINUING = timedelta(days=7)

#: Where a premedication's label says only "before" (no offset), the calendar places it this many
#: minutes before the dose and says that the care team sets the time. A display choice of
#: dosecal's, not a clinical number: it keeps the premedication visibly before the infusion.
UNTIMED_PREMEDICATION_MINUTES = 30

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
        stop_at: when that interruption stops the infusion.
        restart_at: when the infusion restarts (in this cycle, or as the next cycle's start).
        start_at: when day 1's infusion starts, where a restart set it (else the usual time).
        resumed: the interruption of the previous cycle that this cycle restarts after.
        resumed_phase: the phase of that previous cycle.
    """

    number: int
    phase: Phase
    first: date
    length: int
    interruption: Interruption | None = None
    stop_at: datetime | None = None
    restart_at: datetime | None = None
    start_at: datetime | None = None
    resumed: Interruption | None = None
    resumed_phase: Phase | None = None

    @property
    def last(self) -> date:
        """The cycle's last day."""
        return self.first + timedelta(days=self.length - 1)

    @property
    def continues(self) -> bool:
        """Whether its interruption is short enough for the same cycle to go on."""
        return self.interruption is not None and self.interruption.length <= MAX_CONTINUING


@dataclass(frozen=True, slots=True)
class _Clock:
    """Maps a cycle's label days to moments, moving or cutting those after an interruption."""

    n: int
    first: date
    tz: ZoneInfo
    stop_at: datetime | None = None
    days: int = 0
    hours: int = 0
    extend: int = 0
    cut: bool = False

    def raw(self, day: int, at: time) -> datetime:
        """Label day ``day`` at ``at``, as if nothing had been interrupted."""
        return local(self.first + timedelta(days=day - 1), at, self.tz)

    def after(self, moment: datetime, at: time) -> datetime:
        """``moment`` (at wall time ``at``) moved by the interruption if it falls at or after the stop."""
        if self.stop_at is None or self.cut or moment < self.stop_at:
            return moment
        return shift(local(moment.date() + timedelta(days=self.days), at, self.tz), self.hours * 60)

    def moment(self, day: int, at: time) -> datetime:
        """Label day ``day`` at ``at`` on the calendar."""
        return self.after(self.raw(day, at), at)

    def keeps(self, moment: datetime) -> bool:
        """Whether something at ``moment`` still happens (not after a stop that ended the cycle)."""
        return not (self.cut and self.stop_at is not None and moment >= self.stop_at)

    def on(self, day: int) -> date:
        """The date of an all-day event on label day ``day`` (moved whole days after a stop)."""
        d = self.first + timedelta(days=day - 1)
        if self.stop_at is not None and not self.cut and d > self.stop_at.date():
            d += timedelta(days=self.extend)
        return d

    def day_of(self, when: date) -> int:
        """The cycle day number of a date."""
        return (when - self.first).days + 1

    def label(self, when: date) -> str:
        return f"C{self.n}D{self.day_of(when)}"


class _Refused(Exception):
    """An adjustment that contradicts the plan; turned into a PlanError naming it."""


def _clock(slot: CycleSlot, tz: ZoneInfo) -> _Clock:
    i = slot.interruption
    if i is None or slot.stop_at is None:
        return _Clock(slot.number, slot.first, tz)
    if slot.continues:
        return _Clock(slot.number, slot.first, tz, slot.stop_at, i.days, i.hours, _extension(i))
    return _Clock(slot.number, slot.first, tz, slot.stop_at, cut=True)


def _extension(i: Interruption) -> int:
    """Whole days a short interruption lengthens its cycle, so the rest after it stays whole."""
    return i.days + math.ceil(i.hours / 24)


@dataclass(frozen=True, slots=True)
class _Segment:
    """A stretch of infusion at one dose: from a bag hung at ``start`` until ``end``."""

    start: datetime
    end: datetime
    dose: str | None  # None: the care team sets it (a restart nobody gave a dose for)
    how: str  # start | step | restart | resume
    key: int  # the label day the schedule gives it, for its UID
    restart: bool = False  # the dose here is the restart dose


def _merged(segments: list[_Segment]) -> list[_Segment]:
    """Join a step or resumed stretch to the one before when the dose does not change: no new bag."""
    out: list[_Segment] = []
    for seg in segments:
        prev = out[-1] if out else None
        if (
            prev is not None
            and seg.how in ("step", "resume")
            and seg.dose == prev.dose
            and seg.start == prev.end
        ):
            out[-1] = dataclasses.replace(prev, end=seg.end)
        else:
            out.append(seg)
    return out


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
        self.stopped_dose: dict[int, str | None] = {}  # cycle -> dose in force when it stopped
        self.segment_log: dict[tuple[int, str], list[_Segment]] = {}  # (cycle, agent) -> stretches

    def ident(self, agent: str, kind: Kind, cycle: int | None, day: int) -> OccurrenceId:
        key = (agent, kind, cycle, day)
        self.ordinals[key] = self.ordinals.get(key, 0) + 1
        return OccurrenceId(self.plan_id, agent, kind, cycle, day, self.ordinals[key])

    def dose(self, written: str | None, agent: str | None = None, on: date | None = None) -> str:
        """The dose in force (a later dose change wins), with the amount for this body size."""
        if written is None:
            return say("dose.care_team")
        for change in self.changes:
            if agent == change.agent and on is not None and on >= change.start:
                written = change.dose
        return describe_dose(written, self.plan.height_cm, self.plan.weight_kg)

    def name(self, agent: str) -> str:
        """The short name for titles: "Blinatumomab", not "Blinatumomab (Blincyto)"."""
        return self.s.agents[agent].short_name

    def notes(self, *parts: str | None, sources: tuple[str, ...] = (), when: date | None = None) -> str:
        lines = [p for p in parts if p]
        if when is not None and clocks_change(when, self.tz):
            lines.append(say("note.dst", zone=self.plan.timezone))
        if sources:
            titles = [self.s.sources[k].title for k in dict.fromkeys(sources) if k in self.s.sources]
            lines.append(say("note.sources", keys="; ".join(titles)))
        lines.append(say("notice"))
        return "\n".join(lines)

    def agent_notes(self, agent: str) -> tuple[str | None, str | None]:
        a = self.s.agents[agent]
        instructions = say("note.instructions", text=" ".join(a.instructions)) if a.instructions else None
        if a.missed_dose:
            missed: str | None = say("note.missed", text=a.missed_dose)
        else:
            missed = say("note.missed_unknown") if a.oral else None
        return instructions, missed

    def advice(self, agent: str) -> tuple[str | None, tuple[str, ...]]:
        """The agent's warning signs and rules as one note, with their sources."""
        a = self.s.agents[agent]
        if not a.advice:
            return None, ()
        warnings = [x.text for x in a.advice if x.warning]
        rules = [x.text for x in a.advice if not x.warning]
        parts = []
        if warnings:
            parts.append(say("note.warnings", text=" ".join(warnings)))
        parts += rules
        return "\n".join(parts), tuple(k for x in a.advice for k in x.sources)

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
        window: tuple[date, date] | None = None,
        supervised: bool = False,
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
            window=window,
            supervised=supervised,
        )

    def point(self, moment: datetime, minutes: int = POINT_MINUTES) -> tuple[datetime, datetime]:
        return moment, shift(moment, minutes)

    # -- daily dosing --------------------------------------------------------------------

    def daily(self, d: Daily, last: date) -> Iterator[Occurrence]:
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
                        title = say(
                            "title.daily_fasting",
                            agent=self.name(d.agent),
                            dose=dose,
                            since=f"{shift(start, -a.fast_before_minutes):%H:%M}",
                            until=f"{shift(start, a.fast_after_minutes):%H:%M}",
                        )
                    else:
                        title = say("title.daily", agent=self.name(d.agent), dose=dose)
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
                            say("note.continues", agent=self.name(d.agent)) if ends else None,
                            instructions,
                            missed,
                            advice,
                            sources=step.sources + d.sources + a.sources + advice_sources,
                            when=day,
                        ),
                        reminder=True,
                    )
                n += 1

    # -- cycles --------------------------------------------------------------------------

    def time_of(self, agent: str, slot: CycleSlot) -> time:
        """An agent's time in this cycle: a restart's time for the infusion it restarts."""
        if slot.start_at is not None and any(i.agent == agent for i in slot.phase.infusions):
            return slot.start_at.time()
        return self.times[agent][0]

    def cycle(self, slot: CycleSlot) -> Iterator[Occurrence]:
        phase, n, clock = slot.phase, slot.number, _clock(slot, self.tz)
        hospital: set[date] = set()
        for stay in phase.stays:
            start = clock.on(stay.days.first)
            if stay.selector.applies(n, self.choices) and clock.keeps(local(start, time(0), self.tz)):
                first = stay.days.first
                hospital.update(start + timedelta(days=k) for k in range(stay.days.days))
                yield self.made(
                    Kind.HOSPITAL,
                    None,
                    phase,
                    n,
                    key=first,
                    day=clock.day_of(start),
                    title=say("title.hospital"),
                    dose=None,
                    start=start,
                    end=start + timedelta(days=stay.days.days),
                    notes=self.notes(sources=stay.sources),
                )
        r = phase.rest_with(self.choices)
        infused = [i.agent for i in phase.infusions]
        if r is not None:
            # The rest begins on the day the infusion ends, wherever an interruption moved it.
            at = self.time_of(infused[0], slot) if infused else time(0)
            begins = clock.moment(r.first, at)
            if clock.keeps(begins):
                yield self.made(
                    Kind.REST,
                    None,
                    phase,
                    n,
                    key=r.first,
                    day=clock.day_of(begins.date()),
                    title=say("title.rest"),
                    dose=None,
                    start=begins.date(),
                    end=slot.last + timedelta(days=1),
                    notes=self.notes(sources=phase.sources),
                    busy=False,
                )
        rules = [rule for rule in phase.doses if rule.selector.applies(n, self.choices)]
        for rule in rules:
            given = sorted(
                clock.moment(day, self.times[rule.agent][0]).date()
                for other in rules
                if other.agent == rule.agent
                for day in other.days
            )
            yield from self.cycle_dose(phase, clock, rule, given)
        restarts: list[tuple[datetime, int]] = []
        for infusion in phase.infusions:
            if infusion.selector.applies(n, self.choices):
                yield from self.infusion(slot, clock, infusion, restarts, hospital)
        interrupted = slot.interruption
        if interrupted is not None and not restarts:
            raise _Refused(f"no infusion runs on C{n}D{interrupted.day} to interrupt")
        yield from self.premedications(slot, clock, restarts)

    def premedications(
        self, slot: CycleSlot, clock: _Clock, restarts: list[tuple[datetime, int]]
    ) -> Iterator[Occurrence]:
        """Premedication before doses, steps and restarts, always before the time it precedes.

        A restart after an interruption of at least ``restart_after_hours`` gets the premedication
        at the restart, never on the day the infusion stopped; a new cycle started by a long
        interruption has one premedication on its first day, noted as the restart's.
        """
        phase, n = slot.phase, slot.number
        length = slot.interruption.length if slot.interruption is not None else timedelta(0)
        planned: list[tuple[Premedication, datetime, int, str | None]] = []  # rule, target, key, why
        resumes: list[tuple[datetime, int]] = []
        for pre in phase.premedications:
            if not pre.selector.applies(n, self.choices):
                continue
            at = self.time_of(pre.before, slot)
            segments = self.segment_log.get((n, pre.before))
            for day in pre.days:
                if segments is not None:
                    # Before the bag that starts that day's dose, where the stretches put it; a step
                    # that a restart dose replaced has none (the step back up gets one instead).
                    found = [g.start for g in segments if g.key == day and g.how in ("start", "step")]
                    if not found:
                        continue
                    target = found[0]
                else:
                    target = clock.moment(day, at)
                if clock.keeps(target):
                    planned.append((pre, target, day, "note.restart" if day == 1 and slot.resumed else None))
            if pre.restart and slot.continues and length >= timedelta(hours=pre.restart_after_hours):
                planned += [(pre, moment, key, "note.restart") for moment, key in restarts]
            if pre.restart and segments is not None:
                # The label premedicates "prior to a step dose": the step back up after a restart dose.
                resumes = [(g.start, g.key) for g in segments if g.how == "resume"]
                planned += [(pre, moment, key, "note.before_resume") for moment, key in resumes]
        if slot.resumed is not None and slot.resumed_phase is not None and slot.start_at is not None:
            # The previous cycle's restart premedication, where this cycle has none of its own on day 1.
            own = {pre.before for pre, _, key, _ in planned if key == 1}
            for pre in slot.resumed_phase.premedications:
                if (
                    pre.restart
                    and pre.before not in own
                    and pre.selector.applies(n - 1, self.choices)
                    and slot.resumed.length >= timedelta(hours=pre.restart_after_hours)
                ):
                    planned.append((pre, slot.start_at, 1, "note.restart"))
        if restarts or resumes:
            # A step that starts where the infusion restarts gets one premedication, not two.
            merged: list[tuple[Premedication, datetime, int, str | None]] = []
            for item in planned:
                pre, target, key, why = item
                twin = next(
                    (k for k, x in enumerate(merged) if x[0].before == pre.before and x[1] == target), None
                )
                if twin is None:
                    merged.append(item)
                elif why is not None:
                    merged[twin] = (*merged[twin][:3], why)
            planned = merged
        for pre, target, key, why in planned:
            minutes = pre.minutes_before or UNTIMED_PREMEDICATION_MINUTES
            start, end = self.point(shift(target, -minutes), min(POINT_MINUTES, minutes))
            dose = self.dose(pre.dose, pre.agent, target.date())
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
                key=key,
                day=clock.day_of(target.date()),
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
                    say(why) if why else None,
                    sources=pre.sources,
                    when=target.date(),
                ),
                reminder=True,
            )

    def cycle_dose(
        self, phase: Phase, clock: _Clock, dose: CycleDose, given: list[date]
    ) -> Iterator[Occurrence]:
        """Single administrations, each with its window where the label allows one.

        The window is the label's ± days, starting no earlier than the minimum gap after the
        previous planned dose of the same agent (inotuzumab: "maintain a minimum of 6 days
        between doses").
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
                before = [g for g in given if g < on]
                if before and dose.window_gap_days:
                    earliest = max(earliest, before[-1] + timedelta(days=dose.window_gap_days))
                window = (earliest, on + timedelta(days=dose.window_days))
                window_note = say(
                    "note.window",
                    earliest=f"{window[0]:%Y-%m-%d}",
                    latest=f"{window[1]:%Y-%m-%d}",
                    words=dose.window_note,
                )
            amount = self.dose(dose.dose, dose.agent, on)
            yield self.made(
                Kind.DOSE,
                dose.agent,
                phase,
                n,
                key=day,
                day=clock.day_of(on),
                title=say("title.dose", agent=self.name(dose.agent), dose=amount),
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
                    title=say("title.observation", agent=self.name(dose.agent).lower()),
                    dose=None,
                    start=end,
                    end=shift(end, dose.observe_minutes),
                    notes=self.notes(
                        say("note.observation", minutes=dose.observe_minutes), sources=dose.sources
                    ),
                )

    # -- continuous infusions ------------------------------------------------------------

    def segments(
        self, slot: CycleSlot, clock: _Clock, inf: Infusion, restarts: list[tuple[datetime, int]]
    ) -> list[_Segment]:
        """The infusion as stretches at one dose, split by steps, the interruption and the restart dose."""
        at = self.time_of(inf.agent, slot)
        stop = slot.stop_at if slot.interruption is not None else None
        found: list[_Segment] = []
        stopped: str | None = None
        for i, step in enumerate(inf.steps):
            first = step.days.first
            begins, ends = clock.raw(first, at), clock.raw(step.days.last + 1, at)
            how = "start" if i == 0 else "step"
            if stop is None or slot.interruption is None or slot.restart_at is None or ends <= stop:
                found.append(_Segment(begins, ends, step.dose, how, first))
                continue
            if begins < stop:  # the infusion stops during this step
                found.append(_Segment(begins, stop, step.dose, how, first))
                stopped = step.dose
            elif begins == stop:  # it stops just as this step's bag is due
                stopped = found[-1].dose if found else None
            elif slot.continues:  # a later step, moved by the interruption
                found.append(_Segment(clock.after(begins, at), clock.after(ends, at), step.dose, how, first))
                continue
            else:  # a later step of a cycle the interruption ended
                continue
            key = slot.interruption.day
            restarts.append((slot.restart_at, key))
            if slot.continues:
                found.append(_Segment(slot.restart_at, clock.after(ends, at), step.dose, "restart", key))
            else:
                self.stopped_dose[slot.number] = stopped
        if slot.interruption is not None and slot.continues and restarts:
            return self.restart_dose(slot.interruption, inf, found, None, slot.restart_at)
        if slot.resumed is not None and slot.start_at is not None and found:
            before = self.stopped_dose.get(slot.number - 1)
            return self.restart_dose(slot.resumed, inf, found, before, slot.start_at)
        return found

    def restart_dose(
        self,
        i: Interruption,
        inf: Infusion,
        found: list[_Segment],
        before_stop: str | None,
        restart_at: datetime | None,
    ) -> list[_Segment]:
        """Give the stretch after a restart the restart dose: said, the label's after toxicity, or the care team's.

        It runs ``restart_days`` from the restart (the label: "escalate ... after 7 days"); then
        the scheduled dose resumes with a new bag. ``before_stop`` is the dose in force when a
        long interruption ended the previous cycle (``same`` restarts the new cycle at it), or
        ``None`` when the same cycle goes on (``same`` then lets the schedule go on).
        """
        if restart_at is None:
            return found
        k = next((x for x, seg in enumerate(found) if seg.start >= restart_at), None)
        if k is None:
            return found
        if i.restart == SAME_DOSE and before_stop is None:
            return found  # restarted as before in the same cycle: the schedule goes on
        scheduled = found[k].dose
        dose: str | None
        if i.cause == "toxicity":
            if inf.toxicity_restart is None:
                raise _Refused(f"{self.s.id} gives no restart dose after toxicity for {inf.agent}")
            dose = inf.toxicity_restart
        elif i.restart == SAME_DOSE:
            dose = before_stop
        elif i.restart is not None:
            dose = with_unit(i.restart, scheduled or "")
        else:
            dose = None
        until = (
            local(restart_at.date() + timedelta(days=inf.restart_days), restart_at.time(), self.tz)
            if inf.restart_days
            else found[k].end
        )
        out = found[:k]
        for seg in found[k:]:
            if seg.end <= until:
                out.append(dataclasses.replace(seg, dose=dose, restart=True))
            elif seg.start < until:
                out.append(dataclasses.replace(seg, end=until, dose=dose, restart=True))
                key = seg.key + (until.date() - seg.start.date()).days
                out.append(_Segment(until, seg.end, seg.dose, "resume", key))
            else:
                out.append(seg)
        return _merged(out)

    def infusion(
        self,
        slot: CycleSlot,
        clock: _Clock,
        inf: Infusion,
        restarts: list[tuple[datetime, int]],
        hospital: set[date],
    ) -> Iterator[Occurrence]:
        """The infusion's stretches, bag changes and end; an interruption splits a stretch in two."""
        phase, n = slot.phase, slot.number
        agent = self.name(inf.agent)
        a = self.s.agents[inf.agent]
        instructions, _ = self.agent_notes(inf.agent)
        advice, advice_sources = self.advice(inf.agent)
        hours = int(self.choices[BAG_CHOICE]) if inf.bag_changes else 0
        bags = (
            say("note.bag_interval", hours=hours, label=self.s.choices[BAG_CHOICE].label) if hours else None
        )
        found = self.segments(slot, clock, inf, restarts)
        self.segment_log[(n, inf.agent)] = found
        resumed = slot.resumed is not None
        for seg in found:
            start, end = seg.start, seg.end
            dose = self.dose(seg.dose, inf.agent, start.date())
            restarting = seg.how == "restart" or (resumed and seg.how == "start")
            supervised = (
                a.supervised_starts and seg.how in ("start", "restart") and start.date() not in hospital
            )
            title = (
                say("title.infusion_restart", agent=agent, dose=dose)
                if restarting
                else say("title.infusion", agent=agent, dose=dose)
            )
            if supervised:
                title = say("title.supervised", title=title)
            restart_note = None
            if seg.restart and seg.dose is None:
                restart_note = say("note.restart_care_team")
            elif seg.restart:
                restart_note = say("note.restart_dose", dose=dose, days=inf.restart_days)
            yield self.made(
                Kind.INFUSION,
                inf.agent,
                phase,
                n,
                key=seg.key,
                day=clock.day_of(start.date()),
                title=title,
                dose=dose,
                start=start,
                end=end,
                notes=self.notes(
                    say(
                        "note.infusion",
                        agent=agent,
                        dose=dose,
                        start=f"{start:%Y-%m-%d %H:%M} ({clock.label(start.date())})",
                        end=f"{end:%Y-%m-%d %H:%M} ({clock.label(end.date())})",
                    ),
                    say("note.restarts") if restarting else None,
                    restart_note,
                    say("note.resume") if seg.how == "resume" else None,
                    say("note.supervised") if supervised else None,
                    bags,
                    instructions,
                    advice,
                    sources=inf.steps[0].sources
                    + inf.sources
                    + (inf.restart_sources if seg.restart or restarting else ())
                    + (a.supervision_sources if supervised else ())
                    + a.sources
                    + advice_sources,
                    when=start.date(),
                ),
                reminder=True,
                busy=False,
                supervised=supervised,
            )
            if not hours:
                continue
            changes: list[tuple[datetime, str]] = []
            if seg.how != "start":
                changes.append((start, seg.how))
            k = 1
            while True:
                if hours % 24 == 0:
                    moment = local(start.date() + timedelta(days=k * hours // 24), start.time(), self.tz)
                else:
                    moment = shift(start, k * hours * 60)
                if moment >= end:
                    break
                changes.append((moment, "change"))
                k += 1
            for moment, kind in changes:
                title = {
                    "step": say("title.bag_step" if seg.dose else "title.bag_new", agent=agent, dose=dose),
                    "resume": say("title.bag_step", agent=agent, dose=dose),
                    "restart": say("title.bag_restart", agent=agent),
                    "change": say("title.bag_change", agent=agent),
                }[kind]
                at_moment, until = self.point(moment)
                key = clock.day_of(moment.date())
                if slot.continues and slot.restart_at is not None and moment >= slot.restart_at:
                    # The label day it had before the interruption moved it, so its UID stays.
                    length = slot.interruption.length if slot.interruption is not None else timedelta(0)
                    key = clock.day_of((moment.astimezone(UTC) - length).astimezone(self.tz).date())
                yield self.made(
                    Kind.BAG_CHANGE,
                    inf.agent,
                    phase,
                    n,
                    key=key,
                    day=clock.day_of(moment.date()),
                    title=title,
                    dose=dose,
                    start=at_moment,
                    end=until,
                    notes=self.notes(
                        bags,
                        instructions,
                        sources=inf.steps[0].sources + self.s.choices[BAG_CHOICE].sources,
                        when=moment.date(),
                    ),
                    reminder=True,
                )
        if not found:
            return
        stop, restart = slot.stop_at, slot.restart_at
        stopped = (
            slot.interruption is not None and stop is not None and restart is not None and bool(restarts)
        )
        if stopped and stop is not None and restart is not None:
            # The moment the pump stops, with when it restarts: the rest of the cycle moves after it.
            at_moment, until = self.point(stop)
            yield self.made(
                Kind.INFUSION_END,
                inf.agent,
                phase,
                n,
                key=slot.interruption.day if slot.interruption is not None else 0,
                day=clock.day_of(stop.date()),
                title=say("title.infusion_stopped", agent=agent),
                dose=None,
                start=at_moment,
                end=until,
                notes=self.notes(
                    say("note.stopped", restart=f"{restart:%Y-%m-%d %H:%M} ({clock.label(restart.date())})")
                    if slot.continues
                    else say("note.new_cycle", restart=f"{restart:%Y-%m-%d %H:%M}"),
                    sources=inf.sources + inf.restart_sources,
                    when=stop.date(),
                ),
                reminder=True,
            )
            if not slot.continues:
                return  # the cycle ends at the stop: its planned end no longer happens
        last_end = found[-1].end
        start, end = self.point(last_end)
        yield self.made(
            Kind.INFUSION_END,
            inf.agent,
            phase,
            n,
            key=inf.steps[-1].days.last + 1,
            day=clock.day_of(last_end.date()),
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
    planned = planned_cycles(schedule, plan, choices)
    numbered = [
        (n, phase) for n, phase in enumerate((p for p in schedule.phases for _ in range(p.cycles)), 1)
    ]
    numbered = numbered[:planned]
    for i, a in enumerate(adjustments, 1):
        if isinstance(a, Delay | Interruption) and not 1 <= a.cycle <= len(numbered):
            raise _refuse(plan, i, f"cycle {a.cycle} is not in the plan, which has {len(numbered)} cycle(s)")
    times = agent_times(schedule, plan)
    out: list[CycleSlot] = []
    first = plan.start + timedelta(days=schedule.cycles_start_day - 1)
    start_at: datetime | None = None
    resumed: tuple[Interruption, Phase] | None = None
    for n, phase in numbered:
        for i, a in enumerate(adjustments, 1):
            if isinstance(a, Delay) and a.cycle == n:
                start_at = None  # a delayed cycle starts at the usual time
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
        slot = CycleSlot(
            n,
            phase,
            first,
            length,
            start_at=start_at,
            resumed=resumed[0] if resumed and start_at else None,
            resumed_phase=resumed[1] if resumed and start_at else None,
        )
        resumed, start_at = None, None
        if stops:
            i, interruption = stops[-1]
            if len(stops) > 1:
                raise _refuse(plan, i, f"cycle {n} already has an interruption; record one per cycle")
            if not 1 <= interruption.day <= length:
                raise _refuse(plan, i, f"C{n}D{interruption.day} is not a day of the {length}-day cycle")
            if not phase.infusions:
                raise _refuse(plan, i, f"no infusion runs on C{n}D{interruption.day} to interrupt")
            agent = phase.infusions[0].agent
            usual = slot.start_at.time() if slot.start_at is not None else times[agent][0]
            stop_at = local(first + timedelta(days=interruption.day - 1), interruption.at or usual, plan.tz)
            restart_at = shift(
                local(stop_at.date() + timedelta(days=interruption.days), stop_at.time(), plan.tz),
                interruption.hours * 60,
            )
            slot = dataclasses.replace(
                slot, interruption=interruption, stop_at=stop_at, restart_at=restart_at
            )
            if slot.continues:
                length += _extension(interruption)
            else:
                # The cycle ends at the stop; the next one starts when the infusion restarts.
                length = (restart_at.date() - first).days
                start_at, resumed = restart_at, (interruption, phase)
            slot = dataclasses.replace(slot, length=length)
        out.append(slot)
        first += timedelta(days=length)
    return out


def cycle_slots(schedule: Schedule, plan: Plan) -> list[CycleSlot]:
    """Each planned cycle as it falls on the calendar, with every adjustment of the plan."""
    return _slots(schedule, plan, plan.adjustments, _choices(schedule, plan, plan.adjustments))


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
    for r in schedule.reminders:
        on = plan.start + timedelta(days=r.day - 1)
        if on <= last:
            found.append(
                b.made(
                    Kind.VISIT,
                    None,
                    None,
                    None,
                    key=r.day,
                    day=r.day,
                    title=r.title,
                    dose=None,
                    start=on,
                    end=on + timedelta(days=1),
                    notes=b.notes(r.text, sources=r.sources),
                    busy=False,
                )
            )
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


__all__ = ["CycleSlot", "Status", "cycle_slots", "expand", "horizon", "local", "shift"]
