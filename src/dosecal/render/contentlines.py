"""iCalendar content lines written directly: values, escaping and folding as icalendar 7 writes them.

Why not icalendar's ``Component.to_ical``: for each property it builds a value object, a
``Parameters`` mapping and a ``Contentline``, and folds that line one character at a time,
encoding each character to count its octets. For a two-year daily calendar (1,456 events) that
was most of ``dosecal generate``'s time, and importing icalendar was a third of a short
command's. The calendar renderer only writes a dozen kinds of property, so it writes them here,
and a calendar command no longer imports icalendar at all (it still reads calendars: the tests,
the CalDAV answers of ``dosecal publish``).

The bytes are icalendar's, deliberately, so that no calendar changes: the same TEXT escaping,
the same values (NAME and the X- properties verbatim, as its UNKNOWN type writes them), and
its folding, which is stricter than RFC 5545 asks: a first line holds at most 74 octets, each
continuation a space and at most 74, never splitting a UTF-8 character, and a backslash or a
caret that ends a piece moves to the next one so that no escape is cut in two.
``tests/test_content_lines.py`` checks each function against icalendar on generated text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

#: The octets a folded piece holds (icalendar's limit of 75, exclusive), before the CRLF and
#: not counting the space that starts a continuation.
PIECE = 74

#: Parameter values that are written as they are: no quoting, no RFC 6868 escape.
_PLAIN_PARAMETER = re.compile(r"[A-Za-z0-9/_+\-.=]*")


def escape(text: str) -> str:
    r"""A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, newlines as ``\n``.

    The order of the replacements is icalendar's (a literal ``\N`` first becomes a newline).
    """
    return (
        text.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """``line`` folded (RFC 5545 3.1): pieces of at most 74 octets joined by CRLF and a space.

    A piece never ends inside a UTF-8 character, and a piece of more than one character that
    ends with a backslash or a caret gives that character to the next piece.
    """
    if line.isascii():
        if len(line) <= PIECE:
            return line
        return "\r\n ".join(_ascii_pieces(line))
    data = line.encode("utf-8")
    if len(data) <= PIECE:
        return line
    return "\r\n ".join(_utf8_pieces(data))


def _ascii_pieces(line: str) -> list[str]:
    """The folded pieces of an ASCII line (one octet a character)."""
    pieces = []
    start, size = 0, len(line)
    while size - start > PIECE:
        end = start + PIECE
        if line[end - 1] in "\\^" and end - start > 1:
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return pieces


def _utf8_pieces(data: bytes) -> list[str]:
    """The folded pieces of a line's UTF-8 octets, each cut between two characters."""
    pieces = []
    start, size = 0, len(data)
    while size - start > PIECE:
        end = start + PIECE
        while data[end] & 0xC0 == 0x80:  # a continuation octet: the cut would split a character
            end -= 1
        if data[end - 1] in b"\\^" and end - start > 1:
            end -= 1
        pieces.append(data[start:end].decode("utf-8"))
        start = end
    pieces.append(data[start:].decode("utf-8"))
    return pieces


def line(name: str, value: str, parameters: str = "") -> str:
    """A content line, folded, with its CRLF: ``parameters`` as written (``;TZID=...``)."""
    return fold(f"{name}{parameters}:{value}") + "\r\n"


def text(name: str, value: str) -> str:
    """A TEXT property's content line."""
    return line(name, escape(value))


def verbatim(name: str, value: str) -> str:
    """A property that icalendar does not know (NAME, X-WR-CALNAME, X-...): written as given.

    Raises:
        ValueError: for a newline, which such a value cannot hold (icalendar refused it too).
    """
    if "\n" in value or "\r" in value:
        raise ValueError(f"{name}: a newline in a value that is written as it is")
    return line(name, value)


def parameter(name: str, value: str) -> str:
    """``;NAME=value``, quoted and escaped (RFC 6868) as icalendar does when the value needs it."""
    if _PLAIN_PARAMETER.fullmatch(value) is None:
        from icalendar.parser import Parameters  # a zone name with a comma or quote: never seen

        written: bytes = Parameters({name: value}).to_ical()
        return ";" + written.decode("utf-8")
    return f";{name}={value}"


def date_value(day: date) -> str:
    """A DATE value: ``YYYYMMDD``."""
    return f"{day.year:04}{day.month:02}{day.day:02}"


def datetime_value(moment: datetime, utc: bool = False) -> str:
    """A DATE-TIME value from a moment's wall clock: ``YYYYMMDDTHHMMSS``, with ``Z`` if ``utc``."""
    return (
        f"{moment.year:04}{moment.month:02}{moment.day:02}"
        f"T{moment.hour:02}{moment.minute:02}{moment.second:02}{'Z' if utc else ''}"
    )


def duration_value(span: timedelta) -> str:
    """A DURATION value (``-PT15M``, ``P1D``, ``-P1DT2H``), as icalendar writes a timedelta."""
    sign = ""
    if span.days < 0:
        sign, span = "-", -span
    clock = ""
    if span.seconds:
        hours, minutes, seconds = span.seconds // 3600, span.seconds % 3600 // 60, span.seconds % 60
        clock = "T"
        if hours:
            clock += f"{hours}H"
        if minutes or (hours and seconds):
            clock += f"{minutes}M"
        if seconds:
            clock += f"{seconds}S"
    if span.days == 0 and clock:
        return f"{sign}P{clock}"
    return f"{sign}P{span.days}D{clock}"


def utc_offset_value(offset: timedelta) -> str:
    """A UTC-OFFSET value: ``-0500``, ``+0000`` (never without its sign), seconds if any."""
    sign = "-" if offset < timedelta(0) else "+"
    offset = abs(offset)
    hours = offset.days * 24 + offset.seconds // 3600
    minutes, seconds = offset.seconds % 3600 // 60, offset.seconds % 60
    return f"{sign}{hours:02}{minutes:02}{seconds:02}" if seconds else f"{sign}{hours:02}{minutes:02}"
