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
