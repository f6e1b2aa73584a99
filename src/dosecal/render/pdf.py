"""The printable plan as PDF: the HTML plan laid out by WeasyPrint, an optional dependency.

WeasyPrint needs the Pango library, which users who only want calendars should not have to
install; so it is the extra ``dosecal[pdf]`` and the error says how to get it. No URL is ever
fetched while rendering: the plan is self-contained.
"""

from __future__ import annotations

from typing import Any

from dosecal.errors import MissingFeatureError
from dosecal.model.course import Course
from dosecal.render.base import Paper, RenderOptions
from dosecal.render.html import KEY_DATES, PAGE_1_END, to_html
from dosecal.words import ENGLISH, Language, msg

INSTALL = msg("error.pdf.install")


def _no_fetch(url: str, *_args: Any, **_kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"dosecal plans are self-contained; refusing to fetch {url}")


def to_pdf(
    course: Course,
    *,
    paper: Paper = "a4",
    lang: Language = ENGLISH,
    full_list: bool = False,
    also: Language | None = None,
    feed_url: str | None = None,
) -> bytes:
    """Render the printable plan as PDF bytes on A4 or US Letter paper.

    Raises:
        MissingFeatureError: when WeasyPrint or its system libraries are not installed.
    """
    html = printed_html(course, paper=paper, lang=lang, full_list=full_list, also=also, feed_url=feed_url)
    from weasyprint import HTML

    return bytes(HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=[_paper(paper)]))


def printed_html(
    course: Course,
    *,
    paper: Paper = "a4",
    lang: Language = ENGLISH,
    full_list: bool = False,
    also: Language | None = None,
    feed_url: str | None = None,
) -> str:
    """The HTML :func:`to_pdf` lays out: the printable plan with as many key dates as page 1 holds.

    Raises:
        MissingFeatureError: when WeasyPrint or its system libraries are not installed.
    """
    size = _paper(paper)  # first: says how to install WeasyPrint when it is missing
    from weasyprint import HTML

    def fits(most: int, language: Language) -> bool:
        """Whether page 1 in ``language`` with ``most`` key dates holds the whole legend."""
        html = to_html(course, lang=language, key_dates=most, first_page=True)
        page = HTML(string=html, url_fetcher=_no_fetch).render(stylesheets=[size]).pages[0]
        return f"{PAGE_1_END}-{language.code}" in page.anchors

    # Page 1 is the fridge page: as many key dates as it holds in every language printed,
    # measured on page 1 alone, not estimated. Each measure lays out page 1's values only
    # (first_page: no month grids or day list are made for it); most plans' page 1 holds all
    # the key dates at the first measure, a long course's after two or three.
    most = next(
        (n for n in range(KEY_DATES, 0, -1) if all(fits(n, x) for x in (lang, also) if x is not None)), 0
    )
    return to_html(course, lang=lang, full_list=full_list, also=also, key_dates=most, feed_url=feed_url)


def _paper(paper: Paper) -> Any:
    """WeasyPrint's stylesheet for the paper size.

    Raises:
        MissingFeatureError: when WeasyPrint or its system libraries are not installed.
    """
    try:
        from weasyprint import CSS
    except (ImportError, OSError):
        raise MissingFeatureError(INSTALL) from None
    return CSS(string="@page { size: A4; }" if paper == "a4" else "@page { size: letter; }")


def render(course: Course, options: RenderOptions) -> bytes:
    """The printable plan as PDF (see :func:`to_pdf`)."""
    return to_pdf(
        course,
        paper=options.paper,
        lang=options.lang,
        full_list=options.full_list,
        also=options.also,
        feed_url=options.feed_url,
    )
