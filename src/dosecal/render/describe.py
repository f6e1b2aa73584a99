"""A schedule definition in words, for ``dosecal show``: what a pharmacist reviews.

Every line is a catalogue message (``show.*``) filled with the definition's facts, its source
keys in brackets, so that a reviewer can check each fact against the source it cites.
"""

from __future__ import annotations

from collections.abc import Mapping

from dosecal.model.rules import Check, CycleDose, Infusion, Phase, Premedication, Selector, Stay
from dosecal.model.schedule import Schedule
from dosecal.words import ENGLISH, Content, Language, Seq, Value, msg


def _when(when: Mapping[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(when.items()))


def _cite(keys: tuple[str, ...]) -> str:
    return f"  [{', '.join(keys)}]" if keys else ""


def _days(days: tuple[int, ...]) -> Value:
    listed = ", ".join(str(d) for d in days)
    return msg("show.day" if len(days) == 1 else "show.days", days=listed)


def _scope(sel: Selector) -> Value:
    parts: list[Value] = []
    if sel.cycles is not None:
        cycles = sorted(sel.cycles)
        listed = ", ".join(map(str, cycles))
        parts.append(msg("show.cycle" if len(cycles) == 1 else "show.cycles", cycles=listed))
    else:
        parts.append(msg("show.every_cycle"))
    parts += [msg("show.when", choice=k, option=v) for k, v in sorted(sel.when.items())]
    return msg("show.scope", parts=Seq(tuple(parts), ", "))


def _rule(s: Schedule, rule: CycleDose | Infusion | Premedication | Stay | Check) -> Value:
    text: Value
    if isinstance(rule, Infusion):
        steps = Seq(
            tuple(msg("show.step", days=str(st.days), dose=Content(st.dose)) for st in rule.steps), "; "
        )
        parts: list[Value] = [
            msg("show.infusion", agent=Content(s.agents[rule.agent].name), steps=steps),
            msg("show.bag_changes") if rule.bag_changes else None,
        ]
        if rule.restart_days:
            after = msg("show.toxicity", dose=Content(rule.toxicity_restart)) if rule.toxicity_restart else ""
            parts.append(msg("show.restart", after=after, days=rule.restart_days))
            if rule.reinitiation_hours:
                parts.append(msg("show.reinitiation", hours=rule.reinitiation_hours))
            parts.append(_cite(rule.restart_sources))
        text = Seq(tuple(parts), "")
    elif isinstance(rule, CycleDose):
        parts = [
            msg(
                "show.dose",
                agent=Content(s.agents[rule.agent].name),
                dose=Content(rule.dose),
                days=_days(rule.days),
                minutes=rule.minutes,
            )
        ]
        if rule.window_days:
            parts.append(msg("show.window", days=rule.window_days))
            if rule.window_gap_days:
                parts.append(msg("show.window_gap", days=rule.window_gap_days))
        if rule.observe_minutes:
            parts.append(msg("show.observe", minutes=rule.observe_minutes))
        text = Seq(tuple(parts), "")
    elif isinstance(rule, Premedication):
        when = (
            msg("show.minutes_before", minutes=rule.minutes_before)
            if rule.minutes_before
            else msg("show.untimed")
        )
        on: list[Value] = [_days(rule.days)] if rule.days else []
        if rule.restart:
            on.append(msg("show.on_restart", hours=rule.restart_after_hours))
        if rule.step_up:
            on.append(msg("show.on_step_up"))
        text = msg(
            "show.premedication",
            agent=Content(s.agents[rule.agent].name),
            dose=Content(rule.dose),
            when=when,
            before=Content(s.agents[rule.before].short_name.lower()),
            on=Seq(tuple(on), msg("list.and")),
        )
    elif isinstance(rule, Check):
        before = Content(s.agents[rule.before].short_name.lower()) if rule.before else ""
        text = msg("show.check_before", title=Content(rule.title), before=before)
    else:
        text = msg("show.stay", days=str(rule.days))
        if rule.text:
            text = Seq((text, msg("show.admission", text=Content(rule.text)), _cite(rule.text_sources)), "")
    return Seq(("    ", text, _scope(rule.selector), _cite(rule.sources)), "")


def _checks(s: Schedule) -> list[Value]:
    """The schedule's tests on plan days or every few months."""
    lines: list[Value] = []
    for c in s.checks:
        when: list[Value] = [_days(c.days)] if c.days else []
        if c.every_months:
            when.append(msg("show.every_months", months=c.every_months))
        only = tuple(msg("show.when_daily", choice=k, option=v) for k, v in sorted(c.selector.when.items()))
        line = msg("show.check", title=Content(c.title), when=Seq(tuple(when), msg("list.and")))
        lines.append(Seq(("  ", line, *only, _cite(c.sources)), ""))
    return lines


def _edges(s: Schedule) -> list[Value]:
    """What dosecal does where the label leaves a gap or an adjustment reaches an edge of a rule.

    Said from the definition's own rules, so that a reviewer reads the behaviour beside the
    facts it follows from; the README's "What dosecal does at the edges" lists the same.
    """
    infusions = [i for p in s.phases for i in p.infusions]
    doses = [d for p in s.phases for d in p.doses]
    lines: list[Value] = []
    if infusions:
        lines.append(msg("show.edge.interruption"))
        if any(i.reinitiation_hours for i in infusions):
            hours = max(i.reinitiation_hours for i in infusions)
            lines.append(msg("show.edge.short_pause", hours=hours))
        if any(p.stays and any(len(i.steps) > 1 for i in p.infusions) for p in s.phases):
            lines.append(msg("show.edge.stay_longer"))
        if any(pre.step_up for p in s.phases for pre in p.premedications):
            lines.append(msg("show.edge.step_up"))
        elif any(i.restart_days for i in infusions):
            lines.append(msg("show.edge.no_step_up"))
        if any(i.bag_changes for i in infusions):
            lines.append(msg("show.edge.short_bag"))
    if any(d.window_gap_days for d in doses):
        gap = max(d.window_gap_days for d in doses)
        lines.append(msg("show.edge.window", days=gap))
    if any("/m2" in text for text in _written_doses(s)):
        lines.append(msg("show.edge.rounding"))
    return ["", msg("show.heading.edges"), *lines] if lines else []


def _written_doses(s: Schedule) -> list[str]:
    found = [st.dose for d in s.daily for st in d.steps]
    for p in s.phases:
        found += [d.dose for d in p.doses] + [pre.dose for pre in p.premedications]
        found += [st.dose for i in p.infusions for st in i.steps]
    return found


def _phase(s: Schedule, phase: Phase, first: int) -> list[Value]:
    last = first + phase.cycles - 1
    numbers = (
        msg("show.cycle", cycles=str(first))
        if first == last
        else msg("show.cycles", cycles=f"{first}-{last}")
    )
    length: Value = (
        msg("show.length", days=phase.length)
        if phase.length_choice is None
        else Content(s.choices[phase.length_choice].label)
    )
    head: list[Value] = [
        msg("show.phase", name=Content(phase.name), count=phase.cycles, length=length, numbers=numbers)
    ]
    if phase.rest_from is not None:
        head.append(
            msg("show.rest", first=phase.rest_from, last=phase.length)
            if phase.length_choice is None
            else msg("show.rest_to_end", first=phase.rest_from)  # the cycle's length is a choice
        )
    head.append(_cite(phase.sources))
    return [Seq(tuple(head), ""), *(_rule(s, r) for r in phase.rules)]


def _agents(s: Schedule) -> list[Value]:
    lines: list[Value] = [msg("show.heading.agents")]
    for a in s.agents.values():
        times = Seq(tuple(a.times), ", ") if a.times else None
        line: list[Value] = [msg("show.agent", name=Content(a.name), route=Content(a.route))]
        if times:
            line.append(msg("show.default_time", times=times))
        lines.append(Seq((*line, _cite(a.sources)), ""))
        if a.times_note:
            lines.append(msg("show.time", text=Content(a.times_note)))
        lines += [Seq(("    ", Content(text)), "") for text in a.instructions]
        if a.missed_dose:
            lines.append(msg("show.missed", text=Content(a.missed_dose)))
        if a.fast_before_minutes or a.fast_after_minutes:
            lines.append(msg("show.fasting", before=a.fast_before_minutes, after=a.fast_after_minutes))
        for x in a.advice:
            key = "show.emergency" if x.emergency else "show.warning" if x.warning else "show.advice"
            lines.append(Seq((msg(key, text=Content(x.text)), _cite(x.sources)), ""))
        if a.continues:
            lines.append(msg("show.continues"))
        if a.supervised_starts:
            lines.append(Seq((msg("show.supervised"), _cite(a.supervision_sources)), ""))
    return lines


def _choices(s: Schedule) -> list[Value]:
    lines: list[Value] = ["", msg("show.heading.choices")]
    for c in s.choices.values():
        default = msg("show.default", value=c.default) if c.default is not None else msg("show.no_default")
        options = " | ".join(c.options)
        lines.append(
            Seq(
                (
                    msg("show.choice", id=c.id, label=Content(c.label), options=options, default=default),
                    _cite(c.sources),
                ),
                "",
            )
        )
        if c.option_labels:
            shown = Seq(
                tuple(msg("show.option", option=k, words=Content(v)) for k, v in c.option_labels.items()),
                "; ",
            )
            lines.append(msg("show.shown_as", options=shown))
        if c.required_below_kg is not None:
            lines.append(msg("show.required_below", kg=f"{c.required_below_kg:g}"))
        lines += [msg("show.minimum_kg", option=o, kg=f"{least:g}") for o, least in c.minimum_kg.items()]
        lines += [msg("show.refused", option=o, why=Content(why)) for o, why in c.refused.items()]
        if c.needed_over_cycles is not None:
            lines.append(msg("show.needed_over", count=c.needed_over_cycles))
        if c.note:
            lines.append(Seq(("    ", Content(c.note)), ""))
    return lines


def describe(s: Schedule, lang: Language = ENGLISH) -> str:
    """The whole definition in words: agents, daily dosing, phases, choices, notes, sources."""
    lines: list[Value] = [
        msg("heading.plan", title=Content(s.title), id=s.id),
        msg("show.indication", text=Content(s.indication)),
        *(
            Seq((msg("show.indication_when", when=_when(x.when), text=Content(x.text)), _cite(x.sources)), "")
            for x in s.indications
        ),
        msg("show.last_checked", date=s.last_checked.isoformat()),
        "",
        *_agents(s),
    ]
    if s.daily:
        lines += ["", msg("show.heading.daily")]
        for d in s.daily:
            per_day = len(s.agents[d.agent].times)
            for st in d.steps:
                open_end = d.open_ended and st is d.steps[-1]
                days = (
                    msg("show.from_day", day=st.days.first)
                    if open_end
                    else msg("show.days", days=str(st.days))
                )
                when = tuple(msg("show.when_daily", choice=k, option=v) for k, v in sorted(d.when.items()))
                daily = msg(
                    "show.daily",
                    agent=Content(s.agents[d.agent].name),
                    dose=Content(st.dose),
                    per_day=per_day,
                )
                lines.append(Seq((daily, days, *when, _cite(st.sources + d.sources)), ""))
    if s.phases:
        lines += ["", msg("show.heading.cycles", most=s.total_cycles, day=s.cycles_start_day)]
        first = 1
        for phase in s.phases:
            lines += _phase(s, phase, first)
            first += phase.cycles
    if s.choices:
        lines += _choices(s)
    if s.limits:
        lines += ["", msg("show.heading.limits")]
        for limit in s.limits:
            condition = ", ".join(f"{k} = {v}" for k, v in sorted(limit.when.items()))
            default = msg("show.limit_default", count=limit.default) if limit.default else ""
            lines.append(
                Seq(
                    (
                        msg(
                            "show.limit",
                            when=condition,
                            most=limit.most,
                            default=default,
                            reason=Content(limit.reason),
                        ),
                        _cite(limit.sources),
                    ),
                    "",
                )
            )
    if s.checks:
        lines += ["", msg("show.heading.checks"), *_checks(s)]
    if s.patient_notes:
        lines += ["", msg("show.heading.patient_notes")]
        lines += [
            Seq(("  ", Content(n.text), f" ({_when(n.when)})" if n.when else "", _cite(n.sources)), "")
            for n in s.patient_notes
        ]
    if s.care_team:
        lines += ["", msg("show.heading.care_team")]
        lines += [Seq(("  ", Content(n.text), _cite(n.sources)), "") for n in s.care_team]
    lines += _edges(s)
    if s.notes:
        lines += ["", msg("heading.notes")]
        lines += [Seq(("  ", Content(n)), "") for n in s.notes]
    lines += ["", msg("heading.sources")]
    for src in s.sources.values():
        lines.append(
            Seq((f"  [{src.key}] ", Content(src.title), src.dated, f" <{src.url}>" if src.url else ""), "")
        )
    return "\n".join(lang.text(line) for line in lines) + "\n"
