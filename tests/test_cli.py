"""The command line: every command works, and bad input gives exit 1, one clear line, no file."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dosecal.cli import COMMANDS, main

Cli = Callable[..., Result]


def test_list_shows_every_builtin_id_and_title(cli: Cli) -> None:
    result = cli("list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    ids = [line.split()[0] for line in lines]
    assert {"dasatinib", "nilotinib", "blinatumomab-rr", "inotuzumab"} <= set(ids)
    assert ids == sorted(ids)
    assert any(line.startswith("nilotinib") and "twice daily" in line for line in lines)


def test_show_explains_a_schedule_with_its_sources(cli: Cli) -> None:
    result = cli("show", "blinatumomab-rr")
    assert result.exit_code == 0
    out = result.output
    assert "Induction: 2 × 42-day cycle (cycles 1-2), days 29-42 treatment-free" in out
    assert "Continued therapy: 4 × 84-day cycle (cycles 6-9), days 29-84 treatment-free" in out
    assert "days 1-7: 9 mcg/day; days 8-28: 28 mcg/day" in out
    assert "bag-hours: infusion bag interval: 24 | 48 | 72 | 96 | 168 (default 24)" in out
    assert (
        "[FDA-BLIN] BLINCYTO (blinatumomab) US prescribing information, Amgen (FDA label, DailyMed) <https"
        in out
    )
    assert (
        "<https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=38b482a8-960b-4591-9857-5031ecb830aa>"
        in out
    )


def test_check_accepts_every_builtin_definition(cli: Cli) -> None:
    files = sorted(str(p) for p in (Path(__file__).parents[1] / "schedules").glob("*.toml"))
    result = cli("check", *files)
    assert result.exit_code == 0, result.output
    assert result.output.count(": OK") == len(files)


def test_check_reports_each_problem_on_its_own_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    src = (Path(__file__).parents[1] / "schedules" / "blinatumomab-mrd.toml").read_text()
    bad.write_text(
        src.replace("length = 42", "length = 21", 1).replace('times = ["10:00"]', 'times = ["25:00"]')
    )
    result = cli("check", str(bad))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert f"dosecal: {bad}:" in lines[0]
    assert any(
        "phases[1].rest: the rest period must end on the cycle's last day, day 21" in line for line in lines
    )
    assert any(
        "phases[1].infusions[1].steps[1].days: day 28 is outside the 21-day cycle" in line for line in lines
    )
    assert any("'25:00' is not a time of day" in line for line in lines)
    assert "Traceback" not in result.output


def test_check_a_plan_file_against_its_schedule(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.plan.toml"
    good.write_text('schedule = "dasatinib"\nstart = 2027-01-04\ntimezone = "America/Toronto"\n')
    assert cli("check", str(good)).exit_code == 0
    bad = tmp_path / "bad.plan.toml"
    bad.write_text(
        'schedule = "dasatinib"\nstart = 2027-01-04\ntimezone = "Mars/Olympus"\n[times]\ndasatinib = "8"\n'
    )
    result = cli("check", str(bad))
    assert result.exit_code == 1
    assert f"dosecal: {bad}:3: timezone: 'Mars/Olympus' is not an IANA time zone" in result.output
    assert (
        f"dosecal: {bad}:5: times.dasatinib: must be a time written HH:MM (24-hour), not '8'" in result.output
    )


def test_generate_writes_every_format_from_its_extension(cli: Cli, tmp_path: Path) -> None:
    outs = [tmp_path / f"plan.{ext}" for ext in ("ics", "json", "txt")]
    args = ["generate", "inotuzumab", "--start", "2027-01-04", "--tz", "Europe/London", "--cycles", "1"]
    result = cli(*args, *[a for p in outs for a in ("-o", str(p))])
    assert result.exit_code == 0, result.output
    assert outs[0].read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    doc = json.loads(outs[1].read_text())
    assert doc["plan"]["timezone"] == "Europe/London"
    # The first events are the blood tests of the dose day (all day), then the premedication, 30
    # minutes before the 09:00 dose: the label gives no time, only "prior to each dose", so dosecal
    # places it before and says the care team sets it.
    assert [(e["kind"], e["start"]) for e in doc["events"][:2]] == [
        ("test", "2027-01-04"),
        ("premedication", "2027-01-04T08:30:00+00:00"),
    ]
    assert "C1D15" in outs[2].read_text()


def test_generate_to_standard_output_is_txt_by_default(cli: Cli) -> None:
    result = cli("generate", "dasatinib", "--start", "2027-01-04", "--tz", "UTC", "--until", "2027-01-05")
    assert result.exit_code == 0
    assert (
        "Mon 4 Jan 2027   Day 1      08:00    Dasatinib 140 mg\nTue 5 Jan 2027   Day 2      08:00"
        in result.output
    )


def test_options_override_the_plan_file(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "p.toml"
    plan.write_text(
        'schedule = "nilotinib"\nstart = 2027-01-04\ntimezone = "Asia/Kolkata"\nuntil = 2027-01-04\n'
        '[times]\nnilotinib = ["08:00", "20:00"]\n'
    )
    result = cli("generate", "--plan", str(plan), "--format", "json", "--time", "nilotinib=09:00,21:00")
    events = [e for e in json.loads(result.output)["events"] if e["kind"] == "dose"]
    assert [e["start"] for e in events] == ["2027-01-04T09:00:00+05:30", "2027-01-04T21:00:00+05:30"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--start", "2027-02-30"],
            "dosecal: --start: '2027-02-30' is not a date written YYYY-MM-DD (e.g. 2027-01-04)",
        ),
        (
            ["--start", "2027-01-04", "--tz", "America/Torono"],
            "dosecal: --tz: 'America/Torono' is not an IANA time zone such as America/Toronto (did you mean 'America/Toronto'?)",
        ),
        (
            ["--start", "2027-01-04", "--time", "blinatumomab=25:00"],
            "dosecal: --time: blinatumomab: '25:00' is not a time of day (00:00 to 23:59)",
        ),
        (
            ["--start", "2027-01-04", "--cycles", "10"],
            "dosecal: options: cycles: blinatumomab-rr has at most 9 cycles, not 10",
        ),
        (
            ["--start", "2027-01-04", "--choice", "bag-hours=36"],
            "dosecal: options: choices.bag-hours: must be one of 24, 48, 72, 96, 168, not '36'",
        ),
        (
            ["--start", "2027-01-04", "--until", "2026-12-31"],
            "dosecal: options: until: 2026-12-31 is before the start date 2027-01-04",
        ),
        (
            ["--start", "2027-01-04", "-o", "plan.pdf2"],
            "dosecal: -o: cannot tell the format of 'plan.pdf2' from its extension; give --format ics|html|pdf|txt|csv|json|fhir",
        ),
    ],
)
def test_bad_input_exits_1_with_one_line_and_writes_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "plan.ics"
    target.write_bytes(b"the patient's previous calendar")
    result = cli("generate", "blinatumomab-rr", "--tz", "America/Toronto", *args, "-o", str(target))
    assert result.exit_code == 1
    assert result.output.strip() == message
    assert target.read_bytes() == b"the patient's previous calendar"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.ics"]


def test_unknown_schedule_suggests_the_close_id(cli: Cli) -> None:
    result = cli("generate", "dasatanib", "--start", "2027-01-04")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "dosecal: 'dasatanib' is not a built-in schedule or a .toml file. Did you mean 'dasatinib'? See 'dosecal list'."
    )


def test_inotuzumab_without_a_response_plans_cycle_1_and_asked_for_more_says_what_to_give(cli: Cli) -> None:
    """The response after cycle 1 is not known when the plan is made: cycle 1 is what can be planned."""
    result = cli("generate", "inotuzumab", "--start", "2027-01-04", "--tz", "UTC", "--format", "txt")
    assert result.exit_code == 0, result.output
    assert "1 cycle planned" in result.output
    assert (
        "Sun 24 Jan 2027  C1D21      all day  Your care team decides: response after cycle 1" in result.output
    )
    asked = cli("generate", "inotuzumab", "--start", "2027-01-04", "--tz", "UTC", "--cycles", "2")
    assert asked.exit_code == 1
    assert "give --choice response=cr|no-cr (or fewer --cycles)" in asked.output


def test_an_unwritable_output_fails_cleanly(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "plan.ics"
    result = cli("generate", "dasatinib", "--start", "2027-01-04", "--tz", "UTC", "-o", str(target))
    assert result.exit_code == 1
    assert result.output.startswith(f"dosecal: {target}: cannot write:")
    assert not target.parent.exists()


def test_usage_errors_are_exit_2(cli: Cli) -> None:
    assert cli("generate", "dasatinib", "--no-such-option").exit_code == 2


def test_version(cli: Cli) -> None:
    from dosecal import __version__

    assert cli("--version").output.strip() == f"dosecal, version {__version__}"


def test_the_top_level_help_prints_its_examples_one_per_line(cli: Cli) -> None:
    """Click keeps lines as written after a backspace character, which a raw docstring turns into two letters."""
    lines = [line.strip() for line in cli("--help").output.splitlines()]
    start = lines.index("Examples:")
    assert (
        lines[start + 1]
        == "dosecal generate dasatinib --start 2027-01-04 --tz America/Toronto -o dasatinib.ics"
    )
    assert lines[start + 2].endswith("--lang fr -o dasatinib.pdf")
    assert not any("\\b" in line for line in lines)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_ending_with_a_runnable_example(
    cli: Cli, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    lines = [line.strip() for line in result.output.strip().splitlines()]
    start = max(i for i, line in enumerate(lines) if line.startswith("Example"))
    examples = lines[start + 1 :]
    assert examples and all(line.startswith(f"dosecal {command}") for line in examples)
    root = Path(__file__).parents[1]
    (tmp_path / "schedules").symlink_to(root / "schedules")
    shutil.copytree(root / "examples", tmp_path / "examples")  # a copy: examples may write to it
    monkeypatch.chdir(tmp_path)
    if command == "publish":
        return  # needs a CalDAV server: tests/test_publish.py runs this example against Radicale
    if command == "serve":
        return  # runs until stopped: tests/test_feeds.py starts it as a process and stops it
    if command in ("store", "users", "audit"):
        assert (
            cli("db", "--db", "dosecal.db", "upgrade").exit_code == 0
        )  # the store's examples need its tables
    for example in examples:
        if command == "users":  # the password comes from standard input, never an option
            ran = CliRunner().invoke(main, shlex.split(example)[1:], input="correct horse battery\n")
        else:
            ran = cli(*shlex.split(example)[1:])
        assert ran.exit_code == 0, (example, ran.output)


def test_python_dash_m_runs_the_cli_as_a_process() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dosecal", "generate", "dasatinib", "--start", "2027-13-01", "--tz", "UTC"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert out.stderr == "dosecal: --start: '2027-13-01' is not a date written YYYY-MM-DD (e.g. 2027-01-04)\n"
    assert out.stdout == ""


@pytest.mark.parametrize("args", [["list"], ["show", "dasatinib"]])
def test_a_closed_standard_output_ends_quietly_like_other_unix_tools(args: list[str]) -> None:
    """``dosecal list | head -1``: once the reader has gone, no "unexpected error ... a bug".

    The handling is in with_exit_codes, so every command gets it, not only ``generate -o -``.
    """
    read, write = os.pipe()
    os.close(read)  # the reader has already left: the first write fails with EPIPE
    try:
        out = subprocess.run(
            [sys.executable, "-m", "dosecal", *args], stdout=write, stderr=subprocess.PIPE, check=False
        )
    finally:
        os.close(write)
    assert out.returncode in (1, 141)
    assert out.stderr == b"", out.stderr


@pytest.mark.parametrize(
    ("terminal", "environ", "expected"),
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, False),
        (True, {"TERM": "dumb"}, False),
        (False, {}, False),
    ],
)
def test_colour_only_on_a_terminal_without_no_color(
    terminal: bool, environ: dict[str, str], expected: bool
) -> None:
    from dosecal.cli.common import use_color

    assert use_color(terminal, environ) is expected


def test_text_colour_is_ansi_and_the_plain_text_is_the_same() -> None:
    import re as _re

    from conftest import builtin, plan
    from dosecal.core.expand import expand
    from dosecal.render.txt import to_txt

    s, p = builtin("blinatumomab-rr"), plan("2027-01-04", cycles=2)
    occ = expand(s, p)
    plain = to_txt(occ, width=80)
    colour = to_txt(occ, width=80, color=True)
    assert "\x1b[" not in plain and "\x1b[34m" in colour
    assert _re.sub(r"\x1b\[\d+m", "", colour) == plain


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_the_timeline_fits_the_terminal_width(width: int) -> None:
    from conftest import builtin, plan
    from dosecal.core.expand import expand
    from dosecal.render.txt import to_txt

    s, p = builtin("blinatumomab-rr"), plan("2027-01-04")
    text = to_txt(expand(s, p), width=width)
    overview = text.split("Course overview")[1].split("\n\n")[0].splitlines()[1:]
    assert overview and all(len(line) <= width for line in overview)


def test_pdf_without_weasyprint_says_how_to_install_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now raises ImportError
    target = tmp_path / "plan.pdf"
    result = cli("generate", "dasatinib", "--start", "2027-01-04", "--tz", "UTC", "-o", str(target))
    assert result.exit_code == 1
    assert result.output.startswith("dosecal: PDF output needs WeasyPrint: pip install 'dosecal[pdf]'")
    assert not target.exists()


def test_check_reports_an_unreadable_file_and_a_bad_adjustment(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    plan_file = tmp_path / "p.plan.toml"
    plan_file.write_text(
        'schedule = "inotuzumab"\nstart = 2027-01-04\ncycles = 2\n[choices]\nresponse = "cr"\n'
        '[[adjustments]]\nkind = "hold"\ndose = "C1D18"\n'
    )
    result = cli("check", str(missing), str(plan_file))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"dosecal: {missing}: cannot read the file: No such file or directory",
        f"dosecal: {plan_file}: adjustments[1]: no dose to hold on C1D18: it is a treatment-free day",
    ]
