"""Where command-line options meet plan files: one typed set of overrides, one rule for the zone.

Every command that makes or changes a plan (generate, publish, check, adjust) goes through
:func:`plan_for` or :func:`with_zone`, so that a value given as an option always wins over the
plan file, is checked the same way, and a missing time zone is handled the same way: the
computer's zone, or an error that says how to give one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dosecal.core.expand import expand
from dosecal.errors import OutputError, PlanError, Problem, reason
from dosecal.inputs import definitions, files, planfile
from dosecal.inputs.tomlfile import read_text
from dosecal.model import limits
from dosecal.model.adjustments import (
    Adjustment,
    BodySize,
    ChoiceChange,
    CyclesChange,
    Stop,
    TimeChange,
    UntilChange,
    ZoneChange,
    parse_cycles,
    parse_delay,
    parse_dose_change,
    parse_hold,
    parse_interruption,
)
from dosecal.model.plan import Plan
from dosecal.model.schedule import Schedule
from dosecal.model.zones import check_zone
from dosecal.words import ENGLISH, Value, languages, msg


@dataclass(frozen=True, slots=True)
class Overrides:
    """Values given on the command line, as typed there; each wins over the plan file.

    Attributes:
        start: day 1, ``YYYY-MM-DD``.
        tz: an IANA zone.
        times: ``AGENT=HH:MM`` or ``AGENT=HH:MM,HH:MM``.
        choices: ``ID=VALUE``.
        until: the last day, ``YYYY-MM-DD``.
        cycles: how many cycles (``dosecal adjust``: from now on), as a number or as typed.
        patient: a label for printable plans.
        weight: body weight in kg (``62.5``).
        height: height in cm.
        reminder: minutes before a dose that reminders fire.
        delays, holds, interrupts, dose_changes, time_changes, body_sizes, zone_changes:
            adjustments in their command-line spelling.
        stop: the date treatment stops.
        note: the reason recorded with the adjustments.
        lang: the readers' language (``en``, ``fr``, ``fr+en``).
    """

    start: str | None = None
    tz: str | None = None
    times: Sequence[str] = ()
    choices: Sequence[str] = ()
    until: str | None = None
    cycles: int | str | None = None
    patient: str | None = None
    weight: str | None = None
    height: str | None = None
    reminder: int | None = None
    delays: Sequence[str] = ()
    holds: Sequence[str] = ()
    interrupts: Sequence[str] = ()
    dose_changes: Sequence[str] = ()
    time_changes: Sequence[str] = ()
    body_sizes: Sequence[str] = ()
    zone_changes: Sequence[str] = ()
    stop: str | None = None
    note: str | None = None
    lang: str | None = None

    def adjustments(self) -> list[Adjustment]:
        """The adjustments given, in a fixed order: delays, holds, interruptions, doses, stop.

        Raises:
            PlanError: naming the option whose value is wrong.
        """
        found: list[Adjustment] = []
        parsers: tuple[tuple[str, Sequence[str], Callable[[str], Adjustment]], ...] = (
            ("--delay", self.delays, parse_delay),
            ("--hold", self.holds, parse_hold),
            ("--interrupt", self.interrupts, parse_interruption),
            ("--change-dose", self.dose_changes, parse_dose_change),
            ("--time-change", self.time_changes, parse_time_change),
            ("--body-size", self.body_sizes, parse_body_size),
            ("--zone-change", self.zone_changes, parse_zone_change),
        )
        for option, values, parse in parsers:
            for value in values:
                try:
                    found.append(dataclasses.replace(parse(value), note=self.note))
                except ValueError as exc:
                    raise bad(option, reason(exc)) from None
        if self.stop is not None:
            found.append(Stop(on=parse_date("--stop", self.stop), note=self.note))
        return found

    def later_decisions(self) -> list[ChoiceChange | CyclesChange | UntilChange]:
        """The choices, the number of cycles and the last day given, as decided later in the history.

        ``dosecal adjust --choice response=cr --cycles 4``: the choices first, so that the
        number of cycles is checked against the choices it is decided with.
        """
        decided: list[ChoiceChange | CyclesChange | UntilChange] = [
            ChoiceChange(id=k, value=v, note=self.note) for k, v in pairs("--choice", self.choices).items()
        ]
        if self.cycles is not None:
            try:
                decided.append(dataclasses.replace(parse_cycles(self.cycles), note=self.note))
            except ValueError as exc:
                raise bad("--cycles", reason(exc)) from None
        if self.until is not None:
            decided.append(UntilChange(parse_date("--until", self.until), note=self.note))
        return decided


def _dated(spec: str, separator: str, what: Value) -> tuple[date, str]:
    """``DATE<separator>REST`` split, the date read; ``what`` says what REST is when it is missing."""
    when, found, rest = spec.strip().partition(separator)
    if not found or not rest.strip():
        raise ValueError(msg("error.overrides.dated_change", value=spec, what=what))
    try:
        on = date.fromisoformat(when.strip())
    except ValueError:
        raise ValueError(msg("error.overrides.value_date_written_yyyy", value=when.strip())) from None
    return limits.check_date(on), rest.strip()


def parse_time_change(spec: str) -> TimeChange:
    """``2027-03-01:imatinib=20:00`` (or ``=08:00,20:00``): the agent's clock times from that date."""
    on, rest = _dated(spec, ":", msg("error.overrides.what_time_change"))
    agent, found, times = rest.partition("=")
    if not found or not agent.strip():
        raise ValueError(
            msg("error.overrides.dated_change", value=spec, what=msg("error.overrides.what_time_change"))
        )
    return TimeChange(on, agent.strip(), planfile.parse_times(times))


def parse_body_size(spec: str) -> BodySize:
    """``2027-03-01=32.5`` or ``2027-03-01=32.5,140``: weight in kg and height in cm from that date."""
    on, rest = _dated(spec, "=", msg("error.overrides.what_body_size"))
    weight, _, height = rest.partition(",")
    return BodySize(
        on,
        planfile.parse_measure(weight, "kg"),
        planfile.parse_measure(height, "cm") if height.strip() else None,
    )


def parse_zone_change(spec: str) -> ZoneChange:
    """``2027-03-01=Europe/Paris``: the patient's zone from that date."""
    on, rest = _dated(spec, "=", msg("error.overrides.what_zone"))
    return ZoneChange(on, check_zone(rest))


def bad(option: str, message: Value) -> PlanError:
    """A mistake in the value of a command-line option."""
    return PlanError([Problem(option, "", message)])


def parse_date(option: str, value: str) -> date:
    """A date written ``YYYY-MM-DD``.

    Raises:
        PlanError: naming the option.
    """
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise bad(option, msg("error.overrides.value_date_written_yyyy", value=value)) from None
    try:
        return limits.check_date(parsed)
    except ValueError as exc:
        raise bad(option, reason(exc)) from None


def pairs(option: str, values: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` values, by name; a later one wins.

    Raises:
        PlanError: naming the option.
    """
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise bad(option, msg("error.overrides.value_must_written_name", value=value))
        out[key.strip()] = rest.strip()
    return out


def computer_zone() -> str | None:
    """The IANA name of this computer's zone, from TZ, /etc/localtime or /etc/timezone."""
    candidates: list[str] = []
    if tz := os.environ.get("TZ"):
        candidates.append(tz.lstrip(":"))
    with contextlib.suppress(OSError):
        link = str(Path("/etc/localtime").readlink())
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        try:
            return check_zone(name)
        except ValueError:
            continue
    return None


def with_zone(plan: Plan) -> Plan:
    """The plan with a time zone: its own, else the computer's.

    The one rule for a plan without a zone, whatever the command.

    Raises:
        PlanError: when neither the plan nor the computer says which zone.
    """
    if plan.timezone:
        return plan
    zone = computer_zone()
    if zone is None:
        raise PlanError(
            [
                Problem(
                    plan.origin,
                    "timezone",
                    msg("error.overrides.no_time_zone_and"),
                )
            ]
        )
    return dataclasses.replace(plan, timezone=zone)


def apply(plan: Plan, given: Overrides) -> Plan:
    """``plan`` with every value ``given`` put over it, checked, then with its zone.

    Raises:
        PlanError: naming the option whose value is wrong.
    """
    if given.start is not None:
        plan = dataclasses.replace(plan, start=parse_date("--start", given.start))
    if given.tz is not None:
        try:
            plan = dataclasses.replace(plan, timezone=check_zone(given.tz))
        except ValueError as exc:
            raise bad("--tz", reason(exc)) from None
    if given.times:
        parsed = {}
        for agent, value in pairs("--time", given.times).items():
            try:
                parsed[agent] = planfile.parse_times(value)
            except ValueError as exc:
                raise bad("--time", msg("error.overrides.agent_exc", agent=agent, exc=reason(exc))) from None
        plan = dataclasses.replace(plan, times={**plan.times, **parsed})
    if given.choices:
        plan = dataclasses.replace(plan, choices={**plan.choices, **pairs("--choice", given.choices)})
    if given.until is not None:
        plan = dataclasses.replace(plan, until=parse_date("--until", given.until))
    if given.cycles is not None:
        if isinstance(given.cycles, str):
            try:
                cycles = parse_cycles(given.cycles).cycles
            except ValueError as exc:
                raise bad("--cycles", reason(exc)) from None
        else:
            cycles = given.cycles
        if cycles > limits.MAX_CYCLES:
            raise bad(
                "--cycles", msg("error.limits.number_too_large", value=cycles, maximum=limits.MAX_CYCLES)
            )
        if cycles < 1:
            raise bad("--cycles", msg("error.overrides.must_or_more_cycles", cycles=cycles))
        plan = dataclasses.replace(plan, cycles=cycles)
    if given.patient is not None:
        try:
            plan = dataclasses.replace(plan, patient=limits.check_text(given.patient, limits.MAX_LABEL))
        except ValueError as exc:
            raise bad("--patient", reason(exc)) from None
    if given.lang is not None:
        try:
            languages(given.lang)
        except ValueError as exc:
            raise bad("--lang", reason(exc)) from None
        plan = dataclasses.replace(plan, language=given.lang)
    if given.reminder is not None:
        if not 0 <= given.reminder <= limits.MAX_REMINDER_MINUTES:
            raise bad(
                "--reminder",
                msg(
                    "error.limits.reminder_out_of_range",
                    value=given.reminder,
                    maximum=limits.MAX_REMINDER_MINUTES,
                ),
            )
        plan = dataclasses.replace(plan, reminder_minutes=given.reminder)
    try:
        if given.weight is not None:
            plan = dataclasses.replace(plan, weight_kg=planfile.parse_measure(given.weight, "kg"))
    except ValueError as exc:
        raise bad("--weight", reason(exc)) from None
    try:
        if given.height is not None:
            plan = dataclasses.replace(plan, height_cm=planfile.parse_measure(given.height, "cm"))
    except ValueError as exc:
        raise bad("--height", reason(exc)) from None
    extra = given.adjustments()
    if extra:
        plan = dataclasses.replace(plan, adjustments=(*plan.adjustments, *extra))
    return with_zone(plan)


def plan_for(
    schedule: str | None, plan_file: Path | None, given: Overrides, *, resolved: Schedule | None = None
) -> tuple[Schedule, Plan]:
    """The schedule and plan that a schedule name, a plan file and options describe together.

    ``resolved``: the schedule the name stands for, already read (a local regimen of the plan
    store, which no file holds); by default the built-in or file of that name.

    Raises:
        PlanError: when no schedule is named, no start is given, or a value is wrong.
        UnknownScheduleError, DefinitionError: when the schedule cannot be loaded.
    """
    base = planfile.load(plan_file) if plan_file is not None else None
    name = schedule or (base.schedule if base else None)
    if name is None:
        raise bad("SCHEDULE", msg("error.overrides.name_schedule_see_dosecal"))
    if resolved is None:
        resolved = definitions.resolve(name)
    if base is None:
        if given.start is None:
            raise bad("--start", msg("error.overrides.give_plan_s_day"))
        base = Plan(start=parse_date("--start", given.start), timezone="")
    return resolved, apply(base, given)


@dataclass(frozen=True, slots=True)
class Recorded:
    """Adjustments checked against a plan file, and the file's text with them appended.

    Attributes:
        schedule: the plan's schedule, for the words of the change.
        adjustments: what is added, in order.
        text: the plan file's new text: the old text untouched, then one table per adjustment.
        before: the text it was made from, which the file must still hold when it is replaced.
    """

    schedule: Schedule
    adjustments: tuple[Adjustment, ...]
    text: str
    before: str

    def describe(self) -> list[str]:
        """Each adjustment in words."""
        return [ENGLISH.text(a.describe(self.schedule)) for a in self.adjustments]


def record(plan_file: Path, given: Overrides) -> Recorded:
    """The adjustments ``given``, checked against the plan in ``plan_file``, ready to append.

    See :func:`record_text`, which does the work; this reads the file the way every plan
    file is read (``dosecal adjust``).
    """
    planfile.load(plan_file)  # a file that cannot be read is reported as a plan file
    return record_text(read_text(plan_file), str(plan_file), given)


def record_text(text: str, origin: str, given: Overrides, schedule: Schedule | None = None) -> Recorded:
    """The adjustments ``given``, checked against the plan ``text``, ready to append.

    The plan is expanded with them first, so that a contradiction (a cycle that does not
    exist, a hold on a treatment-free day) is refused before anything is written. The plan
    store passes the ``schedule`` snapshot its plan was made from, so that a stored plan is
    checked against the definition its calendar uses, not today's built-in.

    Args:
        text: the plan file's text.
        origin: the file's name (or a label) for the messages.
        given: the adjustments, as typed on the command line.
        schedule: the definition to check against; by default the one the plan names.

    Raises:
        PlanError: when no adjustment is given, the file names no schedule, or one contradicts it.
        OutputError: when the new text would not read back the same.
    """
    if given.note is not None:
        # Checked here, before the note is written into TOML: a CR or NUL would otherwise come
        # back as "not valid TOML", naming neither the note nor what is wrong with it.
        try:
            limits.check_text(given.note, limits.MAX_NOTE)
        except ValueError as exc:
            raise bad("--note", reason(exc)) from None
    plan = planfile.loads(text, origin)
    name = plan.schedule
    if name is None:
        raise PlanError([Problem(origin, "schedule", msg("error.overrides.plan_file_must_name"))])
    new = (*given.adjustments(), *given.later_decisions())
    if not new:
        raise bad(
            "adjust",
            msg("error.overrides.give_at_least_one"),
        )
    plan = with_zone(plan)
    if schedule is None:
        schedule = definitions.resolve(name)
    joined = frozenset(len(plan.adjustments) + k for k in range(2, len(new) + 1))
    expand(
        schedule,
        dataclasses.replace(plan, adjustments=(*plan.adjustments, *new), together=plan.together | joined),
    )
    # One change, one step of the plan's history: every adjustment after the first says so.
    addition = "".join("\n" + planfile.adjustment_toml(a, together=k > 0) for k, a in enumerate(new))
    updated = text + ("" if text.endswith("\n") else "\n") + addition
    if len(updated.encode("utf-8")) > files.MAX_FILE_BYTES:  # it could never be read again
        raise bad("--note", msg("error.limits.file_too_large", maximum=files.MAX_FILE_BYTES // 1024))
    reread = planfile.loads(updated, origin)
    if (reread.adjustments, reread.together) != ((*plan.adjustments, *new), plan.together | joined):
        raise OutputError(msg("error.overrides.plan_file_adjustment_would", plan_file=origin))
    return Recorded(schedule, new, updated, text)
