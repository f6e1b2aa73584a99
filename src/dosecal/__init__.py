"""dosecal: cancer treatment schedules turned into calendars and printable plans.

The library's public surface: load a :class:`Schedule` (:func:`load_schedule`, or a built-in
by id with :func:`resolve_schedule`), describe a :class:`Plan`, call :func:`expand` for a
:class:`Course`, and hand it to :func:`dosecal.render.render` in a format (``"ics"``,
``"html"``, ``"pdf"``, ``"txt"``, ``"csv"``, ``"json"``). The package is layers, each a folder
(docs/architecture.md): ``words``, ``model``, ``core``, ``inputs``, ``render``, ``service``,
``web``, ``cli``.

Each public name is imported when it is first used, so that ``import dosecal`` (and
``dosecal --version``) loads nothing but this module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name, and the module it comes from (``None``: the module itself).
_PUBLIC: dict[str, tuple[str, str | None]] = {
    "Course": ("dosecal.model.course", "Course"),
    "Kind": ("dosecal.model.occurrence", "Kind"),
    "Occurrence": ("dosecal.model.occurrence", "Occurrence"),
    "OccurrenceId": ("dosecal.model.occurrence", "OccurrenceId"),
    "Plan": ("dosecal.model.plan", "Plan"),
    "RenderOptions": ("dosecal.render.base", "RenderOptions"),
    "Schedule": ("dosecal.model.schedule", "Schedule"),
    "Status": ("dosecal.model.occurrence", "Status"),
    "expand": ("dosecal.core.expand", "expand"),
    "load_schedule": ("dosecal.inputs.definitions", "load"),
    "render": ("dosecal.render", None),
    "resolve_schedule": ("dosecal.inputs.definitions", "resolve"),
}

if TYPE_CHECKING:
    from dosecal import render
    from dosecal.core.expand import expand
    from dosecal.inputs.definitions import load as load_schedule
    from dosecal.inputs.definitions import resolve as resolve_schedule
    from dosecal.model.course import Course
    from dosecal.model.occurrence import Kind, Occurrence, OccurrenceId, Status
    from dosecal.model.plan import Plan
    from dosecal.model.schedule import Schedule
    from dosecal.render.base import RenderOptions


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'dosecal' has no attribute {name!r}")
    module, attr = _PUBLIC[name]
    value = importlib.import_module(module)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*_PUBLIC, "__version__"])


__all__ = [
    "Course",
    "Kind",
    "Occurrence",
    "OccurrenceId",
    "Plan",
    "RenderOptions",
    "Schedule",
    "Status",
    "__version__",
    "expand",
    "load_schedule",
    "render",
    "resolve_schedule",
]
