"""A schedule definition in words, for ``dosecal show``: what a pharmacist reviews."""

from __future__ import annotations

from dosecal.schedule import CycleDose, Infusion, Phase, Premedication, Schedule, Selector, Stay


def _cite(keys: tuple[str, ...]) -> str:
    return f"  [{', '.join(keys)}]" if keys else ""


def _days(days: tuple[int, ...]) -> str:
    return ("day " if len(days) == 1 else "days ") + ", ".join(str(d) for d in days)


def _scope(sel: Selector) -> str:
    parts = []
    if sel.cycles is not None:
        cycles = sorted(sel.cycles)
        parts.append(("cycle " if len(cycles) == 1 else "cycles ") + ", ".join(map(str, cycles)))
    else:
        parts.append("every cycle")
    parts += [f"when {k} = {v}" for k, v in sorted(sel.when.items())]
    return " (" + ", ".join(parts) + ")"


def _rule(s: Schedule, rule: CycleDose | Infusion | Premedication | Stay) -> str:
    if isinstance(rule, Infusion):
        steps = "; ".join(f"days {st.days}: {st.dose}" for st in rule.steps)
        bags = ", bag changes at the chosen interval" if rule.bag_changes else ""
        text = f"{s.agents[rule.agent].name} continuous infusion, {steps}{bags}"
    elif isinstance(rule, CycleDose):
        text = f"{s.agents[rule.agent].name} {rule.dose} on {_days(rule.days)}, over {rule.minutes} min"
        if rule.window_days:
            text += f", window ±{rule.window_days} days"
        if rule.observe_minutes:
            text += f", then observation {rule.observe_minutes} min"
    elif isinstance(rule, Premedication):
        when = f"{rule.minutes_before} min before" if rule.minutes_before else "before"
        on = _days(rule.days) if rule.days else ""
        if rule.restart:
            on += (" and " if on else "") + "on restart after an interruption"
        text = (
            f"{s.agents[rule.agent].name} {rule.dose}, {when} "
            f"{s.agents[rule.before].name.split(' (')[0].lower()}, on {on}"
        )
    else:
        text = f"Hospital stay, days {rule.days}"
    return f"    {text}{_scope(rule.selector)}{_cite(rule.sources)}"


def _phase(s: Schedule, phase: Phase, first: int) -> list[str]:
    last = first + phase.cycles - 1
    numbers = f"cycle {first}" if first == last else f"cycles {first}-{last}"
    length = (
        f"{phase.length}-day" if phase.length_choice is None else f"{s.choices[phase.length_choice].label}"
    )
    head = f"  {phase.name}: {phase.cycles} × {length} cycle ({numbers})"
    if phase.rest_from is not None:
        end = str(phase.length) if phase.length_choice is None else "end"
        head += f", days {phase.rest_from}-{end} treatment-free"
    lines = [head + _cite(phase.sources)]
    lines += [_rule(s, r) for r in phase.rules]
    return lines


def describe(s: Schedule) -> str:
    """The whole definition in words: agents, daily dosing, phases, choices, notes, sources."""
    lines = [f"{s.title} ({s.id})", f"Indication: {s.indication}", f"Last checked: {s.last_checked}", ""]
    lines.append("Agents")
    for a in s.agents.values():
        times = ", ".join(t.strftime("%H:%M") for t in a.times)
        line = f"  {a.name}: {a.route}"
        if times:
            line += f"; default time {times}"
        lines.append(line + _cite(a.sources))
        if a.times_note:
            lines.append(f"    Time: {a.times_note}")
        lines += [f"    {text}" for text in a.instructions]
        if a.missed_dose:
            lines.append(f"    Missed dose: {a.missed_dose}")
    if s.daily:
        lines += ["", "Daily dosing"]
        for d in s.daily:
            per_day = len(s.agents[d.agent].times)
            for st in d.steps:
                open_end = d.open_ended and st is d.steps[-1]
                days = f"from day {st.days.first}, no set end" if open_end else f"days {st.days}"
                lines.append(
                    f"  {s.agents[d.agent].name} {st.dose}, {per_day}× daily, {days}{_cite(st.sources + d.sources)}"
                )
    if s.phases:
        lines += ["", f"Cycles (at most {s.total_cycles}; cycle 1 day 1 is plan day {s.cycles_start_day})"]
        first = 1
        for phase in s.phases:
            lines += _phase(s, phase, first)
            first += phase.cycles
    if s.choices:
        lines += ["", "Choices (set in a plan file or with --choice ID=VALUE)"]
        for c in s.choices.values():
            default = f"default {c.default}" if c.default is not None else "no default: the plan must choose"
            lines.append(f"  {c.id}: {c.label}: {' | '.join(c.options)} ({default}){_cite(c.sources)}")
            if c.note:
                lines.append(f"    {c.note}")
    if s.notes:
        lines += ["", "Notes"] + [f"  {n}" for n in s.notes]
    lines += ["", "Sources"]
    for src in s.sources.values():
        lines.append(f"  [{src.key}] {src.title}" + (f" <{src.url}>" if src.url else ""))
    return "\n".join(lines) + "\n"
