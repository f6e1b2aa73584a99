"""Schedule definitions: TOML text in, a validated :class:`Schedule` out, or every problem found.

The format is documented in docs/definitions.md. Validation happens here, before any date is
computed, so that the core can trust what it is given and a pharmacist sees all of a file's
mistakes at once, each with its key path and line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from dosecal.errors import DefinitionError, InputFileError, UnknownScheduleError, reason
from dosecal.schedule import (
    BAG_CHOICE,
    Advice,
    Agent,
    Choice,
    CycleDose,
    CycleLimit,
    Daily,
    DayRange,
    DoseStep,
    Infusion,
    Phase,
    Premedication,
    Reminder,
    Schedule,
    Selector,
    Source,
    Stay,
)
from dosecal.tomlfile import KeyPath, Table, TomlFile, describe, parse_time, read_text
from dosecal.words import Value, msg

T = TypeVar("T", str, float)

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_range(value: object) -> DayRange:
    """Parse one inclusive day range: ``8``, ``"8"`` or ``"1-28"``."""
    if isinstance(value, int) and not isinstance(value, bool):
        first = last = value
    elif isinstance(value, str) and (m := _RANGE.match(value)):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
    else:
        raise ValueError(msg("error.definitions.must_day_or_range", describe=describe(value)))
    if first < 1:
        raise ValueError(msg("error.definitions.day_first_does_exist", first=first))
    if last < first:
        raise ValueError(msg("error.definitions.range_first_last_empty", first=first, last=last))
    return DayRange(first, last)


def parse_days(value: object) -> tuple[int, ...]:
    """Parse listed days: ``[1, 8, 15]``, ``"1, 8, 15"``, ``"1-7, 15"`` or one day."""
    parts: list[object]
    if isinstance(value, list):
        parts = list(value)
    elif isinstance(value, str):
        parts = [p for p in value.split(",")]
    else:
        parts = [value]
    if not parts:
        raise ValueError(msg("error.definitions.must_list_at_least"))
    days: list[int] = []
    for part in parts:
        days.extend(parse_range(part))
    if len(set(days)) != len(days):
        dup = sorted({d for d in days if days.count(d) > 1})
        raise ValueError(msg("error.definitions.lists_day_dup_more", dup=dup[0]))
    return tuple(sorted(days))


class _Reader:
    """Builds a Schedule from one parsed file, recording problems instead of raising."""

    def __init__(self, file: TomlFile) -> None:
        self.file = file
        self.sources: dict[str, Source] = {}
        self.agents: dict[str, Agent] = {}
        self.choices: dict[str, Choice] = {}
        self.bad_times: set[str] = set()  # agents whose times were wrong: reported once

    # -- small helpers -------------------------------------------------------------------

    def cite(self, table: Table, *, required: bool = True, key: str = "source") -> tuple[str, ...]:
        """Read ``source``; every clinical fact must name at least one known source."""
        keys = table.str_list(key)
        if not keys and required and key not in table.data:
            table.error(None, msg("error.definitions.missing_required_key_key", key=key))
        for k in keys:
            if k not in self.sources:
                hint = _suggest(k, self.sources)
                table.error(key, msg("error.definitions.unknown_source_k_hint", k=k, hint=hint))
        return tuple(keys)

    def advice(self, owner: Table, key: str) -> tuple[Advice, ...]:
        """``[[...advice]]`` tables: a sentence for patients, its sources, and whether it is a warning."""
        found: list[Advice] = []
        for t in owner.tables(key):
            text = t.get_str("text")
            warning = t.get_bool("warning")
            cite = self.cite(t)
            t.done()
            if text is not None:
                found.append(Advice(text, cite, warning))
        return tuple(found)

    def when(self, table: Table) -> dict[str, str]:
        """``when = { choice = "option" }``, each a known choice and option."""
        when: dict[str, str] = {}
        sub = table.table("when")
        if sub is not None:
            for key in list(sub.data):
                value = sub.raw(key)
                choice = self.choices.get(key)
                if choice is None:
                    sub.error(
                        key,
                        msg(
                            "error.definitions.unknown_choice_key_suggest",
                            key=key,
                            suggest=_suggest(key, self.choices),
                        ),
                    )
                elif not isinstance(value, str) or value not in choice.options:
                    sub.error(
                        key,
                        msg(
                            "error.definitions.must_one_join_describe",
                            join=", ".join(choice.options),
                            describe=describe(value),
                        ),
                    )
                else:
                    when[key] = value
        return when

    def needs_times(self, table: Table, agent: str | None, why: str) -> None:
        """An agent dosed at a time must have one (unless its times were already reported)."""
        if agent is not None and not self.agents[agent].times and agent not in self.bad_times:
            table.error("agent", msg("error.definitions.agent_agent_needs_times", agent=agent, why=why))

    def agent_ref(self, table: Table, key: str = "agent") -> str | None:
        name = table.get_str(key)
        if name is not None and name not in self.agents:
            table.error(
                key,
                msg(
                    "error.definitions.unknown_agent_name_suggest",
                    name=name,
                    suggest=_suggest(name, self.agents),
                ),
            )
            return None
        return name

    def selector(self, table: Table, phase_cycles: range) -> Selector:
        cycles: frozenset[int] | None = None
        raw = table.raw("cycles")
        if raw is not None:
            try:
                listed = parse_days(raw)
            except ValueError as exc:
                table.error("cycles", str(exc).replace("day", "cycle"))
                listed = ()
            outside = [c for c in listed if c not in phase_cycles]
            if outside:
                table.error(
                    "cycles",
                    msg(
                        "error.definitions.cycle_outside_in_this",
                        outside=outside[0],
                        start=phase_cycles.start,
                        value=phase_cycles.stop - 1,
                    ),
                )
            cycles = frozenset(listed)
        return Selector(cycles, self.when(table))

    # -- sections ------------------------------------------------------------------------

    def read(self, root: Table) -> Schedule | None:
        meta = root.table("schedule", required=True)
        src = root.table("sources", required=True)
        if src is not None:
            for key, t in src.items():
                self.sources[key] = Source(key, t.get_str("title") or "", t.get_str("url", required=False))
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

        limits = [x for x in (self.read_limit(t, first_cycle - 1) for t in root.tables("limits")) if x]
        patient_notes = self.advice(root, "patient_notes")
        reminders = [x for x in (self.read_reminder(t) for t in root.tables("reminders")) if x]

        ident = title = indication = None
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
            start_day = meta.get_int("cycles_start_day", required=False, default=1, minimum=1) or 1
            meta.done()
        root.done()
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
            limits=tuple(limits),
            reminders=tuple(reminders),
            origin=self.file.file,
        )

    def read_reminder(self, t: Table) -> Reminder | None:
        """``[[reminders]]``: an all-day note on a plan day, cited."""
        day = t.get_int("day", minimum=1)
        title = t.get_str("title")
        text = t.get_str("text")
        cite = self.cite(t)
        t.done()
        if day is None or title is None or text is None:
            return None
        return Reminder(day, title, text, cite)

    def read_limit(self, t: Table, total: int) -> CycleLimit | None:
        """``[[limits]]``: the most cycles under some choices, with the label's reason."""
        when = self.when(t)
        most = t.get_int("most", minimum=1)
        default = t.get_int("default", required=False, minimum=1)
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
            fast_before_minutes=t.get_int("fast_before_minutes", required=False, default=0) or 0,
            fast_after_minutes=t.get_int("fast_after_minutes", required=False, default=0) or 0,
            continues=t.get_bool("continues"),
            supervised_starts=t.get_bool("supervised_starts"),
            supervision_sources=self.cite(t, required=t.has("supervised_starts"), key="supervision_source"),
        )
        t.done()

    def read_choice(self, key: str, t: Table) -> None:
        options = tuple(t.str_list("options", required=True))
        default = t.get_str("default", required=False)
        if default is not None and options and default not in options:
            t.error(
                "default",
                msg("error.definitions.default_one_options_join", default=default, join=", ".join(options)),
            )
        if key == BAG_CHOICE:
            for option in options:
                if not option.isdigit() or int(option) < 1:
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
        needed = t.get_int("needed_over_cycles", required=False, minimum=1)
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

    def read_steps(self, owner: Table, *, daily: bool) -> tuple[DoseStep, ...]:
        steps: list[DoseStep] = []
        tables = list(owner.tables("steps"))
        if not tables:
            if not owner.has("steps"):
                owner.error(None, msg("error.definitions.missing_required_key_steps"))
            return ()
        for i, t in enumerate(tables):
            if daily and not t.has("days") and t.has("from_day"):
                first = t.get_int("from_day", minimum=1)
                days = DayRange(first, first) if first else None
                if i != len(tables) - 1:
                    t.error("from_day", msg("error.definitions.only_last_step_may"))
            else:
                days = t.convert("days", parse_range)
            dose = t.get_str("dose")
            cite = self.cite(t)
            t.done()
            if days is None or dose is None:
                continue
            if steps and days.first != steps[-1].days.last + 1:
                t.error(
                    "days",
                    msg("error.definitions.must_start_on_day", value=steps[-1].days.last + 1),
                )
            steps.append(DoseStep(days, dose, cite))
        return tuple(steps)

    def read_daily(self, t: Table) -> Daily | None:
        agent = self.agent_ref(t)
        steps = self.read_steps(t, daily=True)
        open_ended = bool(t.data.get("steps")) and "days" not in t.data["steps"][-1]
        when = self.when(t)
        cite = self.cite(t)
        t.done()
        self.needs_times(t, agent, "its daily doses are taken at those times")
        if agent is None or not steps:
            return None
        return Daily(agent, steps, open_ended, cite, when)

    def read_phase(self, t: Table, first_cycle: int) -> Phase | None:
        name = t.get_str("name")
        count = t.get_int("cycles", minimum=1)
        length_choice = t.get_str("length_choice", required=False)
        length: int | None
        if length_choice is not None:
            length = self.length_options(t, length_choice)
            if t.has("length"):
                t.error("length", msg("error.definitions.give_length_or_length"))
        else:
            length = t.get_int("length", minimum=1)
        rest_raw = t.raw("rest")
        cite = self.cite(t)
        if count is None or length is None:
            t.skip_rest()
            return None
        rest = None
        if rest_raw is not None:
            rest = self.read_rest(t, rest_raw, length, fixed=length_choice is None)
        cycles = range(first_cycle, first_cycle + count)
        in_cycle = _DayCheck(length)

        doses: list[CycleDose] = []
        for d in t.tables("doses"):
            dose = self.read_dose(d, cycles, in_cycle)
            if dose is not None:
                doses.append(dose)
        infusions: list[Infusion] = []
        for d in t.tables("infusions"):
            infusion = self.read_infusion(d, cycles, in_cycle)
            if infusion is not None:
                infusions.append(infusion)
        stays: list[Stay] = []
        for d in t.tables("stays"):
            days = d.convert("days", parse_range)
            if days is not None:
                in_cycle.range(d, "days", days)
            sel = self.selector(d, cycles)
            stay_cite = self.cite(d)
            d.done()
            if days is not None:
                stays.append(Stay(days, sel, stay_cite))
        complete = len(doses) == len(t.data.get("doses", [])) and len(infusions) == len(
            t.data.get("infusions", [])
        )
        premeds: list[Premedication] = []
        for d in t.tables("premedications"):
            premed = self.read_premed(d, cycles, in_cycle, doses, infusions, complete)
            if premed is not None:
                premeds.append(premed)
        t.done()

        _check_clashes(t, doses, infusions, rest)
        return Phase(
            name=name or "",
            cycles=count,
            length=length,
            rest_from=rest.first if rest is not None else None,
            length_choice=length_choice,
            doses=tuple(doses),
            infusions=tuple(infusions),
            premedications=tuple(premeds),
            stays=tuple(stays),
            sources=cite,
        )

    def length_options(self, t: Table, key: str) -> int | None:
        """The shortest cycle length a length choice allows, or ``None`` after a problem."""
        choice = self.choices.get(key)
        if choice is None:
            t.error(
                "length_choice",
                msg(
                    "error.definitions.unknown_choice_key_suggest",
                    key=key,
                    suggest=_suggest(key, self.choices),
                ),
            )
            return None
        if not all(o.isdigit() and int(o) > 0 for o in choice.options):
            t.error("length_choice", msg("error.definitions.options_key_must_whole", key=key))
            return None
        return min(int(o) for o in choice.options)

    def read_rest(self, t: Table, raw: object, length: int, *, fixed: bool) -> DayRange | None:
        """``rest = "29-42"`` (ending on the cycle's last day) or ``rest = "16-end"``."""
        if isinstance(raw, str) and raw.replace(" ", "").endswith("-end"):
            text = raw.replace(" ", "").removesuffix("-end")
            try:
                first = parse_range(text).first
            except ValueError as exc:
                t.error("rest", str(exc))
                return None
            if first > length:
                t.error("rest", msg("error.definitions.day_first_outside_length", first=first, length=length))
                return None
            return DayRange(first, length)
        if not fixed:
            t.error("rest", msg("error.definitions.with_cycle_length_chosen"))
            return None
        try:
            rest = parse_range(raw)
        except ValueError as exc:
            t.error("rest", str(exc))
            return None
        if rest.last != length:
            t.error("rest", msg("error.definitions.rest_period_must_end", length=length))
            return None
        return rest

    def read_dose(self, t: Table, cycles: range, in_cycle: _DayCheck) -> CycleDose | None:
        agent = self.agent_ref(t)
        days = t.convert("days", parse_days)
        if days is not None:
            in_cycle.days(t, "days", days)
        dose = t.get_str("dose")
        minutes = t.get_int("minutes", required=False, default=15, minimum=1) or 15
        window = t.get_int("window_days", required=False, default=0) or 0
        window_note = t.get_str("window_note", required=False)
        if window and not window_note:
            t.error("window_note", msg("error.definitions.dose_window_needs_label"))
        observe = t.get_int("observe_minutes", required=False, default=0) or 0
        gap = t.get_int("window_gap_days", required=False, default=0) or 0
        if gap and not window:
            t.error("window_gap_days", msg("error.definitions.minimum_gap_between_doses"))
        sel = self.selector(t, cycles)
        cite = self.cite(t)
        t.done()
        self.needs_times(t, agent, "its doses are given at that time")
        if agent is None or days is None or dose is None:
            return None
        return CycleDose(agent, days, dose, minutes, sel, cite, window, window_note, observe, gap)

    def read_infusion(self, t: Table, cycles: range, in_cycle: _DayCheck) -> Infusion | None:
        agent = self.agent_ref(t)
        steps = self.read_steps(t, daily=False)
        for i, step in enumerate(steps, start=1):
            in_cycle.range(t, ("steps", i, "days"), step.days)
        bags = t.get_bool("bag_changes")
        sel = self.selector(t, cycles)
        cite = self.cite(t)
        restart_days = 0
        toxicity: str | None = None
        restart_cite: tuple[str, ...] = ()
        r = t.table("restart")
        if r is not None:
            restart_days = r.get_int("days", minimum=1) or 0
            toxicity = r.get_str("toxicity_dose", required=False)
            restart_cite = self.cite(r)
            r.done()
        t.done()
        self.needs_times(t, agent, "the infusion starts at that time")
        if agent is None or not steps:
            return None
        return Infusion(agent, steps, bags, sel, cite, restart_days, toxicity, restart_cite)

    def read_premed(
        self,
        t: Table,
        cycles: range,
        in_cycle: _DayCheck,
        doses: list[CycleDose],
        infusions: list[Infusion],
        complete: bool,
    ) -> Premedication | None:
        agent = self.agent_ref(t)
        before = self.agent_ref(t, "before")
        restart = t.get_bool("restart")
        after_hours = t.get_int("restart_after_hours", required=restart, minimum=0) or 0
        if t.has("restart_after_hours") and not restart:
            t.error("restart_after_hours", msg("error.definitions.only_premedication_given_on"))
        days = t.convert("days", parse_days, required=not restart) if t.has("days") or not restart else ()
        if days is not None:
            in_cycle.days(t, "days", days)
        minutes = t.get_int("minutes_before", required=False, minimum=1)
        dose = t.get_str("dose")
        sel = self.selector(t, cycles)
        cite = self.cite(t)
        t.done()
        if agent is None or before is None or days is None or dose is None:
            return None
        starts = {d for x in doses if x.agent == before for d in x.days}
        starts |= {s.days.first for x in infusions if x.agent == before for s in x.steps}
        for day in days if complete else ():
            if day not in starts:
                t.error(
                    "days",
                    msg("error.definitions.day_day_has_no", day=day, before=before),
                )
                break
        return Premedication(agent, before, days, minutes, dose, sel, cite, restart, after_hours)


class _DayCheck:
    """Checks that cycle days fall inside a cycle of a given length."""

    def __init__(self, length: int) -> None:
        self.length = length

    def days(self, t: Table, key: str | KeyPath, days: Iterable[int]) -> None:
        late = [day for day in days if day > self.length]
        if late:
            t.error(key, msg("error.definitions.day_late_outside_length", late=late[0], length=self.length))

    def range(self, t: Table, key: str | KeyPath, days: DayRange) -> None:
        self.days(t, key, (days.last,))


def _could_meet(a: Selector, b: Selector) -> bool:
    """Whether two rules can apply to the same cycle under some plan."""
    if a.cycles is not None and b.cycles is not None and not a.cycles & b.cycles:
        return False
    return all(b.when.get(k, v) == v for k, v in a.when.items())


def _check_clashes(
    t: Table, doses: list[CycleDose], infusions: list[Infusion], rest: DayRange | None
) -> None:
    """Report what cannot all be true in one cycle.

    Two infusions (or two doses) of one agent on the same day of a cycle they can share, and
    any dose or infusion day inside the rest period.
    """
    rules: list[tuple[str, int, CycleDose | Infusion, list[int]]] = [
        ("doses", i, x, list(x.days)) for i, x in enumerate(doses, start=1)
    ] + [("infusions", i, x, list(x.days)) for i, x in enumerate(infusions, start=1)]
    for n, (kind, i, rule, days) in enumerate(rules):
        for other_kind, j, other, other_days in rules[n + 1 :]:
            if other_kind != kind or other.agent != rule.agent:
                continue
            shared = sorted(set(days) & set(other_days))
            if shared and _could_meet(rule.selector, other.selector):
                t.error(
                    (kind, j, "days" if kind == "doses" else "steps"),
                    msg(
                        "error.definitions.kind_i_agent_also",
                        kind=kind,
                        i=i,
                        agent=rule.agent,
                        shared=shared[0],
                    ),
                )
        clash = [d for d in days if rest is not None and d in rest]
        if clash:
            t.error(
                (kind, i, "days" if kind == "doses" else "steps"),
                msg("error.definitions.day_clash_falls_in", clash=clash[0], rest=str(rest)),
            )


def _suggest(name: str, known: Mapping[str, object]) -> Value:
    close = difflib.get_close_matches(name, list(known), n=1)
    return msg("error.did_you_mean", name=close[0]) if close else ""


def loads(text: str, file: str) -> Schedule:
    """Load a definition from TOML text; ``file`` labels the messages.

    Raises:
        DefinitionError: with every problem found, each naming the file, key and line.
    """
    source = TomlFile(file, text)
    root = source.parse()
    schedule = _Reader(source).read(root) if root is not None else None
    if source.problems or schedule is None:
        raise DefinitionError(source.problems)
    return schedule


def load(path: Path) -> Schedule:
    """Load a definition file (see :func:`loads`)."""
    try:
        text = read_text(path)
    except InputFileError as exc:
        raise DefinitionError(exc.problems) from None
    return loads(text, str(path))


def builtin_dir() -> Path:
    """The folder of built-in definitions: inside the installed package, else the source tree."""
    packaged = Path(str(resources.files("dosecal"))) / "schedules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schedules"


def builtin_ids() -> list[str]:
    """The ids of the built-in schedules, sorted."""
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


def resolve(name: str) -> Schedule:
    """A built-in schedule by id, or a definition file by path.

    Raises:
        UnknownScheduleError: when ``name`` is neither.
        DefinitionError: when the file has problems.
    """
    ids = builtin_ids()
    if name in ids:
        return load(builtin_dir() / f"{name}.toml")
    path = Path(name)
    if path.suffix == ".toml" or path.exists() or "/" in name:
        if not path.is_file():
            raise UnknownScheduleError(msg("error.definitions.name_no_such_definition", name=name))
        return load(path)
    close = difflib.get_close_matches(name, ids, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UnknownScheduleError(msg("error.definitions.name_built_in_schedule", name=name, hint=hint))
