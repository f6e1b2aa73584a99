"""CSV output: one row per event with the JSON fields, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import json

from conftest import builtin, d, plan
from dosecal.core.expand import expand
from dosecal.render.csv import COLUMNS, neutralise, to_csv
from dosecal.render.json import to_json


def test_rows_carry_the_json_fields() -> None:
    s, p = builtin("nilotinib"), plan("2027-01-04", until=d("2027-01-05"))
    occ = expand(s, p)
    rows = list(csv.DictReader(io.StringIO(to_csv(occ))))
    events = json.loads(to_json(occ))["events"]
    # The ECG before the first dose (all day Mon 2027-01-04), then 10:00 and 22:00 on 4 and 5 Jan.
    assert len(rows) == len(events) == 5
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["kind"] == events[0]["kind"] == "test"
    assert rows[0]["start"] == events[0]["start"] == "2027-01-04" and rows[0]["all_day"] == "true"
    assert rows[1]["start"] == events[1]["start"] == "2027-01-04T10:00:00-05:00"
    assert rows[2]["uid"] == events[2]["uid"]
    assert rows[1]["cycle"] == "" and rows[1]["all_day"] == "false"


def test_formula_cells_are_neutralised() -> None:
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert neutralise("+1") == "'+1"
    assert neutralise("-2") == "'-2"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("\t=1") == "'\t=1"
    assert neutralise("Dasatinib 140 mg") == "Dasatinib 140 mg"
    assert neutralise(3) == 3


def test_a_schedule_with_a_formula_in_its_text_is_neutralised_in_the_file() -> None:
    from dataclasses import replace

    s = builtin("dasatinib")
    evil = replace(s, agents={"dasatinib": replace(s.agents["dasatinib"], name="=cmd|' /C calc'!A0")})
    p = plan("2027-01-04", until=d("2027-01-04"))
    text = to_csv(expand(evil, p))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["title"].startswith("'=cmd")
