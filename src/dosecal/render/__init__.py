"""Renderers: one module per format, each turning a Course into bytes, registered here.

Every renderer has the same shape (:class:`~dosecal.render.base.Renderer`): a Course and
:class:`~dosecal.render.base.RenderOptions` in, bytes out, never printing. A new format is one
new module with a ``render`` function and one line in :data:`RENDERERS`.
"""

from __future__ import annotations

from dosecal.course import Course
from dosecal.render import csv, html, ics, json, pdf, txt
from dosecal.render.base import Paper, Renderer, RenderOptions, TimeMode

#: Every format, by the name --format and file extensions use.
RENDERERS: dict[str, Renderer] = {
    "ics": ics.render,
    "html": html.render,
    "pdf": pdf.render,
    "txt": txt.render,
    "csv": csv.render,
    "json": json.render,
}

#: The formats, as --format spells them and as file extensions.
FORMATS = tuple(RENDERERS)


def render(fmt: str, course: Course, options: RenderOptions | None = None) -> bytes:
    """Render ``course`` in format ``fmt`` (one of :data:`FORMATS`).

    Raises:
        ValueError: for a format that is not registered.
    """
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    return renderer(course, options or RenderOptions())


__all__ = ["FORMATS", "RENDERERS", "Paper", "RenderOptions", "Renderer", "TimeMode", "render"]
