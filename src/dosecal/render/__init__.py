"""Renderers: one module per format, each turning a Course into bytes, registered here.

Every renderer has the same shape (:class:`~dosecal.render.base.Renderer`): a Course and
:class:`~dosecal.render.base.RenderOptions` in, bytes out, never printing. A new format is one
new module with a ``render`` function and one line in :data:`RENDERERS`. A format's module is
imported when a course is first rendered in it, so that a command that writes a calendar never
loads the PDF engine, and one that writes nothing (``dosecal show``) loads no renderer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from dosecal.render.base import Paper, Renderer, RenderOptions, TimeMode

if TYPE_CHECKING:
    from dosecal.model.course import Course

#: Every format, by the name --format and file extensions use: the module that renders it.
RENDERERS: dict[str, str] = {
    "ics": "dosecal.render.ics",
    "html": "dosecal.render.html",
    "pdf": "dosecal.render.pdf",
    "txt": "dosecal.render.txt",
    "csv": "dosecal.render.csv",
    "json": "dosecal.render.json",
    "fhir": "dosecal.render.fhir",
}

#: The formats, as --format spells them and as file extensions.
FORMATS = tuple(RENDERERS)


def renderer(fmt: str) -> Renderer:
    """The render function of format ``fmt``, its module imported now if it was not yet.

    Raises:
        ValueError: for a format that is not registered.
    """
    try:
        module = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    function: Renderer = importlib.import_module(module).render
    return function


def render(fmt: str, course: Course, options: RenderOptions | None = None) -> bytes:
    """Render ``course`` in format ``fmt`` (one of :data:`FORMATS`).

    Raises:
        ValueError: for a format that is not registered.
    """
    return renderer(fmt)(course, options or RenderOptions())


__all__ = ["FORMATS", "RENDERERS", "Paper", "RenderOptions", "Renderer", "TimeMode", "render", "renderer"]
