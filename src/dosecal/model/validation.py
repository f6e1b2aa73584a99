"""A plan checked against its schedule before any date is computed.

Every problem is found at once, each naming the key it came from, so that a nurse fixes a plan
file in one go; the safety rules (a child's dose, a long pause, a hold on a day without a dose)
keep a plan from misleading a patient. ``dosecal check``, ``generate`` and the clinic pages all
call :func:`check`, so they refuse the same plans.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from datetime import timedelta

from dosecal.errors import PlanError, Problem
from dosecal.model.adjustments import (
    BodySize,
    ChoiceChange,
    CyclesChange,
    DoseChange,
    Interruption,
    Stop,
    TimeChange,
    UntilChange,
)
from dosecal.model.limits import MAX_ADJUSTMENTS
from dosecal.model.plan import Plan, final_choices, planned_cycles
from dosecal.model.schedule import Schedule
from dosecal.model.zones import check_zone
from dosecal.words import Content, Msg, Value, msg


def _small(schedule: Schedule, plan: Plan, choices: Mapping[str, str], threshold: float) -> Msg | None:
    """Why the plan is for a patient under ``threshold`` kg, if it is (its weight or a weight band)."""
    if plan.weight_kg is not None:
        return (
            msg("error.plan.small_weight", kg=f"{plan.weight_kg:g}") if plan.weight_kg < threshold else None
        )
    for c in schedule.choices.values():
        if c.weight_threshold_kg == threshold and choices.get(c.id) == c.options[1]:
            return msg("error.plan.small_band", band=c.options[1])
    return None


def _check_safety(schedule: Schedule, plan: Plan, bad: Callable[[str, Value], None]) -> None:
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
                    msg(
                        "error.plan.with_why_under_required",
                        why=why,
                        required_below_kg=f"{c.required_below_kg:g}",
                        label=c.label,
                        id=c.id,
                        join="|".join(c.options),
                    ),
                )
        if value is None:
            continue
        if value in c.weight_needed_for and plan.weight_kg is None:
            bad(
                f"choices.{c.id}",
                msg("error.plan.plan_for_value_words", value=value, words=c.words(value)),
            )
        if value in c.refused:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.id_cannot_planned_for",
                    id=schedule.id,
                    value=value,
                    refused=Content(c.refused[value]),  # in the reader's language, as `show` says it
                ),
            )
        least = c.minimum_kg.get(value)
        if least is not None and plan.weight_kg is not None and plan.weight_kg < least:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.value_words_recommended_under",
                    value=value,
                    words=c.words(value),
                    least=f"{least:g}",
                    weight_kg=f"{plan.weight_kg:g}",
                    id=schedule.id,
                ),
            )
    planned = planned_cycles(schedule, plan, choices)
    for limit in schedule.limits:
        if limit.applies(choices) and planned > limit.most:
            when = ", ".join(f"{k}={v}" for k, v in limit.when.items())
            bad(
                "cycles",
                msg(
                    "error.plan.with_when_at_most",
                    when=when,
                    most=limit.most,
                    planned=planned,
                    reason=Content(limit.reason),
                ),
            )
    for key in sorted(schedule.choices_used(planned)):
        choice = schedule.choices[key]
        if choice.default is None and key not in choices:
            bad(
                f"choices.{key}",
                msg(
                    "error.plan.id_needs_your_care",
                    id=schedule.id,
                    label=choice.label,
                    key=key,
                    join="|".join(choice.options),
                ),
            )
    for c in schedule.choices.values():
        if c.needed_over_cycles is not None and planned > c.needed_over_cycles and c.id not in choices:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.id_needs_your_care2",
                    id=schedule.id,
                    label=c.label,
                    needed_over_cycles=c.needed_over_cycles,
                    id2=c.id,
                    join="|".join(c.options),
                    needed_over_cycles2=c.needed_over_cycles,
                ),
            )
    for d in schedule.daily:
        missing = [k for k in d.when if k not in choices]
        if missing and all(choices.get(k) == v for k, v in d.when.items() if k in choices):
            for key in missing:
                choice = schedule.choices[key]
                how = (
                    "--weight KG" if choice.weight_bands_kg else f"--choice {key}={'|'.join(choice.options)}"
                )
                bad(
                    f"choices.{key}",
                    msg("error.plan.id_needs_label_give", id=schedule.id, label=choice.label, how=how),
                )


def _as_key(bad: Callable[[str, Value], None], key: str, _field: str, message: Value) -> None:
    """Report ``message`` under ``key`` (the adjustment) whatever field found it."""
    bad(key, message)


def _check_history(schedule: Schedule, plan: Plan, bad: Callable[[str, Value], None]) -> None:
    """Refuse adjustments that contradict the plan as a whole, and histories too long to expand.

    A stop or a dose change before day 1 would cancel or change every event in silence; an
    interruption longer than the whole planned course cannot have happened within it.
    """
    if len(plan.adjustments) > MAX_ADJUSTMENTS:
        bad(
            "adjustments",
            msg("error.limits.too_many_adjustments", count=len(plan.adjustments), maximum=MAX_ADJUSTMENTS),
        )
        return
    choices = final_choices(schedule, plan)
    numbered = [p for p in schedule.phases for _ in range(p.cycles)][
        : planned_cycles(schedule, plan, choices)
    ]
    course = sum(
        p.length_with(choices) for p in numbered if not p.length_choice or p.length_choice in choices
    )
    start = plan.start.isoformat()
    for i, a in enumerate(plan.adjustments, 1):
        key = f"adjustments[{i}]"
        if isinstance(a, Stop) and a.on < plan.start:
            bad(key, msg("error.plan.stop_before_start", date=a.on.isoformat(), start=start))
        elif isinstance(a, DoseChange) and a.start < plan.start:
            bad(key, msg("error.plan.dose_change_before_start", date=a.start.isoformat(), start=start))
        elif isinstance(a, BodySize):
            # The measures from that date must be safe to plan with as a plan's own would be: a
            # child under 45 kg needs the adult/child choice, a band follows the weight.
            bands = {
                c.id
                for c in schedule.choices.values()
                if c.weight_threshold_kg is not None or c.weight_bands_kg
            }
            measured = dataclasses.replace(
                plan,
                weight_kg=a.weight_kg,
                height_cm=a.height_cm if a.height_cm is not None else plan.height_cm,
                choices={k: v for k, v in plan.choices.items() if k not in bands},
                adjustments=tuple(
                    x for x in plan.adjustments if not (isinstance(x, ChoiceChange) and x.id in bands)
                ),
            )
            _check_safety(schedule, measured, functools.partial(_as_key, bad, key))
        elif isinstance(a, UntilChange) and a.until < plan.start:
            bad(key, msg("error.plan.until_before_start_date", until=a.until.isoformat(), start=start))
        elif isinstance(a, TimeChange) and a.agent not in schedule.agents:
            bad(key, msg("error.history.agent_agent_id", agent=a.agent, id=schedule.id))
        elif isinstance(a, Interruption) and numbered and a.length > timedelta(days=course):
            bad(key, msg("error.plan.interruption_longer_than_course", spec=a.spec, days=course))
        elif isinstance(a, CyclesChange) and not schedule.phases:
            bad(key, msg("error.plan.id_has_no_cycles", id=schedule.id))
        elif isinstance(a, CyclesChange) and a.cycles > schedule.total_cycles:
            bad(
                key,
                msg(
                    "error.plan.cycles_change_more_than_schedule",
                    id=schedule.id,
                    total=schedule.total_cycles,
                    cycles=a.cycles,
                ),
            )
        elif isinstance(a, ChoiceChange) and a.id in schedule.choices and plan.weight_kg is not None:
            # A weight band chosen later must still fit the weight the plan records (its doses
            # and bags follow the band): as the plan's own choices are checked above.
            band = schedule.choices[a.id].band(plan.weight_kg)
            if band is not None and a.value != band:
                bad(
                    key,
                    msg(
                        "error.plan.given_contradicts_weight_weight",
                        given=a.value,
                        weight_kg=f"{plan.weight_kg:g}",
                        band=band,
                    ),
                )


def check(schedule: Schedule, plan: Plan) -> None:
    """Check that ``plan`` can be applied to ``schedule``.

    Raises:
        PlanError: listing every problem, each naming where the value came from.
    """
    problems: list[Problem] = []

    def bad(key: str, message: Value) -> None:
        problems.append(Problem(plan.origin, key, message))

    if not plan.timezone:
        bad("timezone", msg("error.plan.no_time_zone_give"))
    else:
        try:
            check_zone(plan.timezone)
        except ValueError as exc:
            bad("timezone", str(exc))
    for agent, times in plan.times.items():
        known = schedule.agents.get(agent)
        if known is None:
            names = ", ".join(a for a, x in schedule.agents.items() if x.times)
            bad(
                f"times.{agent}",
                msg("error.plan.agent_agent_id_agents", agent=agent, id=schedule.id, names=names),
            )
        elif not known.times:
            bad(f"times.{agent}", msg("error.plan.agent_given_at_time", agent=agent))
        elif len(times) != len(known.times):
            want = ",".join(t.strftime("%H:%M") for t in known.times)
            bad(
                f"times.{agent}",
                msg(
                    "error.plan.name_scheduled_len_time",
                    name=known.name,
                    count=len(known.times),
                    agent=agent,
                    want=want,
                ),
            )
    for key, value in plan.choices.items():
        choice = schedule.choices.get(key)
        if choice is None:
            offered = ", ".join(schedule.choices) or "none"
            bad(
                f"choices.{key}", msg("error.plan.id_has_no_choice", id=schedule.id, key=key, offered=offered)
            )
        elif value not in choice.options:
            bad(
                f"choices.{key}",
                msg("error.plan.must_one_join_value", join=", ".join(choice.options), value=repr(value)),
            )
    for c in schedule.choices.values():
        given = plan.choices.get(c.id)
        band = c.band(plan.weight_kg) if plan.weight_kg is not None else None
        if band is not None and given is not None and given != band:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.given_contradicts_weight_weight",
                    given=given,
                    weight_kg=f"{plan.weight_kg:g}",
                    band=band,
                ),
            )
    if not problems:
        _check_safety(schedule, plan, bad)
    if plan.cycles is not None:
        if not schedule.phases:
            bad("cycles", msg("error.plan.id_has_no_cycles", id=schedule.id))
        elif plan.cycles > schedule.total_cycles:
            bad(
                "cycles",
                msg(
                    "error.plan.id_has_at_most",
                    id=schedule.id,
                    total_cycles=schedule.total_cycles,
                    cycles=plan.cycles,
                ),
            )
    if plan.until is not None and plan.until < plan.start:
        bad(
            "until",
            msg(
                "error.plan.until_before_start_date",
                until=plan.until.isoformat(),
                start=plan.start.isoformat(),
            ),
        )
    if plan.reminder_minutes < 0:
        bad("reminder_minutes", msg("error.plan.must_or_more"))
    if not problems:
        _check_history(schedule, plan, bad)
    if problems:
        raise PlanError(list(dict.fromkeys(problems)))
