"""The printable HTML plan: its structure matches the occurrences, and it is safe and self-contained."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from conftest import builtin, d, plan
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.occurrence import Kind
from dosecal.render.html import to_html

CHOICES = {"inotuzumab": {"response": "no-cr", "transplant": "no"}}


class Cells(HTMLParser):
    """Collects month grids (data-month) and each day cell's text by its data-date."""

    def __init__(self) -> None:
        super().__init__()
        self.months: list[str] = []
        self.cells: dict[str, str] = {}
        self._cell: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("data-month"):
            self.months.append(a["data-month"] or "")
        if tag == "td" and a.get("data-date"):
            self._cell, self._depth = a["data-date"], 0
            self.cells[self._cell] = ""
        elif self._cell is not None and tag == "td":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            if self._depth == 0:
                self._cell = None
            else:
                self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.cells[self._cell] += data + " "


def parse(html: str) -> Cells:
    """The cells' words, white space folded and soft hyphens (break hints for print) removed."""
    cells = Cells()
    cells.feed(html)
    cells.cells = {
        day: " ".join(words.replace("\u00ad", "").replace("\u2060", "").split())
        for day, words in cells.cells.items()
    }
    return cells


def test_every_month_spanned_has_a_grid() -> None:
    s, p = builtin("blinatumomab-rr"), plan("2027-01-04")
    cells = parse(to_html(expand(s, p)))
    # 2027-01-04 to 2028-07-02 (end of C9): January 2027 to July 2028, 19 months.
    assert cells.months[0] == "2027-01" and cells.months[-1] == "2028-07"
    assert len(cells.months) == 19


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_treatment_day_appears_in_its_grid_with_its_label(sid: str) -> None:
    s = builtin(sid)
    p = plan("2027-01-04", choices=CHOICES.get(sid, {}))
    occ = expand(s, p)
    cells = parse(to_html(occ)).cells
    for o in occ:
        if o.kind in (Kind.DOSE, Kind.INFUSION, Kind.BAG_CHANGE, Kind.PREMEDICATION):
            text = cells[o.start_date.isoformat()]
            assert o.label in text, (o.summary, text)


def test_cell_says_what_happens_that_day() -> None:
    s, p = builtin("blinatumomab-rr"), plan("2027-01-04", cycles=1)
    cells = parse(to_html(expand(s, p))).cells
    c1d1 = cells["2027-01-04"]
    assert "C1D1" in c1d1 and "IN HOSPITAL" in c1d1 and "09:00* Premedication" in c1d1
    assert "Infusion 9 mcg/day" in c1d1
    assert "10:00* Bag change" in cells["2027-01-05"]  # 10:00 is the schedule's default time
    # Later routine bag changes in the month: the tick box, the mark and the time, no words.
    assert cells["2027-01-06"] == "C1D3 6 H IN HOSPITAL day 3 of 9 ☐ ◆ 10:00*"
    assert "10:00* Infusion ends" in cells["2027-02-01"] and "C1D29" in cells["2027-02-01"]
    # Each month's first routine bag change says the words again (Tue 16 Feb 2027, C2D2).
    two = parse(to_html(expand(s, plan("2027-01-04", cycles=2)))).cells
    assert two["2027-02-16"].endswith("☐ ◆ 10:00* Bag change") and two["2027-02-17"] == "C2D3 17 ☐ ◆ 10:00*"
    assert "Treatment-free" in cells["2027-02-01"]


def test_overview_rows_match_the_cycles() -> None:
    s, p = builtin("inotuzumab"), plan("2027-01-04", cycles=3, choices={"response": "cr", "transplant": "no"})
    html = to_html(expand(s, p))
    # Each cell names its column (data-label: a phone shows a cycle as a block of named values).
    rows = re.findall(
        r'<tr><td data-label="Phase:">([^<]+)</td><td data-label="Cycle:">(C\d+)</td>'
        r'<td class="d" data-label="Day 1:">([^<]+)</td><td class="d" data-label="Last day:">([^<]+)</td>'
        r'<td data-label="Treatment days:">([^<]*)</td><td data-label="Treatment-free:">([^<]*)</td>',
        html,
    )
    assert rows == [
        ("Cycle 1", "C1", "Mon 4 Jan 2027", "Sun 24 Jan 2027", "D1, 8, 15", "D16–21"),
        ("Later cycles", "C2", "Mon 25 Jan 2027", "Sun 21 Feb 2027", "D1, 8, 15", "D16–28"),
        ("Later cycles", "C3", "Mon 22 Feb 2027", "Sun 21 Mar 2027", "D1, 8, 15", "D16–28"),
    ]


def test_patient_text_is_escaped() -> None:
    s = builtin("dasatinib")
    p = plan("2027-01-04", until=d("2027-01-05"), patient='<script>alert(1)</script> & "Jo"')
    html = to_html(expand(s, p))
    assert "<script>" not in html and "</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Jo&quot;" in html
    # In the running header (a CSS string) every character but letters and digits is escaped.
    assert r'"\00003cscript\00003ealert\000028' in html


def test_blank_lines_for_name_date_of_birth_and_record_number_without_a_label() -> None:
    s = builtin("dasatinib")
    p = plan("2027-01-04", until=d("2027-01-05"))
    html = to_html(expand(s, p))
    assert (
        '<div class="patient"><div>Name</div><div>Date of birth</div><div>Record number</div></div>' in html
    )


def test_self_contained_no_network_fetch() -> None:
    s, p = builtin("blinatumomab-rr"), plan("2027-01-04")
    html = to_html(expand(s, p))
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "@import" not in html and "url(http" not in html
    assert not re.search(r'src="', html)


def test_notice_sources_instructions_windows_and_version() -> None:
    from dosecal import __version__

    s, p = builtin("inotuzumab"), plan("2027-01-04", cycles=1)
    html = to_html(expand(s, p))
    assert "does not prescribe" in html
    # Sources by title and address; their keys belong in 'dosecal show', not a patient's plan.
    assert "BESPONSA dosage and administration, US prescribing information section 2, Tables 1 and 2" in html
    assert "https://pfizermedicalinformation.com/besponsa/dosage-admin" in html
    assert "[PFIZER-MI-BESP]" not in html
    assert "± 2 days: The label allows days 8 and 15 to move by up to 2 days" in html
    assert f"Generated by dosecal {__version__}" in html
    # The marks this plan uses (no hospital stay or bag change in inotuzumab).
    for word in ("Dose", "Premedication", "Observation", "Treatment-free"):
        assert word in html.split("<h2>Legend</h2>")[1].split("</section>")[0]


def test_adjusted_plan_shows_struck_dates_held_doses_and_the_change_log() -> None:
    from dosecal.model.adjustments import Delay, Hold

    s = builtin("inotuzumab")
    p = plan(
        "2027-01-04",
        cycles=2,
        choices={"response": "cr"},
        adjustments=(Delay(cycle=2, days=7, note="low counts"), Hold(cycle=1, day=15, agent="inotuzumab")),
    )
    html = to_html(expand(s, p)).replace("\u00ad", "")  # soft hyphens: break hints for print
    log = html.split("<h2>Changes to the plan</h2>")[1].split("</section>")[0]
    assert "<li>Cycle 2 and everything after it delayed by 7 days (low counts)</li>" in log
    assert "<li>Inotuzumab ozogamicin dose held on cycle 1, day 15</li>" in log
    # C2D1 was Mon 2027-01-25 and is now Mon 2027-02-01.
    assert 'Mon 1 Feb 2027<br><s class="was">was Mon 25 Jan 2027</s>' in html
    # In the month grid, the phone's agenda and the day list.
    assert html.count('<strong class="flag">HELD</strong>') == 3
    # The premedication and observation that went with it, in the grid, the agenda and the day list.
    assert html.count('<strong class="flag">CANCELLED</strong>') == 6
