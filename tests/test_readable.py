"""The printable plan is readable by everyone (issue 10): contrast, type sizes, a phone's width.

Contrast is computed from the stylesheet's own colours (WCAG 2.1 relative luminance, at least
4.5:1 on white for every colour used for text or a mark). Type sizes and the phone layout are
measured in headless Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import builtin, d, plan
from dosecal.core.expand import expand
from dosecal.render.html import CSS, to_html
from test_print import chromium_report

#: The stylesheet's colours that text or a mark is drawn in (the pale fills are not text).
TEXT_COLOURS = ("ink", "muted", "line", "dose", "bag", "pre", "obs", "hosp-ink", "inf-ink", "rest-ink")


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def variables() -> dict[str, str]:
    found = dict(re.findall(r"--([\w-]+):\s*(#[0-9A-Fa-f]{6})", CSS))
    # "#111" style three-digit colours, written out.
    for name, short in re.findall(r"--([\w-]+):\s*#([0-9A-Fa-f]{3})\b", CSS):
        found[name] = "#" + "".join(ch * 2 for ch in short)
    return found


def test_the_worked_example_of_the_contrast_formula() -> None:
    assert round(contrast("#000000", "#FFFFFF"), 1) == 21.0
    assert round(contrast("#767676", "#FFFFFF"), 2) == 4.54  # the lightest grey that passes AA


@pytest.mark.parametrize("name", TEXT_COLOURS)
def test_every_text_and_mark_colour_has_at_least_4_5_to_1_on_white(name: str) -> None:
    colour = variables()[name]
    assert contrast(colour, "#FFFFFF") >= 4.5, (name, colour, round(contrast(colour, "#FFFFFF"), 2))


def test_marks_print_without_background_graphics() -> None:
    """Colours print as they are, and each span has a border or outline cue besides its fill."""
    assert "print-color-adjust: exact" in CSS
    for cue in ("td.infusion { border-left:", "td.rest { border-left:", "td.hospital { outline:"):
        assert cue in CSS, cue


PLANS = {
    "blinatumomab-rr": plan("2027-01-04", cycles=2),
    "dasatinib-blinatumomab": plan("2027-01-04", cycles=1),
    "inotuzumab": plan("2027-01-04", cycles=2, choices={"response": "cr"}),
    "nilotinib": plan("2027-01-04", until=d("2027-02-28")),
}


PHONE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="plan.html" style="width:390px;height:800px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {
  const doc = document.getElementById("f").contentDocument;
  const w = doc.documentElement.clientWidth;
  const wide = [...doc.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > w + 0.5)
    .map(e => e.tagName + "." + e.className).slice(0, 8);
  document.body.dataset.report = JSON.stringify({width: w, scroll: doc.documentElement.scrollWidth, wide});
});
</script></body></html>"""


@pytest.mark.chromium
@pytest.mark.parametrize("sid", sorted(PLANS))
def test_a_phone_shows_the_plan_without_scrolling_sideways(sid: str, tmp_path: Path) -> None:
    """In a 390 px wide viewport (an iframe: headless windows are at least 500 px wide)."""
    (tmp_path / "plan.html").write_text(to_html(expand(builtin(sid), PLANS[sid])), encoding="utf-8")
    host = tmp_path / "phone.html"
    host.write_text(PHONE, encoding="utf-8")
    report = chromium_report(host, tmp_path, window="600,900", wait_ms=5000)
    assert report["width"] == 390
    assert report["scroll"] == report["width"], report


SIZES = """<script>
// The smallest type of each kind of text: every element with words of its own.
const small = {cell: 99, body: 99, where: {}};
for (const e of document.querySelectorAll("body *")) {
  if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  if (e.closest("svg, footer, .sources, .overview, .patient, .month thead")) continue;  // notes for the team
  const size = parseFloat(getComputedStyle(e).fontSize);
  const kind = e.closest(".month") ? "cell" : "body";
  if (size < small[kind]) { small[kind] = size; small.where[kind] = e.tagName + "." + e.className; }
}
document.body.dataset.report = JSON.stringify(small);
</script>"""


@pytest.mark.chromium
@pytest.mark.parametrize("sid", sorted(PLANS))
def test_type_sizes_in_points(sid: str, tmp_path: Path) -> None:
    """Every word a family reads: 12 pt (16 px) and more; in the month cells 10 pt (13.3 px) and more.

    Left out: the sources, the course overview's table, the footer and the blank-line captions,
    which are for the care team (10 pt).
    """
    page = tmp_path / "plan.html"
    page.write_text(
        to_html(expand(builtin(sid), PLANS[sid])).replace("</body>", SIZES + "</body>"), encoding="utf-8"
    )
    small = chromium_report(page, tmp_path, window="800,900")
    assert small["body"] >= 16, small
    assert small["cell"] >= 10 * 96 / 72 - 0.01, small


AXE = Path(__file__).parent / "interop" / "node_modules" / "axe-core" / "axe.min.js"

RUN_AXE = """<script>
axe.run(document, {resultTypes: ["violations"]}).then(r => {
  document.body.dataset.axe = JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact,
    nodes: v.nodes.length, target: v.nodes.slice(0, 2).map(n => n.target.join(" "))})));
});
</script>"""


@pytest.mark.node
@pytest.mark.chromium
@pytest.mark.parametrize("sid", sorted(PLANS))
def test_axe_core_finds_no_serious_or_critical_violation(sid: str, tmp_path: Path, icaljs: object) -> None:
    """axe-core (from npm, installed with ical.js in tests/interop) run in headless Chromium."""
    assert AXE.is_file(), "npm ci in tests/interop installs axe-core"
    (tmp_path / "axe.min.js").write_bytes(AXE.read_bytes())
    html = to_html(expand(builtin(sid), PLANS[sid]))
    page = tmp_path / "plan.html"
    page.write_text(
        html.replace("</body>", '<script src="axe.min.js"></script>' + RUN_AXE + "</body>"), "utf-8"
    )
    violations = chromium_report(page, tmp_path, window="800,900", name="axe", wait_ms=20000)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious
