"""Every mistake in a definition is reported with its file, key path and line, before any date.

Each test breaks one thing in an otherwise valid definition and checks the exact problem.
"""

from __future__ import annotations

import pytest

from dosecal.errors import DefinitionError, Problem
from dosecal.inputs.definitions import loads

VALID = """\
[schedule]
id = "weekly"
title = "A weekly test drug"
indication = "Testing"
last_checked = 2026-11-30

[sources.LABEL]
title = "The label"

[agents.drug]
name = "Drug"
route = "IV"
times = ["09:00"]

[agents.premed]
name = "Premed"
route = "oral"

[[phases]]
name = "Only"
cycles = 2
length = 28
rest = "22-28"
source = "LABEL"

  [[phases.doses]]
  agent = "drug"
  days = [1, 8, 15]
  dose = "1 mg"
  source = "LABEL"

  [[phases.infusions]]
  agent = "drug"
  cycles = [2]
  steps = [{ days = "2-7", dose = "2 mg/day", source = "LABEL" }]
  source = "LABEL"

  [[phases.premedications]]
  agent = "premed"
  before = "drug"
  days = [1]
  minutes_before = 30
  dose = "5 mg"
  source = "LABEL"

  [[phases.stays]]
  days = "1-2"
  source = "LABEL"
"""


def problems(text: str) -> list[Problem]:
    with pytest.raises(DefinitionError) as info:
        loads(text, "weekly.toml")
    return list(info.value.problems)


def one(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, [str(p) for p in found]
    return str(found[0])


def test_the_valid_definition_loads() -> None:
    s = loads(VALID, "weekly.toml")
    assert s.id == "weekly" and s.total_cycles == 2


def test_unknown_key_names_the_key_and_line() -> None:
    text = VALID.replace('  dose = "1 mg"\n', '  dose = "1 mg"\n  doze = "2 mg"\n')
    assert one(text) == "weekly.toml:30: phases[1].doses[1].doze: unknown key"


def test_wrong_type() -> None:
    text = VALID.replace("cycles = 2\n", 'cycles = "two"\n')
    assert one(text) == "weekly.toml:21: phases[1].cycles: must be a whole number, not the string 'two'"


def test_day_zero() -> None:
    text = VALID.replace("days = [1, 8, 15]", "days = [0, 8, 15]")
    assert (
        one(text) == "weekly.toml:28: phases[1].doses[1].days: day 0 does not exist: days are counted from 1"
    )


def test_day_30_in_a_28_day_cycle() -> None:
    text = VALID.replace("days = [1, 8, 15]", "days = [1, 8, 30]")
    found = [str(p) for p in problems(text)]
    assert "weekly.toml:28: phases[1].doses[1].days: day 30 is outside the 28-day cycle" in found


def test_empty_range() -> None:
    text = VALID.replace('days = "1-2"', 'days = "5-2"')
    assert one(text) == (
        "weekly.toml:47: phases[1].stays[1].days: the range 5-2 is empty: it ends before it starts"
    )


def test_overlapping_infusions_of_one_agent() -> None:
    text = VALID.replace(
        "  [[phases.premedications]]",
        '  [[phases.infusions]]\n  agent = "drug"\n  steps = [{ days = "5-9", dose = "2 mg/day", source = "LABEL" }]\n'
        '  source = "LABEL"\n\n  [[phases.premedications]]',
    )
    assert "infusions[1] of 'drug' is also on day 5 of the same cycle" in one(text)


def test_consecutive_steps_must_not_overlap() -> None:
    text = VALID.replace(
        '{ days = "2-7", dose = "2 mg/day", source = "LABEL" }',
        '{ days = "2-7", dose = "2 mg/day", source = "LABEL" }, { days = "6-9", dose = "3 mg/day", source = "LABEL" }',
    )
    assert "must start on day 8, the day after the previous step ends" in one(text)


def test_dose_in_the_rest_period() -> None:
    text = VALID.replace("days = [1, 8, 15]", "days = [1, 8, 22]")
    assert one(text) == "weekly.toml:28: phases[1].doses[1].days: day 22 falls in the rest period 22-28"


def test_time_25_00() -> None:
    text = VALID.replace('times = ["09:00"]', 'times = ["25:00"]')
    assert (
        one(text)
        == "weekly.toml:13: agents.drug.times: time 1: '25:00' is not a time of day (00:00 to 23:59)"
    )


def test_missing_source() -> None:
    text = VALID.replace('  dose = "1 mg"\n  source = "LABEL"\n', '  dose = "1 mg"\n')
    assert one(text) == (
        "weekly.toml:26: phases[1].doses[1]: missing required key 'source': every clinical fact cites one"
    )


def test_unknown_source_suggests_the_close_one() -> None:
    text = VALID.replace('rest = "22-28"\nsource = "LABEL"', 'rest = "22-28"\nsource = "LABLE"')
    assert one(text) == (
        "weekly.toml:24: phases[1].source: unknown source 'LABLE' (did you mean 'LABEL'?); list it under [sources]"
    )


def test_unknown_agent() -> None:
    text = VALID.replace('  agent = "drug"\n  days = [1, 8, 15]', '  agent = "durg"\n  days = [1, 8, 15]')
    assert "phases[1].doses[1].agent: unknown agent 'durg' (did you mean 'drug'?)" in one(text)


def test_premedication_needs_a_dose_to_precede() -> None:
    text = VALID.replace("  days = [1]\n  minutes_before", "  days = [3]\n  minutes_before")
    assert "day 3 has no dose or infusion start of 'drug'" in one(text)


def test_cycles_outside_the_phase() -> None:
    text = VALID.replace("cycles = [2]", "cycles = [3]")
    assert "cycle 3 is not in this phase, which has cycles 1-2" in one(text)


def test_rest_must_end_the_cycle() -> None:
    text = VALID.replace('rest = "22-28"', 'rest = "22-27"')
    assert (
        one(text)
        == "weekly.toml:23: phases[1].rest: the rest period must end on the cycle's last day, day 28"
    )


def test_toml_syntax_error_gives_the_line() -> None:
    text = VALID.replace('title = "The label"', 'title = "The label')
    found = one(text)
    assert found.startswith("weekly.toml:8: not valid TOML:")


def test_every_problem_is_reported_at_once() -> None:
    text = VALID.replace('times = ["09:00"]', 'times = ["9am"]').replace("length = 28", "length = 0")
    found = [str(p) for p in problems(text)]
    assert len(found) == 2
    assert any("agents.drug.times" in p for p in found)
    assert any("phases[1].length: must be at least 1, not 0" in p for p in found)


def test_schedule_id_must_be_a_slug() -> None:
    text = VALID.replace('id = "weekly"', 'id = "Weekly Drug"')
    assert "schedule.id: 'Weekly Drug' must be lowercase letters, digits and hyphens" in one(text)


@pytest.mark.parametrize(
    "extra",
    [
        "",
        'default = "a"\n',  # a default no option can match was accepted
        "needed_over_cycles = 1\n",
    ],
)
def test_a_choice_with_no_option_is_refused_by_its_key(extra: str) -> None:
    text = VALID + '\n[choices.arm]\nlabel = "Arm"\noptions = []\n' + extra + 'source = "LABEL"\n'
    assert one(text) == (
        "weekly.toml:52: choices.arm.options: lists no option: a choice needs at least one to choose from"
    )


def test_a_cycle_length_choice_with_no_option_is_refused_not_a_crash() -> None:
    """``dosecal check`` crashed here (min() of no lengths): one message, by the choice's key."""
    text = VALID.replace("length = 28\n", 'length_choice = "len"\n') + (
        '\n[choices.len]\nlabel = "Length"\noptions = []\nsource = "LABEL"\n'
    )
    assert one(text) == (
        "weekly.toml:52: choices.len.options: lists no option: a choice needs at least one to choose from"
    )
