"""Occurrences: the dated events of one plan, each with an identity that survives date changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dosecal.model.clock import local
from dosecal.words import ENGLISH, Msg, Text, Value, msg


class Kind(StrEnum):
    """What an occurrence is; the values are the JSON contract's ``kind`` strings."""

    DOSE = "dose"
    INFUSION = "infusion"
    BAG_CHANGE = "bag-change"
    PREMEDICATION = "premedication"
    HOSPITAL = "hospital"
    OBSERVATION = "observation"
    REST = "rest"
    VISIT = "visit"
    TEST = "test"
    INFUSION_END = "infusion-end"


class Status(StrEnum):
    """Whether an occurrence is still planned; a held dose stays, cancelled."""

    PLANNED = "planned"
    CANCELLED = "cancelled"


_UNSAFE = re.compile(r"[^a-z0-9-]+")


def slug(text: str) -> str:
    """Lowercase ``text`` and keep it to letters, digits and hyphens, for UIDs."""
    return _UNSAFE.sub("-", text.lower()).strip("-") or "plan"


@dataclass(frozen=True, slots=True, order=True)
class OccurrenceId:
    """What an occurrence is, independent of when: the source of its UID.

    Delaying cycle 2 moves its events but keeps these fields, hence the UIDs, so a calendar
    that honours UIDs updates the events instead of adding copies.

    Attributes:
        plan: the plan id (a slug).
        agent: the agent id, or ``"course"`` for stays and rest periods.
        kind: the occurrence kind.
        cycle: the cycle number, or ``None`` for daily dosing outside cycles.
        day: the cycle day, or the plan day for daily dosing.
        ordinal: which one of several of the same kind on that day (1-based).
    """

    plan: str
    agent: str
    kind: Kind
    cycle: int | None
    day: int
    ordinal: int = 1

    def to_string(self) -> str:
        """A readable, stable string: ``dasatinib-2027-01-04.dasatinib.dose.d12.1``."""
        where = f"c{self.cycle}.d{self.day}" if self.cycle is not None else f"d{self.day}"
        return f"{self.plan}.{self.agent}.{self.kind.value}.{where}.{self.ordinal}"

    @property
    def uid(self) -> str:
        """The iCalendar UID: globally unique by the ``@dosecal`` domain part."""
        return f"{self.to_string()}@dosecal"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated event of a plan.

    Attributes:
        id: the identity (see :class:`OccurrenceId`).
        kind: what it is.
        agent: the agent id, or ``None`` for stays and rest.
        phase: the phase name, or ``None`` outside cycles.
        cycle: the cycle number, or ``None``.
        day: the cycle day (or plan day for daily dosing).
        title_text: the one-line summary a patient reads, as a message.
        dose_text: the dose as written (with the amount for the body size), if any.
        start: a ``date`` for all-day events, else an aware ``datetime`` in the plan's zone.
        end: exclusive end of the same type (an all-day span of days 1-28 ends on day 29).
        note_parts: the longer text, a line each: instructions, windows, sources, the notice.
        status: planned or cancelled.
        sequence: the iCalendar SEQUENCE, raised when an adjustment changes the event.
        reminder: whether a calendar reminder belongs on it (doses, infusion starts).
        busy: whether it makes the patient busy (TRANSP:OPAQUE) in a calendar.
        moved_from: the date it had before any adjustment, when an adjustment moved it.
        window: the earliest and latest dates the label allows for a dose with a window.
        supervised: an infusion start or restart that needs a health care professional's
            supervision or a hospital stay.
        restart: an infusion that restarts after an interruption.
        stopped: the moment an interruption stops an infusion.
        cell_text: the word or two a month grid's narrow cell shows for a test ("ECG"), if any.
        brief_text: the title a phone shows, when :attr:`title_text` is longer than a phone's
            month and week views fit (30 characters): the drug, the dose and what happens;
            what it leaves out is in the notes.
    """

    id: OccurrenceId
    kind: Kind
    agent: str | None
    phase: str | None
    cycle: int | None
    day: int
    title_text: Text
    dose_text: Text | None
    start: date | datetime
    end: date | datetime
    note_parts: tuple[Value, ...] = ()
    status: Status = Status.PLANNED
    sequence: int = 0
    reminder: bool = False
    busy: bool = True
    moved_from: date | None = None
    window: tuple[date, date] | None = None
    supervised: bool = False
    restart: bool = False
    stopped: bool = False
    cell_text: Text | None = None
    brief_text: Text | None = None

    @property
    def uid(self) -> str:
        """The iCalendar UID."""
        return self.id.uid

    @property
    def all_day(self) -> bool:
        """Whether start and end are dates rather than times."""
        return not isinstance(self.start, datetime)

    @property
    def title(self) -> str:
        """The title in English (renderers use :attr:`title_text` in the reader's language)."""
        return ENGLISH.text(self.title_text)

    @property
    def dose(self) -> str | None:
        """The dose in English, if any."""
        return ENGLISH.text(self.dose_text) if self.dose_text is not None else None

    @property
    def notes(self) -> str | None:
        """The notes in English, a line each."""
        return ENGLISH.lines(self.note_parts) if self.note_parts else None

    @property
    def label_text(self) -> Msg:
        """The cycle/day label nurses write (``C2D8``), or ``Day 12`` outside cycles."""
        if self.cycle is None:
            return msg("label.plan_day", day=self.day)
        return msg("label.cycle_day", cycle=self.cycle, day=self.day)

    @property
    def label(self) -> str:
        """The label in English: ``C2D8``."""
        return ENGLISH.text(self.label_text)

    @property
    def end_date(self) -> date:
        """The local date of the (exclusive) end."""
        return self.end.date() if isinstance(self.end, datetime) else self.end

    @property
    def dates(self) -> tuple[date, ...]:
        """The local dates it covers: from its start to the day before its end, at least one.

        An all-day span of days 1-9 covers 9 dates; an infusion from day 1 10:00 to day 8 10:00
        covers days 1-7 (the next step or the end event owns day 8); a dose covers its day.
        """
        count = max((self.end_date - self.start_date).days, 1)
        return tuple(self.start_date + timedelta(days=i) for i in range(count))

    @property
    def span_label_text(self) -> Msg:
        """The label of the days it covers: ``C1D1–9`` for a span, else :attr:`label_text`."""
        last = self.day + len(self.dates) - 1
        if last == self.day:
            return self.label_text
        if self.cycle is None:
            return msg("label.plan_days", first=self.day, last=last)
        return msg("label.cycle_days", cycle=self.cycle, first=self.day, last=last)

    @property
    def span_label(self) -> str:
        """The span's label in English."""
        return ENGLISH.text(self.span_label_text)

    @property
    def summary_text(self) -> Text:
        """The one line a calendar shows: the brief title (its cycle and day are in the notes).

        A cancelled event starts with the word the printed plan uses: HELD for a dose, else
        CANCELLED.
        """
        title = self.brief_text if self.brief_text is not None else self.title_text
        if self.status is Status.CANCELLED:
            return msg("title.cancelled", word=self.cancelled_word, title=title)
        return title

    @property
    def cancelled_word(self) -> Msg:
        """The word the printed plan and the calendar put on this event when it is cancelled."""
        return msg("held" if self.kind is Kind.DOSE else "cancelled")

    @property
    def summary(self) -> str:
        """The summary in English."""
        return ENGLISH.text(self.summary_text)

    @property
    def start_date(self) -> date:
        """The local date the occurrence starts on."""
        return self.start.date() if isinstance(self.start, datetime) else self.start


_KIND_ORDER = {
    k: i
    for i, k in enumerate(
        (
            Kind.HOSPITAL,
            Kind.REST,
            Kind.VISIT,
            Kind.TEST,
            Kind.PREMEDICATION,
            Kind.INFUSION,
            Kind.BAG_CHANGE,
            Kind.DOSE,
            Kind.OBSERVATION,
            Kind.INFUSION_END,
        )
    )
}


def sort_key(o: Occurrence, tz: ZoneInfo) -> tuple[datetime, int, str, str]:
    """Order by start instant (all-day events at local midnight), then kind, agent, UID."""
    start = o.start if isinstance(o.start, datetime) else local(o.start, time(0), tz)
    return (start.astimezone(UTC), _KIND_ORDER[o.kind], o.agent or "", o.uid)
