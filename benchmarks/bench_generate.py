"""Time expansion and each renderer on the largest built-in plans; prints a table of ratios.

Run: python benchmarks/bench_generate.py
Figures are medians of repeated runs, and are reported relative to expansion of the same
plan, so that they compare across machines.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dosecal.core.expand import expand
from dosecal.inputs.definitions import resolve
from dosecal.model.adjustments import Delay, Interruption, Stop
from dosecal.model.plan import Plan
from dosecal.render import RenderOptions, render


def median_seconds(func: Callable[[], object], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    cases = [
        (
            "blinatumomab-rr, 9 cycles",
            "blinatumomab-rr",
            Plan(start=date(2027, 1, 4), timezone="America/Toronto"),
        ),
        (
            "blinatumomab-rr, 5 adjustments",
            "blinatumomab-rr",
            Plan(
                start=date(2027, 1, 4),
                timezone="America/Toronto",
                adjustments=(
                    Delay(cycle=2, days=7),
                    Interruption(cycle=3, day=10, days=3),
                    Delay(cycle=5, days=14),
                    Delay(cycle=7, days=7),
                    Stop(on=date(2028, 3, 1)),
                ),
            ),
        ),
        (
            "nilotinib, 365 days",
            "nilotinib",
            Plan(start=date(2027, 1, 4), timezone="America/Toronto", until=date(2028, 1, 3)),
        ),
    ]
    print(f"{'plan':<28}{'events':>7}{'expand ms':>11}{'ics ×':>8}{'ics-utc ×':>11}{'json ×':>8}{'txt ×':>7}")
    for label, sid, plan in cases:
        s = resolve(sid)
        occ = expand(s, plan)
        base = median_seconds(lambda s=s, plan=plan: expand(s, plan))
        ratios = [
            median_seconds(lambda fmt=fmt, occ=occ, options=options: render(fmt, occ, options)) / base
            for fmt, options in (
                ("ics", RenderOptions()),
                ("ics", RenderOptions(ics_times="utc")),
                ("json", RenderOptions()),
                ("txt", RenderOptions()),
            )
        ]
        print(
            f"{label:<32}{len(occ):>7}{base * 1000:>11.1f}"
            + "".join(f"{r:>{w}.1f}" for r, w in zip(ratios, (8, 11, 8, 7), strict=True))
        )


if __name__ == "__main__":
    main()
