"""The printable plan as one self-contained HTML page: what a nurse hands out and files.

No network fetch of any kind: styles and the timeline (SVG) are inline, fonts are the
system's. Every mark has a symbol and a pattern as well as a colour (Okabe-Ito, safe for
colour-blind readers), so a black-and-white printout reads the same. Patient-supplied text is
escaped. The page prints on A4 and US Letter; a month grid is never split across pages.

What the page says is :mod:`dosecal.render.printable`'s; how it looks is the Jinja2 templates
and the stylesheet in ``templates/``, as for the clinic's pages.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

import jinja2
from markupsafe import Markup

from dosecal.model.course import Course
from dosecal.render.base import RenderOptions
from dosecal.render.layout import Layout
from dosecal.render.marks import MARKS
from dosecal.render.printable import KEY_DATES, PAGE_1_END, key_dates_estimate, sheet
from dosecal.words import ENGLISH, Content, Language

__all__ = ["CSS", "KEY_DATES", "MARKS", "PAGE_1_END", "render", "to_html"]

TEMPLATES = Path(__file__).parent / "templates"
#: The page's stylesheet, which the template inlines.
CSS = (TEMPLATES / "plan.css").read_text(encoding="utf-8")
#: The sections in reading order, each a macro of sections.html: page 1 first, then the words it
#: uses explained, the notes page (with a stored plan's feed) last.
SECTIONS = ("first", "words", "changes", "overview", "months", "days", "instructions", "sources", "notes")


def _escaped(value: object) -> object:
    """Every value a template prints, escaped as :func:`html.escape` does (``&#x27;``, ``&quot;``).

    The autoescaping would write ``&#39;`` and ``&#34;``: the same to a browser, but not the
    bytes the page had before it was a template. Markup (a macro's output) passes as it is.
    """
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


def _css_string(text: str) -> Markup:
    """``text`` as a CSS string literal inside a <style> element (for the running header).

    Every character but letters and digits is written as a CSS hex escape, so that
    patient text can neither end the string nor the style element (``</style>``).
    """
    safe = "".join(ch if ch.isalnum() else f"\\{ord(ch):06x}" for ch in text)
    return Markup(f'"{safe}"')  # letters, digits and escapes only: nothing left to escape


@functools.cache
def _environment() -> jinja2.Environment:
    """The templates' environment, made once: autoescaping, and any name a template misspells fails."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        finalize=_escaped,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = _css_string
    return env


def to_html(
    course: Course,
    *,
    lang: Language = ENGLISH,
    full_list: bool = False,
    also: Language | None = None,
    key_dates: int | None = None,
    first_page: bool = False,
    feed_url: str | None = None,
) -> str:
    """Render the printable plan as a complete, self-contained HTML document in ``lang``.

    ``full_list`` lists every event by day; by default runs of identical events are summarised.
    ``also``: a second language; each section is printed in ``lang``, then in ``also``, each
    marked with its language (so screen readers and hyphenation follow it). ``key_dates``: at
    most this many key dates on page 1 (by default, as many as page 1 is estimated to hold).
    ``first_page``: only page 1 (for measuring it). ``feed_url``: a stored plan's feed link,
    printed before the notes page with its QR code.
    """
    langs = [lang, *([also] if also is not None else [])]
    if also is not None and key_dates is None:
        # Both languages list the same key dates: as many as page 1 holds in each of them.
        key_dates = min(key_dates_estimate(Layout(course, x)) for x in langs)
    sheets = [sheet(course, x, full_list, key_dates, feed_url, first_page=first_page) for x in langs]
    shown = {"changes": bool(course.plan.adjustments)}
    # The running header and "Page n of m" on every printed page, in each language printed.
    patient = f"{course.plan.patient} · " if course.plan.patient else ""
    title = Content(course.schedule.title)
    header = " / ".join(dict.fromkeys(x.say("page.header", patient=patient, title=title) for x in langs))
    numbers = [x.template("page.number").partition("{page}") for x in langs]
    return (
        _environment()
        .get_template("plan.html")
        .render(
            title=lang.say("html.title", title=title),
            sheets=sheets,
            sections=["first"] if first_page else [x for x in SECTIONS if shown.get(x, True)],
            first_page=first_page,
            running_header=header,
            page_numbers=[(before, *rest.partition("{pages}")[::2]) for before, _, rest in numbers],
        )
    )


def render(course: Course, options: RenderOptions) -> bytes:
    """The printable plan (see :func:`to_html`)."""
    return to_html(
        course, lang=options.lang, full_list=options.full_list, also=options.also, feed_url=options.feed_url
    ).encode()
