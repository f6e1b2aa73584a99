"""Golden files: the exact bytes of every renderer for every built-in schedule.

A change to any output shows up as a diff under tests/golden/ to review; regenerate with
``pytest --update-golden`` after checking that the change is intended.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import builtin, plan
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.render import FORMATS, render

CHOICES = {"inotuzumab": {"response": "no-cr", "transplant": "no"}}


# PDF is checked by determinism and pdftotext, HTML by its structure and in a browser.
GOLDEN_FORMATS = [f for f in FORMATS if f not in ("pdf", "html")]


@pytest.mark.parametrize("fmt", GOLDEN_FORMATS)
@pytest.mark.parametrize("sid", builtin_ids())
def test_output_matches_its_golden_file(golden: Callable[[str, bytes], None], sid: str, fmt: str) -> None:
    s = builtin(sid)
    p = plan("2027-01-04", "America/Toronto", choices=CHOICES.get(sid, {}))
    data = render(fmt, expand(s, p))
    golden(f"{sid}.{fmt}", data)


@pytest.mark.parametrize("sid", builtin_ids())
def test_output_is_the_same_bytes_every_time(sid: str) -> None:
    s = builtin(sid)
    p = plan("2027-01-04", "Europe/London", choices=CHOICES.get(sid, {}))
    first = [render(fmt, expand(s, p)) for fmt in GOLDEN_FORMATS]
    again = [render(fmt, expand(builtin(sid), p)) for fmt in GOLDEN_FORMATS]
    assert first == again


@pytest.mark.parametrize("sid", ["blinatumomab-rr", "inotuzumab", "dasatinib"])
@pytest.mark.weasyprint
def test_pdf_is_the_same_bytes_every_time(sid: str) -> None:
    s = builtin(sid)
    p = plan("2027-01-04", "Europe/London", choices=CHOICES.get(sid, {}), cycles=1 if s.phases else None)
    assert render("pdf", expand(s, p)) == render("pdf", expand(s, p))
