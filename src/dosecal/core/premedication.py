"""Premedication: before each dose or step it precedes, and before a restart, never at its minute.

Where the label gives an offset ("1 hour prior") it is used; where it says only "prior to",
the event stands :data:`UNTIMED_PREMEDICATION_MINUTES` before and says the care team sets the
time. A restart after a long enough interruption is premedicated at the restart, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from dosecal.core.builder import Builder
from dosecal.core.cycles import CycleClock
from dosecal.model.clock import POINT_MINUTES, shift
from dosecal.model.occurrence import Kind, Occurrence
from dosecal.model.rules import Premedication
from dosecal.model.slot import CycleSlot, InfusionStop
from dosecal.words import Text, msg

#: Where a premedication's label says only "before" (no offset), the calendar places it this many
#: minutes before the dose and says that the care team sets the time. A display choice of
#: dosecal's, not a clinical number: it keeps the premedication visibly before the infusion.
UNTIMED_PREMEDICATION_MINUTES = 30


def brief_of(b: Builder, pre: Premedication, on: date) -> Text:
    """A premedication's phone title: the medicine and amount, or its name where the team sets it.

    "Premedication" alone where the dose is "as prescribed by your care team": the notes say so.
    """
    if not any(c.isdigit() for c in pre.dose):
        return b.brief_name(pre.agent)
    return msg("title.dose", agent=b.brief_name(pre.agent), dose=b.brief_dose(pre.dose, pre.agent, on))


def premedication_events(
    b: Builder, slot: CycleSlot, clock: CycleClock, restarts: list[InfusionStop]
) -> Iterator[Occurrence]:
    """Premedication before doses, steps and restarts, always before the time it precedes.

    A restart after an interruption of at least ``restart_after_hours`` gets the premedication
    at the restart, never on the day the infusion stopped; a new cycle started by a long
    interruption has one premedication on its first day, noted as the restart's.
    """
    phase, n = slot.phase, slot.number
    planned: list[tuple[Premedication, datetime, int, str | None]] = []  # rule, target, key, why
    resumes: list[tuple[datetime, int]] = []
    for pre in phase.premedications:
        if not pre.selector.applies(n, b.choices):
            continue
        segments = b.segment_log.get((n, pre.before))
        for day in pre.days:
            if segments is not None:
                # Before the bag that starts that day's dose, where the stretches put it; a step
                # that a restart dose replaced has none (the step back up gets one instead).
                found = [g.start for g in segments if g.key == day and g.how in ("start", "step")]
                if not found:
                    continue
                target = found[0]
            else:
                target = clock.moment(day, b.dose_time(pre.before, clock, day))
            if clock.keeps(target):
                planned.append((pre, target, day, "note.restart" if day == 1 and slot.resumed else None))
        if pre.restart:
            planned += [
                (pre, stop.restart_at, stop.interruption.day, "note.restart")
                for stop in restarts
                if stop.continues and stop.length >= timedelta(hours=pre.restart_after_hours)
            ]
        if pre.step_up and segments is not None:
            # The label premedicates "prior to a step dose": the step back up after a restart dose.
            steps_up = [(g.start, g.key) for g in segments if g.how == "resume"]
            resumes += steps_up
            planned += [(pre, moment, key, "note.before_resume") for moment, key in steps_up]
    if slot.resumed is not None and slot.resumed_phase is not None and slot.start_at is not None:
        # The previous cycle's restart premedication, where this cycle has none of its own on day 1.
        own = {pre.before for pre, _, key, _ in planned if key == 1}
        for pre in slot.resumed_phase.premedications:
            if (
                pre.restart
                and pre.before not in own
                and pre.selector.applies(n - 1, b.choices)
                and slot.resumed.length >= timedelta(hours=pre.restart_after_hours)
            ):
                planned.append((pre, slot.start_at, 1, "note.restart"))
    if restarts or resumes:
        # A step that starts where the infusion restarts gets one premedication, not two.
        merged: list[tuple[Premedication, datetime, int, str | None]] = []
        for item in planned:
            pre, target, key, why = item
            twin = next(
                (k for k, x in enumerate(merged) if x[0].before == pre.before and x[1] == target), None
            )
            if twin is None:
                merged.append(item)
            elif why is not None:
                merged[twin] = (*merged[twin][:3], why)
        planned = merged
    for pre, target, key, why in planned:
        minutes = pre.minutes_before or UNTIMED_PREMEDICATION_MINUTES
        start, end = b.point(shift(target, -minutes), min(POINT_MINUTES, minutes))
        dose = b.dose(pre.dose, pre.agent, target.date())
        timing = (
            msg("note.premedication", minutes=pre.minutes_before, before=b.name(pre.before))
            if pre.minutes_before
            else msg("note.premedication_before", before=b.name(pre.before))
        )
        yield b.made(
            Kind.PREMEDICATION,
            pre.agent,
            phase,
            n,
            key=key,
            day=clock.day_of(target.date()),
            title=msg(
                "title.premedication",
                agent=b.name(pre.agent),
                dose=dose,
                before=b.name(pre.before, lower=True),
            ),
            brief=brief_of(b, pre, target.date()),
            dose=dose,
            start=start,
            end=end,
            notes=b.notes(
                timing,
                msg(why) if why else None,
                sources=pre.sources,
                when=target.date(),
                key=False,
            ),
            reminder=True,
        )
