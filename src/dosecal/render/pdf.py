"""The printable plan as PDF: the HTML plan laid out by WeasyPrint, an optional dependency.

WeasyPrint needs the Pango library, which users who only want calendars should not have to
install; so it is the extra ``dosecal[pdf]`` and the error says how to get it. No URL is ever
fetched while rendering: the plan is self-contained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from dosecal.errors import MissingFeatureError
from dosecal.occurrence import Occurrence
from dosecal.plan import Plan
from dosecal.render.html import to_html
from dosecal.schedule import Schedule

Paper = Literal["a4", "letter"]

INSTALL = (
    "PDF output needs WeasyPrint: pip install 'dosecal[pdf]'; it also needs the Pango library "
    "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0; macOS: brew install pango). "
    "Or write --format html and print it from a browser."
)


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"dosecal plans are self-contained; refusing to fetch {url}")


def to_pdf(
    occurrences: Sequence[Occurrence], schedule: Schedule, plan: Plan, *, paper: Paper = "a4"
) -> bytes:
    """Render the printable plan as PDF bytes on A4 or US Letter paper.

    Raises:
        MissingFeatureError: when WeasyPrint or its system libraries are not installed.
    """
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError):
        raise MissingFeatureError(INSTALL) from None
    html = HTML(string=to_html(occurrences, schedule, plan), url_fetcher=_no_fetch)
    size = CSS(string="@page { size: A4; }" if paper == "a4" else "@page { size: letter; }")
    return bytes(html.write_pdf(stylesheets=[size]))
