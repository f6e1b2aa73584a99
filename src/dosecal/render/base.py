"""What every renderer shares: the options it may read, and its one function's shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal, Protocol

from dosecal.words import ENGLISH, Language

if TYPE_CHECKING:
    from dosecal.model.course import Course

#: How an .ics writes times: with their zone (TZID and VTIMEZONE) or in UTC.
TimeMode = Literal["zone", "utc"]

#: The paper a PDF is laid out on.
Paper = Literal["a4", "letter"]


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How to render, beyond the course itself; each renderer reads only what concerns it.

    Attributes:
        ics_times: for ics: times with their zone, or in UTC.
        paper: for pdf: A4 or US Letter.
        width: for txt: the columns the timeline may use.
        color: for txt: ANSI colours (on a terminal only).
        lang: the language of everything a reader sees.
        full_list: for html and pdf: every event in the day-by-day list, not a summary.
        also: for html, pdf and txt: a second language, for clinics that hand out both
            (calendars and data stay in ``lang`` alone: one title per event).
        feed: for ics: the calendar as a subscription serves it, with REFRESH-INTERVAL and
            X-PUBLISHED-TTL (``dosecal serve``, ``dosecal generate --feed``); off by default so
            that a one-off file stays as it was.
        feed_url: for html and pdf: the plan's feed link, printed with a QR code and how to
            subscribe in each app (a plan kept in the plan store).
        as_of: for ics with ``feed``: the day the feed is served; the feed then holds a window
            of the plan around it that every calendar app keeps whole.
    """

    ics_times: TimeMode = "zone"
    paper: Paper = "a4"
    width: int = 100
    color: bool = False
    lang: Language = ENGLISH
    full_list: bool = False
    also: Language | None = None
    feed: bool = False
    feed_url: str | None = None
    as_of: date | None = None


class Renderer(Protocol):
    """A format: a course and options in, the file's bytes out; no printing, no files."""

    def __call__(self, course: Course, options: RenderOptions, /) -> bytes:
        """The file's bytes for ``course``."""
        ...
