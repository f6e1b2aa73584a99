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
        if rule.restart_days:
            after = f"at {rule.toxicity_restart} after a toxicity, " if rule.toxicity_restart else ""
            text += (
                f"; restart {after}for {rule.restart_days} days before the scheduled dose resumes"
                f"{_cite(rule.restart_sources)}"
            )
    elif isinstance(rule, CycleDose):
        text = f"{s.agents[rule.agent].name} {rule.dose} on {_days(rule.days)}, over {rule.minutes} min"
        if rule.window_days:
            text += f", window ±{rule.window_days} days"
            if rule.window_gap_days:
                text += f" and at least {rule.window_gap_days} days after the previous dose"
        if rule.observe_minutes:
            text += f", then observation {rule.observe_minutes} min"
    elif isinstance(rule, Premedication):
        when = (
            f"{rule.minutes_before} min before"
            if rule.minutes_before
            else "before (no time in the label: shown 30 min before, the care team sets it)"
        )
        on = _days(rule.days) if rule.days else ""
        if rule.restart:
            on += (" and " if on else "") + (
                f"on restart after an interruption of {rule.restart_after_hours} hours or more"
            )
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
        if a.fast_before_minutes or a.fast_after_minutes:
            lines.append(
                f"    No food {a.fast_before_minutes} min before to {a.fast_after_minutes} min after each "
                "dose (shown in each dose's title)"
            )
        for x in a.advice:
            lines.append(f"    {'Warning signs' if x.warning else 'Advice'}: {x.text}{_cite(x.sources)}")
        if a.continues:
            lines.append("    Continues after the calendar's last day unless the care team stops it")
        if a.supervised_starts:
            lines.append(
                "    Every start and restart outside a hospital stay is marked for supervision"
                + _cite(a.supervision_sources)
            )
    if s.daily:
        lines += ["", "Daily dosing"]
        for d in s.daily:
            per_day = len(s.agents[d.agent].times)
            for st in d.steps:
                open_end = d.open_ended and st is d.steps[-1]
                days = f"from day {st.days.first}, no set end" if open_end else f"days {st.days}"
                when = "".join(f" (when {k} = {v})" for k, v in sorted(d.when.items()))
                lines.append(
                    f"  {s.agents[d.agent].name} {st.dose}, {per_day}× daily, {days}{when}"
                    f"{_cite(st.sources + d.sources)}"
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
            if c.option_labels:
                lines.append(
                    "    Shown to readers as: " + "; ".join(f"{k} = {v}" for k, v in c.option_labels.items())
                )
            if c.required_below_kg is not None:
                lines.append(f"    Must be given for a patient under {c.required_below_kg:g} kg")
            for option, least in c.minimum_kg.items():
                lines.append(f"    {option}: refused under {least:g} kg")
            for option, why in c.refused.items():
                lines.append(f"    {option}: refused: {why}")
            if c.needed_over_cycles is not None:
                lines.append(f"    Needed to plan more than {c.needed_over_cycles} cycles")
            if c.note:
                lines.append(f"    {c.note}")
    if s.limits:
        lines += ["", "Cycle limits"]
        for limit in s.limits:
            when = ", ".join(f"{k} = {v}" for k, v in sorted(limit.when.items()))
            default = f", {limit.default} planned unless --cycles says more" if limit.default else ""
            lines.append(
                f"  when {when}: at most {limit.most} cycles{default}: {limit.reason}{_cite(limit.sources)}"
            )
    if s.patient_notes:
        lines += ["", "Notes for patients"] + [f"  {n.text}{_cite(n.sources)}" for n in s.patient_notes]
    if s.notes:
        lines += ["", "Notes"] + [f"  {n}" for n in s.notes]
    lines += ["", "Sources"]
    for src in s.sources.values():
        lines.append(f"  [{src.key}] {src.title}" + (f" <{src.url}>" if src.url else ""))
    return "\n".join(lines) + "\n"
