"""dosecal: cancer treatment schedules turned into calendars and printable plans.

The library's public surface: load a :class:`Schedule`, describe a :class:`Plan`, call
:func:`expand`, and hand the occurrences to a renderer in :mod:`dosecal.render`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from dosecal.definitions import load as load_schedule  # noqa: E402
from dosecal.definitions import resolve as resolve_schedule  # noqa: E402
from dosecal.expand import expand  # noqa: E402
from dosecal.occurrence import Kind, Occurrence, OccurrenceId, Status  # noqa: E402
from dosecal.plan import Plan  # noqa: E402
from dosecal.schedule import Schedule  # noqa: E402

__all__ = [
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
