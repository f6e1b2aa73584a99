"""Reading definitions, the cycles: phases and their doses, infusions, premedication and stays.

Every day is checked against its cycle's length, and what cannot all be true in one cycle (two
infusions of one agent on one day, a dose in the rest period) is reported with its key path.
"""

from __future__ import annotations

from collections.abc import Iterable

from dosecal.inputs.definitions_base import ReaderBase, parse_days, parse_range, suggest
from dosecal.inputs.tomlfile import KeyPath, Table
from dosecal.model import limits
from dosecal.model.rules import (
    Check,
    CycleDose,
    DayRange,
    DoseStep,
    Infusion,
    Phase,
    Premedication,
    Selector,
    Stay,
)
from dosecal.model.schedule import Daily
from dosecal.words import msg


class PhaseReader(ReaderBase):
    """Reads ``[[daily]]`` and ``[[phases]]`` with their rules."""

    def read_steps(self, owner: Table, *, daily: bool) -> tuple[DoseStep, ...]:
        """Consecutive dose steps (``[[...steps]]``), without gaps or overlaps."""
        steps: list[DoseStep] = []
        tables = list(owner.tables("steps"))
        if not tables:
            if not owner.has("steps"):
                owner.error(None, msg("error.definitions.missing_required_key_steps"))
            return ()
        for i, t in enumerate(tables):
            if daily and not t.has("days") and t.has("from_day"):
                first = t.get_int("from_day", minimum=1, maximum=limits.MAX_DAY)
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
        """One ``[[daily]]`` table."""
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
        """One ``[[phases]]`` table and its rules."""
        name = t.get_str("name")
        count = t.get_int("cycles", minimum=1, maximum=limits.MAX_CYCLES)
        length_choice = t.get_str("length_choice", required=False)
        length: int | None
        if length_choice is not None:
            length = self.length_options(t, length_choice)
            if t.has("length"):
                t.error("length", msg("error.definitions.give_length_or_length"))
        else:
            length = t.get_int("length", minimum=1, maximum=limits.MAX_CYCLE_DAYS)
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
            # What happens on the admission day, cited on its own (a patient site, not the label).
            text = d.get_str("text", required=False)
            text_cite = self.cite(d, key="text_source") if text is not None else ()
            if text is None and d.has("text_source"):
                d.error("text_source", msg("error.definitions.text_source_without_text"))
            d.done()
            if days is not None:
                stays.append(Stay(days, sel, stay_cite, text, text_cite))
        complete = len(doses) == len(t.data.get("doses", [])) and len(infusions) == len(
            t.data.get("infusions", [])
        )
        premeds: list[Premedication] = []
        for d in t.tables("premedications"):
            premed = self.read_premed(d, cycles, in_cycle, doses, infusions, complete)
            if premed is not None:
                premeds.append(premed)
        checks = [x for x in (self.read_check(d, cycles, doses) for d in t.tables("checks")) if x]
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
            checks=tuple(checks),
        )

    def read_check(self, t: Table, cycles: range, doses: list[CycleDose]) -> Check | None:
        """One ``[[phases.checks]]`` table: a test on each dose day of an agent, before the dose."""
        title = t.get_str("title")
        text = t.get_str("text")
        short = t.get_str("short", required=False)
        before = self.agent_ref(t, "before")
        if before is not None and not any(x.agent == before for x in doses):
            t.error("before", msg("error.definitions.check_before_no_doses", before=before))
        sel = self.selector(t, cycles)
        cite = self.cite(t)
        t.done()
        if title is None or text is None or before is None:
            return None
        return Check(title, text, cite, short, before=before, selector=sel)

    def length_options(self, t: Table, key: str) -> int | None:
        """The shortest cycle length a length choice allows, or ``None`` after a problem."""
        choice = self.choices.get(key)
        if choice is None:
            t.error(
                "length_choice",
                msg(
                    "error.definitions.unknown_choice_key_suggest",
                    key=key,
                    suggest=suggest(key, self.choices),
                ),
            )
            return None
        if not choice.options:  # refused where the choice is read, with its own message
            return None
        if not all(o.isdigit() and 0 < int(o) <= limits.MAX_CYCLE_DAYS for o in choice.options):
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
        """One ``[[phases.doses]]`` table."""
        agent = self.agent_ref(t)
        days = t.convert("days", parse_days)
        if days is not None:
            in_cycle.days(t, "days", days)
        dose = t.get_str("dose")
        minutes = (
            t.get_int("minutes", required=False, default=15, minimum=1, maximum=limits.MAX_OFFSET_MINUTES)
            or 15
        )
        window = t.get_int("window_days", required=False, default=0, maximum=limits.MAX_CYCLE_DAYS) or 0
        window_note = t.get_str("window_note", required=False)
        if window and not window_note:
            t.error("window_note", msg("error.definitions.dose_window_needs_label"))
        observe = (
            t.get_int("observe_minutes", required=False, default=0, maximum=limits.MAX_OFFSET_MINUTES) or 0
        )
        gap = t.get_int("window_gap_days", required=False, default=0, maximum=limits.MAX_CYCLE_DAYS) or 0
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
        """One ``[[phases.infusions]]`` table, with its restart rule."""
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
        reinitiation = 0
        r = t.table("restart")
        if r is not None:
            restart_days = r.get_int("days", minimum=1, maximum=limits.MAX_CYCLE_DAYS) or 0
            toxicity = r.get_str("toxicity_dose", required=False)
            reinitiation = (
                r.get_int(
                    "reinitiation_hours", required=False, default=0, maximum=limits.MAX_INTERRUPTION_DAYS * 24
                )
                or 0
            )
            restart_cite = self.cite(r)
            r.done()
        t.done()
        self.needs_times(t, agent, "the infusion starts at that time")
        if agent is None or not steps:
            return None
        return Infusion(agent, steps, bags, sel, cite, restart_days, toxicity, restart_cite, reinitiation)

    def read_premed(
        self,
        t: Table,
        cycles: range,
        in_cycle: _DayCheck,
        doses: list[CycleDose],
        infusions: list[Infusion],
        complete: bool,
    ) -> Premedication | None:
        """One ``[[phases.premedications]]`` table; each day must start what it precedes."""
        agent = self.agent_ref(t)
        before = self.agent_ref(t, "before")
        restart = t.get_bool("restart")
        after_hours = (
            t.get_int(
                "restart_after_hours", required=restart, minimum=0, maximum=limits.MAX_INTERRUPTION_DAYS * 24
            )
            or 0
        )
        if t.has("restart_after_hours") and not restart:
            t.error("restart_after_hours", msg("error.definitions.only_premedication_given_on"))
        step_up = t.get_bool("step_up")
        alone = restart or step_up  # given on restarts or step-ups only, with no days of its own
        days = t.convert("days", parse_days, required=not alone) if t.has("days") or not alone else ()
        if days is not None:
            in_cycle.days(t, "days", days)
        minutes = t.get_int("minutes_before", required=False, minimum=1, maximum=limits.MAX_OFFSET_MINUTES)
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
        return Premedication(agent, before, days, minutes, dose, sel, cite, restart, after_hours, step_up)


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
