"""Adjustments: what happened to a plan along the way, recorded in order.

A cycle waits a week for blood counts, a dose is held, an infusion is interrupted, a dose is
changed after a response, treatment stops. Each is a small immutable value; a plan keeps them
in the order they were made, so its history reads top to bottom and regenerating it gives the
same bytes. :mod:`dosecal.expand` applies them; the spellings below are the command line's
(``--delay 2=7``, ``--hold inotuzumab:C1D8``) and the plan file's (``[[adjustments]]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_CYCLE_DAY = re.compile(
    r"^(?:(?P<agent>[a-z0-9][a-z0-9-]*):)?(?:C(?P<cycle>\d+))?D(?P<day>\d+)$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Delay:
    """Start cycle ``cycle``, and everything after it, ``days`` later (or on ``to``)."""

    cycle: int
    days: int | None = None
    to: date | None = None
    note: str | None = None

    def describe(self) -> str:
        """The adjustment in words, for change logs."""
        when = f"to {self.to.isoformat()}" if self.to is not None else f"by {self.days} day(s)"
        return f"Cycle {self.cycle} and everything after it delayed {when}"


@dataclass(frozen=True, slots=True)
class Hold:
    """Hold the dose(s) of one day: ``C2D8`` (or plan day ``D12``), of one agent if named."""

    day: int
    cycle: int | None = None
    agent: str | None = None
    note: str | None = None

    @property
    def spec(self) -> str:
        """The spelling used on the command line: ``inotuzumab:C1D8``."""
        where = f"C{self.cycle}D{self.day}" if self.cycle is not None else f"D{self.day}"
        return f"{self.agent}:{where}" if self.agent else where

    def describe(self) -> str:
        """The adjustment in words, for change logs."""
        return f"Dose held on {self.spec}"


@dataclass(frozen=True, slots=True)
class Interruption:
    """A continuous infusion stopped on cycle ``cycle`` day ``day`` for ``days`` days.

    Following the blinatumomab label: up to 7 days, the same cycle continues until its infusion
    days are complete (the end moves later); longer, the cycle ends there and the next cycle
    starts when the infusion restarts.
    """

    cycle: int
    day: int
    days: int
    note: str | None = None

    def describe(self) -> str:
        """The adjustment in words, for change logs."""
        return f"Infusion interrupted on C{self.cycle}D{self.day} for {self.days} day(s)"


@dataclass(frozen=True, slots=True)
class DoseChange:
    """From ``start`` on, ``agent`` is given at ``dose`` (ponatinib 30 mg to 15 mg)."""

    agent: str
    start: date
    dose: str
    note: str | None = None

    def describe(self) -> str:
        """The adjustment in words, for change logs."""
        return f"{self.agent} dose changed to {self.dose} from {self.start.isoformat()}"


@dataclass(frozen=True, slots=True)
class Stop:
    """Treatment stops on ``on``: every event from that date is cancelled."""

    on: date
    note: str | None = None

    def describe(self) -> str:
        """The adjustment in words, for change logs."""
        return f"Treatment stopped on {self.on.isoformat()}"


@dataclass(frozen=True, slots=True)
class ChoiceChange:
    """A choice made later (inotuzumab cycle 1 extended to 28 days; response after cycle 1)."""

    id: str
    value: str
    note: str | None = None

    def describe(self) -> str:
        """The adjustment in words, for change logs."""
        return f"Choice {self.id} set to {self.value}"


Adjustment = Delay | Hold | Interruption | DoseChange | Stop | ChoiceChange


def parse_hold(spec: str) -> Hold:
    """``C2D8``, ``inotuzumab:C1D8``, ``D12`` or ``dasatinib:D12``."""
    m = _CYCLE_DAY.match(spec.strip())
    if m is None:
        raise ValueError(f"'{spec}' is not a dose: write CnDd (C2D8), Dd for a plan day (D12), or AGENT:CnDd")
    cycle = int(m.group("cycle")) if m.group("cycle") else None
    day = int(m.group("day"))
    if day < 1 or (cycle is not None and cycle < 1):
        raise ValueError(f"'{spec}': cycles and days are counted from 1")
    return Hold(day=day, cycle=cycle, agent=m.group("agent").lower() if m.group("agent") else None)


def parse_delay(spec: str) -> Delay:
    """``2=7`` (cycle 2, seven days later) or ``2=2027-03-08`` (cycle 2 to start that day)."""
    cycle, sep, value = spec.partition("=")
    if not sep or not cycle.strip().isdigit() or int(cycle) < 1:
        raise ValueError(f"'{spec}' must be written CYCLE=DAYS (2=7) or CYCLE=DATE (2=2027-03-08)")
    value = value.strip()
    if value.isdigit():
        if int(value) < 1:
            raise ValueError(f"'{spec}': a delay is at least 1 day")
        return Delay(cycle=int(cycle), days=int(value))
    try:
        return Delay(cycle=int(cycle), to=date.fromisoformat(value))
    except ValueError:
        raise ValueError(f"'{spec}': '{value}' is neither a number of days nor a date YYYY-MM-DD") from None


def parse_interruption(spec: str) -> Interruption:
    """``C1D10=3``: the infusion stops on C1D10 and restarts 3 days later."""
    where, sep, value = spec.partition("=")
    m = re.match(r"^C(\d+)D(\d+)$", where.strip(), re.IGNORECASE)
    if not sep or m is None or not value.strip().isdigit():
        raise ValueError(f"'{spec}' must be written CnDd=DAYS, e.g. C1D10=3")
    cycle, day, days = int(m.group(1)), int(m.group(2)), int(value)
    if cycle < 1 or day < 1 or days < 1:
        raise ValueError(f"'{spec}': cycles, days and the interruption's length are at least 1")
    return Interruption(cycle=cycle, day=day, days=days)


def parse_dose_change(spec: str) -> DoseChange:
    """``ponatinib=15 mg@2027-04-01``: from that date the agent is given at that dose."""
    agent, sep, rest = spec.partition("=")
    dose, at, when = rest.rpartition("@")
    if not sep or not at or not agent.strip() or not dose.strip():
        raise ValueError(f"'{spec}' must be written AGENT=DOSE@DATE, e.g. ponatinib=15 mg@2027-04-01")
    try:
        start = date.fromisoformat(when.strip())
    except ValueError:
        raise ValueError(f"'{spec}': '{when}' is not a date YYYY-MM-DD") from None
    return DoseChange(agent=agent.strip(), start=start, dose=dose.strip())
