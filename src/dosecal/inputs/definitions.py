"""Schedule definitions: TOML text in, a validated :class:`Schedule` out, or every problem found.

The format is documented in docs/definitions.md. Validation happens here, before any date is
computed, so that the core can trust what it is given and a pharmacist sees all of a file's
mistakes at once, each with its key path and line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from dosecal.errors import DefinitionError, UnknownScheduleError, reason
from dosecal.inputs.definitions_base import parse_days
from dosecal.inputs.definitions_phases import PhaseReader
from dosecal.inputs.tomlfile import Table, describe, load_toml, parse_time, read_toml
from dosecal.model import limits
from dosecal.model.rules import Check, Phase, Selector
from dosecal.model.schedule import (
    BAG_CHOICE,
    Agent,
    Choice,
    Code,
    CycleLimit,
    Reminder,
    Schedule,
    Source,
    code_written,
    web_address,
)
from dosecal.words import msg

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: A source's date: a year, a month or a day, as ISO 8601 writes them (2014, 2024-03, 2024-09-17).
_SOURCE_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
#: A coding system named by a URN (``urn:oid:2.16.840.1.113883.6.73``).
_URN = re.compile(r"^urn:(oid|uuid):[0-9A-Za-z.-]+$")
T = TypeVar("T", str, float)


class _Reader(PhaseReader):
    """Builds a Schedule from one parsed file, recording problems instead of raising."""

    def read(self, root: Table) -> Schedule | None:
        meta = root.table("schedule", required=True)
        src = root.table("sources", required=True)
        if src is not None:
            for key, t in src.items():
                url = t.get_str("url", required=False)
                if url is not None and not web_address(url):
                    t.error("url", msg("error.definitions.url_scheme", value=repr(url[:80])))
                    url = None
                date = t.get_str("date", required=False)
                if date is not None and not _SOURCE_DATE.match(date):
                    t.error("date", msg("error.definitions.source_date", value=date))
                self.sources[key] = Source(key, t.get_str("title") or "", url, date)
                t.done()
            if not self.sources:
                src.error(None, msg("error.definitions.must_list_at_least2"))
        ags = root.table("agents", required=True)
        if ags is not None:
            for key, t in ags.items():
                self.read_agent(key, t)
        chs = root.table("choices")
        if chs is not None:
            for key, t in chs.items():
                self.read_choice(key, t)

        dailies = [self.read_daily(t) for t in root.tables("daily")]
        phases: list[Phase] = []
        first_cycle = 1
        for t in root.tables("phases"):
            phase = self.read_phase(t, first_cycle)
            if phase is not None:
                phases.append(phase)
                first_cycle += phase.cycles
        if not dailies and not phases and not root.has("daily") and not root.has("phases"):
            root.error(None, msg("error.definitions.schedule_needs_at_least"))
        if any(i.bag_changes for p in phases for i in p.infusions) and BAG_CHOICE not in self.choices:
            root.error("choices", msg("error.definitions.bag_changes_need_choices", BAG_CHOICE=BAG_CHOICE))

        cycle_limits = [x for x in (self.read_limit(t, first_cycle - 1) for t in root.tables("limits")) if x]
        patient_notes = self.advice(root, "patient_notes")
        care_team = self.advice(root, "care_team")
        indications = self.advice(root, "indications")
        reminders = [x for x in (self.read_reminder(t) for t in root.tables("reminders")) if x]
        checks = [x for x in (self.read_plan_check(t) for t in root.tables("checks")) if x]

        ident = title = indication = canonical = None
        last_checked = None
        notes: list[str] = []
        start_day = 1
        if meta is not None:
            ident = meta.get_str("id")
            if ident is not None and not _ID.match(ident):
                meta.error("id", msg("error.definitions.ident_must_lowercase_letters", ident=ident))
            title = meta.get_str("title")
            indication = meta.get_str("indication")
            last_checked = meta.get_date("last_checked")
            notes = meta.str_list("notes")
            canonical = meta.get_str("canonical", required=False)
            if canonical is not None and not web_address(canonical.partition("|")[0]):
                meta.error("canonical", msg("error.definitions.url_scheme", value=repr(canonical[:80])))
            start_day = (
                meta.get_int("cycles_start_day", required=False, default=1, minimum=1, maximum=limits.MAX_DAY)
                or 1
            )
            meta.done()
        root.done()
        self.check_span(root, phases, start_day)
        if self.file.problems:
            return None
        assert ident and title and indication and last_checked  # guaranteed when no problems
        return Schedule(
            id=ident,
            title=title,
            indication=indication,
            last_checked=last_checked,
            sources=self.sources,
            agents=self.agents,
            daily=tuple(d for d in dailies if d is not None),
            phases=tuple(phases),
            choices=self.choices,
            cycles_start_day=start_day,
            notes=tuple(notes),
            patient_notes=patient_notes,
            limits=tuple(cycle_limits),
            reminders=tuple(reminders),
            checks=tuple(checks),
            care_team=care_team,
            indications=indications,
            origin=self.file.file,
            canonical=canonical,
        )

    def check_span(self, root: Table, phases: list[Phase], start_day: int) -> None:
        """Refuse more cycles, or a longer course, than any plan may have (see limits).

        Checked here, where the definition is read, so that ``dosecal check`` refuses what
        ``dosecal generate`` could not expand.
        """
        total = sum(p.cycles for p in phases)
        if total > limits.MAX_CYCLES:
            root.error("phases", msg("error.limits.too_many_cycles", total=total, maximum=limits.MAX_CYCLES))
            return
        days = start_day - 1
        for p in phases:
            choice = self.choices.get(p.length_choice) if p.length_choice else None
            lengths = [int(o) for o in choice.options if o.isdigit()] if choice else []
            longest = max(lengths, default=p.length)
            days += p.cycles * longest
        if days > limits.MAX_PLAN_DAYS:
            root.error("phases", msg("error.limits.course_too_long", days=days, maximum=limits.MAX_PLAN_DAYS))

    def read_reminder(self, t: Table) -> Reminder | None:
        """``[[reminders]]``: an all-day note on a plan day, cited."""
        day = t.get_int("day", minimum=1, maximum=limits.MAX_DAY)
        title = t.get_str("title")
        text = t.get_str("text")
        short = t.get_str("short", required=False)
        cite = self.cite(t)
        t.done()
        if day is None or title is None or text is None:
            return None
        return Reminder(day, title, text, cite, short)

    def read_plan_check(self, t: Table) -> Check | None:
        """``[[checks]]``: a test on plan days, or every so many months, cited."""
        title = t.get_str("title")
        text = t.get_str("text")
        short = t.get_str("short", required=False)
        days = t.convert("days", parse_days, required=False) or ()
        months = t.get_int("every_months", required=False, default=0, minimum=1, maximum=24) or 0
        if not days and not months:
            t.error(None, msg("error.definitions.check_needs_days"))
        when = self.when(t) if t.has("when") else {}
        cite = self.cite(t)
        t.done()
        if title is None or text is None:
            return None
        return Check(title, text, cite, short, days, months, selector=Selector(None, when))

    def read_limit(self, t: Table, total: int) -> CycleLimit | None:
        """``[[limits]]``: the most cycles under some choices, with the label's reason."""
        when = self.when(t)
        most = t.get_int("most", minimum=1, maximum=limits.MAX_CYCLES)
        default = t.get_int("default", required=False, minimum=1, maximum=limits.MAX_CYCLES)
        reason = t.get_str("reason")
        beyond = t.get_str("beyond_default", required=False)
        cite = self.cite(t)
        if not t.has("when"):
            t.error("when", msg("error.definitions.limit_says_under_which"))
        if most is not None and most > total:
            t.error("most", msg("error.definitions.most_more_than_total", most=most, total=total))
        if default is not None and most is not None and default > most:
            t.error("default", msg("error.definitions.default_more_than_most", default=default, most=most))
        t.done()
        if most is None or reason is None:
            return None
        return CycleLimit(when, most, reason, cite, default, beyond)

    def read_agent(self, key: str, t: Table) -> None:
        if not _ID.match(key):
            t.error(None, msg("error.definitions.agent_id_key_must", key=key))
        times: list[Any] = []
        raw = t.raw("times")
        if raw is not None:
            values = raw if isinstance(raw, list) else [raw]
            for i, value in enumerate(values):
                try:
                    times.append(parse_time(value))
                except ValueError as exc:
                    t.error("times", msg("error.definitions.time_value_exc", value=i + 1, exc=reason(exc)))
                    self.bad_times.add(key)
            if len(set(times)) != len(times):
                t.error("times", msg("error.definitions.lists_same_time_twice"))
        self.agents[key] = Agent(
            id=key,
            name=t.get_str("name") or key,
            route=t.get_str("route") or "",
            times=tuple(sorted(times)),
            times_note=t.get_str("times_note", required=False),
            instructions=tuple(t.str_list("instructions")),
            missed_dose=t.get_str("missed_dose", required=False),
            sources=self.cite(
                t,
                required=bool(t.has("instructions") or t.has("missed_dose") or t.has("fast_before_minutes")),
            ),
            advice=self.advice(t, "advice"),
            fast_before_minutes=t.get_int(
                "fast_before_minutes", required=False, default=0, maximum=limits.MAX_OFFSET_MINUTES
            )
            or 0,
            fast_after_minutes=t.get_int(
                "fast_after_minutes", required=False, default=0, maximum=limits.MAX_OFFSET_MINUTES
            )
            or 0,
            continues=t.get_bool("continues"),
            supervised_starts=t.get_bool("supervised_starts"),
            supervision_sources=self.cite(t, required=t.has("supervised_starts"), key="supervision_source"),
            brief=t.get_str("brief", required=False),
            codes=tuple(c for c in map(self.read_code, t.tables("codes")) if c is not None),
        )
        t.done()

    def read_code(self, t: Table) -> Code | None:
        """``[[agents.ID.codes]]``: a code for the drug in a coding system, cited."""
        system = t.get_str("system")
        code = t.get_str("code")
        display = t.get_str("display")
        if system is not None and not (web_address(system) or _URN.match(system)):
            t.error("system", msg("error.definitions.code_system", value=repr(system[:80])))
        if code is not None and not code_written(code):
            t.error("code", msg("error.definitions.code_value", value=repr(code[:80])))
        cite = self.cite(t)
        t.done()
        if system is None or code is None or display is None:
            return None
        return Code(system, code, display, cite)

    def read_choice(self, key: str, t: Table) -> None:
        options = tuple(t.str_list("options", required=True))
        if t.raw("options") == []:
            # Nothing to choose from: every use of the choice (a cycle length, a default, a
            # weight band) would assume one option, so it is refused here, once, by its key.
            t.error("options", msg("error.definitions.choice_no_options"))
        default = t.get_str("default", required=False)
        if default is not None and options and default not in options:
            t.error(
                "default",
                msg("error.definitions.default_one_options_join", default=default, join=", ".join(options)),
            )
        if key == BAG_CHOICE:
            for option in options:
                if not option.isdigit() or not 1 <= int(option) <= limits.MAX_CYCLE_DAYS * 24:
                    t.error("options", msg("error.definitions.bag_intervals_are_whole", option=repr(option)))
        threshold = t.raw("weight_threshold_kg")
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold <= 0:
                t.error(
                    "weight_threshold_kg",
                    msg("error.definitions.must_positive_number_kg", describe=describe(threshold)),
                )
                threshold = None
            elif len(options) != 2:
                t.error("options", msg("error.definitions.weight_band_has_two"))
        labels = self.option_map(t, "option_labels", options, str)
        minimum = self.option_map(t, "minimum_kg", options, float)
        refused = self.option_map(t, "refused", options, str)
        below = t.raw("required_below_kg")
        if below is not None and (
            isinstance(below, bool) or not isinstance(below, int | float) or below <= 0
        ):
            t.error(
                "required_below_kg",
                msg("error.definitions.must_positive_number_kg", describe=describe(below)),
            )
            below = None
        bands: list[float] = []
        raw_bands = t.raw("weight_bands_kg")
        if raw_bands is not None:
            if (
                not isinstance(raw_bands, list)
                or not raw_bands
                or not all(
                    isinstance(b, int | float) and not isinstance(b, bool) and b > 0 for b in raw_bands
                )
                or sorted(raw_bands) != raw_bands
                or len(set(raw_bands)) != len(raw_bands)
            ):
                t.error(
                    "weight_bands_kg",
                    msg("error.definitions.must_positive_kg_limits", describe=describe(raw_bands)),
                )
            elif len(options) != len(raw_bands) + 1:
                t.error(
                    "options",
                    msg(
                        "error.definitions.len_weight_limits_make",
                        len=len(raw_bands),
                        value=len(raw_bands) + 1,
                    ),
                )
            else:
                bands = [float(b) for b in raw_bands]
        needed = t.get_int("needed_over_cycles", required=False, minimum=1, maximum=limits.MAX_CYCLES)
        if needed is not None and default is not None:
            t.error("needed_over_cycles", msg("error.definitions.only_choice_without_default"))
        self.choices[key] = Choice(
            id=key,
            label=t.get_str("label") or key,
            options=options,
            default=default,
            sources=self.cite(t),
            note=t.get_str("note", required=False),
            weight_threshold_kg=float(threshold) if threshold is not None else None,
            option_labels=labels,
            required_below_kg=float(below) if below is not None else None,
            minimum_kg=minimum,
            refused=refused,
            needed_over_cycles=needed,
            weight_bands_kg=tuple(bands),
            weight_needed_for=tuple(self.options_of(t, "weight_needed_for", options)),
        )
        t.done()

    def options_of(self, t: Table, key: str, options: tuple[str, ...]) -> list[str]:
        """A list of some of the choice's options."""
        listed = t.str_list(key)
        for option in listed:
            if option not in options:
                t.error(
                    key,
                    msg("error.definitions.option_one_options_join", option=option, join=", ".join(options)),
                )
        return [o for o in listed if o in options]

    def option_map(self, t: Table, key: str, options: tuple[str, ...], kind: type[T]) -> dict[str, T]:
        """A table keyed by the choice's options (``option_labels``, ``minimum_kg``, ``refused``)."""
        sub = t.table(key)
        found: dict[str, T] = {}
        if sub is None:
            return found
        for option in list(sub.data):
            value = sub.raw(option)
            if option not in options:
                sub.error(
                    option,
                    msg("error.definitions.option_one_options_join", option=option, join=", ".join(options)),
                )
            elif kind is float and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                sub.error(
                    option, msg("error.definitions.must_positive_number_describe", describe=describe(value))
                )
            elif kind is str and (not isinstance(value, str) or not value.strip()):
                sub.error(option, msg("error.definitions.must_non_empty_string", describe=describe(value)))
            else:
                found[option] = kind(value)
        return found


def loads(text: str, file: str) -> Schedule:
    """Load a definition from TOML text; ``file`` labels the messages.

    Raises:
        DefinitionError: with every problem found, each naming the file, key and line.
    """
    return read_toml(file, text, lambda source, root: _Reader(source).read(root), DefinitionError)


def load(path: Path) -> Schedule:
    """Load a definition file (see :func:`loads`)."""
    return load_toml(path, loads, DefinitionError)


def builtin_dir() -> Path:
    """The folder of built-in definitions: inside the installed package, else the source tree."""
    packaged = Path(__file__).resolve().parents[1] / "schedules"  # the package's own folder
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "schedules"


def is_id(name: str) -> bool:
    """Whether ``name`` can be a schedule's ``[schedule] id``: lowercase letters, digits and hyphens."""
    return bool(_ID.match(name))


def builtin_ids() -> list[str]:
    """The ids of the built-in schedules, sorted."""
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


def path_of(name: str) -> Path:
    """The definition file a name stands for: a built-in id, or a path.

    Raises:
        UnknownScheduleError: when ``name`` is neither.
    """
    ids = builtin_ids()
    if name in ids:
        return builtin_dir() / f"{name}.toml"
    path = Path(name)
    if path.suffix == ".toml" or path.exists() or "/" in name:
        if not path.is_file():
            raise UnknownScheduleError(msg("error.definitions.name_no_such_definition", name=name))
        return path
    import difflib  # only for a name that is not found: no command that works pays for it

    close = difflib.get_close_matches(name, ids, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UnknownScheduleError(msg("error.definitions.name_built_in_schedule", name=name, hint=hint))


def resolve(name: str) -> Schedule:
    """A built-in schedule by id, or a definition file by path.

    Raises:
        UnknownScheduleError: when ``name`` is neither.
        DefinitionError: when the file has problems.
    """
    return load(path_of(name))
