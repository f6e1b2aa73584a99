"""Every source a built-in cites is the publisher's document at its official address.

docs/sources.md keeps the list of publishers' domains; a source on any other domain (a copy on a
drug database, a mirror, a forum) fails here until a person decides it belongs to a publisher and
adds it there, with the publisher's name. Titles say what the document is, never that it is a copy.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, builtin, plan
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.schedule import Schedule
from dosecal.render import RenderOptions, render

DOC = ROOT / "docs" / "sources.md"


def publisher_domains(doc: Path = DOC) -> set[str]:
    """The domains in the first column of the table under "The publishers' domains"."""
    text = doc.read_text(encoding="utf-8").split("## The publishers' domains", 1)[1].split("\n## ", 1)[0]
    domains: set[str] = set()
    for row in text.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("domain", "---"):
            domains.update(d.strip() for d in cells[0].split(","))
    return domains


#: Words that say a text is not the publisher's own: they belong in a schedule file's comments.
COPY_WORDS = re.compile(
    r"mirror|\bcopy\b|older (US )?version|cut off|excerpt|drugs\.com|medscape|rxlist|mims|"
    r"pre-2024|\bmonograph \(",
    re.IGNORECASE,
)


def test_the_list_of_publishers_is_read_from_the_docs() -> None:
    domains = publisher_domains()
    assert {"dailymed.nlm.nih.gov", "pdf.hres.ca", "ec.europa.eu", "doi.org", "cancer.ca"} <= domains
    assert "www.drugs.com" not in domains and "drugs.com" not in domains


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_source_address_is_on_a_publishers_domain(sid: str) -> None:
    s = builtin(sid)
    domains = publisher_domains()
    outside = {
        key: src.url
        for key, src in s.sources.items()
        if src.url is not None and urlsplit(src.url).hostname not in domains
    }
    assert not outside, f"{sid}: sources outside docs/sources.md's publishers: {outside}"


@pytest.mark.parametrize("sid", builtin_ids())
def test_no_source_title_says_it_is_a_copy(sid: str) -> None:
    s = builtin(sid)
    said = {key: src.title for key, src in s.sources.items() if COPY_WORDS.search(src.title)}
    assert not said, f"{sid}: titles that belong in a comment: {said}"


def test_a_source_without_an_address_is_a_journal_reference() -> None:
    """D-ALBA's ASH 2019 abstract: its publisher's address was not seen, so none is given."""
    s = builtin("dasatinib-blinatumomab")
    unaddressed = {k: src.title for k, src in s.sources.items() if src.url is None}
    assert unaddressed == {
        "DALBA-ASH2019": (
            "GIMEMA LAL2116 D-ALBA trial, updated results: "
            '"Dasatinib-Blinatumomab Combination for the Front-line …", ASH annual meeting abstract, '
            "Blood 2019;134(Supplement 1):740"
        )
    }


def _choices(s: Schedule) -> dict[str, str]:
    wanted = {"response": "cr", "transplant": "no", "weight": "45kg-or-more"}
    return {k: v for k, v in wanted.items() if k in s.choices}


@pytest.mark.parametrize("sid", builtin_ids())
def test_the_printed_plan_links_only_to_publishers(sid: str) -> None:
    """The HTML plan a nurse prints: every link and every address in its text is a publisher's."""
    s = builtin(sid)
    course = expand(s, plan("2027-01-04", choices=_choices(s), cycles=min(2, s.total_cycles) or None))
    html = render("html", course, RenderOptions()).decode()
    addresses = set(re.findall(r"https?://[^\s\"<>]+", html))
    hosts = {urlsplit(a).hostname for a in addresses}
    assert hosts and hosts <= publisher_domains(), hosts - publisher_domains()


def test_every_source_has_its_date_or_says_none_was_read() -> None:
    """A title and a date: the labels read at a known revision carry it (BESPONSA, 17 Sep 2024)."""
    s = builtin("inotuzumab")
    assert s.sources["FDA-BESP"].date == "2024-09-17"
    assert s.sources["FDA-BESP"].url == (
        "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=cc7014b1-c775-411d-b374-8113248b4077"
    )
