"""Time whole command-line processes against their floors; prints a table of ratios.

Run: python benchmarks/cli_speed.py [--runs N] [--why] [--src PATH]

Each case is a fresh Python process, timed from start to exit, the median of N runs (7 by
default), all in the same run so that the machine's load touches every case alike. Two floors:

- the import floor, a process that only does ``import icalendar, click, babel`` (what a
  calendar command cannot do without): issue 20 asks that ``dosecal --version`` stay within
  1.25x of it, issue 24 that a calendar (blinatumomab-rr, 283 events) stay within 2x;
- a bare icalendar script that writes as many events as the two-year nilotinib calendar
  (1,456), each with the same properties and text of the same length (a timed dose with its
  zone, a reminder, a folded description with escaped commas and an en dash): issue 24 asks
  that ``dosecal generate`` of that calendar stay within 1.5x of it.

Ratios compare across machines; milliseconds do not. With ``--why`` it also prints the ten
slowest imports of each dosecal case from ``python -X importtime``, to find what a command
loads that it need not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: The command line, as the console script runs it.
CLI = "import sys; from dosecal.cli import main; sys.argv[0] = 'dosecal'; main()"

FLOOR = "import icalendar, click, babel"

#: The nilotinib plan of 1,456 events: two doses a day from 2027-01-04 to 2028-12-30, and tests.
NILOTINIB = ["nilotinib", "--start", "2027-01-04", "--tz", "America/Toronto", "--until", "2028-12-30"]
NILOTINIB_EVENTS = 1456

#: The two cases that issue 24 sets targets for.
BLINATUMOMAB = "dosecal generate blinatumomab-rr -o plan.ics"
NILOTINIB_CASE = "dosecal generate nilotinib (2 years) -o plan.ics"

#: What a program that only needs icalendar does to write the same number of events: one
#: Calendar, each event built with ``add`` and the file written with ``to_ical``. argv: the
#: number of events, the output path.
BARE = """
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from icalendar import Alarm, Calendar, Event

count, path = int(sys.argv[1]), sys.argv[2]
zone = ZoneInfo("America/Toronto")
stamp = datetime(2027, 1, 4, tzinfo=timezone.utc)
cal = Calendar()
for name, value in (("prodid", "-//bench//bench//EN"), ("version", "2.0"), ("calscale", "GREGORIAN"),
                    ("method", "PUBLISH"), ("name", "Nilotinib twice daily"),
                    ("x-wr-calname", "Nilotinib twice daily")):
    cal.add(name, value)
for k in range(count):
    day, second = divmod(k, 2)
    start = datetime(2027, 1, 4, 10 + 12 * second, tzinfo=zone) + timedelta(days=day)
    hours = "20:00\u201323:00" if second else "08:00\u201311:00"
    ev = Event()
    ev.add("uid", f"nilotinib-2027-01-04.nilotinib.dose.d{day + 1}.{second + 1}@bench")
    ev.add("dtstamp", stamp)
    ev.add("dtstart", start)
    ev.add("dtend", start + timedelta(minutes=15))
    ev.add("summary", "Nilotinib 400 mg, fasting")
    ev.add("description", f"Nilotinib 400 mg (no food {hours})\\nMissed dose: Do not take the missed "
           "dose; take the next dose at its usual time.\\nWarning signs and sources: in your printed "
           f"plan.\\nDay {day + 1}.")
    ev.add("sequence", 0)
    ev.add("status", "CONFIRMED")
    ev.add("transp", "OPAQUE")
    ev.add("class", "PRIVATE")
    ev.add("categories", ["dose"])
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Nilotinib 400 mg, fasting")
    alarm.add("trigger", timedelta(minutes=-15))
    ev.add_component(alarm)
    cal.add_component(ev)
with open(path, "wb") as f:
    f.write(cal.to_ical())
"""


def cases(out: Path) -> list[tuple[str, list[str]]]:
    """Each case: its name and the Python arguments of its process (the two floors first)."""
    blin = ["generate", "blinatumomab-rr", "--start", "2027-01-04", "--tz", "America/Toronto"]
    return [
        ("import icalendar, click, babel (floor)", ["-c", FLOOR]),
        (
            f"bare icalendar script, {NILOTINIB_EVENTS} events",
            ["-c", BARE, str(NILOTINIB_EVENTS), str(out / "bare.ics")],
        ),
        ("python -c pass", ["-c", "pass"]),
        ("dosecal --version", ["-c", CLI, "--version"]),
        ("dosecal list", ["-c", CLI, "list"]),
        ("dosecal show blinatumomab-rr", ["-c", CLI, "show", "blinatumomab-rr"]),
        (BLINATUMOMAB, ["-c", CLI, *blin, "-o", str(out / "blin.ics")]),
        ("dosecal generate blinatumomab-rr -o plan.html", ["-c", CLI, *blin, "-o", str(out / "blin.html")]),
        (
            NILOTINIB_CASE,
            ["-c", CLI, "generate", *NILOTINIB, "-o", str(out / "nilotinib.ics")],
        ),
    ]


def seconds(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The process's wall-clock time and its CPU time (user and system), in seconds.

    The CPU time is what the process itself did: on a machine that others share it moves far
    less than the wall clock, which also counts the time spent waiting for a core.
    """
    t0 = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, child.args, stderr=errors)
    return wall, usage.ru_utime + usage.ru_stime


def slowest_imports(args: list[str], env: dict[str, str], count: int = 10) -> list[tuple[int, str]]:
    """The ``count`` imports with the largest cumulative time (microseconds) under -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], env=env, capture_output=True, text=True, check=True
    )
    found = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            found.append((int(cumulative), name))
    return sorted(found, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--why", action="store_true", help="also list the slowest imports")
    parser.add_argument(
        "--src",
        type=Path,
        default=SRC,
        help="the source tree to time (default: this one's); e.g. an earlier commit's, from git archive",
    )
    given = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        # Compiled modules are kept, as an installed package has them (a shell that sets
        # PYTHONDONTWRITEBYTECODE would otherwise time the compiler on every run), in a folder
        # of their own so that the source tree stays clean.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {
            "PYTHONPATH": str(given.src.resolve()),
            "NO_COLOR": "1",
            "PYTHONPYCACHEPREFIX": str(out / "pycache"),
        }
        runs = cases(out)
        for _, args in runs:  # warm the file cache and the .pyc files once
            seconds(args, env)
        for name in ("bare.ics", "nilotinib.ics"):  # the two calendars compared hold as many events
            events = (out / name).read_bytes().count(b"BEGIN:VEVENT")
            assert events == NILOTINIB_EVENTS, f"{name}: {events} events"
        sizes = {name: (out / name).stat().st_size for name in ("bare.ics", "nilotinib.ics")}
        # Interleaved rounds, not one case after another: a burst of load on the shared machine
        # then slows every case a little rather than one case a lot.
        times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in runs}
        for _ in range(given.runs):
            for name, args in runs:
                times[name].append(seconds(args, env))
        print(f"median of {given.runs} runs, as whole processes (PYTHONPATH={given.src})")
        print(
            f"calendars of {NILOTINIB_EVENTS} events: bare script {sizes['bare.ics']:,} bytes, dosecal {sizes['nilotinib.ics']:,}"
        )
        for k, metric in enumerate(("wall clock", "CPU (user + system)")):
            medians = {name: statistics.median(t[k] for t in values) for name, values in times.items()}
            floor, bare = (medians[runs[i][0]] for i in (0, 1))
            print(
                f"\n{metric}: import floor {floor * 1000:.0f} ms ({FLOOR!r}), bare script {bare * 1000:.0f} ms"
            )
            print(f"  {'case':50s} {'ms':>7}  {'x floor':>7}  {'x bare':>6}")
            for name, value in medians.items():
                print(f"  {name:50s} {value * 1000:7.0f}  {value / floor:7.2f}  {value / bare:6.2f}")
            blin = medians[BLINATUMOMAB] / floor
            nil = medians[NILOTINIB_CASE] / bare
            print(
                f"  targets (issue 24): blinatumomab-rr .ics {blin:.2f}x import floor (<= 2), "
                f"nilotinib {NILOTINIB_EVENTS} events {nil:.2f}x bare icalendar script (<= 1.5)"
            )
        if given.why:
            for name, args in runs[3:]:
                print(f"slowest imports of {name} (cumulative, ms):")
                for micros, module in slowest_imports(args, env):
                    print(f"  {micros / 1000:7.1f}  {module}")


if __name__ == "__main__":
    main()
