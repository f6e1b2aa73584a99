"""One Course from expand to every output: plan facts computed once, so outputs cannot disagree.

Regression (issue 9): after ``dosecal adjust PLAN --choice cycle1-days=28`` on an inotuzumab
plan, cycle 2 moved to a 28-day start, but the JSON ``plan.choices`` and the txt header still
said 21, because each renderer computed the choices again from the plan file alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from conftest import builtin, d, plan
from dosecal.core.expand import expand
from dosecal.model.adjustments import ChoiceChange, Delay


def test_a_later_choice_reaches_json_txt_and_the_printable_plan(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.plan.toml"
    plan_file.write_text(
        'schedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "America/Toronto"\ncycles = 2\n'
        '[choices]\nresponse = "cr"\n'
    )
    assert cli("adjust", str(plan_file), "--choice", "cycle1-days=28").exit_code == 0
    out = {fmt: tmp_path / f"p.{fmt}" for fmt in ("json", "txt", "html")}
    args = ["generate", "--plan", str(plan_file)]
    for path in out.values():
        args += ["-o", str(path)]
    assert cli(*args).exit_code == 0
    doc = json.loads(out["json"].read_text())
    assert doc["plan"]["choices"]["cycle1-days"] == "28"
    # Cycle 1 of 28 days: cycle 2 starts Mon 2027-02-01 (not Mon 2027-01-25).
    c2 = [e for e in doc["events"] if e["cycle"] == 2 and e["kind"] == "dose"]
    assert c2[0]["start"].startswith("2027-02-01")
    txt = out["txt"].read_text()
    assert "length of cycle 1: 28 days" in txt and "length of cycle 1: 21 days" not in txt
    assert re.search(r"C2 +Later cycles +Mon 1 Feb 2027", txt)
    html = out["html"].read_text()
    assert "<dt>Length of cycle 1</dt><dd>28 days</dd>" in html


def test_the_course_holds_what_every_output_reads() -> None:
    """Choices after the history, cycle slots, horizon, zone and planned cycles, computed once."""
    s = builtin("inotuzumab")
    p = plan(
        "2027-01-04",
        cycles=2,
        choices={"response": "cr"},
        adjustments=(ChoiceChange("cycle1-days", "28"), Delay(cycle=2, days=7)),
    )
    course = expand(s, p)
    assert course.choices["cycle1-days"] == "28"
    assert [(slot.number, slot.first, slot.length) for slot in course.slots] == [
        (1, d("2027-01-04"), 28),
        (2, d("2027-02-08"), 28),  # 28 days after 2027-01-04, then 7 days later
    ]
    assert course.horizon == d("2027-03-07")
    assert course.planned_cycles == 2
    assert str(course.zone) == "America/Toronto"
    assert list(course) == list(course.occurrences) and len(course) == len(course.occurrences)
