"""The Plan: one patient's use of a schedule (start, zone, times, choices), and its TOML file.

A plan is kept in a small file so that the same calendar can be generated again later, byte
for byte. Command-line options override the file; :func:`check` verifies the result against
the schedule before anything is expanded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dosecal.adjustments import (
    Adjustment,
    ChoiceChange,
    Delay,
    DoseChange,
    Hold,
    Interruption,
    Stop,
    interruption,
    parse_hold,
)
from dosecal.errors import InputFileError, PlanError, Problem
from dosecal.occurrence import slug
from dosecal.schedule import Schedule
from dosecal.tomlfile import Table, TomlFile, describe, parse_time, read_text

#: Days planned for a schedule that never ends (a daily TKI) when no --until is given.
DEFAULT_HORIZON_DAYS = 90

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
        weight_kg: body weight, for weight bands and per-m² doses.
        height_cm: height, with the weight for the body surface area.
        schedule: the schedule named in a plan file, if any.
        adjustments: what changed along the way, oldest first (see :mod:`dosecal.adjustments`).
        origin: where the plan came from, for messages.
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
    weight_kg: float | None = None
    height_cm: float | None = None
    schedule: str | None = None
    adjustments: tuple[Adjustment, ...] = ()
    origin: str = "options"

    @property
    def tz(self) -> ZoneInfo:
        """The plan's zone (checked by :func:`check_zone` when the plan is made)."""
        return ZoneInfo(self.timezone)

    def plan_id(self, schedule: Schedule) -> str:
        """The id that every UID of this plan starts with."""
        return slug(self.id or f"{schedule.id}-{self.start.isoformat()}")

    def dtstamp(self) -> datetime:
        """The DTSTAMP for calendars: fixed by the plan, never the clock."""
        if self.stamp is not None:
            return self.stamp.astimezone(UTC)
        return datetime.combine(self.start, time(0), UTC)

    def replace(self, **changes: object) -> Plan:
        """A copy with some fields changed (options overriding a plan file)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def check_zone(name: str) -> str:
    """Return ``name`` if it is an IANA zone this computer knows, else raise ValueError."""
    if not name or name.startswith("/") or ".." in name:
        raise ValueError(f"'{name}' is not an IANA time zone such as America/Toronto")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"'{name}' is not an IANA time zone such as America/Toronto{hint}") from None
    return name


def parse_times(value: object) -> tuple[time, ...]:
    """Times for one agent: ``"08:00"``, ``"10:00,22:00"`` or an array of such strings."""
    if isinstance(value, str):
        parts: list[object] = [p.strip() for p in value.split(",")]
    elif isinstance(value, list):
        parts = list(value)
    else:
        raise ValueError(f"must be a time HH:MM or a list of times, not {describe(value)}")
    times = tuple(sorted(parse_time(p) for p in parts))
    if len(set(times)) != len(times):
        raise ValueError("lists the same time twice")
    return times


def loads(text: str, file: str) -> Plan:
    """Read a plan file's text; ``file`` labels the messages.

    Raises:
        PlanError: with every problem found.
    """
    source = TomlFile(file, text)
    root = source.parse()
    if root is None:
        raise PlanError(source.problems)
    plan = _read(root, file)
    if source.problems or plan is None:
        raise PlanError(source.problems)
    return plan


def load(path: Path) -> Plan:
    """Read a plan file (see :func:`loads`)."""
    try:
        text = read_text(path)
    except InputFileError as exc:
        raise PlanError(exc.problems) from None
    return loads(text, str(path))


def _read(root: Table, file: str) -> Plan | None:
    start = root.get_date("start")
    zone = root.convert("timezone", lambda v: check_zone(str(v)), required=False)
    until = root.get_date("until", required=False)
    cycles = root.get_int("cycles", required=False, minimum=1)
    ident = root.get_str("id", required=False)
    stamp_raw = root.raw("stamp")
    stamp: datetime | None = None
    if stamp_raw is not None:
        if isinstance(stamp_raw, datetime) and stamp_raw.tzinfo is not None:
            stamp = stamp_raw
        else:
            root.error("stamp", "must be a date-time with an offset, e.g. 2027-01-01T00:00:00Z")
    reminder = root.get_int("reminder_minutes", required=False, default=DEFAULT_REMINDER_MINUTES)
    patient = root.get_str("patient", required=False)
    weight = root.convert("weight_kg", _positive("kg"), required=False)
    height = root.convert("height_cm", _positive("cm"), required=False)
    schedule = root.get_str("schedule", required=False)
    times: dict[str, tuple[time, ...]] = {}
    t = root.table("times")
    if t is not None:
        for key in list(t.data):
            value = t.convert(key, parse_times)
            if value is not None:
                times[key] = value
    choices: dict[str, str] = {}
    c = root.table("choices")
    if c is not None:
        for key in list(c.data):
            raw = c.raw(key)
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                c.error(key, f"must be a string or a number, not {describe(raw)}")
            else:
                choices[key] = str(raw)
    adjustments = [a for a in (_adjustment(t) for t in root.tables("adjustments")) if a is not None]
    root.done()
    if start is None:
        return None
    return Plan(
        start=start,
        timezone=zone or "",
        times=times,
        choices=choices,
        cycles=cycles,
        until=until,
        id=ident,
        stamp=stamp,
        reminder_minutes=reminder if reminder is not None else DEFAULT_REMINDER_MINUTES,
        patient=patient,
        weight_kg=weight,
        height_cm=height,
        schedule=schedule,
        adjustments=tuple(adjustments),
        origin=file,
    )


_KINDS = ("delay", "hold", "interrupt", "dose", "stop", "choice")


def _adjustment(t: Table) -> Adjustment | None:
    """One ``[[adjustments]]`` table; its ``kind`` says which fields it has."""
    kind = t.get_str("kind")
    note = t.get_str("note", required=False)
    made: Adjustment | None = None
    if kind == "delay":
        cycle = t.get_int("cycle", minimum=1)
        days = t.get_int("days", required=False, minimum=1)
        to = t.get_date("to", required=False)
        if (days is None) == (to is None):
            t.error(None, "a delay gives either 'days' or 'to' (a date)")
        elif cycle is not None:
            made = Delay(cycle=cycle, days=days, to=to, note=note)
    elif kind == "hold":
        spec = t.convert("dose", parse_hold)
        if spec is not None:
            made = Hold(day=spec.day, cycle=spec.cycle, agent=spec.agent, note=note)
    elif kind == "interrupt":
        made = _interruption(t, note)
    elif kind == "dose":
        agent = t.get_str("agent")
        start = t.get_date("from")
        dose = t.get_str("dose")
        if agent and start and dose:
            made = DoseChange(agent=agent, start=start, dose=dose, note=note)
    elif kind == "stop":
        on = t.get_date("on")
        if on is not None:
            made = Stop(on=on, note=note)
    elif kind == "choice":
        ident = t.get_str("id")
        value = t.get_str("value")
        if ident and value:
            made = ChoiceChange(id=ident, value=value, note=note)
    elif kind is not None:
        t.error("kind", f"must be one of {', '.join(_KINDS)}, not {kind!r}")
        t.skip_rest()
    t.done()
    return made


def _interruption(t: Table, note: str | None) -> Interruption | None:
    """``cycle``, ``day``, ``days`` and/or ``hours``, optional ``at``, ``restart`` or ``cause``."""
    cycle = t.get_int("cycle", minimum=1)
    day = t.get_int("day", minimum=1)
    days = t.get_int("days", required=False, minimum=0)
    hours = t.get_int("hours", required=False, minimum=0)
    at = t.convert("at", parse_time, required=False)
    restart = t.get_str("restart", required=False)
    cause = t.get_str("cause", required=False)
    if days is None and hours is None and not t.has("days") and not t.has("hours"):
        t.error(None, "an interruption gives its length in 'days' or 'hours'")
        return None
    if cycle is None or day is None:
        return None
    try:
        return interruption(
            cycle, day, days=days or 0, hours=hours or 0, at=at, restart=restart, cause=cause, note=note
        )
    except ValueError as exc:
        t.error(None, str(exc))
        return None


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def adjustment_toml(a: Adjustment) -> str:
    """The ``[[adjustments]]`` table that records ``a`` in a plan file."""
    lines = ["[[adjustments]]"]
    if isinstance(a, Delay):
        lines += ['kind = "delay"', f"cycle = {a.cycle}"]
        lines.append(f"days = {a.days}" if a.days is not None else f"to = {a.to}")
    elif isinstance(a, Hold):
        lines += ['kind = "hold"', f"dose = {_toml_string(a.spec)}"]
    elif isinstance(a, Interruption):
        lines += ['kind = "interrupt"', f"cycle = {a.cycle}", f"day = {a.day}"]
        lines += [f"days = {a.days}"] if a.days or not a.hours else []
        lines += [f"hours = {a.hours}"] if a.hours else []
        lines += [f'at = "{a.at:%H:%M}"'] if a.at is not None else []
        lines += [f"restart = {_toml_string(a.restart)}"] if a.restart is not None else []
        lines += [f"cause = {_toml_string(a.cause)}"] if a.cause is not None else []
    elif isinstance(a, DoseChange):
        lines += [
            'kind = "dose"',
            f"agent = {_toml_string(a.agent)}",
            f"from = {a.start}",
            f"dose = {_toml_string(a.dose)}",
        ]
    elif isinstance(a, Stop):
        lines += ['kind = "stop"', f"on = {a.on}"]
    else:
        lines += ['kind = "choice"', f"id = {_toml_string(a.id)}", f"value = {_toml_string(a.value)}"]
    if a.note:
        lines.append(f"note = {_toml_string(a.note)}")
    return "\n".join(lines) + "\n"


def _positive(unit: str) -> Callable[[object], float]:
    def parse(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1000:
            raise ValueError(f"must be a positive number of {unit}, not {describe(value)}")
        return float(value)

    return parse


def parse_measure(value: str, unit: str) -> float:
    """A body measure given on the command line ("62.5"), in ``unit``."""
    try:
        return _positive(unit)(float(value.strip().removesuffix(unit).strip()))
    except ValueError:
        raise ValueError(f"must be a positive number of {unit}, not {value!r}") from None


def effective_choices(schedule: Schedule, plan: Plan) -> dict[str, str]:
    """The schedule's defaults, then bands derived from the plan's weight, then its choices."""
    values = {c.id: c.default for c in schedule.choices.values() if c.default is not None}
    if plan.weight_kg is not None:
        for c in schedule.choices.values():
            band = c.band(plan.weight_kg)
            if band is not None:
                values[c.id] = band
    values.update(plan.choices)
    return values


def planned_cycles(schedule: Schedule, plan: Plan, choices: Mapping[str, str]) -> int:
    """How many cycles are planned: the plan's number, else the most the choices allow.

    A limit's ``default`` (inotuzumab before a transplant: 2 cycles) is planned when the plan
    gives no number; :func:`check` refuses a number above a limit's ``most``.
    """
    if plan.cycles is not None:
        return plan.cycles
    count = schedule.total_cycles
    for limit in schedule.limits:
        if limit.applies(choices):
            count = min(count, limit.default or limit.most)
    return count


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


def agent_times(schedule: Schedule, plan: Plan) -> dict[str, tuple[time, ...]]:
    """Each agent's times: the plan's where given, else the schedule's defaults."""
    return {a.id: plan.times.get(a.id, a.times) for a in schedule.agents.values()}


def _small(schedule: Schedule, plan: Plan, choices: Mapping[str, str], threshold: float) -> str | None:
    """Why the plan is for a patient under ``threshold`` kg, if it is (its weight or a weight band)."""
    if plan.weight_kg is not None:
        return f"a weight of {plan.weight_kg:g} kg" if plan.weight_kg < threshold else None
    for c in schedule.choices.values():
        if c.weight_threshold_kg == threshold and choices.get(c.id) == c.options[1]:
            return f"the weight band '{c.options[1]}'"
    return None


def _check_safety(schedule: Schedule, plan: Plan, bad: Callable[[str, str], None]) -> None:
    """The checks that keep a plan from misleading a patient (clinical review, 2026-11-30).

    A small patient's adult/child choice is never assumed; an option refused for a weight or
    by the schedule is refused with the label's reason; the number of cycles keeps to the
    label's limits under the plan's choices; a choice without default is asked for as soon as
    the plan reaches the cycles that need it.
    """
    choices = final_choices(schedule, plan)
    given = dict(plan.choices) | {a.id: a.value for a in plan.adjustments if isinstance(a, ChoiceChange)}
    for c in schedule.choices.values():
        value = choices.get(c.id)
        if c.required_below_kg is not None and c.id not in given:
            why = _small(schedule, plan, choices, c.required_below_kg)
            if why is not None:
                bad(
                    f"choices.{c.id}",
                    f"with {why} (under {c.required_below_kg:g} kg) dosecal does not assume the "
                    f"{c.label}: give --choice {c.id}={'|'.join(c.options)}",
                )
        if value is None:
            continue
        if value in c.weight_needed_for and plan.weight_kg is None:
            bad(
                f"choices.{c.id}",
                f"a plan for '{value}' ({c.words(value)}) needs the weight: doses, premedication and "
                "bags depend on it; give --weight KG (and --height CM for doses per m²)",
            )
        if value in c.refused:
            bad(f"choices.{c.id}", f"{schedule.id} cannot be planned for '{value}': {c.refused[value]}")
        least = c.minimum_kg.get(value)
        if least is not None and plan.weight_kg is not None and plan.weight_kg < least:
            bad(
                f"choices.{c.id}",
                f"'{value}' ({c.words(value)}) is not recommended under {least:g} kg; the plan gives "
                f"{plan.weight_kg:g} kg (see 'dosecal show {schedule.id}')",
            )
    planned = planned_cycles(schedule, plan, choices)
    for limit in schedule.limits:
        if limit.applies(choices) and planned > limit.most:
            when = ", ".join(f"{k}={v}" for k, v in limit.when.items())
            bad(
                "cycles",
                f"with {when} at most {limit.most} cycles can be planned, not {planned}: {limit.reason}",
            )
    for key in sorted(schedule.choices_used(planned)):
        choice = schedule.choices[key]
        if choice.default is None and key not in choices:
            bad(
                f"choices.{key}",
                f"{schedule.id} needs your care team's choice of {choice.label}: give "
                f"--choice {key}={'|'.join(choice.options)} (or fewer --cycles)",
            )
    for c in schedule.choices.values():
        if c.needed_over_cycles is not None and planned > c.needed_over_cycles and c.id not in choices:
            bad(
                f"choices.{c.id}",
                f"{schedule.id} needs your care team's choice of {c.label} to plan more than "
                f"{c.needed_over_cycles} cycles: give --choice {c.id}={'|'.join(c.options)} "
                f"(or --cycles {c.needed_over_cycles})",
            )
    for d in schedule.daily:
        missing = [k for k in d.when if k not in choices]
        if missing and all(choices.get(k) == v for k, v in d.when.items() if k in choices):
            for key in missing:
                choice = schedule.choices[key]
                how = (
                    "--weight KG" if choice.weight_bands_kg else f"--choice {key}={'|'.join(choice.options)}"
                )
                bad(f"choices.{key}", f"{schedule.id} needs the {choice.label}: give {how}")


def check(schedule: Schedule, plan: Plan) -> None:
    """Check that ``plan`` can be applied to ``schedule``.

    Raises:
        PlanError: listing every problem, each naming where the value came from.
    """
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(plan.origin, key, message))

    if not plan.timezone:
        bad("timezone", "no time zone: give one with --tz or 'timezone' in the plan file")
    else:
        try:
            check_zone(plan.timezone)
        except ValueError as exc:
            bad("timezone", str(exc))
    for agent, times in plan.times.items():
        known = schedule.agents.get(agent)
        if known is None:
            names = ", ".join(a for a, x in schedule.agents.items() if x.times)
            bad(f"times.{agent}", f"'{agent}' is not an agent of {schedule.id} (agents with times: {names})")
        elif not known.times:
            bad(f"times.{agent}", f"'{agent}' is given at the time of another agent, not its own")
        elif len(times) != len(known.times):
            want = ",".join(t.strftime("%H:%M") for t in known.times)
            bad(
                f"times.{agent}",
                f"{known.name} is scheduled {len(known.times)} time(s) a day; give "
                f"{len(known.times)} time(s), e.g. {agent}={want}",
            )
    for key, value in plan.choices.items():
        choice = schedule.choices.get(key)
        if choice is None:
            offered = ", ".join(schedule.choices) or "none"
            bad(f"choices.{key}", f"{schedule.id} has no choice '{key}' (choices: {offered})")
        elif value not in choice.options:
            bad(f"choices.{key}", f"must be one of {', '.join(choice.options)}, not {value!r}")
    for c in schedule.choices.values():
        given = plan.choices.get(c.id)
        band = c.band(plan.weight_kg) if plan.weight_kg is not None else None
        if band is not None and given is not None and given != band:
            bad(f"choices.{c.id}", f"'{given}' contradicts the weight of {plan.weight_kg:g} kg ({band})")
    if not problems:
        _check_safety(schedule, plan, bad)
    if plan.cycles is not None:
        if not schedule.phases:
            bad("cycles", f"{schedule.id} has no cycles; use --until to set how far to plan")
        elif plan.cycles > schedule.total_cycles:
            bad("cycles", f"{schedule.id} has at most {schedule.total_cycles} cycles, not {plan.cycles}")
    if plan.until is not None and plan.until < plan.start:
        bad("until", f"{plan.until} is before the start date {plan.start}")
    if plan.reminder_minutes < 0:
        bad("reminder_minutes", "must be 0 or more")
    if problems:
        raise PlanError(list(dict.fromkeys(problems)))
