"""The Builder: what every occurrence of one version of a plan shares, and the way each is made.

It holds the schedule, the plan, the choices in force and the dose changes, counts the ordinals
that make each occurrence's identity, writes doses, names and notes, and makes an Occurrence.
The modules that build occurrences (:mod:`dosecal.core.build` for daily dosing, cycle doses,
stays, rest and tests; :mod:`dosecal.core.infusion`; :mod:`dosecal.core.premedication`) use it;
it uses none of them, so that no two modules of the core import each other.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dosecal.core.cycles import CycleClock
from dosecal.core.dosing import brief_dose, describe_dose
from dosecal.model.adjustments import Adjustment, BodySize, DoseChange, TimeChange, ZoneChange, moved_to
from dosecal.model.clock import POINT_MINUTES, clocks_change, shift
from dosecal.model.occurrence import Kind, Occurrence, OccurrenceId
from dosecal.model.plan import Plan, agent_times, contacts_line, fever_line, weight_bands
from dosecal.model.rules import Phase
from dosecal.model.schedule import Schedule
from dosecal.model.slot import CycleSlot
from dosecal.words import Content, Msg, Seq, Text, Value, msg


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of infusion at one dose: from a bag hung at ``start`` until ``end``."""

    start: datetime
    end: datetime
    dose: str | None  # None: the care team sets it (a restart nobody gave a dose for)
    how: str  # start | step | restart | resume
    key: int  # the label day the schedule gives it, for its UID
    restart: bool = False  # the dose here is the restart dose


class Builder:
    """Holds what every occurrence of one plan version shares, and makes them."""

    def __init__(
        self, schedule: Schedule, plan: Plan, choices: dict[str, str], adjustments: Sequence[Adjustment]
    ) -> None:
        self.s = schedule
        self.plan = plan
        self.tz = plan.tz
        self.plan_id = plan.plan_id(schedule)
        self.times = agent_times(schedule, plan)
        self.choices = choices
        self.changes = [a for a in adjustments if isinstance(a, DoseChange)]
        self.time_changes = [a for a in adjustments if isinstance(a, TimeChange)]
        self.body_sizes = [a for a in adjustments if isinstance(a, BodySize)]
        self.advised: set[str] = set()  # agents whose rules a key event has given already
        self.zone_changes = [a for a in adjustments if isinstance(a, ZoneChange)]
        self.ordinals: dict[tuple[str, Kind, int | None, int], int] = {}
        self.stopped_dose: dict[int, str | None] = {}  # cycle -> dose in force when it stopped
        self.segment_log: dict[tuple[int, str], list[Segment]] = {}  # (cycle, agent) -> stretches
        self.slots: Sequence[CycleSlot] = ()  # every planned cycle, for what a cycle's neighbour does

    def ident(self, agent: str, kind: Kind, cycle: int | None, day: int) -> OccurrenceId:
        """The identity of the next occurrence of this kind on this day (ordinals count repeats)."""
        key = (agent, kind, cycle, day)
        self.ordinals[key] = self.ordinals.get(key, 0) + 1
        return OccurrenceId(self.plan_id, agent, kind, cycle, day, self.ordinals[key])

    def dose(self, written: str | None, agent: str | None = None, on: date | None = None) -> Text:
        """The dose in force (a later dose change wins), with the amount for this body size."""
        return self._in_force(describe_dose, written, agent, on)

    def _in_force(
        self,
        words: Callable[[str, float | None, float | None], Text],
        written: str | None,
        agent: str | None,
        on: date | None,
    ) -> Text:
        """``written`` as the dose in force on ``on``, said by ``words`` for the body size then.

        A later dose change wins over the written dose; the measures are those of that day.
        """
        if written is None:
            return msg("dose.care_team")
        for change in self.changes:
            if agent == change.agent and on is not None and on >= change.start:
                written = change.dose
        height, weight = (
            self.measures_on(on) if on is not None else (self.plan.height_cm, self.plan.weight_kg)
        )
        return words(written, height, weight)

    def zone_on(self, day: date) -> str:
        """The patient's zone on ``day``: the plan's, or the last they moved to by then."""
        return moved_to(self.zone_changes, day) or self.plan.timezone

    def brief_dose(self, written: str | None, agent: str | None = None, on: date | None = None) -> Text:
        """The dose in force for a phone's title: the amount for this body size, or the dose short."""
        return self._in_force(brief_dose, written, agent, on)

    def brief_name(self, agent: str, *, lower: bool = False) -> Content:
        """The name in a phone's title: "Inotuzumab" where the title's name is long."""
        name = self.s.agents[agent].brief_name
        return Content(name.lower() if lower else name)

    def measures_on(self, day: date) -> tuple[float | None, float | None]:
        """Height (cm) and weight (kg) on ``day``: the plan's, or the last measured that day or before.

        A weight measured without a height keeps the height known before it.
        """
        height, weight = self.plan.height_cm, self.plan.weight_kg
        for size in self.body_sizes:
            if day >= size.start:
                weight = size.weight_kg
                height = size.height_cm if size.height_cm is not None else height
        return height, weight

    def choices_on(self, day: date) -> dict[str, str]:
        """The choices in force on ``day``: weight bands follow the weight measured by then."""
        if not any(day >= size.start for size in self.body_sizes):
            return self.choices
        _, weight = self.measures_on(day)
        return self.choices if weight is None else {**self.choices, **weight_bands(self.s, weight)}

    def on_day(self, day: date) -> Builder:
        """This builder with the choices in force on ``day`` (a cycle's day 1), sharing its counts."""
        choices = self.choices_on(day)
        if choices is self.choices:
            return self
        other = copy.copy(self)
        other.choices = choices
        return other

    def name(self, agent: str, *, lower: bool = False) -> Content:
        """The short name for titles: "Blinatumomab", not "Blinatumomab (Blincyto)"."""
        name = self.s.agents[agent].short_name
        return Content(name.lower() if lower else name)

    def notes(
        self,
        *parts: Value,
        sources: tuple[str, ...] = (),
        when: date | None = None,
        key: bool = True,
        advice: Value = None,
    ) -> tuple[Value, ...]:
        """An event's notes: what to do, the clinic's numbers, then what a key event adds.

        A key event (a first dose, a cycle's start, a restart, an admission, a new dose) carries
        the warning signs, its sources and the notice; every other event points to the printed
        plan for them, so that a phone shows notes a patient reads (the calendar's description
        carries every source once).
        """
        lines = [p for p in parts if p]
        call = self.contacts()
        if call is not None:
            lines.insert(1 if lines else 0, call)
        if key and advice:
            lines.append(advice)
        if when is not None:
            zone = self.zone_on(when)
            if clocks_change(when, ZoneInfo(zone)):
                lines.append(msg("note.dst", zone=zone))
        if not key:
            lines.append(msg("note.see_plan"))
            return tuple(lines)
        if sources:
            # Numbered as the calendar's description lists them: a number, never a source's key.
            order = list(self.s.sources)
            numbers = sorted({order.index(k) + 1 for k in sources if k in self.s.sources})
            if numbers:
                lines.append(msg("note.sources_numbered", numbers=Seq(tuple(numbers), ", ")))
        lines.append(msg("notice.event"))  # the whole notice opens the calendar's description
        return tuple(lines)

    def contacts(self) -> Msg | None:
        """The clinic's numbers the plan gives, as one line, or ``None``."""
        return contacts_line(self.plan)

    def agent_notes(self, agent: str) -> tuple[Value, Value]:
        """An agent's instructions and missed-dose rule as notes."""
        a = self.s.agents[agent]
        instructions = (
            msg("note.instructions", text=Seq(tuple(Content(x) for x in a.instructions)))
            if a.instructions
            else None
        )
        if a.missed_dose:
            missed: Value = msg("note.missed", text=Content(a.missed_dose))
        else:
            missed = msg("note.missed_unknown") if a.oral else None
        return instructions, missed

    def advice(self, agent: str, *, rules: bool = True) -> tuple[Value, tuple[str, ...]]:
        """The agent's warning signs and rules as one note, with their sources.

        ``rules=False``: the warning signs alone (the rules were given on its first key event).
        """
        a = self.s.agents[agent]
        if not a.advice:
            return None, ()
        emergency = tuple(Content(x.text) for x in a.advice if x.warning and x.emergency)
        warnings = tuple(Content(x.text) for x in a.advice if x.warning and not x.emergency)
        told = tuple(Content(x.text) for x in a.advice if not x.warning) if rules else ()
        parts: tuple[Value, ...] = (
            ((msg("note.emergency", text=Seq(emergency)),) if emergency else ())
            + ((msg("note.warnings", text=Seq(warnings)),) if warnings else ())
            + ((self.fever(),) if emergency or warnings else ())
            + told
        )
        return Seq(parts, "\n"), tuple(k for x in a.advice for k in x.sources)

    def key_advice(self, agent: str) -> Value:
        """What a key event of ``agent`` says of its warning signs.

        With the drug's rules (food, driving, the pump) the first time, the signs alone after:
        the printed plan has both.
        """
        first = agent not in self.advised
        self.advised.add(agent)
        return self.advice(agent, rules=first)[0]

    def fever(self) -> Msg:
        """The fever line beside the warning signs: the clinic's threshold, or to ask for it."""
        return fever_line(self.plan.fever)

    def care_team(self) -> tuple[Value, tuple[str, ...]]:
        """What the care team schedules beside the calendar (CNS prophylaxis), as a note, and its sources."""
        planned = [x for x in self.s.care_team if x.applies(self.choices)]
        if not planned:
            return None, ()
        note = msg("note.care_team", text=Seq(tuple(Content(x.text) for x in planned)))
        return note, tuple(k for x in planned for k in x.sources)

    def made(
        self,
        kind: Kind,
        agent: str | None,
        phase: Phase | None,
        cycle: int | None,
        *,
        key: int,
        day: int,
        title: Text,
        dose: Text | None,
        start: date | datetime,
        end: date | datetime,
        notes: tuple[Value, ...],
        reminder: bool = False,
        busy: bool = True,
        window: tuple[date, date] | None = None,
        supervised: bool = False,
        restart: bool = False,
        stopped: bool = False,
        cell: Text | None = None,
        brief: Text | None = None,
        titled: bool = True,
    ) -> Occurrence:
        """An occurrence whose identity is (agent, kind, cycle, ``key``) and whose label day is ``day``.

        ``key`` is the day the schedule gives the event; ``day`` is where it falls after an
        interruption moved the rest of the cycle, so the UID survives the move. ``brief`` is
        the phone's title; with ``titled``, the notes then open with the whole title (an
        infusion's first note says it already, a plain bag change has nothing more).
        """
        if brief is not None and titled:
            notes = (title, *notes)  # the phone shows the brief title: the notes open with the whole
        return Occurrence(
            id=self.ident(agent or "course", kind, cycle, key),
            kind=kind,
            agent=agent,
            phase=phase.name if phase is not None else None,
            cycle=cycle,
            day=day,
            title_text=title,
            dose_text=dose,
            start=start,
            end=end,
            note_parts=notes,
            reminder=reminder,
            busy=busy,
            window=window,
            supervised=supervised,
            restart=restart,
            stopped=stopped,
            cell_text=cell,
            brief_text=brief,
        )

    def point(self, moment: datetime, minutes: int = POINT_MINUTES) -> tuple[datetime, datetime]:
        """The start and end of an event at ``moment`` lasting ``minutes`` of elapsed time."""
        return moment, shift(moment, minutes)

    def times_on(self, agent: str, day: date) -> tuple[time, ...]:
        """An agent's clock times on ``day``: the plan's, or the last time change from that day or before."""
        times = self.times[agent]
        for change in self.time_changes:
            if change.agent == agent and day >= change.start:
                times = change.times
        return times

    def time_of(self, agent: str, slot: CycleSlot) -> time:
        """An agent's time in this cycle: a restart's time for the infusion it restarts.

        A time change reaches an infusion at the first cycle starting on or after its date: a bag
        running when the clock time changes is not cut short for it.
        """
        if slot.start_at is not None and any(i.agent == agent for i in slot.phase.infusions):
            return slot.start_at.time()
        return self.times_on(agent, slot.first)[0]

    def dose_time(self, agent: str, clock: CycleClock, day: int) -> time:
        """The clock time of a cycle dose on label day ``day``: the time in force on the day it falls."""
        on = clock.moment(day, self.times[agent][0]).date()
        return self.times_on(agent, on)[0]
