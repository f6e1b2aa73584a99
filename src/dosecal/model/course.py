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

from dosecal.model.occurrence import Kind, Occurrence
from dosecal.model.plan import CONTACTS, Plan, fever_line
from dosecal.model.schedule import Advice, Agent, Schedule
from dosecal.model.slot import CycleSlot
from dosecal.words import Msg


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

    @property
    def indication(self) -> str:
        """Who the regimen is for, under the choices in force (a child's dasatinib is not the adult's)."""
        return self.schedule.indication_for(self.choices)

    def patient_notes(self) -> tuple[Advice, ...]:
        """The schedule's notes for patients that apply to this plan's choices."""
        return tuple(x for x in self.schedule.patient_notes if x.applies(self.choices))

    def care_team(self) -> tuple[Advice, ...]:
        """What the care team schedules beside this calendar (CNS prophylaxis), for this plan."""
        return tuple(x for x in self.schedule.care_team if x.applies(self.choices))

    def warnings(self) -> tuple[tuple[Agent, Advice], ...]:
        """Each drug's warning signs, drug by drug in the schedule's order, emergency signs first.

        The "call at once" box of every output lists these; a drug the plan never gives (an
        adult's premedication in a child's plan) has none of its own, so no box lists a drug
        twice or a sign of a drug not given.
        """
        given = {o.agent for o in self.occurrences}
        found: list[tuple[Agent, Advice]] = []
        for agent in self.schedule.agents.values():
            if agent.id not in given:
                continue
            signs = [x for x in agent.advice if x.warning]
            found += [(agent, x) for x in sorted(signs, key=lambda x: not x.emergency)]
        return tuple(found)

    def fever_line(self) -> Msg:
        """The call box's fever line: the clinic's threshold, or to ask the care team for it."""
        return fever_line(self.plan.fever)

    @property
    def contacts(self) -> tuple[str, ...]:
        """The kinds of telephone line the printout has.

        Daytime, after hours and pharmacy always (blank lines to write on); who changes a bag at
        home where bags change and the plan file names them (the instructions say the care team
        tells the patient, so a blank line would only take room from page 1).
        """
        bags = any(o.kind is Kind.BAG_CHANGE for o in self.occurrences) and bool(
            self.plan.contacts.get("bag_change")
        )
        return tuple(k for k in CONTACTS if k != "bag_change" or bags)

    def of(self, kind: Kind) -> tuple[Occurrence, ...]:
        """The occurrences of one kind, in order."""
        return tuple(o for o in self.occurrences if o.kind is kind)
