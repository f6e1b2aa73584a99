"""Reading definitions, the shared part: day lists, sources, agents and choices referred to.

:class:`ReaderBase` records problems on the file instead of raising, so that a pharmacist sees
all of a file's mistakes at once; :mod:`dosecal.inputs.definitions_phases` reads the cycles and
:mod:`dosecal.inputs.definitions` the rest of a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

from dosecal.inputs.tomlfile import Table, TomlFile, describe
from dosecal.model import limits
from dosecal.model.rules import DayRange, Selector
from dosecal.model.schedule import Advice, Agent, Choice, Source
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
    limits.check_number(last, limits.MAX_DAY)
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


class ReaderBase:
    """What every part of a definition's reader shares: the file, sources, agents, choices, checks."""

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
                hint = suggest(k, self.sources)
                table.error(key, msg("error.definitions.unknown_source_k_hint", k=k, hint=hint))
        return tuple(keys)

    def advice(self, owner: Table, key: str) -> tuple[Advice, ...]:
        """``[[...advice]]`` tables: a sentence for patients, its sources, and whether it is a warning."""
        found: list[Advice] = []
        for t in owner.tables(key):
            text = t.get_str("text")
            warning = t.get_bool("warning")
            emergency = t.get_bool("emergency")
            if emergency and not warning:
                t.error("emergency", msg("error.definitions.emergency_needs_warning"))
            when = self.when(t) if t.has("when") else {}
            cite = self.cite(t)
            t.done()
            if text is not None:
                found.append(Advice(text, cite, warning, emergency, when))
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
                            suggest=suggest(key, self.choices),
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
        """A reference to an agent of the file, checked."""
        name = table.get_str(key)
        if name is not None and name not in self.agents:
            table.error(
                key,
                msg(
                    "error.definitions.unknown_agent_name_suggest",
                    name=name,
                    suggest=suggest(name, self.agents),
                ),
            )
            return None
        return name

    def selector(self, table: Table, phase_cycles: range) -> Selector:
        """Which cycles and choices a rule applies to (``cycles`` and ``when``), checked."""
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


def suggest(name: str, known: Mapping[str, object]) -> Value:
    """The hint "(did you mean ...?)" for the closest known name, or nothing."""
    import difflib  # only for a mistake: no definition that loads cleanly pays for it

    close = difflib.get_close_matches(name, list(known), n=1)
    return msg("error.did_you_mean", name=close[0]) if close else ""
