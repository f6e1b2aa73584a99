"""The calendar's own content-line writer writes what icalendar wrote, byte for byte (hypothesis).

dosecal.render.contentlines replaced icalendar's ``to_ical`` for speed; calendars must not
change, so each value type and the folding are compared with icalendar on generated input,
and folded lines are checked against RFC 5545 (at most 75 octets, no UTF-8 character split).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar, Event, vDuration, vUTCOffset

from conftest import builtin
from dosecal.core.expand import expand
from dosecal.model.plan import Plan
from dosecal.render.contentlines import (
    date_value,
    datetime_value,
    duration_value,
    fold,
    text,
    utc_offset_value,
    verbatim,
)
from dosecal.render.ics import to_ics

#: Text with what folding and escaping must handle: escapes, carets, accents, en dashes,
#: emoji (four octets), newlines, and long runs of each.
texts = st.text(
    alphabet=st.sampled_from([*"ab ,;:\\^\n\r\"'", "é", "–", "ç", "😀", "中", "N"]),
    max_size=400,
)


def icalendar_lines(name: str, value: object) -> bytes:
    """What icalendar writes for one property of an event, without BEGIN and END."""
    event = Event()
    event.add(name, value)
    written: bytes = event.to_ical()
    return written.removeprefix(b"BEGIN:VEVENT\r\n").removesuffix(b"END:VEVENT\r\n")


@given(st.sampled_from(["SUMMARY", "DESCRIPTION", "UID", "TZNAME"]), texts)
def test_a_text_property_is_escaped_and_folded_as_icalendar_does_it(name: str, value: str) -> None:
    assert text(name, value).encode("utf-8") == icalendar_lines(name, value)


@given(
    st.sampled_from(["X-WR-CALDESC", "NAME", "X-DOSECAL-HASH"]),
    texts.filter(lambda t: "\n" not in t and "\r" not in t),
)
def test_a_property_icalendar_does_not_know_is_written_verbatim_as_it_did(name: str, value: str) -> None:
    assert verbatim(name, value).encode("utf-8") == icalendar_lines(name, value)


@given(texts.map(lambda t: "DESCRIPTION:" + t.replace("\n", " ").replace("\r", " ")))
def test_folded_lines_hold_at_most_75_octets_and_unfold_to_the_line(line: str) -> None:
    folded = fold(line).encode("utf-8")
    physical = folded.split(b"\r\n")
    assert all(len(piece) <= 75 for piece in physical)
    assert all(piece.startswith(b" ") for piece in physical[1:])
    for piece in physical:
        piece.decode("utf-8")  # raises if a character was cut in two
    assert b"".join(p.removeprefix(b" ") if k else p for k, p in enumerate(physical)) == line.encode("utf-8")


@given(
    st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(days=40)).map(
        lambda d: d - timedelta(microseconds=d.microseconds)
    )
)
def test_durations_and_utc_offsets_are_written_as_icalendar_writes_them(span: timedelta) -> None:
    assert duration_value(span) == vDuration(span).to_ical().decode()
    offset = timedelta(seconds=span.total_seconds() % (28 * 3600) - 14 * 3600)
    assert utc_offset_value(offset) == vUTCOffset(offset).to_ical()


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_dates_and_times_are_written_as_icalendar_writes_them(moment: datetime) -> None:
    assert (
        icalendar_lines("DTSTART", moment.date())
        == f"DTSTART;VALUE=DATE:{date_value(moment.date())}\r\n".encode()
    )
    assert icalendar_lines("DTSTART", moment) == f"DTSTART:{datetime_value(moment)}\r\n".encode()
    utc = moment.replace(tzinfo=UTC)
    assert icalendar_lines("DTSTART", utc) == f"DTSTART:{datetime_value(utc, utc=True)}\r\n".encode()


def test_a_zone_that_icalendar_counts_as_utc_is_written_with_z_and_the_others_with_their_tzid() -> None:
    """Africa/Abidjan keeps UTC all year: icalendar wrote its times with Z, and so does dosecal.

    Europe/London is at UTC in winter, but has summer time: its times keep their TZID.
    """
    for zone, tzid in (("Africa/Abidjan", False), ("Europe/London", True)):
        plan = Plan(start=date(2027, 1, 4), timezone=zone)
        ics = to_ics(expand(builtin("imatinib"), plan)).decode()
        assert (f"DTSTART;TZID={zone}:20270104T" in ics) is tzid
        events = [
            c for c in Calendar.from_ical(ics).walk("VEVENT") if isinstance(c.decoded("DTSTART"), datetime)
        ]
        first = events[0].decoded("DTSTART")
        assert first == datetime(2027, 1, 4, 8, tzinfo=ZoneInfo(zone))
