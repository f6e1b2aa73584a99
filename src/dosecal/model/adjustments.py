"""Adjustments: what happened to a plan along the way, recorded in order.

A cycle waits a week for blood counts, a dose is held, an infusion is interrupted, a dose is
changed after a response, treatment stops. Each is a small immutable value; a plan keeps them
in the order they were made, so its history reads top to bottom and regenerating it gives the
same bytes. :mod:`dosecal.core.expand` applies them; the spellings below are the command line's
(``--delay 2=7``, ``--hold inotuzumab:C1D8``) and the plan file's (``[[adjustments]]``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from dosecal.model import limits
from dosecal.words import Cap, Content, Msg, Seq, msg

if TYPE_CHECKING:
    from dosecal.model.schedule import Schedule

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

    def describe(self, _schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        if self.to is not None:
            return msg("change.delay_to", cycle=self.cycle, date=self.to)
        return msg("change.delay", cycle=self.cycle, length=msg("length.days", count=self.days))


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

    def describe(self, schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        where = (
            msg("cycle_day", cycle=self.cycle, day=self.day)
            if self.cycle is not None
            else msg("plan_day", day=self.day)
        )
        if self.agent is None:
            return msg("change.hold", where=where)
        return msg("change.hold_agent", agent=_agent(schedule, self.agent), where=where)


#: The restart spellings that are not a dose: the care team restarts at the dose given before
#: the stop.
SAME_DOSE = "same"

#: Causes an interruption can be recorded with; ``toxicity`` restarts at the label's reduced dose.
CAUSES = ("toxicity",)


@dataclass(frozen=True, slots=True)
class Interruption:
    """A continuous infusion stopped on cycle ``cycle`` day ``day`` for ``days`` days and ``hours`` hours.

    Following the blinatumomab label: up to 7 days, the same cycle continues until its infusion
    days are complete (the end, and everything after the stop, moves later by the interruption's
    length); longer, the cycle ends there and the next cycle starts when the infusion restarts.

    Attributes:
        cycle: the cycle number.
        day: the cycle day the infusion stops on.
        days: whole days of the interruption.
        hours: hours of the interruption, added to ``days``.
        at: the clock time it stops, or ``None`` for the infusion's usual time (its bag change).
        restart: the dose on restart as said by the care team (``"9 mcg/day"``, ``"9"`` in the
            unit of the dose in force, or ``"same"``); ``None`` when nobody said, so that every
            output shows the restart dose as the care team's.
        cause: why it stopped, where that sets the restart dose (``"toxicity"``).
        note: the reason, for the change log.
    """

    cycle: int
    day: int
    days: int = 0
    hours: int = 0
    at: time | None = None
    restart: str | None = None
    cause: str | None = None
    note: str | None = None

    @property
    def length(self) -> timedelta:
        """How long the infusion is stopped."""
        return timedelta(days=self.days, hours=self.hours)

    @property
    def spec(self) -> str:
        """The spelling used on the command line: ``C1D10@14:00=6h:restart=9``."""
        when = f"@{self.at:%H:%M}" if self.at is not None else ""
        if self.hours and self.days:
            length = f"{self.days * 24 + self.hours}h"
        elif self.hours:
            length = f"{self.hours}h"
        else:
            length = f"{self.days}d"
        extra = "".join(f":{k}={v}" for k, v in (("restart", self.restart), ("cause", self.cause)) if v)
        return f"C{self.cycle}D{self.day}{when}={length}{extra}"

    def _restart_dose(self, schedule: Schedule | None) -> str:
        """The restart dose with its unit, taken from the cycle's infusion where only a number was given."""
        if self.restart is None:
            return ""
        try:
            phase = schedule.phase_of(self.cycle) if schedule is not None else None
        except IndexError:
            phase = None
        steps = [step.dose for i in (phase.infusions if phase else ()) for step in i.steps]
        return with_unit(self.restart, steps[0] if steps else "")

    def _short_pause(self, schedule: Schedule | None) -> bool:
        """Whether the cycle's infusions resume their running dose after a stop this short."""
        try:
            phase = schedule.phase_of(self.cycle) if schedule is not None else None
        except IndexError:
            phase = None
        hours = [i.reinitiation_hours for i in (phase.infusions if phase else ())]
        return bool(hours) and self.days * 24 + self.hours < min(hours)

    def describe(self, schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        where = msg("cycle_day", cycle=self.cycle, day=self.day)
        if self.at is not None:
            where = msg("at_time", where=where, time=self.at)
        hours = self.days * 24 + self.hours
        length = msg("length.days", count=self.days) if not self.hours else msg("length.hours", count=hours)
        if self.cause == "toxicity":
            restart = msg("restart.toxicity")
        elif self.restart == SAME_DOSE:
            restart = msg("restart.same")
        elif self.restart is not None:
            restart = msg("restart.dose", dose=Content(self._restart_dose(schedule)))
        elif self.cause is None and self._short_pause(schedule):
            restart = msg("restart.same")  # the dose that was running resumes, as the calendar shows
        else:
            restart = msg("restart.care_team")
        return msg("change.interrupt", where=where, length=length, restart=restart)


@dataclass(frozen=True, slots=True)
class DoseChange:
    """From ``start`` on, ``agent`` is given at ``dose`` (ponatinib 30 mg to 15 mg)."""

    agent: str
    start: date
    dose: str
    note: str | None = None

    def describe(self, schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        return msg(
            "change.dose", agent=_agent(schedule, self.agent), dose=Content(self.dose), date=self.start
        )


@dataclass(frozen=True, slots=True)
class Stop:
    """Treatment stops on ``on``: every event from that date is cancelled."""

    on: date
    note: str | None = None

    def describe(self, _schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        return msg("change.stop", date=self.on)


@dataclass(frozen=True, slots=True)
class ChoiceChange:
    """A choice made later (inotuzumab cycle 1 extended to 28 days; response after cycle 1)."""

    id: str
    value: str
    note: str | None = None

    def describe(self, schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs: the schedule's words for the choice and value."""
        choice = schedule.choices.get(self.id) if schedule is not None else None
        if choice is None:
            return msg("change.choice", label=self.id, value=self.value)
        return msg("change.choice", label=Cap(Content(choice.label)), value=Content(choice.words(self.value)))


@dataclass(frozen=True, slots=True)
class CyclesChange:
    """From now on, ``cycles`` cycles are planned (inotuzumab after the response; a course ended early).

    A number decided later is a step of the plan's history like any other: the cycles it adds
    appear, those it drops are cancelled, and the events before it keep their UIDs.
    """

    cycles: int
    note: str | None = None

    def describe(self, _schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        return msg("change.cycles", count=self.cycles)


@dataclass(frozen=True, slots=True)
class UntilChange:
    """From now on the plan runs through ``until``: more months of a daily drug, or fewer.

    A date recorded later wins over the plan's ``until``; the days it drops are cancelled under
    their UIDs, the days it adds appear.
    """

    until: date
    note: str | None = None

    def describe(self, _schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        return msg("change.until", date=self.until)


@dataclass(frozen=True, slots=True)
class TimeChange:
    """From ``start`` on, ``agent`` is given at ``times`` (an evening dose moved to the morning).

    Daily and cycle doses from that date keep the new clock time; a continuous infusion keeps
    its bag time until the next cycle starts (a bag hung at another hour would be a short bag
    nobody prescribed), and that cycle starts at the new time.
    """

    start: date
    agent: str
    times: tuple[time, ...]
    note: str | None = None

    @property
    def spec(self) -> str:
        """The spelling used on the command line: ``2027-03-01:imatinib=20:00``."""
        return f"{self.start}:{self.agent}={','.join(f'{t:%H:%M}' for t in self.times)}"

    def describe(self, schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        return msg(
            "change.time",
            agent=_agent(schedule, self.agent),
            times=Seq(self.times, ", "),
            date=self.start,
        )


@dataclass(frozen=True, slots=True)
class BodySize:
    """From ``start`` on, the patient weighs ``weight_kg`` (and measures ``height_cm``).

    Doses computed from body size use the new measures from that date: a daily dose by weight
    band from that day (Sprycel: "recalculate the dose every 3 months" for weight change), a
    dose per m² from the first dose given on or after it, and for a continuous infusion from its
    next new bag of a new dose (a step, a restart or the next cycle). A weight band that changes
    the cycle's doses or premedication (blinatumomab under or over 45 kg) changes from the first
    cycle that starts on or after the date.
    """

    start: date
    weight_kg: float
    height_cm: float | None = None
    note: str | None = None

    @property
    def spec(self) -> str:
        """The spelling used on the command line: ``2027-03-01=32.5,140``."""
        height = f",{self.height_cm:g}" if self.height_cm is not None else ""
        return f"{self.start}={self.weight_kg:g}{height}"

    def describe(self, _schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        if self.height_cm is None:
            return msg("change.weight", weight=f"{self.weight_kg:g}", date=self.start)
        return msg(
            "change.body_size", weight=f"{self.weight_kg:g}", height=f"{self.height_cm:g}", date=self.start
        )


@dataclass(frozen=True, slots=True)
class ZoneChange:
    """From ``start`` on, the patient lives in ``zone``: doses keep their local clock time there.

    An event that starts on or after that date is at its clock time in the new zone; one that
    started before it (a bag running overnight) ends at the moment it would have ended.
    """

    start: date
    zone: str
    note: str | None = None

    @property
    def spec(self) -> str:
        """The spelling used on the command line: ``2027-03-01=Europe/Paris``."""
        return f"{self.start}={self.zone}"

    def describe(self, _schedule: Schedule | None = None) -> Msg:
        """The adjustment in words, for change logs."""
        return msg("change.zone", zone=self.zone, date=self.start)


def moved_to(moves: Sequence[ZoneChange], day: date) -> str | None:
    """The zone the patient lives in on ``day``: the latest move dated by then, else ``None``."""
    dated = [(m.start, k, m.zone) for k, m in enumerate(moves) if m.start <= day]
    return max(dated)[2] if dated else None  # two on one day: the later recorded


def parse_cycles(value: object) -> CyclesChange:
    """``4``: plan 4 cycles from now on (at least 1, at most :data:`~dosecal.model.limits.MAX_CYCLES`)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise ValueError(msg("error.adjustments.cycles_number", value=text[:20]))
    count = _bounded(text, limits.MAX_CYCLES, text)
    if count < 1:
        raise ValueError(msg("error.adjustments.cycles_number", value=text))
    return CyclesChange(count)


def _agent(schedule: Schedule | None, agent: str) -> Content:
    """An agent's name for a reader."""
    known = schedule.agents.get(agent) if schedule is not None else None
    return Content(known.short_name if known is not None else agent)


def with_unit(restart: str, scheduled: str) -> str:
    """A restart dose given as a bare number takes the unit of the dose it replaces ("9" -> "9 mcg/day")."""
    text = restart.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        m = re.match(r"^\s*\d+(?:\.\d+)?\s*([^\s(]+)", scheduled)
        return f"{text} {m.group(1)}" if m else text
    return text


Adjustment = (
    Delay
    | Hold
    | Interruption
    | DoseChange
    | Stop
    | ChoiceChange
    | CyclesChange
    | UntilChange
    | TimeChange
    | BodySize
    | ZoneChange
)


def parse_hold(spec: str) -> Hold:
    """``C2D8``, ``inotuzumab:C1D8``, ``D12`` or ``dasatinib:D12``."""
    m = _CYCLE_DAY.match(spec.strip())
    if m is None:
        raise ValueError(msg("error.adjustments.spec_dose_write_cndd", spec=spec))
    cycle = _bounded(m.group("cycle"), limits.MAX_CYCLES, spec) if m.group("cycle") else None
    day = _bounded(m.group("day"), limits.MAX_DAY, spec)
    if day < 1 or (cycle is not None and cycle < 1):
        raise ValueError(msg("error.adjustments.spec_cycles_and_days", spec=spec))
    return Hold(day=day, cycle=cycle, agent=m.group("agent").lower() if m.group("agent") else None)


def parse_delay(spec: str) -> Delay:
    """``2=7`` (cycle 2, seven days later) or ``2=2027-03-08`` (cycle 2 to start that day)."""
    cycle, sep, value = spec.partition("=")
    if not sep or not cycle.strip().isdigit() or _bounded(cycle, limits.MAX_CYCLES, spec) < 1:
        raise ValueError(msg("error.adjustments.spec_must_written_cycle", spec=spec))
    value = value.strip()
    if value.isdigit():
        days = _bounded(value, limits.MAX_DELAY_DAYS, spec)
        if days < 1:
            raise ValueError(msg("error.adjustments.spec_delay_at_least", spec=spec))
        return Delay(cycle=int(cycle), days=days)
    try:
        to = date.fromisoformat(value)
    except ValueError:
        raise ValueError(msg("error.adjustments.spec_value_neither_number", spec=spec, value=value)) from None
    return Delay(cycle=int(cycle), to=limits.check_date(to))


_INTERRUPT = re.compile(
    r"^C(?P<cycle>\d+)D(?P<day>\d+)(?:@(?P<at>[^=]+))?=(?P<length>\d+)(?P<unit>[dh]?)$", re.IGNORECASE
)


def parse_interruption(spec: str) -> Interruption:
    """``C1D10=3``, ``C1D10=3d``, ``C1D10=6h`` or ``C1D10@14:00=6h``, then ``:restart=DOSE``, ``:cause=toxicity``.

    A plain number is days. ``restart`` is the dose the care team restarts at (``9``, ``9 mcg/day``
    or ``same``); ``cause=toxicity`` restarts at the label's reduced dose.
    """
    head, *options = spec.strip().split(":")
    # A time written with a colon (C1D10@14:00=6h) was split above: join it back.
    if options and "@" in head and "=" not in head:
        head = f"{head}:{options.pop(0)}"
    m = _INTERRUPT.match(head.replace(" ", ""))
    if m is None:
        raise ValueError(msg("error.adjustments.spec_must_written_cndd", spec=spec))
    cycle = _bounded(m.group("cycle"), limits.MAX_CYCLES, spec)
    day = _bounded(m.group("day"), limits.MAX_CYCLE_DAYS, spec)
    hourly = m.group("unit").lower() == "h"
    amount = _bounded(m.group("length"), limits.MAX_INTERRUPTION_DAYS * (24 if hourly else 1), spec)
    if cycle < 1 or day < 1 or amount < 1:
        raise ValueError(msg("error.adjustments.spec_cycles_days_and", spec=spec))
    at: time | None = None
    if m.group("at") is not None:
        try:
            at = time.fromisoformat(m.group("at").strip())
        except ValueError:
            raise ValueError(
                msg("error.adjustments.spec_group_time_hh", spec=spec, group=m.group("at"))
            ) from None
        if len(m.group("at").strip()) != 5 or at.second:
            raise ValueError(msg("error.adjustments.spec_group_time_hh", spec=spec, group=m.group("at")))
    hours = amount if hourly else 0
    days = 0 if hours else amount
    extra: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in ("restart", "cause") or not value or key in extra:
            raise ValueError(msg("error.adjustments.spec_after_length_write", spec=spec, option=option))
        extra[key] = value
    return interruption(cycle, day, days=days, hours=hours, at=at, **extra)


def interruption(
    cycle: int,
    day: int,
    *,
    days: int = 0,
    hours: int = 0,
    at: time | None = None,
    restart: str | None = None,
    cause: str | None = None,
    note: str | None = None,
) -> Interruption:
    """An :class:`Interruption`, checked the same way for the command line and plan files.

    Raises:
        ValueError: naming what is wrong.
    """
    if days < 0 or hours < 0 or days + hours == 0:
        raise ValueError(msg("error.adjustments.interruption_lasts_at_least"))
    if days * 24 + hours > limits.MAX_INTERRUPTION_DAYS * 24:
        raise ValueError(
            msg(
                "error.limits.interruption_too_long",
                hours=days * 24 + hours,
                maximum=limits.MAX_INTERRUPTION_DAYS,
            )
        )
    if cause is not None and cause not in CAUSES:
        raise ValueError(
            msg("error.adjustments.cause_must_one_join", join=", ".join(CAUSES), cause=repr(cause))
        )
    if cause is not None and restart is not None:
        raise ValueError(msg("error.adjustments.give_restart_dose_or"))
    if restart is not None and restart != SAME_DOSE:
        text = restart.strip()
        if not (DOSE.match(text) or AMOUNT.match(text)) or not _positive(text):
            raise ValueError(msg("error.adjustments.restart_must_dose_such", restart=repr(restart)))
    return Interruption(cycle, day, days=days, hours=hours, at=at, restart=restart, cause=cause, note=note)


#: A dose as a care team writes it: an amount in ASCII digits, then its unit ("15 mg",
#: "0.8 mg/m2", "9 mcg/day"). It reaches the patient's calendar and printout as written, so
#: nothing else is taken for one: words, markup, digits of other scripts ("1٥ mg"), or "1e3"
#: and "0x10", which a reader would take for a thousand and sixteen.
DOSE = re.compile(
    r"^[0-9]{1,5}(?:\.[0-9]{1,3})?"
    r"\s*(?:mg|mcg|µg|μg|g|units?)(?:/(?:m2|m²|kg|day|dose))*$"
)

#: A restart dose may be a bare amount: it takes the unit of the dose it replaces ("9").
AMOUNT = re.compile(r"^[0-9]{1,5}(?:\.[0-9]{1,3})?$")


def _positive(text: str) -> bool:
    """Whether the amount at the start of ``text`` is more than zero ("0 mg" is no dose)."""
    number = re.match(r"[0-9.]+", text)
    return number is not None and float(number.group()) > 0


def check_dose(dose: object) -> str:
    """``dose`` if it is an amount above zero with its unit, else ValueError."""
    if not isinstance(dose, str) or not DOSE.match(dose.strip()) or not _positive(dose.strip()):
        raise ValueError(msg("error.adjustments.dose_must_amount", dose=repr(dose)))
    return dose.strip()


def parse_dose_change(spec: str) -> DoseChange:
    """``ponatinib=15 mg@2027-04-01``: from that date the agent is given at that dose."""
    agent, sep, rest = spec.partition("=")
    dose, at, when = rest.rpartition("@")
    if not sep or not at or not agent.strip() or not dose.strip():
        raise ValueError(msg("error.adjustments.spec_must_written_agent", spec=spec))
    try:
        start = date.fromisoformat(when.strip())
    except ValueError:
        raise ValueError(msg("error.adjustments.spec_when_date_yyyy", spec=spec, when=when)) from None
    return DoseChange(agent=agent.strip(), start=limits.check_date(start), dose=check_dose(dose))


def _bounded(digits: str, maximum: int, spec: str) -> int:
    """A number written in digits, at most ``maximum``.

    The length is checked before converting, so that a 5,000-digit number gets the same
    message as any other too large, not Python's own limit on converting long digit strings.
    """
    text = digits.strip()
    if len(text.lstrip("0")) > len(str(maximum)) or int(text) > maximum:
        shown = text if len(text) <= 12 else text[:12] + "…"
        where = spec if len(spec) <= 40 else spec[:40] + "…"
        raise ValueError(msg("error.limits.spec_number_too_large", spec=where, value=shown, maximum=maximum))
    return int(text)
