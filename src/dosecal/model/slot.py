"""The cycle slot: one planned cycle as it falls on the calendar, after delays and interruptions.

A value of the model: the core computes the slots (:func:`dosecal.core.cycles.plan_slots`), a
Course keeps them, and every output reads each cycle's day 1 and length from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dosecal.model.adjustments import Interruption
from dosecal.model.rules import Phase

#: The longest interruption after which a continuous-infusion cycle goes on (blinatumomab
#: label, MIMS-HK / SKYSCAPE-BLIN / HCP-ADJUST: "If the interruption ... is no longer than 7 days,
#: continue the same cycle ... If ... longer than 7 days, start a new cycle"); longer ends the cycle.
MAX_CONTINUING = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class InfusionStop:
    """One interruption as it falls on the calendar: when the infusion stops and restarts.

    Attributes:
        interruption: the adjustment.
        stop_at: when the infusion stops.
        restart_at: when it restarts (in the same cycle, or as the next cycle's start).
    """

    interruption: Interruption
    stop_at: datetime
    restart_at: datetime

    @property
    def continues(self) -> bool:
        """Whether it is short enough for the same cycle to go on (else the cycle ends here)."""
        return self.interruption.length <= MAX_CONTINUING

    @property
    def length(self) -> timedelta:
        """How long the infusion is stopped."""
        return self.interruption.length


@dataclass(frozen=True, slots=True)
class CycleSlot:
    """One planned cycle as it falls on the calendar, after delays and interruptions.

    Attributes:
        number: the cycle number.
        phase: its phase.
        first: day 1's date.
        length: its length in days, lengthened by short interruptions.
        stops: the infusion's interruptions in this cycle, in time order; each restart comes
            before the next stop, and only the last may end the cycle.
        start_at: when day 1's infusion starts, where a restart set it (else the usual time).
        resumed: the interruption of the previous cycle that this cycle restarts after.
        resumed_phase: the phase of that previous cycle.
    """

    number: int
    phase: Phase
    first: date
    length: int
    stops: tuple[InfusionStop, ...] = ()
    start_at: datetime | None = None
    resumed: Interruption | None = None
    resumed_phase: Phase | None = None

    @property
    def last(self) -> date:
        """The cycle's last day."""
        return self.first + timedelta(days=self.length - 1)

    @property
    def moving(self) -> tuple[InfusionStop, ...]:
        """The stops after which the same cycle goes on, moving what follows them."""
        return tuple(s for s in self.stops if s.continues)

    @property
    def cut(self) -> InfusionStop | None:
        """The stop that ends the cycle (longer than 7 days), if any."""
        return next((s for s in self.stops if not s.continues), None)

    def restarting_at(self, moment: datetime) -> InfusionStop | None:
        """The stop whose infusion restarts at ``moment``, if any."""
        return next((s for s in self.stops if s.restart_at == moment), None)
