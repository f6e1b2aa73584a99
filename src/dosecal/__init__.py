"""dosecal: cancer treatment schedules turned into calendars and printable plans.

The library's public surface: load a :class:`Schedule`, describe a :class:`Plan`, call
:func:`expand`, and hand the occurrences to a renderer in :mod:`dosecal.render`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from dosecal.course import Course
from dosecal.definitions import load as load_schedule
from dosecal.definitions import resolve as resolve_schedule
from dosecal.expand import expand
from dosecal.occurrence import Kind, Occurrence, OccurrenceId, Status
from dosecal.plan import Plan
from dosecal.schedule import Schedule

__all__ = [
    "Course",
    "Kind",
    "Occurrence",
    "OccurrenceId",
    "Plan",
    "Schedule",
    "Status",
    "__version__",
    "expand",
    "load_schedule",
    "resolve_schedule",
]
