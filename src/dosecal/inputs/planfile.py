"""Plan files: the TOML that keeps one patient's plan, read with located errors and appended to.

A plan is kept in a small file so that the same calendar can be generated again later, byte
for byte; ``dosecal adjust`` appends each change as an ``[[adjustments]]`` table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path

from dosecal.errors import PlanError, reason
from dosecal.inputs.tomlfile import Table, describe, load_toml, parse_time, read_toml
from dosecal.model import limits
from dosecal.model.adjustments import (
    Adjustment,
    BodySize,
    ChoiceChange,
    CyclesChange,
    Delay,
    DoseChange,
    Hold,
    Interruption,
    Stop,
    TimeChange,
    UntilChange,
    ZoneChange,
    check_dose,
    interruption,
    parse_hold,
)
from dosecal.model.plan import CONTACTS, DEFAULT_REMINDER_MINUTES, Fever, Plan
from dosecal.model.zones import check_zone
from dosecal.words import LANGUAGE_CHOICES, msg


def parse_times(value: object) -> tuple[time, ...]:
    """Times for one agent: ``"08:00"``, ``"10:00,22:00"`` or an array of such strings."""
    if isinstance(value, str):
        parts: list[object] = [p.strip() for p in value.split(",")]
    elif isinstance(value, list):
        parts = list(value)
    else:
        raise ValueError(msg("error.planfile.must_time_hh_mm", describe=describe(value)))
    times = tuple(sorted(parse_time(p) for p in parts))
    if len(set(times)) != len(times):
        raise ValueError(msg("error.planfile.lists_same_time_twice"))
    return times


def loads(text: str, file: str) -> Plan:
    """Read a plan file's text; ``file`` labels the messages.

    Raises:
        PlanError: with every problem found.
    """
    return read_toml(file, text, lambda _, root: _read(root, file), PlanError)


def load(path: Path) -> Plan:
    """Read a plan file (see :func:`loads`)."""
    return load_toml(path, loads, PlanError)


def _read(root: Table, file: str) -> Plan | None:
    start = root.get_date("start")
    zone = root.convert("timezone", lambda v: check_zone(str(v)), required=False)
    until = root.get_date("until", required=False)
    cycles = root.get_int("cycles", required=False, minimum=1, maximum=limits.MAX_CYCLES)
    ident = root.get_str("id", required=False)
    stamp_raw = root.raw("stamp")
    stamp: datetime | None = None
    if stamp_raw is not None:
        if isinstance(stamp_raw, datetime) and stamp_raw.tzinfo is not None:
            try:
                limits.check_date(stamp_raw.date())
                stamp = stamp_raw
            except ValueError as exc:
                root.error("stamp", reason(exc))
        else:
            root.error("stamp", msg("error.planfile.must_date_time_with"))
    reminder = root.get_int(
        "reminder_minutes",
        required=False,
        default=DEFAULT_REMINDER_MINUTES,
        maximum=limits.MAX_REMINDER_MINUTES,
    )
    patient = _line(root, "patient", limits.MAX_LABEL)
    language = root.convert("language", _language, required=False)
    contacts: dict[str, str] = {}
    table = root.table("contacts")
    if table is not None:
        for key in list(table.data):
            if key not in CONTACTS:
                table.error(key, msg("error.planfile.contact_kind", key=key, kinds=", ".join(CONTACTS)))
                continue
            number = table.get_str(key)
            if number is not None:
                contacts[key] = number
    fever = _fever(root.table("fever"))
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
                c.error(key, msg("error.planfile.must_string_or_number", describe=describe(raw)))
            else:
                choices[key] = str(raw)
    revisions: dict[str, int] = {}
    r = root.table("revisions")
    if r is not None:
        for key in list(r.data):
            raised = r.get_int(key, minimum=1, maximum=limits.MAX_ADJUSTMENTS)
            if raised is not None:
                revisions[key] = raised
    withdrawn: dict[str, str] = {}
    w = root.table("withdrawn")
    if w is not None:
        for key in list(w.data):
            name = w.get_str(key)
            if name is not None:
                withdrawn[key] = name
    adjustments: list[Adjustment] = []
    together: set[int] = set()
    for t in root.tables("adjustments"):
        # Recorded in one change with the adjustment before it: one step of the plan's history.
        joined = t.get_bool("together")
        made = _adjustment(t)
        if made is not None:
            adjustments.append(made)
            if joined and len(adjustments) > 1:
                together.add(len(adjustments))
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
        contacts=contacts,
        fever=fever,
        weight_kg=weight,
        height_cm=height,
        schedule=schedule,
        adjustments=tuple(adjustments),
        origin=file,
        language=language or "en",
        revisions=revisions,
        together=frozenset(together),
        withdrawn=withdrawn,
    )


_KINDS = (
    "delay",
    "hold",
    "interrupt",
    "dose",
    "stop",
    "choice",
    "cycles",
    "until",
    "time",
    "body-size",
    "zone",
)


def _line(t: Table, key: str, maximum: int) -> str | None:
    """The optional one-line text at ``key`` (``patient``, a ``note``), checked as a label is.

    Both reach the patient's printout, so a file written by hand or by another program gets the
    same refusals as ``--patient`` and ``--note``: a control character (which TOML's escapes let
    through) or a bidirectional override showing the text in another order than it is kept.
    """
    value = t.get_str(key, required=False)
    if value is None:
        return None
    try:
        return limits.check_text(value, maximum)
    except ValueError as exc:
        t.error(key, reason(exc))
        return None


def _adjustment(t: Table) -> Adjustment | None:
    """One ``[[adjustments]]`` table; its ``kind`` says which fields it has."""
    kind = t.get_str("kind")
    note = _line(t, "note", limits.MAX_NOTE)
    made: Adjustment | None = None
    if kind == "delay":
        cycle = t.get_int("cycle", minimum=1, maximum=limits.MAX_CYCLES)
        days = t.get_int("days", required=False, minimum=1, maximum=limits.MAX_DELAY_DAYS)
        to = t.get_date("to", required=False)
        if t.has("days") == t.has("to"):
            t.error(None, msg("error.planfile.delay_gives_either_days"))
        elif days is None and to is None:
            pass  # the value given was refused, with its own message
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
        dose = t.convert("dose", check_dose)
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
    elif kind == "cycles":
        cycles = t.get_int("cycles", minimum=1, maximum=limits.MAX_CYCLES)
        if cycles is not None:
            made = CyclesChange(cycles=cycles, note=note)
    elif kind == "until":
        until = t.get_date("until")
        if until is not None:
            made = UntilChange(until=until, note=note)
    elif kind == "time":
        start = t.get_date("from")
        agent = t.get_str("agent")
        times = t.convert("times", parse_times)
        if start and agent and times:
            made = TimeChange(start=start, agent=agent, times=times, note=note)
    elif kind == "body-size":
        start = t.get_date("from")
        weight = t.convert("weight_kg", _positive("kg"))
        height = t.convert("height_cm", _positive("cm"), required=False)
        if start and weight is not None and (height is not None or not t.has("height_cm")):
            made = BodySize(start=start, weight_kg=weight, height_cm=height, note=note)
    elif kind == "zone":
        start = t.get_date("from")
        zone = t.convert("timezone", check_zone)
        if start and zone:
            made = ZoneChange(start=start, zone=zone, note=note)
    elif kind is not None:
        t.error("kind", msg("error.planfile.must_one_join_kind", join=", ".join(_KINDS), kind=repr(kind)))
        t.skip_rest()
    t.done()
    return made


def _interruption(t: Table, note: str | None) -> Interruption | None:
    """``cycle``, ``day``, ``days`` and/or ``hours``, optional ``at``, ``restart`` or ``cause``."""
    cycle = t.get_int("cycle", minimum=1, maximum=limits.MAX_CYCLES)
    day = t.get_int("day", minimum=1, maximum=limits.MAX_CYCLE_DAYS)
    days = t.get_int("days", required=False, minimum=0, maximum=limits.MAX_INTERRUPTION_DAYS)
    hours = t.get_int("hours", required=False, minimum=0, maximum=limits.MAX_INTERRUPTION_DAYS * 24)
    at = t.convert("at", parse_time, required=False)
    restart = t.get_str("restart", required=False)
    cause = t.get_str("cause", required=False)
    if days is None and hours is None and not t.has("days") and not t.has("hours"):
        t.error(None, msg("error.planfile.interruption_gives_its_length"))
        return None
    if cycle is None or day is None or (days is None and t.has("days")) or (hours is None and t.has("hours")):
        return None  # a value given was refused, with its own message
    try:
        return interruption(
            cycle, day, days=days or 0, hours=hours or 0, at=at, restart=restart, cause=cause, note=note
        )
    except ValueError as exc:
        t.error(None, str(exc))
        return None


def with_revisions(
    text: str, revisions: Mapping[str, int], withdrawn: Mapping[str, str] | None = None
) -> str:
    """A plan file's text with its ``[revisions]`` and ``[withdrawn]`` tables replaced (at the end).

    The rest of the text stays as written; later ``[[adjustments]]`` are appended after it.
    """
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    inside = False
    for line in lines:
        header = line.strip()
        if header.startswith("["):
            inside = header.split("#", 1)[0].strip() in ("[revisions]", "[withdrawn]")
        if not inside:
            kept.append(line)
    body = "".join(kept)
    tables = [
        ("revisions", {uid: str(count) for uid, count in revisions.items()}),
        ("withdrawn", {agent: _toml_string(name) for agent, name in (withdrawn or {}).items()}),
    ]
    for name, values in tables:
        if values:
            rows = "".join(f"{_toml_string(key)} = {value}\n" for key, value in sorted(values.items()))
            body += ("" if body.endswith("\n") else "\n") + f"\n[{name}]\n" + rows
    return body


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def adjustment_toml(a: Adjustment, *, together: bool = False) -> str:
    """The ``[[adjustments]]`` table that records ``a`` in a plan file.

    ``together``: ``a`` is recorded in one change with the adjustment before it.
    """
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
    elif isinstance(a, CyclesChange):
        lines += ['kind = "cycles"', f"cycles = {a.cycles}"]
    elif isinstance(a, UntilChange):
        lines += ['kind = "until"', f"until = {a.until}"]
    elif isinstance(a, TimeChange):
        times = ", ".join(f'"{t:%H:%M}"' for t in a.times)
        lines += [
            'kind = "time"',
            f"from = {a.start}",
            f"agent = {_toml_string(a.agent)}",
            f"times = [{times}]",
        ]
    elif isinstance(a, BodySize):
        lines += ['kind = "body-size"', f"from = {a.start}", f"weight_kg = {a.weight_kg!r}"]
        lines += [f"height_cm = {a.height_cm!r}"] if a.height_cm is not None else []
    elif isinstance(a, ZoneChange):
        lines += ['kind = "zone"', f"from = {a.start}", f"timezone = {_toml_string(a.zone)}"]
    else:
        lines += ['kind = "choice"', f"id = {_toml_string(a.id)}", f"value = {_toml_string(a.value)}"]
    if a.note:
        lines.append(f"note = {_toml_string(a.note)}")
    if together:
        lines.append("together = true")
    return "\n".join(lines) + "\n"


#: A temperature as people type it: digits, perhaps one decimal, with a point or a comma.
_TEMPERATURE = re.compile(r"^\d{2,3}(?:[.,]\d)?$")


def parse_fever(value: str, unit: str) -> Fever:
    """A fever threshold typed in a form ("38.3", "38,3"), in ``unit`` ("C" or "F").

    Raises:
        ValueError: the text is not a temperature, or not one dosecal prints.
    """
    text = value.strip()
    if not _TEMPERATURE.match(text) or unit not in limits.FEVER:
        raise ValueError(msg("error.web.fever_number", value=value))
    return Fever(limits.check_fever(Decimal(text.replace(",", ".")), unit), unit)


def _fever(table: Table | None) -> Fever | None:
    """``[fever]``: the clinic's threshold, ``celsius = 38.3`` or ``fahrenheit = 100.9`` (one of them)."""
    if table is None:
        return None
    given = [(key, unit) for key, unit in (("celsius", "C"), ("fahrenheit", "F")) if table.has(key)]
    for key in list(table.data):
        if key not in ("celsius", "fahrenheit"):
            table.error(key, msg("error.planfile.fever_key", key=key))
    if len(given) != 1:
        table.error(None, msg("error.planfile.fever_one_unit"))
        return None
    key, unit = given[0]

    def read(value: object) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(msg("error.planfile.fever_number", describe=describe(value)))
        return limits.check_fever(Decimal(str(value)), unit)

    value = table.convert(key, read)
    return Fever(value, unit) if value is not None else None


def _language(value: object) -> str:
    """The plan's ``language``: one of :data:`dosecal.words.LANGUAGE_CHOICES`."""
    if not isinstance(value, str) or value not in LANGUAGE_CHOICES:
        raise ValueError(
            msg("error.words.language_choice", value=describe(value), choices=", ".join(LANGUAGE_CHOICES))
        )
    return value


def _positive(unit: str) -> Callable[[object], float]:
    """A body measure in a plan file: a number within :data:`dosecal.model.limits.MEASURES`."""

    def parse(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(
                msg("error.planfile.must_positive_number_unit", unit=unit, describe=describe(value))
            )
        return limits.check_measure(float(value), unit)

    return parse


#: A measure as people write it: digits, perhaps a decimal point (no exponent, no "inf").
_DECIMAL = re.compile(r"^\d{1,4}(?:\.\d{1,3})?$")


def parse_measure(value: str, unit: str) -> float:
    """A body measure given on the command line ("62.5", "62.5 kg"), in ``unit``."""
    text = value.strip().removesuffix(unit).strip()
    if not _DECIMAL.match(text) or not float(text) > 0:
        raise ValueError(msg("error.planfile.must_positive_number_unit2", unit=unit, value=repr(value)))
    return _positive(unit)(float(text))
