"""Every word a reader sees comes from the message catalogue or the schedule, through a language.

The pseudo-locale renders each message and each piece of schedule content accented and
bracketed ("⟦Hóspítál stáý⟧"). Rendering every output of every built-in in it, and taking the
bracketed parts away, must leave no word: an English word left over reached the output without
passing through the catalogue. Besides, every message id the code uses is in the catalogue and
every message in the catalogue is used.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from icalendar import Calendar

from conftest import builtin, d, plan
from dosecal.core.expand import expand
from dosecal.inputs.definitions import builtin_ids
from dosecal.model.adjustments import ChoiceChange, Delay, DoseChange, Hold, Interruption, Stop
from dosecal.model.plan import Plan
from dosecal.render.csv import to_csv
from dosecal.render.html import to_html
from dosecal.render.ics import to_ics
from dosecal.render.json import to_json
from dosecal.render.txt import to_txt
from dosecal.words import ENGLISH, PseudoLanguage, pseudo
from dosecal.words.catalogue import CATALOGUE

SRC = Path(__file__).resolve().parents[1] / "src" / "dosecal"
PSEUDO = PseudoLanguage()

#: Plans that reach the adjustments, windows, limits, body sizes and interruptions too.
PLANS: dict[str, Plan] = {
    "blinatumomab-rr": plan(
        "2027-01-04",
        cycles=3,
        weight_kg=30,
        height_cm=130,
        choices={"patient": "child"},
        adjustments=(
            Interruption(1, 10, hours=6),
            Interruption(2, 3, days=2, cause="toxicity"),
            Delay(cycle=3, days=7, note="counts"),
            Stop(on=d("2027-05-20")),
        ),
    ),
    "inotuzumab": plan(
        "2027-01-04",
        cycles=3,
        weight_kg=70,
        height_cm=170,
        choices={"response": "no-cr", "transplant": "yes"},
        adjustments=(Hold(cycle=1, day=15, agent="inotuzumab"), ChoiceChange("cycle1-days", "28")),
    ),
    "ponatinib": plan(
        "2027-01-04", until=d("2027-02-10"), adjustments=(DoseChange("ponatinib", d("2027-01-20"), "15 mg"),)
    ),
    "dasatinib": plan("2027-01-04", until=d("2027-01-20"), weight_kg=25, choices={"patient": "child"}),
}


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden = tag == "style"
        self.parts += [v for k, v in attrs if k == "aria-label" and v]

    def handle_endtag(self, tag: str) -> None:
        self.hidden = False

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def reader_text(sid: str, p: Plan) -> dict[str, str]:
    """What a reader sees in each output, in the pseudo-locale."""
    course = expand(builtin(sid), p)
    html = _Visible()
    html.feed(to_html(course, lang=PSEUDO))
    cal = Calendar.from_ical(to_ics(course, lang=PSEUDO))
    ics = [str(cal.get(k, "")) for k in ("NAME", "X-WR-CALNAME", "DESCRIPTION")]
    for ev in cal.walk("VEVENT"):
        ics += [str(ev.get("SUMMARY", "")), str(ev.get("DESCRIPTION", ""))]
    ics += [str(a.get("DESCRIPTION", "")) for a in cal.walk("VALARM")]
    doc = json.loads(to_json(course, lang=PSEUDO))
    from_json = [doc["notice"], *doc["plan"]["adjustments"]]
    from_json += [str(e[k] or "") for e in doc["events"] for k in ("title", "dose", "notes")]
    rows = list(csv.DictReader(io.StringIO(to_csv(course, lang=PSEUDO))))
    return {
        "txt": to_txt(course, lang=PSEUDO, width=1000),  # unwrapped: a wrapped address would look like words
        "html": "\n".join(html.parts),
        "ics": "\n".join(ics),
        "json": "\n".join(from_json),
        "csv": "\n".join(str(r[k]) for r in rows for k in ("title", "dose", "notes")),
    }


def leftover(text: str, sid: str, p: Plan) -> list[str]:
    """Words outside every ⟦…⟧: what did not pass through a language."""
    while True:
        inner = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if inner == text:
            break
        text = inner
    # Data that reads the same in every language: addresses, ids, the zone, the program's name.
    for data in (r"https?://\S+", re.escape(p.plan_id(builtin(sid))), re.escape(sid), re.escape(p.timezone)):
        text = re.sub(data, " ", text)
    text = re.sub(r"\bdosecal\b", " ", text)
    for a in p.adjustments:  # what the nurse typed as the reason is data too
        text = text.replace(a.note or "\0", " ")
    # The pseudo-locale accents every vowel, so a plain word with a vowel came from elsewhere.
    # (Words cut short where a narrow column truncates a label keep their accents.)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if re.search(r"[aeiouyAEIOUY]", w)]


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_output_passes_every_word_through_the_language(sid: str) -> None:
    p = PLANS.get(sid) or plan(
        "2027-01-04", choices={"response": "no-cr", "transplant": "no"} if sid == "inotuzumab" else {}
    )
    for name, text in reader_text(sid, p).items():
        assert "⟦" in text, name
        words = leftover(text, sid, p)
        assert not words, (name, sorted(set(words))[:20])


def test_the_pseudo_language_keeps_fields_and_marks_words() -> None:
    assert pseudo("{agent} infusion {dose}") == "⟦{agent} íñfúsíóñ {dose}⟧"
    assert PSEUDO.say("title.hospital") == "⟦Hóspítál stáý⟧"
    assert leftover("⟦Hóspítál⟧ 2027-01-04 ⟦⟦Món⟧ x⟧", "imatinib", plan("2027-01-04")) == []
    assert leftover("⟦Dósé⟧ Infusion", "imatinib", plan("2027-01-04")) == ["Infusion"]


#: Message ids the web pages' templates name: t("id", ...).
_TEMPLATE_CALL = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']""")


def _template_message_ids() -> set[str]:
    """The ids the clinic's page templates (src/dosecal/web/templates) pass to ``t``."""
    found: set[str] = set()
    for path in (SRC / "web" / "templates").glob("*.html"):
        found.update(_TEMPLATE_CALL.findall(path.read_text(encoding="utf-8")))
    return found


def _used_message_ids() -> set[str]:
    """Message ids written literally in the source: msg("id", ...), say("id", ...), MARKS and keys."""
    used: set[str] = _template_message_ids() & set(CATALOGUE)
    for path in SRC.rglob("*.py"):
        if path.name == "catalogue.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in CATALOGUE:
                used.add(node.value)
    return used


def _message_calls() -> set[str]:
    """The first argument of every msg()/say() call with a literal id."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in ("msg", "say")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_message_id_used_is_in_the_catalogue() -> None:
    missing = (_message_calls() | _template_message_ids()) - set(CATALOGUE)
    assert not missing, sorted(missing)


def test_every_message_in_the_catalogue_is_used() -> None:
    unused = set(CATALOGUE) - _used_message_ids()
    assert not unused, sorted(unused)


def test_every_template_formats_with_its_own_fields() -> None:
    """A translator sees the fields; English fills each one it names and no other."""
    for key, text in CATALOGUE.items():
        fields = set(re.findall(r"{(\w+)}", text))
        assert ENGLISH.template(key).format(**dict.fromkeys(fields, "x")) is not None


class _Recording(PseudoLanguage):
    """Notes every piece of schedule content it is asked to render."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def content(self, text: str) -> str:
        self.seen.add(text)
        return super().content(text)


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_schedule_text_an_output_shows_is_extracted_for_translators(sid: str) -> None:
    """What the outputs show of a definition is exactly what ``pybabel extract`` offers to translate.

    ``dosecal show`` counts as an output: its clinician notes and choices' explanations too.
    """
    from dosecal.inputs.extract import schedule_texts
    from dosecal.render.describe import describe

    p = PLANS.get(sid) or plan(
        "2027-01-04", choices={"response": "no-cr", "transplant": "no"} if sid == "inotuzumab" else {}
    )
    course = expand(builtin(sid), p)
    lang = _Recording()
    (
        to_txt(course, lang=lang),
        to_html(course, lang=lang),
        to_ics(course, lang=lang),
        to_json(course, lang=lang),
        describe(builtin(sid), lang),
    )
    extracted = set(schedule_texts(builtin(sid)))
    # A dose the nurse typed into the plan (a dose change) is the plan's, not the schedule's.
    extracted |= {a.dose for a in p.adjustments if isinstance(a, DoseChange)}
    assert lang.seen, "no schedule content rendered"
    assert lang.seen <= extracted, sorted(lang.seen - extracted)


def test_the_shipped_template_is_up_to_date(tmp_path: Path) -> None:
    """src/dosecal/words/locale/dosecal.pot is what extraction gives now (docs/translating.md)."""
    import subprocess
    import sys

    root = SRC.parents[1]
    out = tmp_path / "dosecal.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_:1c,2", "-k", "NP_:1c,2,3",
         "--no-location", "--omit-header", "--sort-output", "-o", str(out), "."],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip
    assert out.read_text(encoding="utf-8") == (SRC / "words" / "locale" / "dosecal.pot").read_text(
        encoding="utf-8"
    ), "run the extraction in docs/translating.md and commit the template"
