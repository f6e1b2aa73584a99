"""Applying adjustments and the plan's history: holds, stops, and SEQUENCE across versions.

The plan is expanded once without adjustments and once more after each change recorded (the
adjustments one ``dosecal adjust`` records together are one change); an event's SEQUENCE counts
the steps that changed it, and an event a step removed stays, cancelled, under its UID.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosecal.core import build
from dosecal.core.builder import Builder
from dosecal.core.cycles import Refused, plan_horizon, plan_slots, refuse
from dosecal.model.adjustments import (
    Adjustment,
    ChoiceChange,
    DoseChange,
    Hold,
    Interruption,
    Stop,
    ZoneChange,
    moved_to,
)
from dosecal.model.clock import local
from dosecal.model.occurrence import Kind, Occurrence, Status, sort_key
from dosecal.model.plan import Plan, as_of, choices_after, pending_choices
from dosecal.model.schedule import Schedule
from dosecal.model.slot import CycleSlot
from dosecal.words import Content, msg


def hold(plan: Plan, index: int, hold: Hold, found: list[Occurrence]) -> None:
    """Cancel the held dose in ``found``, with the premedication before it and the observation after.

    Raises:
        PlanError: when there is no single dose to hold that day.
    """
    doses = [
        k
        for k, o in enumerate(found)
        if o.kind is Kind.DOSE
        and o.cycle == hold.cycle
        and o.day == hold.day
        and hold.agent in (None, o.agent)
    ]
    if not doses:

        def spans(kind: Kind) -> bool:
            return any(
                o.kind is kind and o.cycle == hold.cycle and o.day <= hold.day < o.day + len(o.dates)
                for o in found
            )

        if hold.cycle is not None and all(o.cycle is None for o in found):
            reason = msg("error.history.reason_no_cycles", day=hold.day)
        elif spans(Kind.REST):
            reason = msg("error.history.reason_rest")
        elif spans(Kind.INFUSION):
            reason = msg("error.history.reason_infusion")
        else:
            reason = msg("error.history.reason_no_dose")
        raise refuse(plan, index, msg("error.history.no_dose_hold_on", spec=hold.spec, reason=reason))
    agents = {found[k].agent for k in doses}
    if len(agents) > 1:
        names = ", ".join(sorted(a or "" for a in agents))
        raise refuse(
            plan,
            index,
            msg("error.history.several_agents_dose_on", spec=hold.spec, names=names, spec2=hold.spec),
        )
    held = {found[k].agent for k in doses}
    for k, o in enumerate(found):
        # The dose goes, and with it the premedication before it and the observation after it.
        same_day = o.cycle == hold.cycle and o.day == hold.day
        if k in doses or (same_day and o.kind is Kind.OBSERVATION and o.agent in held):
            found[k] = dataclasses.replace(o, status=Status.CANCELLED)
        elif same_day and o.kind is Kind.PREMEDICATION:
            others = [x for x in found if x.cycle == o.cycle and x.day == o.day and x.kind is Kind.DOSE]
            if all(x.status is Status.CANCELLED or x.agent in held for x in others):
                found[k] = dataclasses.replace(o, status=Status.CANCELLED)


def apply_stop(stop: Stop, found: list[Occurrence], tz: ZoneInfo) -> None:
    """Cancel everything from the stop date on in ``found``; cut spans that run past it."""
    cutoff = local(stop.on, time(0), tz)
    for k, o in enumerate(found):
        if o.start_date >= stop.on:
            found[k] = dataclasses.replace(found[k], status=Status.CANCELLED)
        elif isinstance(o.end, datetime) and o.end > cutoff:
            found[k] = dataclasses.replace(o, end=cutoff)
        elif not isinstance(o.end, datetime) and o.end > stop.on:
            found[k] = dataclasses.replace(o, end=stop.on)


#: What a continuous infusion hangs: timed by the pump, not the wall clock.
_PUMPED = (Kind.INFUSION, Kind.BAG_CHANGE, Kind.INFUSION_END)


def apply_zones(moves: Sequence[ZoneChange], found: list[Occurrence], slots: Sequence[CycleSlot]) -> None:
    """Put every timed event from each move's date at its clock time in the new zone.

    A dose at 08:00 in Toronto is at 08:00 in Paris after the move. A continuous infusion
    running when the patient moves keeps its moments (its bags are timed by the pump, shown at
    the new zone's clock) until its next cycle, which starts at its usual time there; an event
    that began before the move ends when it would have ended.
    """
    if not moves:
        return
    first_of = {slot.number: slot.first for slot in slots}

    def zone_on(day: date) -> ZoneInfo | None:
        name = moved_to(moves, day)
        return ZoneInfo(name) if name is not None else None

    for k, o in enumerate(found):
        if not isinstance(o.start, datetime) or not isinstance(o.end, datetime):
            continue
        zone = zone_on(o.start.date())
        if zone is None:
            end_zone = zone_on(o.end.date())
            if end_zone is not None:
                found[k] = dataclasses.replace(o, end=o.end.astimezone(end_zone))
            continue
        began = first_of.get(o.cycle) if o.cycle is not None else None
        if o.kind in _PUMPED and began is not None and zone_on(began) != zone:
            found[k] = dataclasses.replace(o, start=o.start.astimezone(zone), end=o.end.astimezone(zone))
        else:
            found[k] = dataclasses.replace(
                o,
                start=local(o.start.date(), o.start.time(), zone),
                end=local(o.end.date(), o.end.time(), zone),
            )


def expand_once(schedule: Schedule, plan: Plan, adjustments: Sequence[Adjustment]) -> list[Occurrence]:
    """The plan with the first few adjustments of its history applied."""
    choices = choices_after(schedule, plan, adjustments)
    for i, a in enumerate(adjustments, 1):
        if isinstance(a, ChoiceChange):
            choice = schedule.choices.get(a.id)
            if choice is None or a.value not in choice.options:
                options = "|".join(choice.options) if choice else ", ".join(schedule.choices) or "none"
                raise refuse(
                    plan,
                    i,
                    msg(
                        "error.history.id_value_choice_id",
                        id=a.id,
                        value=a.value,
                        id2=schedule.id,
                        options=options,
                    ),
                )
        if isinstance(a, DoseChange) and a.agent not in schedule.agents:
            raise refuse(plan, i, msg("error.history.agent_agent_id", agent=a.agent, id=schedule.id))
    b = Builder(schedule, plan, choices, adjustments)
    slots = plan_slots(schedule, plan, adjustments, choices)
    b.slots = slots
    last = plan_horizon(schedule, as_of(plan, adjustments), slots)
    found: list[Occurrence] = []
    for d in schedule.daily:
        found.extend(build.daily(b, d, last))
    for r in schedule.reminders:
        on = plan.start + timedelta(days=r.day - 1)
        if on <= last:
            found.append(
                b.made(
                    Kind.VISIT,
                    None,
                    None,
                    None,
                    key=r.day,
                    day=r.day,
                    title=Content(r.title),
                    brief=Content(r.short) if r.short else None,
                    dose=None,
                    start=on,
                    end=on + timedelta(days=1),
                    notes=b.notes(Content(r.text), sources=r.sources),
                    busy=False,
                )
            )
    found.extend(build.checks(b, last))
    pending = pending_choices(schedule, plan, choices, adjustments)
    decided = {a.id for a in adjustments if isinstance(a, ChoiceChange)}
    found.extend(build.decisions(b, slots, pending, decided, last))
    for slot in slots:
        if slot.first > last:
            break
        try:
            found.extend(o for o in build.cycle(b.on_day(slot.first), slot) if o.start_date <= last)
        except Refused as exc:
            index = next(
                i
                for i, a in enumerate(adjustments, 1)
                if isinstance(a, Interruption)
                and a.cycle == slot.number
                and (exc.interruption is None or a is exc.interruption)
            )
            raise refuse(plan, index, str(exc)) from None
    for i, a in enumerate(adjustments, 1):
        if isinstance(a, Hold):
            hold(plan, i, a, found)
        elif isinstance(a, Stop):
            apply_stop(a, found, b.tz)
    apply_zones([a for a in adjustments if isinstance(a, ZoneChange)], found, slots)
    found.sort(key=lambda o: sort_key(o, b.tz))
    return found


def changes_of(o: Occurrence) -> tuple[object, ...]:
    """What of an occurrence counts as a change for its SEQUENCE."""
    return (o.start, o.end, o.status, o.title_text, o.dose_text, o.note_parts)


def history(schedule: Schedule, plan: Plan) -> tuple[Occurrence, ...]:
    """Every occurrence of ``plan``, after each step of its history in turn, sorted by start.

    An event's SEQUENCE is the number of steps that changed it (plus the plan's ``revisions``
    of it, for definition upgrades); an event that a step removed is
    kept, cancelled, with its UID; ``moved_from`` is its date before any adjustment.
    """
    # One version at a time: keeping every version would hold (adjustments + 1) whole plans.
    sequence: dict[str, int] = {}
    seen: dict[str, Occurrence] = {}
    previous: dict[str, Occurrence] = {}
    original: dict[str, date] = {}
    for k in plan.steps():
        current = {o.uid: o for o in expand_once(schedule, plan, plan.adjustments[:k])}
        if not k:
            original = {uid: o.start_date for uid, o in current.items()}
        else:
            for uid, o in current.items():
                before = previous.get(uid) or seen.get(uid)
                if before is not None and changes_of(before) != changes_of(o):
                    sequence[uid] = sequence.get(uid, 0) + 1
            for uid in previous.keys() - current.keys():
                sequence[uid] = sequence.get(uid, 0) + 1
        seen.update(current)
        previous = current
    out = []
    for uid, o in seen.items():
        if uid not in previous:
            o = dataclasses.replace(o, status=Status.CANCELLED)
        was = original.get(uid)
        out.append(
            dataclasses.replace(
                o,
                sequence=sequence.get(uid, 0) + plan.revisions.get(uid, 0),
                moved_from=was if was is not None and was != o.start_date else None,
            )
        )
    out.sort(key=lambda o: sort_key(o, plan.tz))
    return tuple(out)
