"""Wall-clock time in a plan's zone: local times, elapsed shifts and the days clocks change.

A dose at 08:00 is at 08:00 local time on every day, DST change days included. A time that
does not exist on a spring-forward day (02:30) moves forward by the gap (03:30), as the clock
on the wall does; an ambiguous autumn time takes its first occurrence. Offsets ("60 minutes
before") and durations are elapsed time.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: How long a point event (an oral dose, a bag change) lasts in a calendar; display only.
POINT_MINUTES = 15


def local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The aware local datetime of wall-clock time ``at`` on ``day``.

    A time inside a spring-forward gap is moved forward by the gap; an ambiguous time takes
    the first (daylight) occurrence.
    """
    # fold=0 whatever the caller passed: with fold=1 zoneinfo would move a gap time backward.
    return datetime.combine(day, at.replace(fold=0), tz).astimezone(UTC).astimezone(tz)


def shift(moment: datetime, minutes: int) -> datetime:
    """``moment`` moved by elapsed minutes (not wall-clock minutes), in the same zone."""
    tz = moment.tzinfo
    return (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)


def clocks_change(day: date, tz: ZoneInfo) -> bool:
    """Whether the zone's UTC offset changes during ``day``."""
    start = local(day, time(0), tz)
    end = local(day + timedelta(days=1), time(0), tz)
    return start.utcoffset() != end.utcoffset()


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, or the month's last day where it has none.

    A check "every 3 months" from 30 November falls on 28 (or 29) February, never in March.

    >>> add_months(date(2027, 1, 4), 3), add_months(date(2026, 11, 30), 3)
    (datetime.date(2027, 4, 4), datetime.date(2027, 2, 28))
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
