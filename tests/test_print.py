"""Printable output rendered for real: Chromium prints the HTML, WeasyPrint writes the PDF.

Poppler's pdfinfo and pdftotext read the results back. These tools are installed by .ci/run
(Debian packages chromium and poppler-utils; WeasyPrint from PyPI); a missing one fails the
test rather than skipping it, since a plan that was never printed was never checked.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import builtin, plan
from dosecal.core.expand import expand
from dosecal.model.adjustments import Delay
from dosecal.model.course import Course
from dosecal.render.html import to_html
from dosecal.render.layout import Layout
from dosecal.render.pdf import to_pdf
from dosecal.words import ENGLISH

CASES = {
    "blinatumomab-rr": plan("2027-01-04"),
    "inotuzumab": plan(
        "2027-01-04", cycles=3, choices={"response": "cr", "transplant": "no"}, weight_kg=70, height_cm=175
    ),
    "dasatinib-blinatumomab": plan("2027-01-04", cycles=2),
    "nilotinib": plan("2027-01-04", patient="Jean Exemple-Tremblay, MRN 0012345"),
}
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]  # fmt: skip
# A4 less 10 mm margins each side: 190 mm at 96 px per inch.
A4_CONTENT_PX = 718

MEASURE = """<script>
const w = document.documentElement.clientWidth;
const wide = [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > w + 0.5)
  .map(e => e.tagName + '.' + e.className);
const clipped = [...document.querySelectorAll('td')]
  .filter(e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
  .map(e => e.dataset.date || e.textContent.slice(0, 30));
document.body.dataset.report = JSON.stringify({width: w, scroll: document.documentElement.scrollWidth,
  wide: wide.slice(0, 10), clipped: clipped.slice(0, 10)});
</script>"""


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(f"{name}-browser")
    if found is None:
        pytest.fail(f"{name} is needed to check printable output; .ci/run installs it (apt-get)")
    return found


def flowing_text(pdf: Path) -> str:
    """The whole PDF's text in reading order, white space folded (wrapped cells join up)."""
    out = subprocess.run(
        [tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(out.split())


def pages_text(pdf: Path) -> list[str]:
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    return [
        subprocess.run(
            [tool("pdftotext"), "-f", str(i), "-l", str(i), "-layout", str(pdf), "-"],
            capture_output=True, text=True, check=True,
        ).stdout
        for i in range(1, count + 1)
    ]  # fmt: skip


def chromium_report(
    page: Path, tmp_path: Path, *, window: str, name: str = "report", wait_ms: int = 0
) -> Any:
    """The JSON a page's own script left in ``data-NAME`` on its body, read in headless Chromium.

    ``wait_ms`` lets scripts that load files or wait for promises (an iframe, axe-core) finish.
    """
    waiting = ["--allow-file-access-from-files", f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    out = subprocess.run(
        [tool("chromium"), *CHROMIUM_FLAGS, *waiting, f"--user-data-dir={tmp_path / 'profile'}",
         f"--window-size={window}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120 + wait_ms // 1000, check=True,
    )  # fmt: skip
    found = re.search(rf'data-{name}="([^"]*)"', out.stdout)
    assert found is not None, f"the page left no data-{name}: {out.stdout[-300:]}"
    return json.loads(found.group(1).replace("&quot;", '"'))


def chromium_pdf(path: Path, tmp_path: Path) -> Path:
    """Print the HTML page ``path`` to a PDF with headless Chromium, as a browser's Print would."""
    pdf = path.with_suffix(".pdf")
    subprocess.run(
        [tool("chromium"), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", path.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    return pdf


def month_labels(sid: str) -> list[tuple[str, str, str]]:
    """For each month: its heading and the labels of its first and last planned days."""
    s, p = builtin(sid), CASES[sid]
    layout = Layout(expand(s, p))
    out = []
    for year, month in layout.months():
        days = [
            day for day in (date.fromordinal(n) for n in range(date(year, month, 1).toordinal(),
                                                                 date(year + (month == 12), month % 12 + 1, 1).toordinal()))
            if layout.first <= day <= layout.last and layout.label(day)
        ]  # fmt: skip
        out.append(
            (
                f"{day_name(month)} {year}",
                ENGLISH.text(layout.label(days[0])),
                ENGLISH.text(layout.label(days[-1])),
            )
        )
    return out


def day_name(month: int) -> str:
    import calendar

    return calendar.month_name[month]


def render_html(sid: str, tmp_path: Path, extra: str = "") -> Path:
    s, p = builtin(sid), CASES[sid]
    html = to_html(expand(s, p))
    path = tmp_path / f"{sid}.html"
    path.write_text(html.replace("</body>", extra + "</body>"), encoding="utf-8")
    return path


@pytest.mark.parametrize("sid", sorted(CASES))
@pytest.mark.chromium
def test_chromium_lays_it_out_without_overflow_on_a4_width(sid: str, tmp_path: Path) -> None:
    path = render_html(sid, tmp_path, MEASURE)
    report = chromium_report(path, tmp_path, window=f"{A4_CONTENT_PX},1000")
    assert report["width"] <= A4_CONTENT_PX
    assert report["scroll"] <= report["width"], report
    assert report["wide"] == [], report
    assert report["clipped"] == [], report


@pytest.mark.parametrize("sid", sorted(CASES))
@pytest.mark.chromium
@pytest.mark.poppler
def test_chromium_prints_every_month_grid_on_one_page(sid: str, tmp_path: Path) -> None:
    path = render_html(sid, tmp_path)
    pdf = chromium_pdf(path, tmp_path)
    pages = pages_text(pdf)
    months = month_labels(sid)
    assert len(pages) >= 1 + len(months) // 3  # at most three month grids fit on a page
    for heading, first, last in months:
        where = [i for i, text in enumerate(pages) if re.search(rf"^\s*{heading}\s*$", text, re.MULTILINE)]
        assert len(where) == 1, (heading, where)
        page = pages[where[0]]
        assert first in page and last in page, (heading, first, last, where[0])


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.weasyprint
@pytest.mark.poppler
def test_weasyprint_pdf_has_the_plans_dates_and_labels(paper: str, tmp_path: Path) -> None:
    s, p = builtin("inotuzumab"), CASES["inotuzumab"]
    data = to_pdf(expand(s, p), paper=paper)  # type: ignore[arg-type]
    assert data.startswith(b"%PDF-")
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(data)
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert ("595.276 x 841.89" if paper == "a4" else "612 x 792") in info
    text = flowing_text(pdf)
    # 175 cm, 70 kg: BSA 1.8447 m², shown 1.84; 0.8 x 1.84 = 1.472 mg, to 3 significant figures 1.47.
    for needle in ("Mon 4 Jan 2027", "C1D15", "C2D1", "Sun 21 Mar 2027", "0.8 mg/m2 = 1.47 mg for BSA 1.84 m²",
                   "does not prescribe", "BESPONSA dosage and administration, US prescribing information"):  # fmt: skip
        assert needle in text, needle
    assert data == to_pdf(expand(s, p), paper=paper)  # type: ignore[arg-type]


@pytest.mark.weasyprint
@pytest.mark.poppler
def test_patient_label_is_printed(tmp_path: Path) -> None:
    s, p = builtin("nilotinib"), CASES["nilotinib"]
    pdf = tmp_path / "n.pdf"
    pdf.write_bytes(to_pdf(expand(s, p)))
    assert "Patient: Jean Exemple-Tremblay, MRN 0012345" in pages_text(pdf)[0]


#: The issue's page targets on A4: a full blinatumomab course, four months of a twice-daily drug,
#: and inotuzumab over three cycles with one delay.
TARGETS = {
    "blinatumomab-rr, 9 cycles": ("blinatumomab-rr", plan("2027-01-04"), 12),
    "nilotinib, 4 months": ("nilotinib", plan("2027-01-04", until=date(2027, 5, 3)), 6),
    "inotuzumab, 3 cycles, cycle 2 delayed 7 days": (
        "inotuzumab",
        plan(
            "2027-01-04",
            cycles=3,
            choices={"response": "cr", "transplant": "no"},
            weight_kg=70,
            height_cm=175,
            adjustments=(Delay(2, days=7),),
        ),
        8,
    ),
}


def page_count(pdf: Path) -> int:
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("case", sorted(TARGETS))
@pytest.mark.chromium
@pytest.mark.poppler
def test_chromium_prints_each_plan_within_its_a4_page_target(case: str, tmp_path: Path) -> None:
    sid, p, most = TARGETS[case]
    html = to_html(expand(builtin(sid), p)).replace("</style>", "@page { size: A4; }</style>", 1)
    path = tmp_path / "plan.html"
    path.write_text(html, encoding="utf-8")
    pdf = chromium_pdf(path, tmp_path)
    pages = pages_text(pdf)
    assert len(pages) <= most, (case, len(pages))
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]  # the running footer counts them
    assert "When to call your care team at once" in pages[-1]


@pytest.mark.parametrize("case", sorted(TARGETS))
@pytest.mark.weasyprint
@pytest.mark.poppler
def test_weasyprint_prints_each_plan_within_its_a4_page_target(case: str, tmp_path: Path) -> None:
    sid, p, most = TARGETS[case]
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(to_pdf(expand(builtin(sid), p), paper="a4"))
    assert page_count(pdf) <= most, (case, page_count(pdf))


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.plan.toml"))


def example_course(plan_file: Path) -> Course:
    from dosecal.inputs import definitions
    from dosecal.inputs.planfile import load

    p = load(plan_file)
    assert p.schedule is not None
    return expand(definitions.resolve(p.schedule), p)


@pytest.mark.parametrize("plan_file", EXAMPLES, ids=lambda f: f.name.split(".")[0])
@pytest.mark.weasyprint
@pytest.mark.poppler
def test_page_1_holds_the_call_box_key_dates_and_whole_legend(plan_file: Path, tmp_path: Path) -> None:
    """On A4 and US Letter: the fridge page is whole, and page 2 starts the rest of the plan."""
    course = example_course(plan_file)
    for paper in ("a4", "letter"):
        pdf = tmp_path / f"{paper}.pdf"
        pdf.write_bytes(to_pdf(course, paper=paper))  # type: ignore[arg-type]
        pages = pages_text(pdf)
        first = " ".join(pages[0].split())
        for words in ("When to call your care team at once", "Key dates", "Legend", "☐ Tick when given"):
            assert words in first, (paper, words)
        assert "* Default time, not from the label" in first, paper
        assert "Legend" not in pages[1] and "Key dates" not in pages[1], paper


@pytest.mark.parametrize("plan_file", EXAMPLES, ids=lambda f: f.name.split(".")[0])
@pytest.mark.chromium
@pytest.mark.poppler
def test_chromium_prints_the_whole_legend_on_page_1(plan_file: Path, tmp_path: Path) -> None:
    """Chromium's own paper (US Letter unless the page says otherwise), in English and French."""
    from dosecal.words import language

    for lang, tick, legend in (
        (ENGLISH, "☐ Tick when given", "Legend"),
        (language("fr"), "☐ Cochez", "Légende"),
    ):
        path = tmp_path / f"plan-{lang.code}.html"
        path.write_text(to_html(example_course(plan_file), lang=lang), encoding="utf-8")
        pages = pages_text(chromium_pdf(path, tmp_path))
        assert tick in pages[0] and legend not in pages[1], lang.code
