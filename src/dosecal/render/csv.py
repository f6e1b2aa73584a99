"""The CSV renderer: one row per event with the JSON contract's fields, safe in spreadsheets.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read
as a formula by Excel, LibreOffice or Google Sheets (CSV injection); such text cells get a
leading apostrophe, which spreadsheets show as text and do not evaluate.
"""

from __future__ import annotations

import csv
import io

from dosecal.model.course import Course
from dosecal.render.base import RenderOptions
from dosecal.render.json import event_record
from dosecal.words import ENGLISH, Language

COLUMNS = (
    "uid", "kind", "agent", "phase", "cycle", "day", "label", "title", "dose",
    "all_day", "start", "end", "status", "sequence", "notes",
)  # fmt: skip

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a text cell that a spreadsheet would evaluate as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(course: Course, *, lang: Language = ENGLISH) -> str:
    """Render the events as CSV (RFC 4180: CRLF rows, quoted where needed), header first.

    The rows are self-describing; headings belong to the printable plan.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for o in course:
        record = event_record(o, lang)
        row = ["true" if v is True else "false" if v is False else v for v in (record[c] for c in COLUMNS)]
        writer.writerow([neutralise("" if v is None else v) for v in row])
    return out.getvalue()


def render(course: Course, options: RenderOptions) -> bytes:
    """The CSV table (see :func:`to_csv`)."""
    return to_csv(course, lang=options.lang).encode()
