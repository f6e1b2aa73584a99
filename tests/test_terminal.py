"""The text plan fits the terminal: wrapped at its width, every month labelled, cycles apart."""

from __future__ import annotations

import re

import pytest

from conftest import builtin, d, plan
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.render.txt import to_txt


def course(sid: str):  # type: ignore[no-untyped-def]
    p = plan("2027-01-04", choices={"response": "no-cr", "transplant": "no"} if sid == "inotuzumab" else {})
    return expand(builtin(sid), p)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("sid", builtin_ids())
def test_no_line_is_longer_than_the_terminal(sid: str, width: int) -> None:
    lines = to_txt(course(sid), width=width).splitlines()
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long[:3]


def test_a_wrapped_event_keeps_its_columns() -> None:
    """The words that do not fit go under the event's text, not under its date."""
    lines = to_txt(course("nilotinib"), width=80).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Mon 4 Jan 2027"))
    assert lines[first].startswith("Mon 4 Jan 2027   Day 1      all day  Heart test (ECG) before you start")
    assert lines[first + 1].startswith(
        "                 Day 1      10:00    Nilotinib 400 mg (no food 08:00–11:00)"
    )


def test_every_month_of_a_long_course_is_labelled_at_80_columns() -> None:
    """Blinatumomab R/R, 9 cycles: January 2027 to July 2028, 19 months, at 9 days a column."""
    lines = to_txt(course("blinatumomab-rr"), width=80).splitlines()
    top = lines.index("Course overview (one column = 9 days)")
    labels = " ".join(lines[top + 1 : top + 4])
    months = re.findall(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec", labels)
    assert len(months) == 19, months
    assert "Jan 2027" in labels and "Jan 2028" in labels


def test_cycles_stay_apart_in_the_overview_at_80_columns() -> None:
    lines = to_txt(course("blinatumomab-rr"), width=80).splitlines()
    axis = next(line for line in lines if line.startswith("Cycles"))
    assert re.findall(r"C\d", axis) == [f"C{n}" for n in range(1, 10)]
    assert "C1C2" not in axis.replace(" ", "") or " C2" in axis


def test_a_short_plan_still_reads_the_same_at_120_columns() -> None:
    text = to_txt(expand(builtin("dasatinib"), plan("2027-01-04", until=d("2027-01-05"))), width=120)
    assert "Mon 4 Jan 2027   Day 1      08:00    Dasatinib 140 mg\nTue 5 Jan 2027   Day 2      08:00" in text
