"""What printable renderers share: the course's cycles, each day's label and events, the months.

Computed from the same occurrences as the calendar, so the paper and the phone never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dosecal.model.adjustments import BodySize, DoseChange, Interruption
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.words import ENGLISH, Language, Msg, msg

#: Kinds drawn as spans over days rather than as moments.
SPANS = (Kind.INFUSION, Kind.HOSPITAL, Kind.REST)


@dataclass(frozen=True, slots=True)
class CycleRow:
    """One cycle of the course overview.

    Attributes:
        number: the cycle number.
        phase: the phase name.
        first: day 1's date.
        last: the last day's date (rest included).
        treatment: infusion or dose days, in label words ("D1–28", "D1, 8, 15"), or ``None``.
        rest: the treatment-free days ("D29–42"), or ``None``.
        hospital: the hospital days ("D1–9"), or ``None``.
    """

    number: int
    phase: str
    first: date
    last: date
    treatment: Msg | None
    rest: Msg | None
    hospital: Msg | None


def _days_text(days: list[int]) -> Msg | None:
    """``[1, 2, 3, 8]`` as ``D1–3, 8``."""
    if not days:
        return None
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return msg("label.days", runs=", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs))


def called_off(o: Occurrence, lang: Language) -> str | None:
    """The word a cancelled event is flagged with (a dose is HELD, anything else CANCELLED)."""
    if o.status is not Status.CANCELLED:
        return None
    return lang.text(o.cancelled_word)


def span_days(o: Occurrence) -> list[int]:
    """The cycle (or plan) day numbers an occurrence covers."""
    return list(range(o.day, o.day + len(o.dates)))


def _new_doses(course: Course) -> list[Occurrence]:
    """The first dose of each drug at a new dose after a change the care team made.

    A dose change (``--change-dose``) or a new body size (``--body-size``: a weight band, a
    dose per m²) from a date: the first planned dose or infusion of the drug on or after it whose
    dose differs from the last one before it. A step the schedule itself plans (9 to 28 mcg/day)
    is not a change of plan: its cell already says the dose.
    """
    found: dict[int, Occurrence] = {}
    given = [
        o for o in course.occurrences if o.kind in (Kind.DOSE, Kind.INFUSION) and o.status is Status.PLANNED
    ]
    for a in course.plan.adjustments:
        if not isinstance(a, DoseChange | BodySize):
            continue
        agents = {a.agent} if isinstance(a, DoseChange) else {o.agent for o in given}
        for agent in agents:
            mine = [o for o in given if o.agent == agent]
            before = [o for o in mine if o.start_date < a.start]
            after = [o for o in mine if o.start_date >= a.start]
            if before and after and after[0].dose != before[-1].dose:
                found[id(after[0])] = after[0]
    return list(found.values())


class Layout:
    """A plan's occurrences arranged by cycle, by day and by month."""

    def __init__(self, course: Course, lang: Language = ENGLISH) -> None:
        self.course = course
        self.lang = lang
        self.occurrences = course.occurrences
        self.schedule = course.schedule
        self.plan = plan = course.plan
        self.choices = course.choices
        self.planned = course.planned_cycles
        self.cycles = [(s.number, s.phase, s.first, s.last) for s in course.slots]
        ends = [
            o.end.date() if isinstance(o.end, datetime) else o.end - timedelta(days=1)
            for o in self.occurrences
        ]
        self.first = plan.start
        self.last = max([course.horizon, *ends])
        #: The drugs given (doses and infusions, not premedication), in order of first appearance.
        self.drugs = tuple(
            dict.fromkeys(
                o.agent for o in self.occurrences if o.agent and o.kind in (Kind.DOSE, Kind.INFUSION)
            )
        )
        # When an infusion stopped at a clock time the care team gave (C1D10@14:00), by drug.
        given = {
            (a.cycle, a.day) for a in plan.adjustments if isinstance(a, Interruption) and a.at is not None
        }
        self.given_stops: dict[str, list[datetime]] = defaultdict(list)
        for o in self.occurrences:
            if (
                o.kind is Kind.INFUSION_END
                and o.stopped
                and o.agent
                and (o.cycle, o.day) in given
                and isinstance(o.start, datetime)
            ):
                self.given_stops[o.agent].append(o.start)
        # How far each cycle's first event moved: an event that moved just as far moved with its
        # cycle, and the month grid says MOVED once, where the cycle now starts.
        self.cycle_shift: dict[int, int] = {}
        #: Where a delayed cycle was due: its old first day -> (cycle, the day it now starts).
        self.was_due: dict[date, tuple[int, date]] = {}
        for o in self.occurrences:
            if o.cycle is not None and o.cycle not in self.cycle_shift and o.status is Status.PLANNED:
                self.cycle_shift[o.cycle] = (o.start_date - o.moved_from).days if o.moved_from else 0
                if o.moved_from is not None and o.moved_from != o.start_date:
                    self.was_due[o.moved_from] = (o.cycle, o.start_date)
        #: The first dose at a dose the care team changed (by id): marked NEW DOSE, a key date.
        self.new_doses: dict[int, Occurrence] = {id(o): o for o in _new_doses(course)}
        self.by_day: dict[date, list[Occurrence]] = defaultdict(list)
        self.covering: dict[date, list[Occurrence]] = defaultdict(list)
        for o in self.occurrences:
            if o.kind in SPANS and o.status is Status.PLANNED:
                # A cancelled span (a cycle an interruption ended) shades nothing; it is listed.
                for day in o.dates:
                    self.covering[day].append(o)
            else:
                self.by_day[o.start_date].append(o)

    def label(self, day: date) -> Msg | None:
        """``C2D8`` for a day inside a cycle, ``Day 12`` for a plan day outside cycles, or ``None``."""
        for n, _, first, last in self.cycles:
            if first <= day <= last:
                return msg("label.cycle_day", cycle=n, day=(day - first).days + 1)
        if self.schedule.daily and day >= self.plan.start:
            return msg("label.plan_day", day=(day - self.plan.start).days + 1)
        return None

    def rows(self) -> list[CycleRow]:
        """One overview row per planned cycle, read from the occurrences of that cycle."""
        out = []
        for n, phase, first, last in self.cycles:
            mine = [o for o in self.occurrences if o.cycle == n and o.status is Status.PLANNED]
            treatment: list[int] = []
            for o in mine:
                if o.kind is Kind.INFUSION:
                    treatment += span_days(o)
                elif o.kind is Kind.DOSE:
                    treatment.append(o.day)
            rest = [d for o in mine if o.kind is Kind.REST for d in span_days(o)]
            stay = [d for o in mine if o.kind is Kind.HOSPITAL for d in span_days(o)]
            out.append(
                CycleRow(
                    n, phase.name, first, last, _days_text(treatment), _days_text(rest), _days_text(stay)
                )
            )
        return out

    def months(self) -> list[tuple[int, int]]:
        """Every (year, month) from the first to the last day of the plan."""
        out = []
        year, month = self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            out.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
