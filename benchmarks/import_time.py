"""Time whole command-line processes against the import floor; prints a table of ratios.

Run: python benchmarks/import_time.py [--runs N]

Each case is a fresh Python process, timed from start to exit, the median of N runs (11 by
default), in the same run as the floor: a process that only does
``import icalendar, click, babel`` (what a calendar command cannot do without). Ratios to that
floor compare across machines; issue 20 asks that ``dosecal --version`` stay within 1.25x.

With ``--why`` it also prints the ten slowest imports of ``dosecal --version`` and of
``dosecal list`` from ``python -X importtime``, to find what a command loads that it need not.
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


def cases(out: Path) -> list[tuple[str, list[str]]]:
    """Each case: its name and the Python arguments of its process."""
    ics, pdf = str(out / "plan.ics"), str(out / "plan.html")
    blin = ["generate", "blinatumomab-rr", "--start", "2027-01-04", "--tz", "America/Toronto"]
    return [
        ("import icalendar, click, babel (floor)", ["-c", FLOOR]),
        ("python -c pass", ["-c", "pass"]),
        ("dosecal --version", ["-c", CLI, "--version"]),
        ("dosecal list", ["-c", CLI, "list"]),
        ("dosecal show blinatumomab-rr", ["-c", CLI, "show", "blinatumomab-rr"]),
        ("dosecal generate blinatumomab-rr -o plan.ics", ["-c", CLI, *blin, "-o", ics]),
        ("dosecal generate blinatumomab-rr -o plan.html", ["-c", CLI, *blin, "-o", pdf]),
    ]


def seconds(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


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
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--why", action="store_true", help="also list the slowest imports")
    given = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    with tempfile.TemporaryDirectory() as folder:
        runs = cases(Path(folder))
        for _, args in runs:  # warm the file cache and the .pyc files once
            seconds(args, env)
        medians = {}
        for name, args in runs:
            medians[name] = statistics.median(seconds(args, env) for _ in range(given.runs))
    floor = medians[runs[0][0]]
    print(f"median of {given.runs} runs; floor {floor * 1000:.0f} ms ({FLOOR!r})")
    for name, value in medians.items():
        print(f"  {name:50s} {value * 1000:7.0f} ms  {value / floor:5.2f}x floor")
    if given.why:
        for name, args in runs[2:4]:
            print(f"slowest imports of {name} (cumulative, ms):")
            for micros, module in slowest_imports(args, env):
                print(f"  {micros / 1000:7.1f}  {module}")


if __name__ == "__main__":
    main()
