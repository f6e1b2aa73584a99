"""The Plan: one patient's use of a schedule (start, zone, times, choices, adjustments).

:func:`check` verifies a plan against its schedule before anything is expanded, including the
rules that keep a plan from misleading a patient; the choices in force and the number of
cycles planned are computed here once. Plan files are read and written by
:mod:`dosecal.inputs.planfile`; command-line options meet them in :mod:`dosecal.inputs.overrides`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from dosecal.model.adjustments import Adjustment, ChoiceChange, CyclesChange, UntilChange
from dosecal.model.occurrence import slug
from dosecal.model.schedule import Schedule
from dosecal.words import Msg, Seq, msg

#: Days planned for a schedule that never ends (a daily TKI) when no --until is given.
DEFAULT_HORIZON_DAYS = 90

#: The telephone numbers a printable plan has lines for, in the order printed; ``bag_change``
#: (who changes an infusion bag at home: the home care or clinic nurse) only where bags change.
CONTACTS = ("daytime", "after_hours", "pharmacy", "bag_change")
#: Each contact's word in a calendar's notes (written out, so that the catalogue's check finds them).
CONTACT_WORDS = {
    "daytime": "contact_short.daytime",
    "after_hours": "contact_short.after_hours",
    "pharmacy": "contact_short.pharmacy",
    "bag_change": "contact_short.bag_change",
}


@dataclass(frozen=True, slots=True)
class Fever:
    """The clinic's fever threshold: call at this temperature or higher.

    No label gives one and clinics differ, so it comes from the plan file, never from dosecal.

    Attributes:
        value: the temperature, as the clinic wrote it (38.3).
        unit: ``"C"`` or ``"F"``, as the clinic wrote it; never converted.
    """

    value: Decimal
    unit: str


def fever_line(fever: Fever | None) -> Msg:
    """The call box's fever line: call at the clinic's threshold, or ask the care team for one."""
    if fever is None:
        return msg("call.fever_ask")
    words = "temperature.c" if fever.unit == "C" else "temperature.f"
    return msg("call.fever", temperature=msg(words, value=fever.value))


#: Minutes before a dose that its calendar reminder fires, unless the plan says otherwise.
DEFAULT_REMINDER_MINUTES = 15


@dataclass(frozen=True, slots=True)
class Plan:
    """One patient's use of a schedule.

    Attributes:
        start: day 1 of the plan.
        timezone: the IANA zone the times are local to.
        times: dose or appointment times by agent id, overriding the schedule's defaults.
        choices: values for the schedule's choices, by choice id.
        cycles: how many cycles to plan, or ``None`` for all the schedule allows.
        until: the last day to include, or ``None``.
        id: the plan id that UIDs derive from; by default ``<schedule>-<start>``.
        stamp: the DTSTAMP written into calendars (default: midnight UTC of ``start``).
        reminder_minutes: how long before a dose its reminder fires.
        patient: a label printed on printable plans only.
        contacts: telephone numbers for the printable plan, by kind (``daytime``, ``after_hours``,
            ``pharmacy``, ``bag_change``); printed plans only, never a calendar.
        fever: the clinic's fever threshold for the call box; ``None``: ask the care team.
        weight_kg: body weight, for weight bands and per-m² doses.
        height_cm: height, with the weight for the body surface area.
        schedule: the schedule named in a plan file, if any.
        adjustments: what changed along the way, oldest first (see :mod:`dosecal.model.adjustments`).
        origin: where the plan came from, for messages.
        revisions: SEQUENCE already raised, by UID, for events that a newer definition moved
            or changed (``dosecal store upgrade`` records them in the plan file's
            ``[revisions]`` table), so that calendars take the new time as an update.
        withdrawn: drugs an older definition gave that a newer one does not, by agent id, with
            the name the older one gave them (``store upgrade`` records them in ``[withdrawn]``):
            an electronic record that received the drug's FHIR request is told it stopped.
        together: the positions (1-based) of adjustments recorded in one change with the one
            before them (``dosecal adjust --choice transplant=no --cycles 4``): the plan's
            history has one step per change, so that no calendar ever sees a version between
            them (6 cycles planned, then 2 cancelled).
    """

    start: date
    timezone: str
    times: Mapping[str, tuple[time, ...]] = field(default_factory=dict)
    choices: Mapping[str, str] = field(default_factory=dict)
    cycles: int | None = None
    until: date | None = None
    id: str | None = None
    stamp: datetime | None = None
    reminder_minutes: int = DEFAULT_REMINDER_MINUTES
    patient: str | None = None
    contacts: Mapping[str, str] = field(default_factory=dict)
    fever: Fever | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    schedule: str | None = None
    adjustments: tuple[Adjustment, ...] = ()
    origin: str = "options"
    language: str = "en"
    revisions: Mapping[str, int] = field(default_factory=dict)
    together: frozenset[int] = frozenset()
    withdrawn: Mapping[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        """The plan's zone (checked by :func:`dosecal.model.zones.check_zone` when the plan is made)."""
        return ZoneInfo(self.timezone)

    def steps(self) -> list[int]:
        """How many adjustments each version of the plan has, first to last: 0, then after each change."""
        return [0, *(k for k in range(1, len(self.adjustments) + 1) if k + 1 not in self.together)]

    def plan_id(self, schedule: Schedule) -> str:
        """The id that every UID of this plan starts with."""
        return slug(self.id or f"{schedule.id}-{self.start.isoformat()}")

    def dtstamp(self) -> datetime:
        """The DTSTAMP for calendars: fixed by the plan, never the clock."""
        if self.stamp is not None:
            return self.stamp.astimezone(UTC)
        return datetime.combine(self.start, time(0), UTC)


def weight_bands(schedule: Schedule, weight_kg: float) -> dict[str, str]:
    """The choices a weight sets: each weight band's option for ``weight_kg``."""
    return {c.id: band for c in schedule.choices.values() if (band := c.band(weight_kg)) is not None}


def effective_choices(schedule: Schedule, plan: Plan) -> dict[str, str]:
    """The schedule's defaults, then bands derived from the plan's weight, then its choices."""
    values = {c.id: c.default for c in schedule.choices.values() if c.default is not None}
    if plan.weight_kg is not None:
        values.update(weight_bands(schedule, plan.weight_kg))
    values.update(plan.choices)
    return values


def planned_cycles(
    schedule: Schedule,
    plan: Plan,
    choices: Mapping[str, str],
    adjustments: Sequence[Adjustment] | None = None,
) -> int:
    """How many cycles are planned: the last number decided, else the most the choices allow.

    A number recorded later (``dosecal adjust --cycles``) wins over the plan's. With no number
    at all, a limit's ``default`` (inotuzumab before a transplant: 2 cycles) is planned, and no
    cycle that needs a decision not made yet (inotuzumab's response after cycle 1): the plan
    shows what can be planned now, and :func:`pending_choices` what the care team decides next.
    :func:`dosecal.model.validation.check` refuses a number above a limit's ``most``.
    """
    decided = [
        a.cycles
        for a in (plan.adjustments if adjustments is None else adjustments)
        if isinstance(a, CyclesChange)
    ]
    if decided:
        return decided[-1]
    if plan.cycles is not None:
        return plan.cycles
    count = schedule.total_cycles
    for limit in schedule.limits:
        if limit.applies(choices):
            count = min(count, limit.default or limit.most)
    decidable = next((k - 1 for k in range(1, count + 1) if _undecided(schedule, choices, k)), count)
    # A decision needed for the first cycle is asked for (check says which), never planned away.
    return decidable or count


def _undecided(schedule: Schedule, choices: Mapping[str, str], cycles: int) -> list[str]:
    """The choices without a default that planning ``cycles`` cycles needs and the plan lacks."""
    used = schedule.choices_used(cycles)
    return sorted(
        c.id
        for c in schedule.choices.values()
        if c.id not in choices
        and (
            (c.default is None and c.id in used)
            or (c.needed_over_cycles is not None and cycles > c.needed_over_cycles)
        )
    )


def decided_after(schedule: Schedule, choice: str) -> int | None:
    """The cycle after which the care team makes a choice the schedule has no default for.

    The cycle before the first one that needs it (inotuzumab's response: after cycle 1); ``None``
    for a choice with a default or one no cycle needs.
    """
    c = schedule.choices[choice]
    if c.default is not None:
        return None
    for k in range(1, schedule.total_cycles + 1):
        if choice in _undecided(schedule, {}, k):
            return k - 1 or None
    return None


def pending_choices(
    schedule: Schedule,
    plan: Plan,
    choices: Mapping[str, str],
    adjustments: Sequence[Adjustment] | None = None,
) -> list[str]:
    """The decisions the next cycle waits for, when that is why no more cycles are planned.

    Empty when the plan or a later change says how many cycles, or when the course is complete.
    """
    history = plan.adjustments if adjustments is None else adjustments
    if plan.cycles is not None or any(isinstance(a, CyclesChange) for a in history):
        return []
    planned = planned_cycles(schedule, plan, choices, history)
    if planned >= schedule.total_cycles:
        return []
    return _undecided(schedule, choices, planned + 1)


def choices_after(schedule: Schedule, plan: Plan, adjustments: Sequence[Adjustment]) -> dict[str, str]:
    """The choices in force after ``adjustments`` (later choices win over the plan's)."""
    values = effective_choices(schedule, plan)
    for a in adjustments:
        if isinstance(a, ChoiceChange):
            values[a.id] = a.value
    return values


def final_choices(schedule: Schedule, plan: Plan) -> dict[str, str]:
    """The choices in force after the plan's whole history."""
    return choices_after(schedule, plan, plan.adjustments)


def as_of(plan: Plan, adjustments: Sequence[Adjustment]) -> Plan:
    """The plan with the last day decided by ``adjustments`` (``adjust --until``), if one was."""
    untils = [a.until for a in adjustments if isinstance(a, UntilChange)]
    return dataclasses.replace(plan, until=untils[-1]) if untils else plan


def agent_times(schedule: Schedule, plan: Plan) -> dict[str, tuple[time, ...]]:
    """Each agent's times: the plan's where given, else the schedule's defaults."""
    return {a.id: plan.times.get(a.id, a.times) for a in schedule.agents.values()}


def contacts_line(plan: Plan) -> Msg | None:
    """The clinic's numbers the plan gives, as one line for a calendar's notes, or ``None``."""
    numbers = tuple(
        msg("line.contact_short", kind=msg(CONTACT_WORDS[kind]), number=plan.contacts[kind])
        for kind in CONTACTS
        if plan.contacts.get(kind)
    )
    return msg("note.call", numbers=Seq(numbers, "; ")) if numbers else None
