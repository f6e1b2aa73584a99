"""The printable plan tells the whole story in its month grid (issue 10).

Plans start Monday 2027-01-04 in America/Toronto. Each cell says in words what happens that
day, in time order: HELD, MOVED (was ...), INFUSION STOPPED, RESTART, IN HOSPITAL (day n of m),
DISCHARGE; a tick box stands before every oral dose and bag change; a time that is only the
schedule's default is marked with "*".
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import builtin, d, plan
from dosecal.core.expand import expand
from dosecal.model.adjustments import Delay, Hold, parse_interruption
from dosecal.model.plan import Plan
from dosecal.render.html import to_html


def cell(html: str, day: str) -> str:
    """The markup of one day's cell in the month grid."""
    m = re.search(rf'<td class="[^"]*" data-date="{day}">(.*?)</td>', html)
    assert m is not None, day
    return m.group(1)


def text(markup: str) -> str:
    """The words of some markup, white space folded, break hints (soft hyphen, word joiner) removed."""
    return (
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))
        .replace("\u00ad", "")
        .replace("\u2060", "")
        .strip()
    )


def page(sid: str, p: Plan) -> str:
    return to_html(expand(builtin(sid), p))


BLIN = plan(
    "2027-01-04",
    cycles=2,
    adjustments=(parse_interruption("C1D10@14:00=6h"), Delay(cycle=2, days=3)),
)


def test_an_interruption_reads_stopped_then_restart_in_time_order() -> None:
    """Wed 2027-01-13 (C1D10): bag at 10:00, stopped 14:00, dexamethasone 19:00, restart 20:00."""
    words = text(cell(page("blinatumomab-rr", BLIN), "2027-01-13"))
    order = [
        words.index(w)
        for w in (
            "◆ 10:00*",
            "■ 14:00 INFUSION STOPPED",
            "▲ 19:00 Premedication",
            "▬ 20:00 RESTART",
            "Infusion",
        )
    ]
    assert order == sorted(order), words
    assert "SUPERVISED START" in words  # the restart is after the 9 hospital days
    # 14:00 was given with the interruption, and 19:00 and 20:00 follow from it: no "*".
    assert "14:00*" not in words and "19:00*" not in words and "20:00*" not in words


def test_times_that_follow_from_a_default_are_marked_as_default() -> None:
    """Stopped at the usual bag change (10:00*) for 6 hours: premedication 15:00*, restart 16:00*."""
    p = plan("2027-01-04", cycles=1, adjustments=(parse_interruption("C1D10=6h"),))
    words = text(cell(page("blinatumomab-rr", p), "2027-01-13"))
    for marked in (
        "■ 10:00* INFUSION STOPPED",
        "▲ 15:00* Premedication",
        "▬ 16:00* RESTART",
        "◆ 16:00* Bag change",
    ):
        assert marked in words, (marked, words)
    # The premedication before a default time is a default too: 09:00* before the 10:00* start.
    assert "▲ 09:00* Premedication ▬ 10:00* Infusion 9 mcg/day" in text(
        cell(page("blinatumomab-rr", p), "2027-01-04")
    )


def test_hospital_days_are_counted_and_the_last_is_discharge() -> None:
    html = page("blinatumomab-rr", BLIN)
    assert "IN HOSPITAL day 1 of 9" in text(cell(html, "2027-01-04"))
    assert "IN HOSPITAL day 8 of 9" in text(cell(html, "2027-01-11"))
    assert "DISCHARGE day 9 of 9" in text(cell(html, "2027-01-12"))
    assert "IN HOSPITAL" not in text(cell(html, "2027-01-13"))


def test_a_moved_cycle_says_where_it_was() -> None:
    """Cycle 2, first planned for Mon 2027-02-15, starts Fri 2027-02-19 (6 hours and 3 days later)."""
    words = text(cell(page("blinatumomab-rr", BLIN), "2027-02-19"))
    assert words.count("MOVED (was Mon 15 Feb)") == 1  # once a cell, for the whole cycle's events
    assert "▬ 10:00* Infusion 28 mcg/day" in words  # one drug in this plan: "Infusion" names it


def test_a_held_dose_says_held_outside_the_struck_text() -> None:
    """Inotuzumab C1D15 (Mon 2027-01-18) held: the word HELD is not struck through."""
    p = plan(
        "2027-01-04",
        cycles=2,
        choices={"response": "cr"},
        adjustments=(Hold(cycle=1, day=15, agent="inotuzumab"),),
    )
    markup = cell(page("inotuzumab", p), "2027-01-18").replace("\u00ad", "")
    assert re.search(
        r'09:00\*</span> <strong class="flag">HELD</strong> <span class="what cancelled">Inotuzumab', markup
    )
    assert "☐" not in markup.split("HELD")[0][-80:]  # no tick box for a dose that is not given


def test_two_agents_in_one_cell_are_named_and_rest_says_which_drug() -> None:
    """D-ALBA day 114 (Tue 2027-04-27): dasatinib goes on while blinatumomab rests."""
    words = text(cell(page("dasatinib-blinatumomab", plan("2027-01-04", cycles=1)), "2027-04-27"))
    # A break from blinatumomab is not a break from dasatinib (a family might stop the tablets).
    assert "Blinatumomab break: keep taking dasatinib" in words and "Treatment-free" not in words
    assert "08:00* Dasatinib 140 mg" in words


def test_every_oral_dose_and_bag_change_has_a_tick_box() -> None:
    html = page("nilotinib", plan("2027-01-04", until=d("2027-01-10")))
    for day in ("2027-01-04", "2027-01-10"):
        assert text(cell(html, day)).count("☐") == 2  # 10:00 and 22:00
    bags = page("blinatumomab-rr", plan("2027-01-04", cycles=1))
    assert text(cell(bags, "2027-01-05")) == "C1D2 5 H IN HOSPITAL day 2 of 9 ☐ ◆ 10:00* Bag change"


def test_default_times_are_marked_and_explained() -> None:
    html = page("dasatinib", plan("2027-01-04", until=d("2027-01-05")))
    assert "08:00* Dasatinib" in text(cell(html, "2027-01-04"))
    assert "Default time, not from the label: your care team sets yours." in html


def test_a_time_the_plan_gives_is_not_marked() -> None:
    from datetime import time

    html = page("dasatinib", plan("2027-01-04", until=d("2027-01-05"), times={"dasatinib": (time(7, 30),)}))
    assert "07:30 Dasatinib" in text(cell(html, "2027-01-04"))


@pytest.mark.weasyprint
@pytest.mark.poppler
def test_the_pdf_month_pages_carry_the_words(tmp_path: Path) -> None:
    from dosecal.render.pdf import to_pdf

    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(to_pdf(expand(builtin("blinatumomab-rr"), BLIN)))
    pdftotext = shutil.which("pdftotext")
    assert pdftotext is not None
    out = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # A long word in a cell may break at one of its soft hyphens, as Chromium prints it too
    # ("DIS-" / "CHARGE"): the page has the word, drawn with a hyphen (U+2010) at the line's end.
    out = re.sub(r"\s+", " ", re.sub("\u00ad?\u2010\n", "", out))
    for word in ("INFUSION STOPPED", "RESTART", "MOVED (was Mon 15 Feb)", "DISCHARGE"):
        assert word in out, word


def test_both_daily_doses_share_a_line_with_a_tick_box_each() -> None:
    """Nilotinib on Tue 2027-01-05 (day 2): 10:00 and 22:00, a box before each time."""
    words = text(
        cell(to_html(expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-10")))), "2027-01-05")
    )
    assert words == "Day 2 5 ☐ 10:00* ☐ 22:00* ● Nilotinib 400 mg"


def test_the_day_list_summarises_runs_of_the_same_dose() -> None:
    """Nilotinib for four months: 240 doses; the list has one row for each time of day."""
    course = expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-05-03")))
    days = text(to_html(course).split('<section class="days">')[1].split("</section>")[0])
    assert days.count("Nilotinib 400 mg") == 2  # 10:00 and 22:00, once each
    assert (
        "Mon 4 Jan 2027 Days 1–120 10:00* ● Nilotinib 400 mg (no food 08:00–11:00): "
        "every day to Mon 3 May 2027 (120 times)"
    ) in days
    assert "Days 1–120 22:00* ● Nilotinib 400 mg (no food 20:00–23:00): every day to Mon 3 May 2027" in days
    full = to_html(course, full_list=True).split('<section class="days">')[1].split("</section>")[0]
    assert full.count("Nilotinib 400 mg") == 240


def test_a_day_without_tablets_says_so_in_words() -> None:
    """Dasatinib held on day 3 (Wed 2027-01-06): that cell says "No dasatinib today"; day 4 does not."""
    html = page("dasatinib", plan("2027-01-04", until=d("2027-01-10"), adjustments=(Hold(day=3),)))
    assert text(cell(html, "2027-01-06")) == "Day 3 6 No dasatinib today ● 08:00* HELD Dasatinib 140 mg"
    assert "today" not in text(cell(html, "2027-01-07"))


def test_a_changed_or_held_dose_stays_in_the_summarised_list() -> None:
    """Dasatinib held on day 3 (Wed 2027-01-06): the run breaks there and the held dose is listed."""
    p = plan("2027-01-04", until=d("2027-01-10"), adjustments=(Hold(day=3),))
    days = to_html(expand(builtin("dasatinib"), p)).split('<section class="days">')[1]
    assert '<strong class="flag">HELD</strong> <span class="what cancelled">Dasatinib 140 mg' in days
    # Days 1-2 and 4-7 are one run, with a gap: not "every day".
    assert "Mon 4 Jan 2027 Days 1–7 08:00* ● Dasatinib 140 mg: 6 times, the last on Sun 10 Jan 2027" in text(
        days
    )
    assert "Wed 6 Jan 2027 Day 3 08:00* ● HELD Dasatinib 140 mg" in text(days)


FRIDGE = """schedule = "blinatumomab-rr"
start = 2027-01-04
timezone = "America/Toronto"
cycles = 2
patient = "J. Doe"

[contacts]
daytime = "514 555-0100"
after_hours = "514 555-0199"
"""


@pytest.mark.weasyprint
@pytest.mark.poppler
def test_page_1_is_the_page_for_the_fridge_and_every_page_is_numbered(tmp_path: Path) -> None:
    from dosecal.inputs.planfile import loads
    from dosecal.render.pdf import to_pdf

    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(to_pdf(expand(builtin("blinatumomab-rr"), loads(FRIDGE, "p.toml"))))
    pdftotext = shutil.which("pdftotext")
    assert pdftotext is not None
    out = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [re.sub(r"\s+", " ", p) for p in out.split("\f") if p.strip()]
    first = pages[0]
    for words in ("Key dates", "Admission: hospital stay of 9 days", "Discharge (last hospital day)",
                  "Cycle 2 starts", "When to call your care team at once", "Signs of neurological problems",
                  "Daytime (care team) 514 555-0100", "After hours and weekends 514 555-0199", "Pharmacy"):  # fmt: skip
        assert words in first, words
    # The last page: the call box again, then lines for notes and questions.
    assert "When to call your care team at once" in pages[-1]
    assert "Daytime (care team) 514 555-0100" in pages[-1]
    assert "Notes and questions for your care team" in pages[-1]
    for n, text in enumerate(pages, 1):
        assert f"Page {n} of {len(pages)}" in text, n
        assert "J. Doe · Blinatumomab for relapsed or refractory B-ALL" in text, n


def test_contacts_come_from_the_plan_file_and_only_known_kinds() -> None:
    from dosecal.errors import PlanError
    from dosecal.inputs.planfile import loads

    html = to_html(expand(builtin("blinatumomab-rr"), loads(FRIDGE, "p.toml")))
    assert html.count('<span class="number">514 555-0100</span>') == 2  # page 1 and the last page
    with pytest.raises(PlanError, match=r"p.toml:\d+: contacts.nurse: 'nurse' is not a kind of contact"):
        loads(FRIDGE + 'nurse = "1"\n', "p.toml")


def test_the_legend_shows_only_the_marks_the_plan_uses() -> None:
    html = to_html(expand(builtin("dasatinib"), plan("2027-01-04", until=d("2027-01-05"))))
    legend = html.split('<section class="legend-box">')[1].split("</section>")[0]
    assert "Dose" in legend and "Bag change" not in legend and "Hospital stay" not in legend


def test_a_delayed_cycle_says_moved_where_it_now_starts_not_on_every_day() -> None:
    """Inotuzumab cycle 2 delayed 7 days: C2 was due Mon 25 Jan, C3 Mon 22 Feb; each said once."""
    p = plan(
        "2027-01-04",
        cycles=3,
        choices={"response": "cr", "transplant": "no"},
        adjustments=(Delay(2, days=7),),
    )
    html = page("inotuzumab", p)
    grids = re.sub(r'<ol class="agenda">.*?</ol>', "", html)  # a phone's agenda says it again
    assert re.findall(r"MOVED \(was [^)]*\)", grids) == ["MOVED (was Mon 25 Jan)", "MOVED (was Mon 22 Feb)"]
    assert "MOVED" in text(cell(html, "2027-02-01")) and "MOVED" not in text(cell(html, "2027-02-08"))
    # The days the cycles were due are not blank: they say where each went.
    assert text(cell(html, "2027-01-25")) == "25 CYCLE 2 DELAYED to Mon 1 Feb"
    assert "CYCLE 3 DELAYED to Mon 1 Mar" in text(cell(html, "2027-02-22"))


def test_the_day_list_has_a_tick_box_for_what_a_caregiver_gives() -> None:
    p = plan("2027-01-04", until=d("2027-01-05"))
    full = to_html(expand(builtin("dasatinib"), p), full_list=True).split('<section class="days">')[1]
    assert full.count('<span class="tick" aria-hidden="true">☐</span><span class="sym">●</span>') == 2
    # A summarised run is one row for many doses: no single box to tick them all (the grid has each).
    summary = page("dasatinib", p).split('<section class="days">')[1].split("</section>")[0]
    assert "☐" not in summary and "every day to Tue 5 Jan 2027 (2 times)" in summary


def test_bag_changes_after_a_restart_are_a_run_of_their_own_at_the_new_time() -> None:
    """Stopped Wed 13 Jan 2027 14:00 for 6 hours: changes at 10:00 before, at 20:00 after.

    The infusion ends Mon 1 Feb 2027 at 16:00, so the bag hung Sun 31 Jan at 20:00 runs 20 hours.
    """
    days = text(page("blinatumomab-rr", BLIN).split('<section class="days">')[1].split("</section>")[0])
    # One drug in this plan: the list says "Bag change" and "Infusion ends", as the month grid does.
    assert "Tue 5 Jan 2027 C1D2–10 10:00* ◆ Bag change: 8 times, the last on Wed 13 Jan 2027" in days
    assert "Thu 14 Jan 2027 C1D11–27 20:00 ◆ Bag change: every day to Sat 30 Jan 2027 (17 times)" in days
    # The last bag runs 20 hours, to the end moved 6 hours later: its own line says so (#20).
    assert "Sun 31 Jan 2027 C1D28 20:00 ☐ ◆ Blinatumomab bag change: this bag runs 20 hours" in days
    assert "Mon 1 Feb 2027 C1D29–43 16:00 ■ Infusion ends. Treatment-free days (to Mon 15 Feb 2027)" in days


def test_a_cycle_break_beside_a_daily_drug_is_never_called_treatment_free() -> None:
    """D-ALBA: dasatinib goes on through blinatumomab's days 29-42; the overview's column says so."""
    html = page("dasatinib-blinatumomab", plan("2027-01-04", cycles=1))
    overview = html.split('<section class="overview">')[1].split("</section>")[0]
    assert "<th>Cycle break (daily drug goes on)</th>" in overview and "Treatment-free" not in overview


def test_drug_names_are_never_hyphenated_and_amounts_keep_their_units() -> None:
    """In French cells a long word may break at a syllable, but not "Nilotinib" or "0,5 mg/m²"."""
    from dosecal.words import language

    fr = language("fr")
    nilo = to_html(expand(builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-10"))), lang=fr)
    assert cell(nilo, "2027-01-05").endswith('<span class="sym">●</span>Nilotinib 400\u00a0mg</span>')
    ino = to_html(
        expand(builtin("inotuzumab"), plan("2027-01-04", cycles=1, choices={"response": "cr"})), lang=fr
    )
    markup = cell(ino, "2027-01-04")  # the month's first dose and premedication: named in full
    assert "Inotuzumab" in markup and "0,8\u00a0mg/\u2060m²" in markup
    assert "Pré\u00adm" in markup  # "Prémédication" may break, at its syllables
    assert "0,5\u00a0mg/\u2060m²" in cell(ino, "2027-01-11")  # later: the amount, not the name again
