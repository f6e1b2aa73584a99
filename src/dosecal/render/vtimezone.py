"""Outlook-style VTIMEZONEs built from zoneinfo: one STANDARD and one DAYLIGHT, each a yearly RRULE.

icalendar's own ``add_missing_timezones()`` writes RDATE lists; Outlook ignores RDATE, and
ical.js and vobject were seen to place doses after a March change an hour late with them
(docs/calendar.md). So the zone's transitions over the plan's years are read
from zoneinfo, reduced to one yearly rule per direction ("second Sunday of March at 02:00"),
and the rule is checked against zoneinfo at every instant the calendar uses. When no such
rule reproduces the zone exactly, :func:`build_rule` says so and the calendar falls back to
UTC times, which every client reads the same way.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class Observance:
    """One side of a zone's yearly rule.

    Attributes:
        name: the abbreviation (EST, EDT), for TZNAME.
        offset_from: the UTC offset before the onset.
        offset_to: the UTC offset from the onset on.
        onset: the local wall time of the first onset used, in ``offset_from``.
        month: the month of every onset, or ``None`` for a zone without changes.
        byday: the RRULE BYDAY value (``2SU``, ``-1SU``), or ``None``.
    """

    name: str
    offset_from: timedelta
    offset_to: timedelta
    onset: datetime
    month: int | None = None
    byday: str | None = None

    def onset_in(self, year: int) -> datetime:
        """The UTC instant of this observance's onset in ``year``."""
        return _onset(self, year)


@functools.lru_cache(maxsize=1024)
def _onset(o: Observance, year: int) -> datetime:
    """Observance ``o``'s onset in ``year`` as a UTC instant; cached, as every event asks."""
    assert o.month is not None and o.byday is not None
    nth, weekday = int(o.byday[:-2]), _WEEKDAYS.index(o.byday[-2:])
    days = [
        d
        for d in range(1, calendar.monthrange(year, o.month)[1] + 1)
        if calendar.weekday(year, o.month, d) == weekday
    ]
    day = days[nth - 1] if nth > 0 else days[nth]
    wall = o.onset.replace(year=year, month=o.month, day=day)
    return (wall - o.offset_from).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ZoneRule:
    """A zone as one STANDARD and, where it has DST, one DAYLIGHT observance.

    Attributes:
        tzid: the IANA name, used as TZID.
        standard: the observance with the smaller offset (or the only one).
        daylight: the observance with the larger offset, or ``None``.
    """

    tzid: str
    standard: Observance
    daylight: Observance | None

    def offset_at(self, instant: datetime) -> timedelta:
        """The UTC offset the rule gives at ``instant`` (aware)."""
        if self.daylight is None:
            return self.standard.offset_to
        year = instant.astimezone(UTC).year
        onsets = []
        for y in (year - 1, year, year + 1):
            onsets.append((self.standard.onset_in(y), self.standard.offset_to))
            onsets.append((self.daylight.onset_in(y), self.daylight.offset_to))
        current = max((o for o in onsets if o[0] <= instant), key=lambda o: o[0])
        return current[1]


def _transitions(tz: ZoneInfo, year: int) -> list[datetime]:
    """The UTC instants in ``year`` at which ``tz`` changes its offset, to the minute."""
    found: list[datetime] = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while day < end:
        nxt = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = day, nxt  # offset(lo) != offset(hi): bisect to the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= lo:
                    mid = lo + timedelta(minutes=1)
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        day = nxt
    return found


def _byday_options(local: datetime) -> set[str]:
    weekday = _WEEKDAYS[local.weekday()]
    options = {f"{(local.day - 1) // 7 + 1}{weekday}"}
    if local.day + 7 > calendar.monthrange(local.year, local.month)[1]:
        options.add(f"-1{weekday}")
    return options


def build_rule(tzid: str, instants: Iterable[datetime]) -> ZoneRule | None:
    """A yearly rule for ``tzid`` valid at every one of ``instants``, or ``None``.

    ``None`` means the zone's changes over those years are not one fixed yearly pattern
    (a rule changed, or transitions follow another calendar); the caller then writes UTC.
    """
    tz = ZoneInfo(tzid)
    moments = sorted(i.astimezone(UTC) for i in instants)
    if not moments:
        moments = [datetime(2000, 1, 1, tzinfo=UTC)]
    years = range(moments[0].year - 1, moments[-1].year + 2)
    changes = [t for y in years for t in _transitions(tz, y)]
    if not changes:
        first = moments[0].astimezone(tz)
        offset = first.utcoffset()
        assert offset is not None
        std = Observance(first.tzname() or tzid, offset, offset, datetime(1970, 1, 1))
        return ZoneRule(tzid, std, None)

    groups: dict[timedelta, list[tuple[datetime, timedelta, timedelta, str]]] = {}
    for t in changes:
        before = (t - timedelta(minutes=1)).astimezone(tz).utcoffset()
        after_local = t.astimezone(tz)
        after = after_local.utcoffset()
        assert before is not None and after is not None
        groups.setdefault(after, []).append((t, before, after, after_local.tzname() or tzid))
    if len(groups) != 2 or any(len(g) != len(years) for g in groups.values()):
        return None

    observances: list[Observance] = []
    for after, items in sorted(groups.items()):
        befores = {b for _, b, _, _ in items}
        if len(befores) != 1:
            return None
        before = befores.pop()
        walls = [(t + before).replace(tzinfo=None) for t, _, _, _ in items]
        if len({w.month for w in walls}) != 1 or len({w.time() for w in walls}) != 1:
            return None
        common = set.intersection(*(_byday_options(w) for w in walls))
        if not common:
            return None
        byday = min(common, key=lambda b: (b.startswith("-"), b))
        observances.append(Observance(items[0][3], before, after, walls[0], walls[0].month, byday))
    rule = ZoneRule(tzid, observances[0], observances[1])
    for moment in moments:
        if rule.offset_at(moment) != moment.astimezone(tz).utcoffset():
            return None
    return rule
