"""En français aussi: the Canadian French catalogue, and the same plan in French everywhere.

The catalogue is checked whole (no entry missing or fuzzy, the compiled file current), every
built-in is rendered in French and searched for English left over, and the French calendar is
read back by ical.js and vobject.
"""

from __future__ import annotations

import io
import json
import re
import string
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from conftest import builtin, plan
from dosecal.core.expand import expand
from dosecal.errors import PlanError
from dosecal.inputs.definitions import builtin_ids
from dosecal.inputs.extract import schedule_texts
from dosecal.render.html import to_html
from dosecal.render.ics import to_ics
from dosecal.render.json import to_json
from dosecal.render.txt import to_txt
from dosecal.words import CONTENT, language, languages
from dosecal.words.catalogue import CATALOGUE, PLURALS

LOCALE = Path(__file__).resolve().parents[1] / "src" / "dosecal" / "words" / "locale" / "fr" / "LC_MESSAGES"
FR = language("fr")

CHOICES: dict[str, dict[str, str]] = {"inotuzumab": {"response": "no-cr", "transplant": "no"}}


def catalogue() -> Any:
    with (LOCALE / "dosecal.po").open("rb") as f:
        return read_po(f)


def test_every_message_and_schedule_text_has_a_french_translation() -> None:
    po = catalogue()
    entries = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in po if m.id}
    wanted = [(key, text) for key, text in CATALOGUE.items() if key not in PLURALS]
    wanted += [(key, forms[0]) for key, forms in PLURALS.items()]
    wanted += [(CONTENT, text) for sid in builtin_ids() for text in schedule_texts(builtin(sid))]
    missing = [w for w in wanted if w not in entries]
    assert missing == []
    for key in wanted:
        m = entries[key]
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(forms) and not m.fuzzy, key
        # The fields dosecal fills are all there, each as often as in the English.
        english = m.id if isinstance(m.id, tuple) else (m.id,)
        want = sorted(f for _, f, _, _ in string.Formatter().parse(english[-1]) if f)
        for form in forms:
            assert sorted(f for _, f, _, _ in string.Formatter().parse(form) if f) == want, key


def test_plural_forms_follow_french_rules() -> None:
    """French says "0 jour" and "1 jour" but "2 jours" (gettext plural=(n > 1))."""
    assert [FR.say("length.days", count=n) for n in (0, 1, 2)] == ["0 jour", "1 jour", "2 jours"]
    assert [FR.say("heading.cycles", count=n) for n in (1, 9)] == ["1 cycle prévu", "9 cycles prévus"]
    assert [language("en").say("length.days", count=n) for n in (1, 2)] == ["1 day", "2 days"]


def test_the_compiled_catalogue_is_the_one_the_po_file_gives() -> None:
    """The .mo that ships in the wheel is compiled from the .po (docs/translating.md, step 3)."""
    out = io.BytesIO()
    write_mo(out, catalogue())
    assert out.getvalue() == (LOCALE / "dosecal.mo").read_bytes(), "run pybabel compile (docs/translating.md)"


def test_french_dates_times_numbers_and_labels() -> None:
    assert FR.date(date(2027, 1, 4)) == "lun. 4 janv. 2027"
    assert FR.short_date(date(2027, 2, 1)) == "lun. 1 févr."
    # The Office québécois de la langue française: "9 h 30", and "10 h" for a whole hour.
    # No-break spaces (U+00A0): a time never breaks across two lines.
    assert FR.clock(time(9, 30)) == "9\u00a0h\u00a030" and FR.clock(time(10, 0)) == "10\u00a0h"
    assert FR.clock(time(22, 5)) == "22\u00a0h\u00a005"
    assert FR.text(1.44) == "1,44" and FR.text(Decimal("2.00")) == "2,00"
    assert FR.say("label.cycle_day", cycle=2, day=8) == "C2J8"
    assert language("en").clock(time(9, 30)) == "09:30" and language("en").text(Decimal("2.00")) == "2.00"


def test_a_french_plan_shows_french_dates_times_amounts_and_labels() -> None:
    """Inotuzumab 0.8 mg/m2 on Mon 2027-01-04 for 175 cm and 70 kg: BSA 1.84 m², 1.47 mg.

    sqrt(175 x 70 / 3600) = 1.8447 m², shown 1.84; 0.8 x 1.84 = 1.472 mg, to 3 figures 1.47.
    """
    p = plan("2027-01-04", cycles=1, choices={"response": "cr"}, weight_kg=70, height_cm=175)
    course = expand(builtin("inotuzumab"), p)
    text = to_txt(course, lang=FR, width=200)
    assert "lun. 4 janv. 2027" in text and "C1J8" in text
    assert re.search(
        r"C1J1 +9\u00a0h +Inotuzumab ozogamicine 0,8 mg/m² = 1,47 mg pour une SC de 1,84 m²", text
    )
    assert "09:00" not in text
    assert "0.8 mg/m2 = 1.47 mg for BSA 1.84 m²" in to_txt(course, width=200)


def english_left(output: str, sid: str) -> list[str]:
    """English message or schedule text (a run of three words or more) found in ``output``."""
    found = []
    po = catalogue()
    french = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string for m in po if m.id}
    texts = [(key, text) for key, text in CATALOGUE.items()]
    texts += [(CONTENT, t) for t in schedule_texts(builtin(sid))]
    for key, text in texts:
        translated = french.get((key, text), "")
        translated = " ".join(translated) if isinstance(translated, tuple) else translated
        for literal, *_ in string.Formatter().parse(text):
            words = literal.strip(" .,:;()·–-")
            if len(words.split()) >= 3 and words not in translated and words in output:
                found.append(words)
    return found


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_builtin_in_french_has_no_english_sentence_left(sid: str) -> None:
    s = builtin(sid)
    p = plan("2027-01-04", choices=CHOICES.get(sid, {}), until=date(2027, 6, 30) if not s.phases else None)
    course = expand(s, p)
    for name, output in (
        ("html", to_html(course, lang=FR)),
        ("txt", to_txt(course, lang=FR)),
        ("ics", to_ics(course, lang=FR).decode()),
    ):
        assert english_left(output, sid) == [], (sid, name)
    html = to_html(course, lang=FR)
    assert html.startswith('<!DOCTYPE html>\n<html lang="fr">')


def test_json_keeps_english_keys_and_says_its_language() -> None:
    course = expand(builtin("dasatinib"), plan("2027-01-04", until=date(2027, 1, 5)))
    doc = json.loads(to_json(course, lang=FR))
    assert doc["plan"]["language"] == "fr" and json.loads(to_json(course))["plan"]["language"] == "en"
    event = doc["events"][0]
    assert event["kind"] == "dose" and event["status"] == "planned"  # values for programs stay English
    assert event["title"] == "Dasatinib 140 mg" and event["label"] == "Day 1"


def test_french_ics_lines_are_folded_at_75_octets_between_characters() -> None:
    """RFC 5545 3.1: lines of at most 75 octets; a fold never splits a UTF-8 character."""
    data = to_ics(expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=2)), lang=FR)
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # raises if a fold cut a character in two
    assert "Séjour à l'hôpital".encode() in data.replace(b"\r\n ", b"")


@pytest.mark.parametrize("sid", ["blinatumomab-rr", "inotuzumab", "nilotinib"])
def test_icaljs_and_vobject_read_the_french_calendar_with_its_accents(
    sid: str, tmp_path: Path, icaljs: Callable[[Path], Any]
) -> None:
    import vobject

    p = plan(
        "2027-01-04", choices=CHOICES.get(sid, {}), until=date(2027, 3, 1) if sid == "nilotinib" else None
    )
    course = expand(builtin(sid), p)
    path = tmp_path / f"{sid}.ics"
    path.write_bytes(to_ics(course, lang=FR))
    titles = [FR.text(o.summary_text) for o in course]
    parsed = icaljs(path)
    assert sorted(ev["summary"] for ev in parsed["events"]) == sorted(titles)
    assert parsed["name"] == FR.say("calendar.name", title=FR.content(course.schedule.title))
    cal = vobject.readOne(path.read_text(encoding="utf-8"))
    assert sorted(str(ev.summary.value) for ev in cal.vevent_list) == sorted(titles)
    read = {str(ev.uid.value): str(ev.description.value) for ev in cal.vevent_list}
    for o in course:  # every line of its notes, accents and all (the calendar may add a line)
        assert all(line in read[o.uid] for line in FR.lines(o.note_parts).split("\n")), o.uid
    assert any(ch in "".join(read.values()) for ch in "éàèô")


def test_a_bilingual_printout_gives_each_section_in_french_then_english() -> None:
    course = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=1))
    fr, en = languages("fr+en")
    html = to_html(course, lang=fr, also=en)
    order = [
        html.index(words)
        for words in ("Appelez votre équipe", "When to call", "Vue d&#x27;ensemble", "Course overview")
    ]
    assert order == sorted(order)
    assert html.count('<div lang="fr">') == html.count('<div lang="en">') >= 7
    # A calendar stays in one language: one title per event.
    assert b"When to call" not in to_ics(course, lang=fr)


def test_language_from_the_plan_file_and_the_option(tmp_path: Path, cli: Any) -> None:
    plan_file = tmp_path / "p.plan.toml"
    plan_file.write_text(
        'schedule = "dasatinib"\nstart = 2027-01-04\ntimezone = "America/Toronto"\nuntil = 2027-01-05\nlanguage = "fr"\n',
        encoding="utf-8",
    )
    result = cli("generate", "--plan", str(plan_file), "-o", str(tmp_path / "a.ics"))
    assert result.exit_code == 0, result.output
    assert "Jour 1" in (tmp_path / "a.ics").read_text(encoding="utf-8")
    result = cli("generate", "--plan", str(plan_file), "--lang", "en", "-o", str(tmp_path / "b.ics"))
    assert "Day 1" in (tmp_path / "b.ics").read_text(encoding="utf-8")
    plan_file.write_text(plan_file.read_text(encoding="utf-8").replace('"fr"', '"de"'), encoding="utf-8")
    result = cli("generate", "--plan", str(plan_file), "-o", str(tmp_path / "c.ics"))
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and "p.plan.toml" in line and "language" in line and "'de'" in line
    assert not (tmp_path / "c.ics").exists()
    result = cli("generate", "dasatinib", "--start", "2027-01-04", "--tz", "UTC", "--lang", "xx", "-o", "-")
    assert result.exit_code == 1 and "--lang" in result.output and "Traceback" not in result.output


#: The English page targets (tests/test_print.py), in French too: the month cells' French words
#: ("Nouveau sac", "Fin de perfusion") take no more lines than the English ones. Inotuzumab's:
#: the blood tests before each of its 9 doses (clinical review 2026-12-06, N11) add a row each to
#: the day list, and the French one ends two source lines past page 8 (the English prints on 7).
FRENCH_TARGETS = {
    "blinatumomab-rr, 9 cycles": 12,
    "nilotinib, 4 months": 6,
    "inotuzumab, 3 cycles, cycle 2 delayed 7 days": 9,
}


@pytest.mark.parametrize("case", sorted(FRENCH_TARGETS))
@pytest.mark.chromium
@pytest.mark.weasyprint
@pytest.mark.poppler
def test_the_french_printout_prints_within_its_page_target(case: str, tmp_path: Path) -> None:
    from dosecal.render.pdf import to_pdf
    from test_print import TARGETS, chromium_pdf, pages_text

    sid, p, _ = TARGETS[case]
    course = expand(builtin(sid), p)
    html = to_html(course, lang=FR).replace("</style>", "@page { size: A4; }</style>", 1)
    path = tmp_path / "plan.html"
    path.write_text(html, encoding="utf-8")
    pdf = tmp_path / "weasy.pdf"
    pdf.write_bytes(to_pdf(course, lang=FR))
    for pages in (pages_text(chromium_pdf(path, tmp_path)), pages_text(pdf)):
        assert len(pages) <= FRENCH_TARGETS[case], len(pages)
        assert f"Page {len(pages)} sur {len(pages)}" in pages[-1]
        assert "Appelez votre équipe de soins immédiatement si" in pages[0]


@pytest.mark.weasyprint
@pytest.mark.poppler
def test_french_page_1_of_the_full_blinatumomab_course_holds_its_first_key_dates(tmp_path: Path) -> None:
    """The fridge page in French keeps the first admission, cycle start and discharge.

    It held four key dates before the call box carried the emergency words, the whole list of
    cytokine release signs, the pump sign and the fever line (clinical review 2026-12-06); the
    re-admission is in the course overview, as the hint says.
    """
    from dosecal.render.pdf import to_pdf
    from test_print import pages_text

    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(to_pdf(expand(builtin("blinatumomab-rr"), plan("2027-01-04")), lang=FR, paper="a4"))
    page_1 = " ".join(pages_text(pdf)[0].split())
    assert "lun. 4 janv. 2027 C1J1 Admission : séjour à l'hôpital de 9 jours" in page_1
    assert "lun. 4 janv. 2027 C1J1 10 h* Début du cycle 1" in page_1
    assert "mar. 12 janv. 2027 C1J9 Sortie (dernier jour à l'hôpital)" in page_1
    assert "… et 9 autres dates importantes" in page_1 and "Légende" in page_1


def test_show_in_french_writes_routes_times_and_lists_in_french(cli: Any) -> None:
    """The clinician notes and choices' explanations are French too; options and source keys stay."""
    out = cli("show", "blinatumomab-rr", "--lang", "fr").output
    assert "Blinatumomab (Blincyto)\u00a0: perfusion IV continue; heure par défaut 10\u00a0h" in out
    assert "jour 1 et à la reprise" in out and "jours 1, 8 et à la reprise" in out
    assert "continuous IV infusion" not in out and "8 and à la reprise" not in out
    assert (
        "  Les patients de 45 kg ou plus reçoivent des doses fixes (9 puis 28 mcg/jour); sous 45 kg, la dose "
        "est calculée selon la surface corporelle (5 puis 15 mcg/m²/jour, sans dépasser 9 et 28 mcg/jour) "
        "(FDA-BLIN). Donnez --weight (et --height pour voir la quantité).\n"
    ) in out
    # The command a clinician types is kept as it is, in the French sentence.
    command = "dosecal adjust PLAN --interrupt CnDd[@HH:MM]=DAYS|HOURSh[:restart=DOSE|:cause=toxicity]"
    assert f"Consignez-la avec {command}. Une pause de moins de 4 heures n'est pas une réinstauration" in out
    assert (
        "Le sac de 7 jours contient un agent de conservation (alcool benzylique) et est refusé sous 22 kg"
        in out
    )


def _explanations(sid: str) -> list[str]:
    """What ``show`` prints of a definition in whole sentences: notes, choices' notes, reasons."""
    s = builtin(sid)
    texts = [*s.notes, *(limit.reason for limit in s.limits)]
    for c in s.choices.values():
        texts += [*c.refused.values(), *([c.note] if c.note else [])]
    return texts


@pytest.mark.parametrize("sid", builtin_ids())
def test_show_in_french_leaves_no_english_note_or_explanation(sid: str, cli: Any) -> None:
    """``dosecal show X --lang fr`` has no English note, choice's explanation or reason left.

    The clinician notes, the choices' explanations and the reasons for refused options and cycle
    limits are in French, like everything else it prints.
    """
    out = cli("show", sid, "--lang", "fr").output
    explained = _explanations(sid)
    assert explained, "every built-in explains something"
    left = [text for text in explained if text in out]
    assert left == [], (sid, left)
    # Nor any run of three English words of the catalogue or the definition's extracted texts.
    assert english_left(out, sid) == [], sid
    extracted = set(schedule_texts(builtin(sid)))
    assert set(explained) <= extracted, "the translator gets every one (docs/translating.md)"
    assert " end " not in out, "a cycle whose length is a choice rests 'à la fin du cycle'"


def test_a_refusal_keeps_the_definitions_reason_as_content_to_render_in_french() -> None:
    """A refused option and a cycle limit give the definition's reason as ``show`` does: in French too."""
    with pytest.raises(PlanError) as refused:
        expand(builtin("bosutinib"), plan("2027-01-04", weight_kg=30, choices={"patient": "child"}))
    with pytest.raises(PlanError) as limited:
        expand(
            builtin("inotuzumab"),
            plan("2027-01-04", cycles=4, choices={"response": "no-cr", "transplant": "no"}),
        )
    said = [FR.text(p.message) for p in (*refused.value.problems, *limited.value.problems)]
    assert any("le bosutinib est indiqué dans la LMC, pas dans la LLA Ph+" in s for s in said), said
    assert any("les patients qui n'obtiennent pas de RC/RCi en 3 cycles doivent cesser" in s for s in said), (
        said
    )
    assert not any("labelled" in s or "the label says" in s for s in said), said


@pytest.mark.weasyprint
@pytest.mark.poppler
def test_a_bilingual_pdf_numbers_its_pages_in_both_languages(tmp_path: Path) -> None:
    from dosecal.render.pdf import to_pdf
    from test_print import pages_text

    fr, en = languages("fr+en")
    pdf = tmp_path / "both.pdf"
    pdf.write_bytes(
        to_pdf(expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=1)), lang=fr, also=en)
    )
    pages = pages_text(pdf)
    for n, text in enumerate(pages, 1):
        assert f"Page {n} sur {len(pages)} / Page {n} of {len(pages)}" in text
        assert "Blinatumomab pour la LLA-B en rechute ou réfractaire / Blinatumomab for relapsed" in text
    assert "Appelez votre équipe" in pages[0] and "When to call" in pages[1]  # page 1 in each language


def _child_blinatumomab_interrupted() -> Any:
    """The QA plan: a child on blinatumomab-rr whose infusion stopped for 6 hours on C1D10."""
    from dosecal.model.adjustments import parse_interruption

    p = plan(
        "2027-01-04",
        weight_kg=20,
        height_cm=110,
        choices={"patient": "child"},
        adjustments=(parse_interruption("C1D10@14:00=6h"),),
    )
    return expand(builtin("blinatumomab-rr"), p)


def _key_date_labels(section: str) -> list[tuple[str, str]]:
    """The (label, time) of each key date listed in an HTML key dates section, C1J1 read as C1D1."""
    rows = re.findall(r'<td class="lab">([^<]*)</td><td>([^<]*)</td>', section)
    return [(lab.replace("J", "D"), re.sub(r"\D", "", when)) for lab, when in rows]


def test_a_bilingual_printout_lists_the_same_key_dates_in_both_languages() -> None:
    """Page 1 in French and in English: the same key dates, as many as fit in both (QA)."""
    fr, en = languages("fr+en")
    course = _child_blinatumomab_interrupted()
    for first, second in ((fr, en), (en, fr)):
        html = to_html(course, lang=first, also=second)
        french, english = re.findall(r'<section class="keydates">.*?</section>', html)[
            :: 1 if first is fr else -1
        ]
        assert _key_date_labels(french) == _key_date_labels(english)
        shown = len(_key_date_labels(french))
        assert shown >= 1
        more = re.search(r"… et (\d+) autres", french)
        assert more is not None and f"… and {more.group(1)} more key dates" in english
        # No more than either language holds alone.
        for lang in (fr, en):
            alone = re.search(r'<section class="keydates">.*?</section>', to_html(course, lang=lang))
            assert alone is not None and shown <= len(_key_date_labels(alone.group(0)))


@pytest.mark.weasyprint
@pytest.mark.poppler
def test_a_bilingual_pdf_lists_the_same_key_dates_in_both_languages(tmp_path: Path) -> None:
    """The day-1 dose and the interruption reach the French page 1 when they reach the English."""
    from dosecal.render.pdf import to_pdf
    from test_print import pages_text

    fr, en = languages("fr+en")
    pdf = tmp_path / "both.pdf"
    pdf.write_bytes(to_pdf(_child_blinatumomab_interrupted(), lang=fr, also=en))
    french, english = (" ".join(text.split()) for text in pages_text(pdf)[:2])
    assert "Dates importantes" in french and "Key dates" in english
    more = re.search(r"… et (\d+) autres dates importantes", french)
    assert more is not None and f"… and {more.group(1)} more key dates" in english
    for fr_words, en_words in (
        ("lun. 4 janv. 2027 C1J1 10 h* Début du cycle 1", "Mon 4 Jan 2027 C1D1 10:00* Cycle 1 starts"),
        (
            "mer. 13 janv. 2027 C1J10 14 h La perfusion est arrêtée",
            "Wed 13 Jan 2027 C1D10 14:00 The infusion is stopped",
        ),
    ):
        assert (fr_words in french) == (en_words in english), (fr_words, en_words)
    assert "Légende" in french and "Legend" in english


@pytest.mark.chromium
@pytest.mark.poppler
def test_chromium_prints_a_bilingual_page_1_whole_in_each_language(tmp_path: Path) -> None:
    """The HTML's shared count fits both: each language's page 1 ends with its whole legend."""
    from test_print import chromium_pdf, pages_text

    fr, en = languages("fr+en")
    path = tmp_path / "both.html"
    path.write_text(to_html(_child_blinatumomab_interrupted(), lang=fr, also=en), encoding="utf-8")
    french, english = (" ".join(text.split()) for text in pages_text(chromium_pdf(path, tmp_path))[:2])
    assert "Dates importantes" in french and "* Heure par défaut" in french
    assert "Key dates" in english and "* Default time, not from the label" in english
