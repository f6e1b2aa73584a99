"""An updated plan's calendar replaces the first one in apps that honour UIDs.

Version 1 and version 2 (a delay and a held dose later) of one plan are written as .ics and
read by ical.js and vobject: the same UIDs, a higher SEQUENCE on every changed event, and
the held or removed events present with STATUS:CANCELLED.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import vobject
from click.testing import Result

from conftest import builtin, plan
from dosecal.core.expand import expand
from dosecal.model.adjustments import Delay, Hold
from dosecal.render.ics import to_ics

V1 = plan("2027-01-04", "Europe/London", cycles=3, choices={"response": "no-cr", "transplant": "no"})
V2 = dataclasses.replace(V1, adjustments=(Delay(cycle=2, days=7), Hold(cycle=3, day=8, agent="inotuzumab")))


def write(tmp_path: Path, name: str, p: Any) -> Path:
    s = builtin("inotuzumab")
    path = tmp_path / name
    path.write_bytes(to_ics(expand(s, p)))
    return path


def read_vobject(path: Path) -> dict[str, tuple[int, str, object]]:
    cal = vobject.readOne(path.read_text(encoding="utf-8"))
    out = {}
    for ev in cal.vevent_list:
        start = ev.dtstart.value
        out[ev.uid.value] = (
            int(ev.sequence.value),
            ev.status.value,
            start.timestamp() if hasattr(start, "timestamp") else start.isoformat(),
        )
    return out


def read_icaljs(icaljs: Callable[[Path], Any], path: Path) -> dict[str, tuple[int, str, object]]:
    return {
        e["uid"]: (e["sequence"], e["status"], e["start"].get("unix", e["start"].get("date")))
        for e in icaljs(path)["events"]
    }


@pytest.mark.parametrize("parser", [pytest.param("ical.js", marks=pytest.mark.node), "vobject"])
def test_version_2_updates_version_1(parser: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if parser == "ical.js":
        icaljs: Callable[[Path], Any] = request.getfixturevalue("icaljs")
        read: Callable[[Path], dict[str, tuple[int, str, object]]] = lambda p: read_icaljs(icaljs, p)
    else:
        read = read_vobject
    one, two = read(write(tmp_path, "v1.ics", V1)), read(write(tmp_path, "v2.ics", V2))
    assert one.keys() == two.keys()
    changed = [uid for uid in one if one[uid][1:] != two[uid][1:]]
    assert changed and all(two[uid][0] > one[uid][0] for uid in changed)
    unchanged = [uid for uid in one if uid not in changed]
    # Cycle 2 now starts Mon 1 Feb 2027 instead of Mon 25 Jan, so C1D15's window may end on Wed
    # 20 Jan (its day 17) instead of Tue 19 Jan (6 days before the next dose): same date and
    # status, one more SEQUENCE. Every other event of cycle 1 is untouched.
    widened = [uid for uid in unchanged if two[uid] != one[uid]]
    assert [uid.split(".", 1)[1] for uid in widened] == ["inotuzumab.dose.c1.d15.1@dosecal"]
    assert two[widened[0]][0] == one[widened[0]][0] + 1
    assert unchanged and all(two[uid] == one[uid] for uid in unchanged if uid not in widened)
    held = [uid for uid in two if two[uid][1] == "CANCELLED"]
    # The dose, its premedication and observation; the blood tests of that day stay (counts and liver
    # tests are what a care team checks before giving the next dose).
    assert sorted(held) == sorted(uid for uid in two if ".c3.d8." in uid and ".test." not in uid)
    assert len(held) == 3
    assert all(".c1." in uid for uid in unchanged)  # only cycle 1 is untouched by the delay


def test_adjust_records_the_change_and_regenerating_is_deterministic(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.plan.toml"
    plan_file.write_text(
        '# my patient\nschedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "Europe/London"\ncycles = 3\n'
        '[choices]\nresponse = "no-cr"\ntransplant = "no"\n'
    )
    assert cli("adjust", str(plan_file), "--delay", "2=7", "--note", "low counts").exit_code == 0
    assert cli("adjust", str(plan_file), "--hold", "inotuzumab:C3D8").exit_code == 0
    text = plan_file.read_text()
    assert text.startswith("# my patient\n")
    assert text.endswith(
        '[[adjustments]]\nkind = "delay"\ncycle = 2\ndays = 7\nnote = "low counts"\n\n'
        '[[adjustments]]\nkind = "hold"\ndose = "inotuzumab:C3D8"\n'
    )
    out1, out2 = tmp_path / "a.ics", tmp_path / "b.ics"
    assert cli("generate", "--plan", str(plan_file), "-o", str(out1)).exit_code == 0
    assert cli("generate", "--plan", str(plan_file), "-o", str(out2)).exit_code == 0
    assert out1.read_bytes() == out2.read_bytes()
    s = builtin("inotuzumab")
    assert out1.read_bytes() == to_ics(expand(s, V2))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--delay", "7=3"], "cycle 7 is not in the plan, which has 3 cycles"),
        (["--hold", "C1D18"], "no dose to hold on C1D18: it is a treatment-free day"),
        (
            ["--delay", "2=2027-01-20"],
            "cycle 2 cannot start on 2027-01-20: it is due on 2027-01-25 at the earliest",
        ),
        (["--hold", "C1"], "'C1' is not a dose: write CnDd (C2D8), Dd for a plan day (D12), or AGENT:CnDd"),
        (["--choice", "response=maybe"], "'response=maybe' is not a choice of inotuzumab (cr|no-cr)"),
    ],
)
def test_adjust_refuses_a_contradiction_and_leaves_the_file(
    cli: Callable[..., Result], tmp_path: Path, args: list[str], message: str
) -> None:
    plan_file = tmp_path / "p.plan.toml"
    original = 'schedule = "inotuzumab"\nstart = 2027-01-04\ntimezone = "UTC"\ncycles = 3\n[choices]\nresponse = "cr"\ntransplant = "no"\n'
    plan_file.write_text(original)
    result = cli("adjust", str(plan_file), *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert plan_file.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["p.plan.toml"]


def test_dry_run_leaves_the_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    plan_file = tmp_path / "p.plan.toml"
    original = 'schedule = "dasatinib"\nstart = 2027-01-04\ntimezone = "UTC"\n'
    plan_file.write_text(original)
    result = cli("adjust", str(plan_file), "--stop", "2027-02-01", "--dry-run")
    assert result.exit_code == 0 and "would record: Treatment stopped on Mon 1 Feb 2027" in result.output
    assert plan_file.read_text() == original
