"""What a change moves, in words a nurse reads before confirming it: a summary, then the details.

:func:`~dosecal.service.courses.diff` lists every event that differs between two expansions of a
plan; a delay of one blinatumomab cycle makes 250 of them, and the one that matters (the
hospital stay moves a week) was buried among bag changes. :func:`preview` orders the same facts
for reading:

- a **summary** first: how far each cycle moves (consecutive cycles that move alike are said
  once: "Cycle 2 and after move 7 days later"), cycles added or removed, then each event that
  needs a person or a bed (every hospital stay, each stop and restart of an infusion, each held
  dose, each dose that changes), then what moves differently from its cycle (bag changes moved
  to 20:00 after a restart), then what a stop cancels;
- then the **details**: every event, grouped by cycle and by kind, in time order, so that an
  infusion's restart comes after its stop.

Pure and typed: two courses and the adjustments in, messages out (rendered by the page in the
nurse's language). No clock, no store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from dosecal.model.adjustments import Adjustment, Hold, Stop
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.service.courses import Move, diff
from dosecal.words import Value, msg

#: How a run of events moves: in words, or the name of the zone they keep their clock time in.
_How = TypeVar("_How", Value, str)

#: The groups of the details, in the order a nurse looks for them, and the kinds in each.
GROUPS: tuple[tuple[str, tuple[Kind, ...]], ...] = (
    ("hospital", (Kind.HOSPITAL,)),
    ("infusion", (Kind.INFUSION, Kind.INFUSION_END)),  # starts, stops, restarts and ends
    ("doses", (Kind.DOSE,)),
    ("premedication", (Kind.PREMEDICATION,)),
    ("bags", (Kind.BAG_CHANGE,)),
    ("tests", (Kind.TEST,)),
    ("visits", (Kind.VISIT,)),
    ("observation", (Kind.OBSERVATION,)),
    ("rest", (Kind.REST,)),
)
_GROUP_OF = {kind: name for name, kinds in GROUPS for kind in kinds}
#: Each group's heading, written out so that the catalogue's check finds every id in use.
_GROUP_TITLE = {
    "hospital": "preview.group.hospital",
    "infusion": "preview.group.infusion",
    "doses": "preview.group.doses",
    "premedication": "preview.group.premedication",
    "bags": "preview.group.bags",
    "tests": "preview.group.tests",
    "visits": "preview.group.visits",
    "observation": "preview.group.observation",
    "rest": "preview.group.rest",
}

#: Kinds whose change in dose the summary names one by one (a bag change only when its words say
#: the dose changes: the bags of a restart at a lower dose are counted with their move).
_DOSED = (Kind.DOSE, Kind.INFUSION)


@dataclass(frozen=True, slots=True)
class Line:
    """One event of the details.

    Attributes:
        label: its cycle and day (``C2D1``, ``C2D1–2``).
        title: what it is.
        change: what happens to it: moved, new, held, cancelled, its dose changed...
    """

    label: Value
    title: Value
    change: Value


@dataclass(frozen=True, slots=True)
class Group:
    """The events of one kind in one cycle, in time order.

    Attributes:
        kind: the group's id (a key of :data:`GROUPS`), for the page's markup.
        name: the group's name.
        lines: its events.
    """

    kind: str
    name: Value
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class CycleChanges:
    """The events of one cycle (or of the days outside cycles) that differ, by group.

    Attributes:
        cycle: the cycle number, or ``None`` outside cycles.
        heading: "Cycle 2", or the words for the days outside cycles.
        groups: the groups with events, in :data:`GROUPS` order.
    """

    cycle: int | None
    heading: Value
    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True)
class Preview:
    """A change before it is confirmed.

    Attributes:
        summary: the sentences that open it.
        cycles: the details, cycle by cycle in time order.
        count: how many events differ.
    """

    summary: tuple[Value, ...]
    cycles: tuple[CycleChanges, ...]
    count: int


def preview(before: Course, after: Course, adjustments: Sequence[Adjustment] = ()) -> Preview:
    """What ``after`` changes in ``before``, summarised then detailed.

    Args:
        before: the plan's course as it is.
        after: the course with the change.
        adjustments: the change's adjustments (a held dose reads "held", not "cancelled").
    """
    moves = diff(before, after)
    holds = [a for a in adjustments if isinstance(a, Hold)]
    lines: dict[int | None, dict[str, list[tuple[datetime, Line]]]] = {}
    for move in moves:
        o = _shown(move)
        words = Line(o.span_label_text, o.title_text, change_words(move, holds))
        lines.setdefault(o.cycle, {}).setdefault(_GROUP_OF[o.kind], []).append((_instant(o, after), words))
    cycles = []
    for cycle in sorted(lines, key=lambda c: (c is None, c or 0)):
        by_group = lines[cycle]
        groups = tuple(
            Group(name, msg(_GROUP_TITLE[name]), tuple(line for _, line in sorted(found, key=_first)))
            for name, _ in GROUPS
            if (found := by_group.get(name))
        )
        heading = msg("preview.cycle", cycle=cycle) if cycle is not None else msg("preview.no_cycle")
        cycles.append(CycleChanges(cycle, heading, groups))
    return Preview(_summary(before, after, moves, holds, adjustments), tuple(cycles), len(moves))


def _first(item: tuple[datetime, Line]) -> datetime:
    return item[0]


def _shown(move: Move) -> Occurrence:
    o = move.after or move.before
    assert o is not None
    return o


def _instant(o: Occurrence, course: Course) -> datetime:
    """When the event starts, as an instant (an all-day event at its local midnight)."""
    start = o.start if isinstance(o.start, datetime) else datetime.combine(o.start, time(0), course.zone)
    return start.astimezone(UTC)


def _when(moment: date) -> Value:
    if isinstance(moment, datetime):
        return msg("store.when", date=moment.date(), time=moment.time())
    return moment


def _held(o: Occurrence, holds: Sequence[Hold]) -> bool:
    """Whether a hold of this change names the event's day (and its drug, if the hold names one)."""
    return any(
        h.day == o.day and h.cycle == o.cycle and (h.agent is None or h.agent == o.agent) for h in holds
    )


def change_words(move: Move, holds: Sequence[Hold] = ()) -> Value:
    """What happens to one event, in words: its move, or that it is new, held, cancelled, changed."""
    b, a = move.before, move.after
    if b is None:
        assert a is not None
        return msg("preview.added", when=_when(a.start))
    if a is None:
        return msg("preview.removed", when=_when(b.start))
    if b.status != a.status:
        if a.status == Status.CANCELLED:
            key = "preview.held" if _held(a, holds) else "preview.cancelled"
            return msg(key, when=_when(a.start))
        return msg("preview.planned_again", when=_when(a.start))
    if move.kind == "moved":
        if (
            isinstance(b.start, datetime)
            and isinstance(a.start, datetime)
            and b.start.date() == a.start.date()
        ):
            return msg(
                "preview.moved_same_day", date=a.start.date(), before=b.start.time(), after=a.start.time()
            )
        return msg("preview.moved", before=_when(b.start), after=_when(a.start))
    if b.dose != a.dose and a.dose_text is not None and b.dose_text is not None:
        return msg("preview.dose", when=_when(a.start), before=b.dose_text, after=a.dose_text)
    if b.title != a.title:
        return msg("preview.retitled", when=_when(a.start), before=b.title_text)
    if b.end != a.end:
        return msg("preview.ends", when=_when(a.start), end=_when(_last(a)))
    return msg("preview.details", when=_when(a.start))


def _last(o: Occurrence) -> date:
    """The moment an event ends; for an all-day event, its last day (its end is the day after)."""
    if isinstance(o.end, datetime):
        return o.end
    return o.end - timedelta(days=1)


# The summary


def _summary(
    before: Course,
    after: Course,
    moves: tuple[Move, ...],
    holds: Sequence[Hold],
    adjustments: Sequence[Adjustment],
) -> tuple[Value, ...]:
    old = {s.number: s.first for s in before.slots}
    new = {s.number: s.first for s in after.slots}
    shift = {n: (new[n] - old[n]).days for n in old.keys() & new.keys()}
    last = max(old.keys() | new.keys(), default=0)
    said: list[Value] = [*_shifts(shift, last)]
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    said += [_cycles_added(run, after) for run in _runs(added)]
    said += [msg("preview.cycles_removed", cycles=_cycle_words(run)) for run in _runs(removed)]
    covered: set[str] = set()
    said += _daily_runs(moves, covered)
    # Events that need a person or a bed, one by one in time order.
    notable = [m for m in moves if _shown(m).uid not in covered and _notable(m, added, removed, holds)]
    for move in sorted(notable, key=lambda m: _instant(_shown(m), after)):
        covered.add(_shown(move).uid)
        said.append(_event_words(move, holds))
    # What moves otherwise than its cycle: by cycle, group and how far.
    odd: Counter[tuple[int | None, str, Value]] = Counter()
    firsts: dict[tuple[int | None, str, Value], Occurrence] = {}
    kept: Counter[tuple[int | None, str, str]] = Counter()
    kept_first: dict[tuple[int | None, str, str], Occurrence] = {}
    for move in moves:
        o = _shown(move)
        if o.uid in covered or o.cycle in added or o.cycle in removed or move.kind != "moved":
            continue
        assert move.before is not None and move.after is not None
        zone = _zone_kept(move.before, move.after)
        if zone is not None:  # the patient moved: the same clock time in the new zone
            covered.add(o.uid)
            kept[(o.cycle, _GROUP_OF[o.kind], zone)] += 1
            kept_first.setdefault((o.cycle, _GROUP_OF[o.kind], zone), o)
            continue
        how = _how_far(move.before, move.after, shift.get(o.cycle) if o.cycle is not None else None)
        covered.add(o.uid)
        if how is None:
            continue  # it moves with its cycle: said above
        key = (o.cycle, _GROUP_OF[o.kind], how)
        odd[key] += 1
        firsts.setdefault(key, o)
    said += _said_runs(
        _cycle_runs(odd, firsts),
        ("preview.knock_on_daily", "preview.knock_on", "preview.knock_on_cycles"),
        "how",
    )
    said += _said_runs(
        _cycle_runs(kept, kept_first),
        ("preview.zone_kept_daily", "preview.zone_kept", "preview.zone_kept_cycles"),
        "zone",
    )
    # What a held dose takes with it (its premedication, its observation): held too, in the details.
    covered.update(
        _shown(m).uid
        for m in moves
        if m.after is not None and m.after.status == Status.CANCELLED and _held(m.after, holds)
    )
    # What a stop cancels, counted.
    cancelled = [
        m
        for m in moves
        if _shown(m).uid not in covered
        and m.before is not None
        and m.after is not None
        and m.before.status == Status.PLANNED
        and m.after.status == Status.CANCELLED
    ]
    if cancelled:
        covered.update(_shown(m).uid for m in cancelled)
        stops = [a.on for a in adjustments if isinstance(a, Stop)]
        first_day = min(_shown(m).start_date for m in cancelled)
        said.append(msg("preview.stop_cancels", count=len(cancelled), date=min(stops, default=first_day)))
    others = sum(
        1 for m in moves if _shown(m).uid not in covered and _shown(m).cycle not in (*added, *removed)
    )
    if others:
        said.append(msg("preview.others", count=others))
    return tuple(said)


def _said_runs(
    runs: Sequence[tuple[int | None, int | None, str, _How, int, Occurrence]],
    words: tuple[str, str, str],
    field: str,
) -> list[Value]:
    """A sentence per run of cycles: ``words`` for daily events, one cycle, several cycles.

    ``field`` names what the runs share (how far they move, or the zone they keep time in).
    """
    daily, one, several = words
    return [
        msg(
            daily if start is None else one if start == end else several,
            group=msg(_GROUP_TITLE[group]),
            cycle=start,
            start=start,
            end=end,
            count=count,
            first=first.label_text,
            **{field: value},
        )
        for start, end, group, value, count, first in runs
    ]


def _cycle_runs(
    counts: Counter[tuple[int | None, str, _How]], firsts: dict[tuple[int | None, str, _How], Occurrence]
) -> list[tuple[int | None, int | None, str, _How, int, Occurrence]]:
    """Counted moves of consecutive cycles that move alike (same group, same way), said once.

    A new dose time or a move to another zone changes every later cycle the same way: one
    sentence per cycle and group made a dozen lines that said one thing.

    Returns:
        (first cycle, last cycle, group, how, count, first event) in the order first met.
    """
    runs: list[list[Any]] = []
    for (cycle, group, how), count in counts.items():
        for run in runs:
            if cycle is not None and run[1] == cycle - 1 and run[2] == group and run[3] == how:
                run[1] = cycle
                run[4] += count
                break
        else:
            runs.append([cycle, cycle, group, how, count, firsts[(cycle, group, how)]])
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in runs]


def _daily_runs(moves: tuple[Move, ...], covered: set[str]) -> list[Value]:
    """Days outside cycles added, and daily doses whose amount changes, said once per run.

    A daily drug planned three months further adds ninety doses, and a child weighed again
    changes every later dose: named one by one they were a list of ninety lines. Each group of
    added days is said with its first and last date, each change of amount with its count and
    first date. The uids said are added to ``covered``.
    """
    added: dict[str, list[Occurrence]] = {}
    changed: dict[tuple[str | None, str, str], list[Occurrence]] = {}
    for move in moves:
        b, a = move.before, move.after
        if a is None or a.cycle is not None:
            continue
        if b is None:
            added.setdefault(_GROUP_OF[a.kind], []).append(a)
        elif (
            a.kind in _DOSED
            and b.status == a.status
            and b.dose != a.dose
            and b.dose_text is not None
            and a.dose_text is not None
        ):
            changed.setdefault((a.agent, str(b.dose_text), str(a.dose_text)), []).append(a)
    said: list[Value] = []
    for name, _ in GROUPS:
        if found := sorted(added.get(name, ()), key=lambda o: o.start_date):
            covered.update(o.uid for o in found)
            group = msg(_GROUP_TITLE[name])
            if len(found) == 1:
                said.append(msg("preview.day_added", group=group, start=found[0].start_date))
                continue
            said.append(
                msg(
                    "preview.days_added",
                    group=group,
                    count=len(found),
                    start=found[0].start_date,
                    end=found[-1].start_date,
                )
            )
    for run in changed.values():
        if len(run) < 2:
            continue  # one dose: named with the other events, with its time
        run.sort(key=lambda o: o.start_date)
        first = run[0]
        covered.update(o.uid for o in run)
        before = next(m.before for m in moves if m.after is first)
        assert before is not None and before.dose_text is not None and first.dose_text is not None
        said.append(
            msg(
                "preview.doses_changed",
                title=first.title_text,
                count=len(run),
                before=before.dose_text,
                after=first.dose_text,
                date=first.start_date,
            )
        )
    return said


def _zone_kept(b: Occurrence, a: Occurrence) -> str | None:
    """The new zone's name, when an event keeps its day and clock time in another zone; else ``None``."""
    if not (isinstance(b.start, datetime) and isinstance(a.start, datetime)):
        return None
    before, after = getattr(b.start.tzinfo, "key", None), getattr(a.start.tzinfo, "key", None)
    if before == after or not isinstance(after, str):
        return None
    return after if b.start.replace(tzinfo=None) == a.start.replace(tzinfo=None) else None


def _notable(move: Move, added: list[int], removed: list[int], holds: Sequence[Hold]) -> bool:
    """Whether the summary names this event alone: a stay, a stop or restart, a held dose, a dose change.

    Doses a stop cancels are counted together instead; so are events of cycles added or removed.
    """
    o = _shown(move)
    if o.cycle is not None and (o.cycle in added or o.cycle in removed):
        return False
    b, a = move.before, move.after
    if o.kind == Kind.HOSPITAL:
        return True
    if o.kind in (Kind.INFUSION, Kind.INFUSION_END) and (o.stopped or o.restart):
        return True
    if b is not None and a is not None:
        if b.status == Status.PLANNED and a.status == Status.CANCELLED:
            return o.kind in (Kind.DOSE, Kind.INFUSION) and _held(a, holds)
        if o.kind in _DOSED and b.dose != a.dose and b.status == a.status:
            return True
        if o.kind in (Kind.BAG_CHANGE, Kind.VISIT) and b.title != a.title:
            return True  # "new bag: dose changes to 28 mcg/day"; the care team's decision
    return a is not None and b is None and o.kind in (Kind.DOSE, Kind.INFUSION)


def _event_words(move: Move, holds: Sequence[Hold]) -> Value:
    o = _shown(move)
    if (
        o.kind == Kind.HOSPITAL
        and move.kind == "moved"
        and move.before is not None
        and move.after is not None
    ):
        key = "preview.stay_moved" if o.cycle is not None else "preview.stay_moved_daily"
        return msg(key, cycle=o.cycle, before=move.before.start_date, after=move.after.start_date)
    return msg("preview.event", label=o.span_label_text, title=o.title_text, change=change_words(move, holds))


def _how_far(b: Occurrence, a: Occurrence, cycle_shift: int | None) -> Value | None:
    """How an event moves, when not as its cycle does (``None``: it moves with its cycle)."""
    days = (a.start_date - b.start_date).days
    if isinstance(b.start, datetime) and isinstance(a.start, datetime):
        same_clock = b.start.time() == a.start.time()
        if days == cycle_shift and same_clock:
            return None
        if not same_clock:
            if days == 0:
                return msg("preview.to_time", before=b.start.time(), after=a.start.time())
            return msg("preview.by_days_to_time", days=_days(days), after=a.start.time())
    elif days == cycle_shift:
        return None
    return _days(days)


def _days(days: int) -> Value:
    length = msg("length.days", count=abs(days))
    return msg("preview.later" if days > 0 else "preview.earlier", length=length)


def _shifts(shift: dict[int, int], last: int) -> list[Value]:
    """Consecutive cycles moved by the same number of days, said once each run."""
    said: list[Value] = []
    runs: list[tuple[int, int, int]] = []  # first, last, days
    for n in sorted(shift):
        days = shift[n]
        if not days:
            continue
        if runs and runs[-1][1] == n - 1 and runs[-1][2] == days:
            runs[-1] = (runs[-1][0], n, days)
        else:
            runs.append((n, n, days))
    for first, end, days in runs:
        length = msg("length.days", count=abs(days))
        later = days > 0
        if end == last and first != last:
            key = "preview.shift_from_later" if later else "preview.shift_from_earlier"
            said.append(msg(key, cycle=first, length=length))
        elif first == end:
            key = "preview.shift_one_later" if later else "preview.shift_one_earlier"
            said.append(msg(key, cycle=first, length=length))
        else:
            key = "preview.shift_range_later" if later else "preview.shift_range_earlier"
            said.append(msg(key, first=first, last=end, length=length))
    return said


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _cycle_words(run: tuple[int, int]) -> Value:
    first, last = run
    return (
        msg("preview.cycle", cycle=first) if first == last else msg("preview.cycles", first=first, last=last)
    )


def _cycles_added(run: tuple[int, int], after: Course) -> Value:
    first, last = run
    days = [o.start_date for o in after if o.cycle is not None and first <= o.cycle <= last]
    slots = [s.first for s in after.slots if s.number == first]
    start = slots[0] if slots else min(days)
    return msg("preview.cycles_added", cycles=_cycle_words(run), start=start, end=max(days, default=start))
