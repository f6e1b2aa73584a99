"""The cycle calendar: where each planned cycle falls after delays and interruptions.

A cycle's day 1 follows the previous cycle's last day; a delay moves a cycle and everything
after it; an infusion interruption lengthens its cycle (up to 7 days) or ends it and starts the
next one at the restart (longer). :class:`CycleClock` maps a cycle's label days to moments.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosecal.errors import DosecalError, PlanError, Problem
from dosecal.model.adjustments import Adjustment, Delay, Interruption
from dosecal.model.clock import local, shift
from dosecal.model.limits import MAX_PLAN_DAYS
from dosecal.model.plan import DEFAULT_HORIZON_DAYS, Plan, agent_times, planned_cycles
from dosecal.model.rules import Phase
from dosecal.model.schedule import Schedule
from dosecal.model.slot import CycleSlot, InfusionStop
from dosecal.words import Msg, Value, msg


@dataclass(frozen=True, slots=True)
class CycleClock:
    """Maps a cycle's label days to moments, moving those after each stop or cutting them.

    ``moving`` are the cycle's short interruptions in time order: a moment at or after a stop
    moves by its length, and then is compared with the next stop (whose time is a calendar
    time, after the earlier moves). ``cut`` is the long interruption that ends the cycle.
    """

    n: int
    first: date
    tz: ZoneInfo
    moving: tuple[InfusionStop, ...] = ()
    cut: InfusionStop | None = None

    def raw(self, day: int, at: time) -> datetime:
        """Label day ``day`` at ``at``, as if nothing had been interrupted."""
        return local(self.first + timedelta(days=day - 1), at, self.tz)

    def after(self, moment: datetime, at: time) -> datetime:
        """``moment`` (at wall time ``at``) moved by every stop it falls at or after."""
        for stop in self.moving:
            if moment < stop.stop_at:
                break
            moment = moved(stop, moment, at, self.tz)
            at = moment.time()
        return moment

    def before(self, moment: datetime) -> datetime:
        """The moment ``moment`` had before the stops moved it: where its label day comes from."""
        for stop in reversed(self.moving):
            if moment >= stop.restart_at:
                moment = (moment.astimezone(UTC) - stop.length).astimezone(self.tz)
        return moment

    def moment(self, day: int, at: time) -> datetime:
        """Label day ``day`` at ``at`` on the calendar."""
        return self.after(self.raw(day, at), at)

    def keeps(self, moment: datetime) -> bool:
        """Whether something at ``moment`` still happens (not after a stop that ended the cycle)."""
        return self.cut is None or moment < self.cut.stop_at

    def on(self, day: int) -> date:
        """The date of an all-day event on label day ``day`` (moved whole days after each stop)."""
        d = self.first + timedelta(days=day - 1)
        for stop in self.moving:
            if d > stop.stop_at.date():
                d += timedelta(days=extension(stop.interruption))
        return d

    def day_of(self, when: date) -> int:
        """The cycle day number of a date."""
        return (when - self.first).days + 1

    def label(self, when: date) -> Msg:
        """The cycle/day label of a date: ``C1D10``."""
        return msg("label.cycle_day", cycle=self.n, day=self.day_of(when))


def moved(stop: InfusionStop, moment: datetime, at: time, tz: ZoneInfo) -> datetime:
    """``moment`` (at wall time ``at``) moved later by the length of ``stop``: whole days, then hours."""
    i = stop.interruption
    return shift(local(moment.date() + timedelta(days=i.days), at, tz), i.hours * 60)


class Refused(DosecalError):
    """An adjustment that contradicts the plan, found deep in a cycle.

    Always caught where the plan's history is applied and turned into a PlanError that names
    the adjustment (``interruption``, where one is to blame; else the cycle's first); it never
    reaches the command line by itself.
    """

    def __init__(self, message: object, interruption: Interruption | None = None) -> None:
        super().__init__(message)
        self.interruption = interruption


def clock_of(slot: CycleSlot, tz: ZoneInfo) -> CycleClock:
    """The clock of one cycle: moved after its short interruptions, cut by a long one."""
    return CycleClock(slot.number, slot.first, tz, slot.moving, slot.cut)


def extension(i: Interruption) -> int:
    """Whole days a short interruption lengthens its cycle, so the rest after it stays whole."""
    return i.days + math.ceil(i.hours / 24)


def refuse(plan: Plan, index: int, message: Value) -> PlanError:
    """The error for adjustment ``index`` (1-based) of ``plan``."""
    return PlanError([Problem(plan.origin, f"adjustments[{index}]", message)])


def plan_slots(
    schedule: Schedule, plan: Plan, adjustments: Sequence[Adjustment], choices: dict[str, str]
) -> list[CycleSlot]:
    """Each planned cycle after ``adjustments``: its day 1, length and interruption.

    Raises:
        PlanError: when an adjustment names a cycle or day the plan does not have.
    """
    planned = planned_cycles(schedule, plan, choices, adjustments)
    numbered = [
        (n, phase) for n, phase in enumerate((p for p in schedule.phases for _ in range(p.cycles)), 1)
    ]
    numbered = numbered[:planned]
    for i, a in enumerate(adjustments, 1):
        if isinstance(a, Delay | Interruption) and not 1 <= a.cycle <= len(numbered):
            if not numbered:
                raise refuse(plan, i, msg("error.cycles.plan_has_no_cycles"))
            raise refuse(plan, i, msg("error.cycles.cycle_cycle_in_plan", cycle=a.cycle, count=len(numbered)))
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
                        raise refuse(
                            plan,
                            i,
                            msg(
                                "error.cycles.cycle_n_cannot_start",
                                n=n,
                                to=a.to.isoformat(),
                                first=first.isoformat(),
                            ),
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
            if not phase.infusions:
                i, interruption = stops[0]
                raise refuse(plan, i, msg("error.cycles.no_infusion_runs_on", n=n, day=interruption.day))
            usual = slot.start_at.time() if slot.start_at is not None else times[phase.infusions[0].agent][0]
            placed: list[InfusionStop] = []
            for i, interruption in sorted(stops, key=lambda s: (s[1].day, s[1].at or usual)):
                if not 1 <= interruption.day <= length:
                    raise refuse(
                        plan, i, msg("error.cycles.c_n_d_day", n=n, day=interruption.day, length=length)
                    )
                stop = place(interruption, first, usual, placed, plan.tz)
                if placed and not placed[-1].continues:
                    raise refuse(
                        plan, i, msg("error.cycles.after_cycle_ended", n=n, day=placed[-1].interruption.day)
                    )
                if placed and stop.stop_at <= placed[-1].restart_at:
                    restart = placed[-1].restart_at
                    raise refuse(
                        plan,
                        i,
                        msg(
                            "error.cycles.stopped_then",
                            n=n,
                            day=interruption.day,
                            restart=msg("date_time", date=restart.date(), time=restart.time()),
                        ),
                    )
                placed.append(stop)
                if stop.continues:
                    length += extension(interruption)
                else:
                    # The cycle ends at the stop; the next one starts when the infusion restarts.
                    length = (stop.restart_at.date() - first).days
                    start_at, resumed = stop.restart_at, (interruption, phase)
            slot = dataclasses.replace(slot, stops=tuple(placed), length=length)
        out.append(slot)
        first += timedelta(days=length)
    return out


def bag_time(usual: time, before: Sequence[InfusionStop]) -> time:
    """The wall time bags are changed at after the stops ``before``.

    ``usual``, later by the hours of each stop after which the same cycle went on (after a
    6-hour stop, 6 hours later).
    """
    hours = sum(s.interruption.hours for s in before if s.continues)
    return (datetime.combine(date.min, usual) + timedelta(hours=hours)).time()


def place(
    interruption: Interruption, first: date, usual: time, before: Sequence[InfusionStop], tz: ZoneInfo
) -> InfusionStop:
    """Where an interruption falls on the calendar: its stop and its restart.

    It stops at its own time, else at the bag change as the stops before it moved it (after a
    6-hour stop, bags are changed 6 hours later); it restarts the interruption's length later.
    """
    at = interruption.at if interruption.at is not None else bag_time(usual, before)
    stop_at = local(first + timedelta(days=interruption.day - 1), at, tz)
    restart_at = shift(
        local(stop_at.date() + timedelta(days=interruption.days), stop_at.time(), tz), interruption.hours * 60
    )
    return InfusionStop(interruption, stop_at, restart_at)


def plan_horizon(schedule: Schedule, plan: Plan, slots: Sequence[CycleSlot]) -> date:
    """The last day planned: ``until``, else the end of the last cycle, else a default span.

    Raises:
        PlanError: when the plan would span more than :data:`~dosecal.model.limits.MAX_PLAN_DAYS`.
    """
    ends = [s.last for s in slots]
    if plan.until is not None:
        last = plan.until
    elif schedule.open_ended:
        # A daily drug that never stops runs alongside the cycles, or for a default span.
        last = max(ends) if ends else plan.start + timedelta(days=DEFAULT_HORIZON_DAYS - 1)
    else:
        last = max(ends + [plan.start + timedelta(days=d.steps[-1].days.last - 1) for d in schedule.daily])
    days = (last - plan.start).days + 1
    if days > MAX_PLAN_DAYS:
        # Every expansion passes here, whatever made the plan long: until, cycles, delays.
        raise PlanError(
            [
                Problem(
                    plan.origin,
                    "until" if plan.until is not None else "cycles",
                    msg("error.limits.plan_too_long", days=days, end=last.isoformat(), maximum=MAX_PLAN_DAYS),
                )
            ]
        )
    return last
