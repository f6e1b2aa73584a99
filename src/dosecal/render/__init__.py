"""Renderers: sibling modules that turn the same occurrences into text or bytes, never printing."""

from __future__ import annotations

from collections.abc import Sequence

from dosecal.occurrence import Occurrence
from dosecal.plan import Plan
from dosecal.render.ics import TimeMode, to_ics
from dosecal.render.json import to_json
from dosecal.render.txt import to_txt
from dosecal.schedule import Schedule

#: The formats ``render`` knows, as --format spells them and as file extensions.
FORMATS = ("ics", "json", "txt")


def render(
    fmt: str,
    occurrences: Sequence[Occurrence],
    schedule: Schedule,
    plan: Plan,
    *,
    ics_times: TimeMode = "zone",
) -> bytes:
    """Render ``occurrences`` in format ``fmt`` (one of :data:`FORMATS`) as bytes."""
    if fmt == "ics":
        return to_ics(occurrences, schedule, plan, times=ics_times)
    if fmt == "json":
        return to_json(occurrences, schedule, plan).encode()
    if fmt == "txt":
        return to_txt(occurrences, schedule, plan).encode()
    raise ValueError(f"unknown format {fmt!r}")
