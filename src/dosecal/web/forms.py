"""The clinic's forms: what a nurse typed, turned into the command line's overrides and plan files.

The pages never check a value themselves. A new plan's fields become an
:class:`~dosecal.inputs.overrides.Overrides`, checked by the very functions ``dosecal generate`` uses
(:func:`~dosecal.inputs.overrides.apply`, :func:`~dosecal.inputs.overrides.plan_for`, ``expand``), and an
adjustment goes through :meth:`~dosecal.service.store.Store.adjust` as ``dosecal store adjust`` does.
Each :class:`~dosecal.errors.Problem` they raise names an option (``--start``) or a plan file
key (``choices.bag-hours``); :func:`field_of` maps it to the form field it concerns, so that
the message, in the command line's words, shows beside that field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from dosecal.core.expand import expand
from dosecal.errors import InputFileError, Problem, reason
from dosecal.inputs import definitions
from dosecal.inputs.overrides import Overrides, apply, plan_for
from dosecal.inputs.planfile import parse_fever, parse_measure
from dosecal.inputs.tomlfile import parse_time
from dosecal.model import limits
from dosecal.model.adjustments import AMOUNT, SAME_DOSE, BodySize, ZoneChange, check_dose, parse_cycles
from dosecal.model.course import Course
from dosecal.model.plan import CONTACTS, DEFAULT_HORIZON_DAYS, Fever, Plan
from dosecal.model.schedule import Schedule
from dosecal.model.zones import check_zone
from dosecal.words import Value, msg

#: Form fields by the command-line option whose value they hold.
OPTION_FIELDS = {
    "--start": "start",
    "--tz": "tz",
    "--time": "times",
    "--choice": "choices",
    "--weight": "weight",
    "--height": "height",
    "--lang": "lang",
    "--cycles": "cycles",
    "--until": "until",
    "--patient": "label",
    "--label": "label",
    "--delay": "delay",
    "--hold": "hold",
    "--interrupt": "interrupt",
    "--change-dose": "dose",
    "--time-change": "time_change",
    "--body-size": "body_size",
    "--zone-change": "zone_change",
    "--stop": "stop",
    "--note": "note",
    "SCHEDULE": "schedule",
}

#: Form fields by the first part of a plan file key (a problem found once the plan is expanded).
KEY_FIELDS = {
    "start": "start",
    "timezone": "tz",
    "times": "times",
    "choices": "choices",
    "weight_kg": "weight",
    "height_cm": "height",
    "language": "lang",
    "contacts": "contacts",
    "cycles": "cycles",
    "until": "until",
}

#: Where a problem no field owns is shown: at the top of the form.
FORM = "form"


def field_of(problem: Problem) -> str:
    """The form field a problem concerns: by its option, else by its plan file key, else the form."""
    if problem.file in OPTION_FIELDS:
        return OPTION_FIELDS[problem.file]
    head = problem.key.split(".", 1)[0].split("[", 1)[0]
    return KEY_FIELDS.get(head, FORM)  # an adjustment that contradicts the plan: the whole form


def errors_of(exc: InputFileError) -> dict[str, list[Value]]:
    """The problems of ``exc``, grouped by the field they concern (one problem said twice, once)."""
    found: dict[str, list[Value]] = {}
    for problem in exc.problems:
        said = found.setdefault(field_of(problem), [])
        if problem.message not in said:
            said.append(problem.message)
    return found


#: A time as the French pages write it: "14 h 00", "14 h", "9 h 30" (any space, or none).
_FRENCH_TIME = re.compile(r"^(\d{1,2})\s*h\s*(\d{2})?$", re.IGNORECASE)


def clock_text(value: str) -> str:
    """A typed time (or comma-separated times) as the command line reads them: ``14 h 00`` → ``14:00``.

    The French pages write times "14 h 00", "14 h" and "9 h 30"; a nurse who types one back, in
    either interface language, means the same time as ``14:00``. Anything else is left as
    typed, for the command line's own check to judge.
    """

    def one(part: str) -> str:
        found = _FRENCH_TIME.match(part.strip())
        if found is None:
            return part.strip()
        return f"{int(found.group(1)):02d}:{found.group(2) or '00'}"

    return ",".join(one(part) for part in value.split(",")) if value else value


def uses_body_size(schedule: Schedule, text: str | None = None) -> bool:
    """Whether the schedule has doses per m² or weight bands (then the form asks weight and height).

    ``text``: the definition's text (a local regimen's); by default the built-in's file.
    """
    if text is None:
        text = definitions.path_of(schedule.id).read_text(encoding="utf-8") if schedule.id else ""
    return "/m2" in text or any(
        c.weight_threshold_kg is not None
        or c.weight_bands_kg
        or c.minimum_kg
        or c.required_below_kg is not None
        or c.weight_needed_for
        for c in schedule.choices.values()
    )


def decimal_point(value: str) -> str:
    """``value`` with its one decimal comma as a point (``30,5`` → ``30.5``); else as typed."""
    return value.replace(",", ".") if value.count(",") == 1 and "." not in value else value


def default_times(schedule: Schedule) -> dict[str, str]:
    """Each agent's default times as the form shows them: ``08:00`` or ``10:00,22:00``."""
    return {a.id: ",".join(f"{t:%H:%M}" for t in a.times) for a in schedule.agents.values() if a.times}


def asks_cycles(schedule: Schedule) -> bool:
    """Whether the form asks how many cycles to plan: only a schedule with cycles has them."""
    return bool(schedule.phases)


def asks_until(schedule: Schedule) -> bool:
    """Whether the form asks the last day to plan (``--until``): for a daily drug without end."""
    return schedule.open_ended


def until_hint(schedule: Schedule) -> Value:
    """What an empty "Plan through" plans, as ``dosecal generate`` without ``--until`` does."""
    if schedule.phases:
        return msg("web.new.until_hint_cycles")
    return msg("web.new.until_hint_days", count=DEFAULT_HORIZON_DAYS)


@dataclass(frozen=True, slots=True)
class InForce:
    """What the plan holds now, after its whole history, for the adjust page's hints.

    A nurse changing the weight or the zone wants to see the one in force beside the field
    (the plan file's first value may have been changed since), and the last day planned beside
    "Plan through".

    Attributes:
        zone: the patient's zone after every move recorded.
        weight_kg, height_cm: the last measures recorded, or ``None``.
        through: the last day planned.
    """

    zone: str
    weight_kg: float | None
    height_cm: float | None
    through: date

    @property
    def body(self) -> Value:
        """The measures in force in words, or that none was given."""
        if self.weight_kg is None:
            return msg("web.adjust.body_size_none")
        if self.height_cm is None:
            return msg("web.adjust.body_size_now", weight=self.weight_kg)
        return msg("web.adjust.body_size_now_height", weight=self.weight_kg, height=self.height_cm)


def in_force(course: Course) -> InForce:
    """The zone, measures and last day of ``course`` after its adjustments, in the order recorded."""
    plan = course.plan
    zone, weight, height = plan.timezone, plan.weight_kg, plan.height_cm
    # By date, as the calendar reads them (a later record may date a change earlier).
    for a in sorted(
        plan.adjustments, key=lambda a: a.start if isinstance(a, BodySize | ZoneChange) else date.min
    ):
        if isinstance(a, ZoneChange):
            zone = a.zone
        elif isinstance(a, BodySize):
            weight = a.weight_kg
            height = a.height_cm if a.height_cm is not None else height
    return InForce(zone, weight, height, course.horizon)


@dataclass
class NewPlan:
    """The new plan form's fields, as typed.

    Attributes:
        schedule: the built-in's id, or a local regimen's.
        start, tz, weight, height, lang, label, cycles, until: as typed.
        times: by agent id, ``HH:MM[,HH:MM]``.
        choices: by choice id; ``""`` means the schedule's default.
        contacts: by kind (``daytime``, ``after_hours``, ``pharmacy``).
    """

    schedule: str
    start: str = ""
    tz: str = ""
    times: dict[str, str] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)
    weight: str = ""
    height: str = ""
    lang: str = "en"
    label: str = ""
    contacts: dict[str, str] = field(default_factory=dict)
    cycles: str = ""
    until: str = ""
    fever: str = ""
    fever_unit: str = "C"

    @classmethod
    def from_form(cls, schedule: Schedule, form: Mapping[str, str], *, default_lang: str = "en") -> NewPlan:
        """The fields of a posted form (unknown names, and fields ``schedule`` has not, ignored).

        Values are stripped. A weight or height may have a decimal comma, as written in Québec
        (``30,5``): one comma becomes a point before the command line's checks.
        """

        def get(name: str) -> str:
            return (form.get(name) or "").strip()

        return cls(
            schedule=schedule.id,
            start=get("start"),
            tz=get("tz"),
            times={
                k.removeprefix("time."): clock_text(v.strip())
                for k, v in form.items()
                if k.startswith("time.")
            },
            choices={
                k.removeprefix("choice."): v.strip() for k, v in form.items() if k.startswith("choice.")
            },
            weight=decimal_point(get("weight")),
            height=decimal_point(get("height")),
            lang=get("lang") or default_lang,
            label=get("label"),
            contacts={k: get(f"contact.{k}") for k in CONTACTS if get(f"contact.{k}")},
            cycles=get("cycles") if asks_cycles(schedule) else "",
            until=get("until") if asks_until(schedule) else "",
            fever=get("fever"),
            fever_unit="F" if get("fever_unit") == "F" else "C",
        )

    def overrides(self) -> Overrides:
        """The same values as command-line options (empty fields left out)."""
        return Overrides(
            start=self.start or None,
            tz=self.tz or None,
            times=tuple(f"{k}={v}" for k, v in self.times.items() if v),
            choices=tuple(f"{k}={v}" for k, v in self.choices.items() if v),
            weight=self.weight or None,
            height=self.height or None,
            lang=self.lang or None,
            patient=self.label or None,
            cycles=int(self.cycles) if self.cycles.isdigit() else None,
            until=self.until or None,
        )

    def check(self, schedule: Schedule | None = None) -> tuple[Schedule, Plan] | dict[str, list[Value]]:
        """The schedule and plan, expanded once to be sure; else every problem by field.

        Each field is first checked alone (as its option would be), so that every wrong field
        is reported at once rather than the first only; then the whole plan goes through
        :func:`plan_for` and ``expand`` as ``dosecal generate`` would. ``schedule``: the schedule
        already read (a local regimen's); by default the built-in named :attr:`schedule`.
        """
        errors: dict[str, list[Value]] = {}
        given = self.overrides()
        probe = Plan(start=date(2027, 1, 4), timezone="UTC")
        alone = {
            "start": Overrides(start=given.start),
            "tz": Overrides(tz=given.tz),
            "times": Overrides(times=given.times),
            "weight": Overrides(weight=given.weight),
            "height": Overrides(height=given.height),
            "lang": Overrides(lang=given.lang),
            "cycles": Overrides(cycles=given.cycles),
            "until": Overrides(until=given.until),
            "label": Overrides(patient=given.patient),
        }
        if not self.tz:  # never the server's own zone: the patient's is asked for
            errors["tz"] = [msg("error.plan.no_time_zone_give")]
        if self.cycles and not self.cycles.isdigit():
            errors["cycles"] = [msg("error.web.cycles_number", value=self.cycles)]
        for name, one in alone.items():
            try:
                apply(probe, one)
            except InputFileError as exc:
                errors.setdefault(name, []).extend(p.message for p in exc.problems)
        for kind, line in self.contacts.items():
            try:
                limits.check_text(line, limits.MAX_CONTACT)
            except ValueError as exc:
                errors.setdefault(f"contact.{kind}", []).append(reason(exc))
        fever: Fever | None = None
        if self.fever:
            try:
                fever = parse_fever(self.fever, self.fever_unit)
            except ValueError as exc:
                errors.setdefault("fever", []).append(reason(exc))
        if errors:
            return errors
        try:
            schedule, plan = plan_for(self.schedule, None, given, resolved=schedule)
            # A weight band with a default (blinatumomab: 45 kg or more) is one a plan would take
            # silently: an adult plan (dexamethasone 20 mg) for a child. The page asks for the
            # weight, or for the band chosen on purpose; a band without a default is asked for
            # where it is needed already.
            bands = [c for c in schedule.choices.values() if c.weight_threshold_kg is not None and c.default]
            if plan.weight_kg is None and any(c.id not in self.choices for c in bands):
                return {"weight": [msg("error.web.weight_needed")]}
            plan = dataclasses.replace(plan, contacts=dict(self.contacts), fever=fever, schedule=schedule.id)
            expand(schedule, plan)
        except InputFileError as exc:
            return errors_of(exc)
        return schedule, plan


def _is_date(text: str) -> bool:
    """Whether ``text`` is a date written YYYY-MM-DD."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def plan_toml(plan: Plan) -> str:
    """The plan file of a plan made by the form: only what the nurse chose, in plan file keys."""
    lines = [
        f"schedule = {_string(plan.schedule or '')}",
        f"start = {plan.start.isoformat()}",
        f"timezone = {_string(plan.timezone)}",
        f"language = {_string(plan.language)}",
    ]
    if plan.cycles is not None:
        lines.append(f"cycles = {plan.cycles}")
    if plan.until is not None:
        lines.append(f"until = {plan.until.isoformat()}")
    if plan.patient:
        lines.append(f"patient = {_string(plan.patient)}")
    if plan.weight_kg is not None:
        lines.append(f"weight_kg = {plan.weight_kg!r}")
    if plan.height_cm is not None:
        lines.append(f"height_cm = {plan.height_cm!r}")
    for table, values in (
        ("times", {k: ",".join(f"{t:%H:%M}" for t in v) for k, v in plan.times.items()}),
        ("choices", dict(plan.choices)),
        ("contacts", dict(plan.contacts)),
    ):
        if values:
            lines += ["", f"[{table}]"] + [f"{_key(k)} = {_string(v)}" for k, v in values.items()]
    if plan.fever is not None:
        lines += [
            "",
            "[fever]",
            f"{'celsius' if plan.fever.unit == 'C' else 'fahrenheit'} = {plan.fever.value}",
        ]
    return "\n".join(lines) + "\n"


def _key(text: str) -> str:
    """A TOML key: bare where it can be (``bag-hours``), else quoted."""
    return text if text and all(c.isascii() and (c.isalnum() or c in "-_") for c in text) else _string(text)


def _string(text: str) -> str:
    """A TOML basic string."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " and c != "\x7f" else f"\\u{ord(c):04x}" for c in out) + '"'


@dataclass
class Adjustment:
    """The adjust form's fields, as typed; empty ones are not adjustments."""

    delay_cycle: str = ""
    delay_days: str = ""
    hold_agent: str = ""
    hold_cycle: str = ""
    hold_day: str = ""
    interrupt_cycle: str = ""
    interrupt_day: str = ""
    interrupt_at: str = ""
    interrupt_length: str = ""
    interrupt_unit: str = "d"
    interrupt_cause: str = ""
    interrupt_restart: str = ""
    dose_agent: str = ""
    dose: str = ""
    dose_from: str = ""
    time_agent: str = ""
    time_from: str = ""
    time_at: str = ""
    size_from: str = ""
    size_weight: str = ""
    size_height: str = ""
    zone_from: str = ""
    zone: str = ""
    stop: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    cycles: str = ""
    until: str = ""
    note: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Adjustment:
        """The fields of a posted form: each text field by its own name, the choices as ``choice.ID``.

        Times may be written as the French pages write them ("20 h 00"), and a weight or height
        with a decimal comma ("30,5"), as on the new plan form: both are read as the command
        line spells them before its checks.
        """
        typed = {
            f.name: (form.get(f.name) or "").strip() for f in dataclasses.fields(cls) if f.name != "choices"
        }
        typed["interrupt_unit"] = "h" if typed["interrupt_unit"] == "h" else "d"
        typed["interrupt_at"] = clock_text(typed["interrupt_at"])
        typed["time_at"] = clock_text(typed["time_at"])
        typed["size_weight"] = decimal_point(typed["size_weight"])
        typed["size_height"] = decimal_point(typed["size_height"])
        typed["interrupt_cause"] = "toxicity" if typed["interrupt_cause"] == "toxicity" else ""
        choices = {k.removeprefix("choice."): v.strip() for k, v in form.items() if k.startswith("choice.")}
        return cls(**typed, choices={k: v for k, v in choices.items() if v})

    def problems(self) -> dict[str, list[Value]]:
        """What the fields lack before they can be written as options, in the page's words.

        The cycle, day, time and length of a hold, a delay or an interruption are separate
        fields; a wrong one would otherwise reach the command line's parser inside a spelling
        the nurse never typed ("'C1D10@25:00=6h': ..."), and some of its refusals are English
        text rather than messages. Each part is checked here, with a message in the nurse's
        language beside its group; what needs the plan (is there a cycle 9?) is the library's.
        """
        found: dict[str, list[Value]] = {}

        def refuse(group: str, message: Value) -> None:
            found.setdefault(group, []).append(message)

        hold_numbers = (self.hold_day, self.hold_cycle or "1")  # a daily drug's hold has no cycle
        if (self.hold_cycle or self.hold_day) and not all(n.isdigit() for n in hold_numbers):
            refuse("hold", msg("error.web.hold_numbers"))
        if self.delay_cycle or self.delay_days:
            if not (self.delay_cycle.isascii() and self.delay_cycle.isdigit()):
                refuse("delay", msg("error.web.delay_cycle"))
            if not (self.delay_days.isascii() and self.delay_days.isdigit()) and not _is_date(
                self.delay_days
            ):
                refuse("delay", msg("error.web.delay_days", value=self.delay_days))
        interrupt_numbers = (self.interrupt_cycle, self.interrupt_day, self.interrupt_length)
        if self.interrupt_spec() is not None:
            if not all(n.isascii() and n.isdigit() for n in interrupt_numbers):
                refuse("interrupt", msg("error.web.interrupt_numbers"))
            if self.interrupt_at:
                try:
                    parse_time(self.interrupt_at)
                except ValueError:
                    refuse("interrupt", msg("error.web.time", value=self.interrupt_at))
            restart = self.interrupt_restart
            if restart and restart != SAME_DOSE and not AMOUNT.match(restart):
                try:
                    check_dose(restart if ":" not in restart else "")
                except ValueError:
                    refuse(
                        "interrupt", msg("error.adjustments.restart_must_dose_such", restart=repr(restart))
                    )
        if self.dose or self.dose_from:
            try:
                check_dose(self.dose)
            except ValueError as exc:
                refuse("dose", reason(exc))
            if not _is_date(self.dose_from):
                refuse("dose", msg("error.overrides.value_date_written_yyyy", value=self.dose_from))
        if self.cycles:
            try:
                parse_cycles(self.cycles)
            except ValueError as exc:
                refuse("cycles", reason(exc))
        # The date and the value of a later change are separate fields: each is checked alone,
        # so that an empty or wrong one is never read inside a spelling the nurse did not type.
        if self.time_change_spec() is not None:
            self._dated("time_change", self.time_from, refuse)
            if not self.time_at:
                refuse("time_change", msg("error.web.time_needed"))
            for part in self.time_at.split(",") if self.time_at else ():
                try:
                    parse_time(part.strip())
                except ValueError:
                    refuse("time_change", msg("error.web.time", value=part.strip()))
        if self.body_size_spec() is not None:
            self._dated("body_size", self.size_from, refuse)
            if not self.size_weight:
                refuse("body_size", msg("error.web.weight_new"))
            for value, unit in ((self.size_weight, "kg"), (self.size_height, "cm")):
                try:
                    if value:
                        parse_measure(value, unit)
                except ValueError as exc:
                    refuse("body_size", reason(exc))
        if self.zone_change_spec() is not None:
            self._dated("zone_change", self.zone_from, refuse)
            if not self.zone:
                refuse("zone_change", msg("error.web.zone_needed"))
            else:
                try:  # the library's own check, so that its "did you mean" comes with the other errors
                    check_zone(self.zone)
                except ValueError as exc:
                    refuse("zone_change", reason(exc))
        return found

    @staticmethod
    def _dated(group: str, typed: str, refuse: Callable[[str, Value], None]) -> None:
        """Refuse, beside ``group``, a "from" date left empty or not written YYYY-MM-DD."""
        if not typed:
            refuse(group, msg("error.web.from_needed"))
        elif not _is_date(typed):
            refuse(group, msg("error.overrides.value_date_written_yyyy", value=typed))

    def groups(self) -> list[str]:
        """The parts of the form filled in, in the form's order."""
        filled = {
            "delay": bool(self.delay_cycle or self.delay_days),
            "hold": self.hold_spec() is not None,
            "interrupt": self.interrupt_spec() is not None,
            "dose": bool(self.dose or self.dose_from),
            "time_change": self.time_change_spec() is not None,
            "body_size": self.body_size_spec() is not None,
            "zone_change": self.zone_change_spec() is not None,
            "stop": bool(self.stop),
            "choices": bool(self.choices),
            "cycles": bool(self.cycles),
            "until": bool(self.until),
        }
        return [name for name, given in filled.items() if given]

    def placed(self, errors: dict[str, list[Value]]) -> dict[str, list[Value]]:
        """``errors``, with those about the plan as a whole beside the one part filled in, if one was.

        A refusal found once the plan is expanded ("no dose to hold on C1D50") names no option;
        when the nurse changed one thing, it belongs beside that thing.
        """
        groups = self.groups()
        if FORM not in errors or len(groups) != 1:
            return errors
        moved = {k: list(v) for k, v in errors.items() if k != FORM}
        moved.setdefault(groups[0], []).extend(errors[FORM])
        return moved

    def hold_spec(self) -> str | None:
        """The hold in ``dosecal adjust --hold`` spelling: ``[AGENT:][Cn]Dd``."""
        if not (self.hold_cycle or self.hold_day):
            return None
        agent = f"{self.hold_agent}:" if self.hold_agent else ""
        cycle = f"C{self.hold_cycle}" if self.hold_cycle else ""
        return f"{agent}{cycle}D{self.hold_day}"

    def interrupt_spec(self) -> str | None:
        """The interruption in ``--interrupt`` spelling: ``CnDd[@HH:MM]=N(d|h)[:cause=toxicity][:restart=DOSE]``."""
        if not (self.interrupt_cycle or self.interrupt_day or self.interrupt_length or self.interrupt_at):
            return None
        at = f"@{self.interrupt_at}" if self.interrupt_at else ""
        spec = (
            f"C{self.interrupt_cycle}D{self.interrupt_day}{at}={self.interrupt_length}{self.interrupt_unit}"
        )
        spec += ":cause=toxicity" if self.interrupt_cause else ""
        return spec + (f":restart={self.interrupt_restart}" if self.interrupt_restart else "")

    def time_change_spec(self) -> str | None:
        """The new dose time in ``--time-change`` spelling: ``DATE:AGENT=HH:MM[,HH:MM]``.

        The drug is a select that always has a value, so only the date or the time says the
        nurse meant this change.
        """
        if not (self.time_from or self.time_at):
            return None
        return f"{self.time_from}:{self.time_agent}={self.time_at}"

    def body_size_spec(self) -> str | None:
        """The new measures in ``--body-size`` spelling: ``DATE=WEIGHT[,HEIGHT]``."""
        if not (self.size_from or self.size_weight or self.size_height):
            return None
        height = f",{self.size_height}" if self.size_height else ""
        return f"{self.size_from}={self.size_weight}{height}"

    def zone_change_spec(self) -> str | None:
        """The move in ``--zone-change`` spelling: ``DATE=Area/City``."""
        if not (self.zone_from or self.zone):
            return None
        return f"{self.zone_from}={self.zone}"

    def overrides(self) -> Overrides:
        """The adjustment as ``dosecal store adjust`` options."""
        delays = (f"{self.delay_cycle}={self.delay_days}",) if self.delay_cycle or self.delay_days else ()
        doses = (f"{self.dose_agent}={self.dose}@{self.dose_from}",) if self.dose or self.dose_from else ()
        hold, interrupt = self.hold_spec(), self.interrupt_spec()
        times, size, zone = self.time_change_spec(), self.body_size_spec(), self.zone_change_spec()
        return Overrides(
            delays=delays,
            holds=(hold,) if hold else (),
            interrupts=(interrupt,) if interrupt else (),
            dose_changes=doses,
            time_changes=(times,) if times else (),
            body_sizes=(size,) if size else (),
            zone_changes=(zone,) if zone else (),
            stop=self.stop or None,
            choices=tuple(f"{k}={v}" for k, v in self.choices.items()),
            cycles=self.cycles or None,
            until=self.until or None,
            note=self.note or None,
        )

    def hidden(self) -> dict[str, str]:
        """The fields to carry in the confirm form, by name (the unit only with an interruption).

        The drug of a new dose time goes only with that time: the select always has a value.
        """
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "choices"}
        out["interrupt_unit"] = self.interrupt_unit if self.interrupt_spec() else ""
        out["time_agent"] = self.time_agent if self.time_change_spec() else ""
        out.update({f"choice.{k}": v for k, v in self.choices.items()})
        return {k: v for k, v in out.items() if v}
