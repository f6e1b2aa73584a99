"""The Course: one plan expanded, the single value every output is rendered from.

It holds the plan facts computed once (the choices in force after the plan's history, the
cycle calendar, the horizon, the zone) beside the occurrences, so that no renderer computes
them again and no two outputs can disagree. A Course is also the sequence of its occurrences.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import overload
from zoneinfo import ZoneInfo

from dosecal.cycles import CycleSlot
from dosecal.occurrence import Kind, Occurrence
from dosecal.plan import Plan
from dosecal.schedule import Schedule


@dataclass(frozen=True)
class Course(Sequence[Occurrence]):
    """A plan on its schedule, expanded.

    Attributes:
        schedule: the schedule.
        plan: the plan, adjustments included.
        zone: the plan's zone, checked when the plan was.
        choices: the choices in force after the plan's whole history, by id.
        slots: each planned cycle as it falls on the calendar.
        horizon: the last day planned.
        planned_cycles: how many cycles are planned, or ``None`` for a schedule without cycles.
        occurrences: every event, sorted by start.
    """

    schedule: Schedule
    plan: Plan
    zone: ZoneInfo
    choices: Mapping[str, str]
    slots: tuple[CycleSlot, ...]
    horizon: date
    planned_cycles: int | None
    occurrences: tuple[Occurrence, ...]

    @overload
    def __getitem__(self, index: int) -> Occurrence: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Occurrence]: ...
    def __getitem__(self, index: int | slice) -> Occurrence | Sequence[Occurrence]:
        return self.occurrences[index]

    def __len__(self) -> int:
        return len(self.occurrences)

    def __iter__(self) -> Iterator[Occurrence]:
        return iter(self.occurrences)

    def beyond_limits(self) -> tuple[str, ...]:
        """The label's words for cycles planned past a limit's default (a third cycle before transplant)."""
        return tuple(
            limit.beyond_default
            for limit in self.schedule.limits
            if limit.applies(self.choices)
            and limit.beyond_default
            and limit.default
            and (self.planned_cycles or 0) > limit.default
        )

    def of(self, kind: Kind) -> tuple[Occurrence, ...]:
        """The occurrences of one kind, in order."""
        return tuple(o for o in self.occurrences if o.kind is kind)
