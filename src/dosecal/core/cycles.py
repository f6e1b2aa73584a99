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
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosecal.errors import DosecalError, PlanError, Problem
from dosecal.model.adjustments import Adjustment, Delay, Interruption
from dosecal.model.clock import local, shift
from dosecal.model.limits import MAX_PLAN_DAYS
from dosecal.model.plan import DEFAULT_HORIZON_DAYS, Plan, agent_times, planned_cycles
from dosecal.model.rules import Phase
from dosecal.model.schedule import Schedule
from dosecal.model.slot import CycleSlot
from dosecal.words import Msg, Value, msg


@dataclass(frozen=True, slots=True)
class CycleClock:
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

    def label(self, when: date) -> Msg:
        """The cycle/day label of a date: ``C1D10``."""
        return msg("label.cycle_day", cycle=self.n, day=self.day_of(when))


class Refused(DosecalError):
    """An adjustment that contradicts the plan, found deep in a cycle.

    Always caught where the plan's history is applied and turned into a PlanError that names
    the adjustment; it never reaches the command line by itself.
    """


def clock_of(slot: CycleSlot, tz: ZoneInfo) -> CycleClock:
    """The clock of one cycle: plain, moved after a short interruption, or cut by a long one."""
    i = slot.interruption
    if i is None or slot.stop_at is None:
        return CycleClock(slot.number, slot.first, tz)
    if slot.continues:
        return CycleClock(slot.number, slot.first, tz, slot.stop_at, i.days, i.hours, extension(i))
    return CycleClock(slot.number, slot.first, tz, slot.stop_at, cut=True)


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
            i, interruption = stops[-1]
            if len(stops) > 1:
                raise refuse(plan, i, msg("error.cycles.cycle_n_already_has", n=n))
            if not 1 <= interruption.day <= length:
                raise refuse(plan, i, msg("error.cycles.c_n_d_day", n=n, day=interruption.day, length=length))
            if not phase.infusions:
                raise refuse(plan, i, msg("error.cycles.no_infusion_runs_on", n=n, day=interruption.day))
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
                length += extension(interruption)
            else:
                # The cycle ends at the stop; the next one starts when the infusion restarts.
                length = (restart_at.date() - first).days
                start_at, resumed = restart_at, (interruption, phase)
            slot = dataclasses.replace(slot, length=length)
        out.append(slot)
        first += timedelta(days=length)
    return out


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
