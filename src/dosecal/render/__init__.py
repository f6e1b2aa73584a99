"""Renderers: sibling modules that turn the same occurrences into text or bytes, never printing."""

from __future__ import annotations

from collections.abc import Sequence

from dosecal.occurrence import Occurrence
from dosecal.plan import Plan
from dosecal.render.csv import to_csv
from dosecal.render.html import to_html
from dosecal.render.ics import TimeMode, to_ics
from dosecal.render.json import to_json
from dosecal.render.pdf import Paper, to_pdf
from dosecal.render.txt import to_txt
from dosecal.schedule import Schedule

#: The formats ``render`` knows, as --format spells them and as file extensions.
FORMATS = ("ics", "html", "pdf", "txt", "csv", "json")


def render(
    fmt: str,
    occurrences: Sequence[Occurrence],
    schedule: Schedule,
    plan: Plan,
    *,
    ics_times: TimeMode = "zone",
    paper: Paper = "a4",
    width: int = 100,
    color: bool = False,
) -> bytes:
    """Render ``occurrences`` in format ``fmt`` (one of :data:`FORMATS`) as bytes.

    ``ics_times`` is for ics, ``paper`` for pdf, ``width`` and ``color`` for txt.
    """
    if fmt == "ics":
        return to_ics(occurrences, schedule, plan, times=ics_times)
    if fmt == "json":
        return to_json(occurrences, schedule, plan).encode()
    if fmt == "txt":
        return to_txt(occurrences, schedule, plan, width=width, color=color).encode()
    if fmt == "pdf":
        return to_pdf(occurrences, schedule, plan, paper=paper)
    if fmt == "html":
        return to_html(occurrences, schedule, plan).encode()
    if fmt == "csv":
        return to_csv(occurrences, schedule, plan).encode()
    raise ValueError(f"unknown format {fmt!r}")
