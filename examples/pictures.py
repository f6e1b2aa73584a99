"""Render the first pages of each example plan's PDF to PNG, for the README and reviewers.

Run from the repository root: python examples/pictures.py (needs dosecal[pdf] and poppler's
pdftoppm). The pictures are committed; re-run after changing the printable plan.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from dosecal.core import expand
from dosecal.inputs import definitions
from dosecal.inputs import planfile as plans
from dosecal.render.pdf import to_pdf
from dosecal.words import language

HERE = Path(__file__).resolve().parent
OUT = HERE / "pictures"
DPI = "60"


def main() -> None:
    """Write examples/pictures/<schedule>-page<N>.png for every example plan."""
    OUT.mkdir(exist_ok=True)
    for plan_file in sorted(HERE.glob("*.plan.toml")):
        plan = plans.load(plan_file)
        assert plan.schedule is not None
        schedule = definitions.resolve(plan.schedule)
        course = expand(schedule, plan)
        pages = "2" if plan.schedule == "blinatumomab-rr" else "1"
        _pictures(to_pdf(course), pages, plan.schedule)
        if plan.schedule in FRENCH:
            # The same plan in Canadian French (issue 12): page 1 and a month page.
            _pictures(to_pdf(course, lang=language("fr")), "3", f"{plan.schedule}-fr")


#: Example plans also pictured in French.
FRENCH = ("blinatumomab-rr", "inotuzumab")


def _pictures(pdf: bytes, pages: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "plan.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", DPI, "-f", "1", "-l", pages, str(source), str(Path(tmp) / "page")],
            check=True,
        )
        for i, png in enumerate(sorted(Path(tmp).glob("page-*.png")), start=1):
            target = OUT / f"{name}-page{i}.png"
            target.write_bytes(png.read_bytes())
            print(f"wrote {target.relative_to(HERE.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
