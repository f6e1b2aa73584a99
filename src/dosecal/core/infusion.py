"""Continuous infusions: stretches at one dose, bag changes, stops and restarts.

An infusion is cut into :class:`Segment` stretches: by its dose steps, by an interruption (the
stop and the restart), and by the restart dose that runs for the label's days after a restart
before the scheduled dose resumes. Each stretch hangs a bag; bag changes follow the plan's
interval.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosecal.core.builder import Builder, Segment
from dosecal.core.cycles import CycleClock, Refused, bag_time, moved
from dosecal.model.adjustments import SAME_DOSE, Interruption, with_unit
from dosecal.model.clock import local, shift
from dosecal.model.occurrence import Kind, Occurrence
from dosecal.model.rules import Infusion
from dosecal.model.schedule import BAG_CHOICE
from dosecal.model.slot import CycleSlot, InfusionStop
from dosecal.words import Content, msg


def merged(segments: list[Segment]) -> list[Segment]:
    """Join a step or resumed stretch to the one before when the dose does not change: no new bag."""
    out: list[Segment] = []
    for seg in segments:
        prev = out[-1] if out else None
        if (
            prev is not None
            and seg.how in ("step", "resume")
            and seg.dose == prev.dose
            and seg.start == prev.end
        ):
            out[-1] = dataclasses.replace(prev, end=seg.end)
        else:
            out.append(seg)
    return out


def segments(
    b: Builder, slot: CycleSlot, clock: CycleClock, inf: Infusion, restarts: list[InfusionStop]
) -> list[Segment]:
    """The infusion as stretches at one dose, split by steps, each interruption and its restart dose.

    The steps are laid out as the label gives them, then each stop of the cycle is applied in
    time order: what runs at the stop is cut there, what follows moves by the interruption (or
    ends, when the interruption ends the cycle), and the restart takes its dose by the label's
    rules. A second stop so cuts, and moves, what the first one moved.
    """
    at = b.time_of(inf.agent, slot)
    found = [
        Segment(
            clock.raw(step.days.first, at), clock.raw(step.days.last + 1, at), step.dose, how, step.days.first
        )
        for step, how in zip(inf.steps, ["start"] + ["step"] * (len(inf.steps) - 1), strict=True)
    ]
    if slot.resumed is not None and slot.start_at is not None and found:
        # The restart that began this cycle (a long interruption ended the one before) comes first.
        found = restart_dose(b, slot.resumed, inf, found, b.stopped_dose.get(slot.number - 1), slot.start_at)
    for k, stop in enumerate(slot.stops):
        found = interrupted(b, slot, stop, inf, found, restarts, bag_time(at, slot.stops[:k]))
    return found


def interrupted(
    b: Builder,
    slot: CycleSlot,
    stop: InfusionStop,
    inf: Infusion,
    found: list[Segment],
    restarts: list[InfusionStop],
    at: time,
) -> list[Segment]:
    """The stretches after one stop: cut at it, moved after it (or ended with the cycle), restarted.

    ``at`` is the wall time of the bag changes when this stop comes (the stops before it may
    have moved it by hours).
    """
    i = stop.interruption
    out: list[Segment] = []
    running: Segment | None = None  # the stretch the stop falls in, or the one beginning at it
    for seg in found:
        if seg.end <= stop.stop_at:
            out.append(seg)
        elif seg.start < stop.stop_at or (seg.start == stop.stop_at and running is None):
            if seg.start < stop.stop_at:
                out.append(dataclasses.replace(seg, end=stop.stop_at))
                b.stopped_dose[slot.number] = seg.dose
            else:  # it stops just as this stretch's bag is due
                b.stopped_dose[slot.number] = out[-1].dose if out else None
            running = seg
            if stop.continues:
                ends = moved(stop, seg.end, at, b.tz)
                out.append(Segment(stop.restart_at, ends, seg.dose, "restart", i.day, seg.restart))
        elif stop.continues:  # a later stretch, moved by the interruption
            out.append(
                dataclasses.replace(
                    seg, start=moved(stop, seg.start, at, b.tz), end=moved(stop, seg.end, at, b.tz)
                )
            )
    if running is None:
        return found  # no infusion runs then: the cycle refuses the stop
    restarts.append(stop)
    if stop.continues:
        return restart_dose(b, i, inf, out, None, stop.restart_at)
    return out


def restart_dose(
    b: Builder,
    i: Interruption,
    inf: Infusion,
    found: list[Segment],
    before_stop: str | None,
    restart_at: datetime | None,
) -> list[Segment]:
    """Give the stretch after a restart the restart dose: said, the label's after toxicity, or the care team's.

    It runs ``restart_days`` from the restart (the label: "escalate ... after 7 days"); then
    the scheduled dose resumes with a new bag. ``before_stop`` is the dose in force when a
    long interruption ended the previous cycle (``same`` restarts the new cycle at it), or
    ``None`` when the same cycle goes on (``same`` then lets the schedule go on).
    """
    if restart_at is None:
        return found
    k = next((x for x, seg in enumerate(found) if seg.start >= restart_at), None)
    if k is None:
        return found
    if i.restart == SAME_DOSE and before_stop is None:
        return found  # restarted as before in the same cycle: the schedule goes on
    if i.restart is None and i.cause is None and not reinitiation(inf, i):
        return found  # a short pause: the dose that was running resumes
    scheduled = found[k].dose
    dose: str | None
    if i.cause == "toxicity":
        if inf.toxicity_restart is None:
            raise Refused(msg("error.infusion.id_gives_no_restart", id=b.s.id, agent=inf.agent), i)
        dose = inf.toxicity_restart
    elif i.restart == SAME_DOSE:
        dose = before_stop
    elif i.restart is not None:
        dose = with_unit(i.restart, scheduled or "")
    else:
        dose = None
    # A restart dose the label or the care team gave runs the label's days, then the scheduled
    # dose resumes. A dose the care team sets runs to the next scheduled step only: what comes
    # after it (a step up, a premedication) is the team's to say, not the calendar's.
    until = (
        local(restart_at.date() + timedelta(days=inf.restart_days), restart_at.time(), b.tz)
        if inf.restart_days and dose is not None
        else found[k].end
    )
    out = found[:k]
    for seg in found[k:]:
        if seg.end <= until:
            out.append(dataclasses.replace(seg, dose=dose, restart=True))
        elif seg.start < until:
            out.append(dataclasses.replace(seg, end=until, dose=dose, restart=True))
            key = seg.key + (until.date() - seg.start.date()).days
            out.append(Segment(until, seg.end, seg.dose, "resume", key))
        else:
            out.append(seg)
    return merged(out)


def short_bag(hung: datetime, until: datetime, hours: int, stopped: bool, tz: ZoneInfo) -> int:
    """The hours a bag hung at ``hung`` runs when a step or the infusion's end cuts it short, else 0.

    A 96-hour bag hung 72 hours before the dose changes runs 72 hours, and the bag is made for
    that; the title and the note say so (clinical review 2026-11-30, #20). A bag cut by an
    interruption is not one (the stop is its own event), nor one that lasts until the next
    regular change: bags changed every 24 hours are changed at the same clock time, so the one
    hung the day the clocks go forward runs 23 hours by the watch and is a full bag.
    """
    if hours % 24 == 0:
        regular = local(hung.date() + timedelta(days=hours // 24), hung.time(), tz)
    else:
        regular = shift(hung, hours * 60)
    if stopped or until >= regular:
        return 0
    runs = (until.astimezone(UTC) - hung.astimezone(UTC)) / timedelta(hours=1)
    return max(1, round(runs))


def reinitiation(inf: Infusion, i: Interruption) -> bool:
    """Whether an interruption is long enough to be a reinitiation (4 hours or more for blinatumomab).

    The label asks for supervision, and for a restart dose after a reaction, when treatment is
    "interrupted for 4 or more hours"; a shorter pause (a line or pump problem) resumes the
    dose that was running.
    """
    return i.length >= timedelta(hours=inf.reinitiation_hours)


def infusion_events(
    b: Builder,
    slot: CycleSlot,
    clock: CycleClock,
    inf: Infusion,
    restarts: list[InfusionStop],
    hospital: set[date],
) -> Iterator[Occurrence]:
    """The infusion's stretches, bag changes and end; an interruption splits a stretch in two."""
    phase, n = slot.phase, slot.number
    agent = b.name(inf.agent)
    a = b.s.agents[inf.agent]
    instructions, _ = b.agent_notes(inf.agent)
    _, advice_sources = b.advice(inf.agent)
    planned, planned_sources = b.care_team()
    hours = int(b.choices[BAG_CHOICE]) if inf.bag_changes else 0
    bags = (
        msg("note.bag_interval", hours=hours, label=Content(b.s.choices[BAG_CHOICE].label)) if hours else None
    )
    found = segments(b, slot, clock, inf, restarts)
    # The doses given so far: a step up to a dose never given before, outside a hospital stay
    # (after a long interruption started a new cycle before the first step), is marked.
    given = {
        seg.dose
        for (m, agent_id), logged in b.segment_log.items()
        if agent_id == inf.agent and m < n
        for seg in logged
        if not seg.restart
    }
    b.segment_log[(n, inf.agent)] = found
    resumed = slot.resumed is not None
    stopped_at = {stop.stop_at for stop in slot.stops}
    for seg in found:
        start, end = seg.start, seg.end
        dose = b.dose(seg.dose, inf.agent, start.date())
        restarting = seg.how == "restart" or (resumed and seg.how == "start")
        after = slot.restarting_at(start) if seg.how == "restart" else None
        short_pause = after is not None and not reinitiation(inf, after.interruption)
        supervised = (
            a.supervised_starts
            and seg.how in ("start", "restart")
            and not short_pause
            and start.date() not in hospital
        )
        title = (
            msg("title.infusion_restart", agent=agent, dose=dose)
            if restarting
            else msg("title.infusion", agent=agent, dose=dose)
        )
        first_time = (
            a.supervised_starts
            and seg.how in ("step", "resume")
            and seg.dose is not None
            and seg.dose not in given
            and start.date() not in hospital
        )
        if not seg.restart:
            given.add(seg.dose)
        if supervised:
            title = msg("title.supervised", title=title)
        elif first_time:
            title = msg("title.first_at_dose", title=title)
        # The phone's title: what happens and the amount; supervision and the label's dose are in
        # the notes, which open with what to do.
        short, lower = b.brief_dose(seg.dose, inf.agent, start.date()), b.brief_name(inf.agent, lower=True)
        if restarting:
            brief = (
                msg("brief.restart", agent=lower, dose=short)
                if seg.dose is not None
                else msg("brief.restart_care", agent=lower)
            )
        elif supervised:
            brief = msg("brief.start", agent=lower, dose=short)
        elif first_time:
            brief = msg("brief.new_dose", agent=lower, dose=short)
        else:
            brief = msg("title.dose", agent=b.brief_name(inf.agent), dose=short)
        restart_note = None
        if seg.restart and seg.dose is None:
            restart_note = msg("note.restart_care_team")
        elif seg.restart:
            restart_note = msg("note.restart_dose", dose=dose, days=inf.restart_days)
        yield b.made(
            Kind.INFUSION,
            inf.agent,
            phase,
            n,
            key=seg.key,
            day=clock.day_of(start.date()),
            title=title,
            brief=brief,
            titled=False,
            dose=dose,
            start=start,
            end=end,
            notes=b.notes(
                msg(
                    "note.infusion",
                    agent=agent,
                    dose=dose,
                    start=msg(
                        "moment", date=start.date(), time=start.time(), label=clock.label(start.date())
                    ),
                    end=msg("moment", date=end.date(), time=end.time(), label=clock.label(end.date())),
                ),
                msg("note.restarts") if restarting else None,
                restart_note,
                msg("note.resume") if seg.how == "resume" else None,
                msg("note.supervised") if supervised else None,
                msg("note.first_at_dose") if first_time else None,
                bags,
                instructions,
                planned if seg.how == "start" else None,
                advice=b.key_advice(inf.agent)
                if seg.how in ("start", "restart") or restarting or first_time
                else None,
                key=seg.how in ("start", "restart") or restarting or first_time,
                sources=inf.steps[0].sources
                + inf.sources
                + (inf.restart_sources if seg.restart or restarting else ())
                + (a.supervision_sources if supervised or first_time else ())
                + a.sources
                + advice_sources
                + (planned_sources if seg.how == "start" else ()),
                when=start.date(),
            ),
            reminder=True,
            busy=False,
            supervised=supervised,
            restart=restarting,
        )
        if not hours:
            continue
        changes: list[tuple[datetime, str]] = []
        if seg.how != "start":
            changes.append((start, seg.how))
        k = 1
        while True:
            if hours % 24 == 0:
                moment = local(start.date() + timedelta(days=k * hours // 24), start.time(), b.tz)
            else:
                moment = shift(start, k * hours * 60)
            if moment >= end:
                break
            changes.append((moment, "change"))
            k += 1
        for j, (moment, kind) in enumerate(changes):
            runs = short_bag(
                moment, changes[j + 1][0] if j + 1 < len(changes) else end, hours, end in stopped_at, b.tz
            )
            title = {
                "step": msg("title.bag_step" if seg.dose else "title.bag_new", agent=agent, dose=dose),
                "resume": msg("title.bag_step", agent=agent, dose=dose),
                "restart": msg("title.bag_restart", agent=agent),
                "change": msg("title.bag_short", agent=agent, count=runs)
                if runs
                else msg("title.bag_change", agent=agent),
            }[kind]
            name = b.brief_name(inf.agent)
            bag_brief = {
                "step": msg("brief.bag_dose", agent=name, dose=short),
                "resume": msg("brief.bag_dose", agent=name, dose=short),
                "restart": msg("brief.bag_restart", agent=name),
                "change": None if runs else msg("brief.bag_change", agent=name),
            }.get(kind)
            at_moment, until = b.point(moment)
            # The label day it had before the interruptions moved it, so its UID stays.
            key = clock.day_of(clock.before(moment).date())
            yield b.made(
                Kind.BAG_CHANGE,
                inf.agent,
                phase,
                n,
                key=key,
                day=clock.day_of(moment.date()),
                title=title,
                brief=bag_brief,
                titled=kind != "change",
                dose=dose,
                start=at_moment,
                end=until,
                notes=b.notes(
                    msg("note.bag_short", count=runs, hours=hours) if runs else None,
                    bags,
                    instructions,
                    sources=inf.steps[0].sources + b.s.choices[BAG_CHOICE].sources,
                    when=moment.date(),
                    key=False,
                ),
                reminder=True,
            )
    if not found:
        return
    for stop in slot.stops:
        if stop not in restarts:
            continue
        # The moment the pump stops, with when it restarts: the rest of the cycle moves after it.
        at_moment, until = b.point(stop.stop_at)
        restart = stop.restart_at
        yield b.made(
            Kind.INFUSION_END,
            inf.agent,
            phase,
            n,
            key=stop.interruption.day,
            day=clock.day_of(stop.stop_at.date()),
            title=msg("title.infusion_stopped", agent=agent),
            brief=msg("brief.infusion_stopped", agent=b.brief_name(inf.agent)),
            dose=None,
            start=at_moment,
            end=until,
            notes=b.notes(
                msg(
                    "note.stopped",
                    restart=msg(
                        "moment",
                        date=restart.date(),
                        time=restart.time(),
                        label=clock.label(restart.date()),
                    ),
                )
                if stop.continues
                else msg(
                    "note.new_cycle", restart=msg("date_time", date=restart.date(), time=restart.time())
                ),
                sources=inf.sources + inf.restart_sources,
                when=stop.stop_at.date(),
            ),
            reminder=True,
            stopped=True,
        )
        if not stop.continues:
            return  # the cycle ends at the stop: its planned end no longer happens
    last_end = found[-1].end
    start, end = b.point(last_end)
    yield b.made(
        Kind.INFUSION_END,
        inf.agent,
        phase,
        n,
        key=inf.steps[-1].days.last + 1,
        day=clock.day_of(last_end.date()),
        title=msg("title.infusion_end", agent=agent),
        brief=msg("brief.infusion_end", agent=b.brief_name(inf.agent)),
        titled=False,
        dose=None,
        start=start,
        end=end,
        notes=b.notes(instructions, sources=inf.sources, when=last_end.date(), key=False),
        reminder=True,
    )
