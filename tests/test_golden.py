"""Golden files: the exact bytes of every renderer for every built-in schedule.

A change to any output shows up as a diff under tests/golden/ to review; regenerate with
``pytest --update-golden`` after checking that the change is intended.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import builtin, plan
from dosecal.definitions import builtin_ids
from dosecal.expand import expand
from dosecal.render import FORMATS, render

CHOICES = {"inotuzumab": {"response": "no-cr"}}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sid", builtin_ids())
def test_output_matches_its_golden_file(golden: Callable[[str, bytes], None], sid: str, fmt: str) -> None:
    s = builtin(sid)
    p = plan("2027-01-04", "America/Toronto", choices=CHOICES.get(sid, {}))
    data = render(fmt, expand(s, p), s, p)
    golden(f"{sid}.{fmt}", data)


@pytest.mark.parametrize("sid", builtin_ids())
def test_output_is_the_same_bytes_every_time(sid: str) -> None:
    s = builtin(sid)
    p = plan("2027-01-04", "Europe/London", choices=CHOICES.get(sid, {}))
    first = [render(fmt, expand(s, p), s, p) for fmt in FORMATS]
    again = [render(fmt, expand(builtin(sid), p), builtin(sid), p) for fmt in FORMATS]
    assert first == again
