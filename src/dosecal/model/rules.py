"""The rules of a phase: what is given on which cycle days, and around it; no dates.

A phase (an induction, a consolidation) is a list of rules, each with the cycles and plan
choices it applies to (:class:`Selector`): doses on listed days, continuous infusions with their
steps, premedication, hospital stays and tests. :mod:`dosecal.model.schedule` puts the phases
together with the drugs, the daily dosing and the choices.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DayRange:
    """An inclusive range of day numbers, as labels write them ("days 1-28").

    Attributes:
        first: the first day, at least 1.
        last: the last day, not before ``first``.
    """

    first: int
    last: int

    def __contains__(self, day: object) -> bool:
        return isinstance(day, int) and self.first <= day <= self.last

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.first, self.last + 1))

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def days(self) -> int:
        """How many days the range covers."""
        return self.last - self.first + 1


@dataclass(frozen=True, slots=True)
class DoseStep:
    """A dose that applies from a day on (daily dosing) or over a range (infusions).

    Attributes:
        days: the days the dose applies to.
        dose: the dose as written in the source ("28 mcg/day", "140 mg").
        sources: keys of the sources.
    """

    days: DayRange
    dose: str
    sources: tuple[str, ...]


def holds(when: Mapping[str, str], choices: Mapping[str, str]) -> bool:
    """Whether every plan choice ``when`` asks for is the one made; an empty ``when`` always holds.

    One rule for dosings, rule selectors and cycle limits, so they cannot drift apart.
    """
    return all(choices.get(k) == v for k, v in when.items())


@dataclass(frozen=True, slots=True)
class Selector:
    """Which cycles, and under which plan choices, a rule applies.

    Attributes:
        cycles: the global cycle numbers, or ``None`` for every cycle of the phase.
        when: plan choices that must all hold (``{"response": "cr"}``).
    """

    cycles: frozenset[int] | None = None
    when: Mapping[str, str] = field(default_factory=dict)

    def applies(self, cycle: int, choices: Mapping[str, str]) -> bool:
        """Whether a rule with this selector applies to ``cycle`` under ``choices``."""
        if self.cycles is not None and cycle not in self.cycles:
            return False
        return holds(self.when, choices)


@dataclass(frozen=True, slots=True)
class CycleDose:
    """Single administrations on listed days of a cycle (inotuzumab on days 1, 8 and 15).

    Attributes:
        agent: the agent id.
        days: the cycle days of the doses.
        dose: the dose as written.
        minutes: how long the administration takes (1-hour infusion), for the calendar.
        window_days: allowed shift either way, where the label allows one (±2 days).
        window_note: the label's words about the window.
        window_gap_days: the fewest days a dose may follow the previous one (inotuzumab: 6).
        observe_minutes: observation after the end of the administration.
        selector: the cycles and choices it applies to.
        sources: keys of the sources.
    """

    agent: str
    days: tuple[int, ...]
    dose: str
    minutes: int
    selector: Selector
    sources: tuple[str, ...]
    window_days: int = 0
    window_note: str | None = None
    observe_minutes: int = 0
    window_gap_days: int = 0


@dataclass(frozen=True, slots=True)
class Infusion:
    """A continuous infusion over consecutive days, possibly stepping up its dose.

    Attributes:
        agent: the agent id.
        steps: consecutive dose steps; a new step starts with a new bag.
        bag_changes: whether bag changes at the plan's bag interval are shown.
        selector: the cycles and choices it applies to.
        sources: keys of the sources.
        restart_days: after an interruption, how many days the restart dose runs before the
            scheduled dose resumes (blinatumomab: escalate "after 7 days").
        toxicity_restart: the dose the label restarts at after a toxicity interruption.
        restart_sources: keys of the sources for the restart rule.
        reinitiation_hours: the shortest interruption that is a reinitiation (blinatumomab: "if
            treatment is interrupted for 4 or more hours"); a shorter pause resumes the dose that
            was running, with no restart dose to ask about and no supervision mark. 0: every
            interruption is one.
    """

    agent: str
    steps: tuple[DoseStep, ...]
    bag_changes: bool
    selector: Selector
    sources: tuple[str, ...]
    restart_days: int = 0
    toxicity_restart: str | None = None
    restart_sources: tuple[str, ...] = ()
    reinitiation_hours: int = 0

    @property
    def days(self) -> DayRange:
        """All infusion days, from the first step's first day to the last step's last."""
        return DayRange(self.steps[0].days.first, self.steps[-1].days.last)


@dataclass(frozen=True, slots=True)
class Premedication:
    """A drug given a fixed time before another agent's dose or infusion start.

    Attributes:
        agent: the premedication's agent id (dexamethasone).
        before: the agent whose time it precedes.
        days: the cycle days it is given on.
        minutes_before: how long before, or ``None`` where the label only says "before"
            (the event then stands at the dose's time, and says so).
        restart: also given before the infusion restarts after an interruption.
        restart_after_hours: the shortest interruption after which it is given again (4 h).
        step_up: also given before the dose steps back up after a restart dose, where the label
            premedicates "prior to a step dose" (blinatumomab R/R); a schedule without a step
            (blinatumomab MRD) says nothing and gets none.
        dose: the dose as written.
        selector: the cycles and choices it applies to.
        sources: keys of the sources.
    """

    agent: str
    before: str
    days: tuple[int, ...]
    minutes_before: int | None
    dose: str
    selector: Selector
    sources: tuple[str, ...]
    restart: bool = False
    restart_after_hours: int = 0
    step_up: bool = False


@dataclass(frozen=True, slots=True)
class Stay:
    """A hospital stay over cycle days.

    Attributes:
        days: the cycle days in hospital.
        selector: the cycles and choices it applies to.
        sources: keys of the sources.
        text: what happens on the admission day, in patient words, cited by ``text_sources``.
        text_sources: keys of the sources for ``text``.
    """

    days: DayRange
    selector: Selector
    sources: tuple[str, ...]
    text: str | None = None
    text_sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """A test or check-up on the calendar: blood tests, a heart tracing (ECG), a weight check.

    A schedule-level check falls on plan days, or every so many months from day 1; a phase's
    check falls on each day of a cycle that an agent is dosed, before the dose (inotuzumab's
    liver tests "prior to each dose"). The event is all-day: the sources give no clock time.

    Attributes:
        title: the event's title.
        text: what the patient reads about it.
        sources: keys of the sources.
        short: the word or two a month grid's narrow cell shows ("ECG"); the title where empty.
        days: plan days (schedule-level) it falls on.
        every_months: repeated every this many calendar months after day 1 (0: not repeated).
        before: for a phase's check, the agent whose dose days it precedes.
        selector: the cycles (phase checks) and choices it applies to.
    """

    title: str
    text: str
    sources: tuple[str, ...]
    short: str | None = None
    days: tuple[int, ...] = ()
    every_months: int = 0
    before: str | None = None
    selector: Selector = field(default_factory=Selector)


@dataclass(frozen=True, slots=True)
class Phase:
    """Consecutive cycles of the same length (induction, consolidation, continued therapy).

    Attributes:
        name: the phase name a reader sees.
        cycles: how many cycles the phase has at most.
        length: days per cycle, rest days included (with ``length_choice``: the shortest option).
        length_choice: a choice whose value is the cycle length (inotuzumab cycle 1: 21 or 28).
        rest_from: the first treatment-free day; the rest runs to the end of the cycle.
        doses, infusions, premedications, stays: what happens in the phase's cycles.
        sources: keys of the sources for the number of cycles, length and rest.
        checks: tests before the doses of the phase's cycles.
    """

    name: str
    cycles: int
    length: int
    rest_from: int | None
    doses: tuple[CycleDose, ...]
    infusions: tuple[Infusion, ...]
    premedications: tuple[Premedication, ...]
    stays: tuple[Stay, ...]
    sources: tuple[str, ...]
    length_choice: str | None = None
    checks: tuple[Check, ...] = ()

    def length_with(self, choices: Mapping[str, str]) -> int:
        """The cycle length under the plan's ``choices``."""
        return int(choices[self.length_choice]) if self.length_choice else self.length

    def rest_with(self, choices: Mapping[str, str]) -> DayRange | None:
        """The treatment-free days under the plan's ``choices``."""
        return None if self.rest_from is None else DayRange(self.rest_from, self.length_with(choices))

    @property
    def rules(self) -> tuple[CycleDose | Infusion | Premedication | Stay | Check, ...]:
        """Everything that happens in the phase's cycles, infusions first."""
        return (*self.infusions, *self.doses, *self.premedications, *self.stays, *self.checks)
