"""Numbers, dates and files without bounds are refused in one line (issue 11, classes 3 and 4).

Every value is bounded in dosecal.model.limits and checked when it is read, the same way by
``check`` and ``generate``; contradictions (a stop before day 1) are refused. Each refusal is
exit 1, one ``dosecal:`` line per problem naming the file or option, no traceback, no file
changed. The hypothesis tests throw hostile plan files and option values at the command line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosecal.cli import main
from dosecal.inputs import files
from dosecal.model import limits

ROOT = Path(__file__).resolve().parents[1]
BASE = ["--start", "2027-01-04", "--tz", "Europe/Paris"]


def run(*args: str) -> Result:
    """The command line in-process; an exception escaping it fails the test."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def refused(result: Result, *where: str, code: int = 1) -> list[str]:
    """Assert a clean refusal: the exit status, one located line per problem, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.stdout)
    lines = result.stderr.strip().splitlines()
    assert lines, "no message"
    assert "Traceback" not in result.stderr
    assert "This is a bug" not in result.stderr, result.stderr  # the last-resort handler
    for line in lines:
        assert line.startswith("dosecal: "), line
        for part in where:
            assert part in line, (part, line)
    return lines


# -- command-line options ----------------------------------------------------------------------

OPTION_CASES = [
    (["dasatinib", "--start", "0001-01-01", "--tz", "UTC"], "--start", "outside the dates"),
    (["dasatinib", "--start", "9999-12-31", "--tz", "UTC"], "--start", "outside the dates"),
    (["dasatinib", "--start", "1899-12-31", "--tz", "UTC"], "--start", "1900-01-01 to 2200-12-31"),
    (["dasatinib", *BASE, "--until", "9999-12-31"], "--until", "outside the dates"),
    (["dasatinib", *BASE, "--until", "2040-01-01"], "until", "at most 3660 days"),
    (["dasatinib", *BASE, "--reminder", "99999999999999"], "--reminder", "10080"),
    (["dasatinib", *BASE, "--reminder", "-5"], "--reminder", "from 0"),
    (
        ["blinatumomab-rr", *BASE, "--choice", "bag-hours=48", "--delay", "2=99999999"],
        "--delay",
        "at most 365",
    ),
    (["blinatumomab-rr", *BASE, "--choice", "bag-hours=48", "--delay", "99999999999=3"], "--delay", ""),
    (["blinatumomab-rr", *BASE, "--choice", "bag-hours=48", "--delay", "2=9999-12-31"], "--delay", "outside"),
    (
        ["blinatumomab-rr", *BASE, "--choice", "bag-hours=48", "--interrupt", "C1D3=" + "9" * 30 + "d"],
        "--interrupt",
        "too large",
    ),
    (
        ["blinatumomab-rr", *BASE, "--choice", "bag-hours=48", "--interrupt", "C1D3=2400000h"],
        "--interrupt",
        "too large",
    ),
    (
        ["blinatumomab-rr", *BASE, "--choice", "bag-hours=48", "--interrupt", "C1D3=100000d"],
        "--interrupt",
        "at most 365",
    ),
    (["inotuzumab", *BASE, "--hold", "C" + "9" * 5000 + "D1"], "--hold", "too large"),
    (["dasatinib", "--start", "2027-01-04", "--tz", "A" * 5000], "--tz", "at most 64"),
    (["dasatinib", "--start", "2027-01-04", "--tz", "Europe/" + "x" * 300], "--tz", "not an IANA zone"),
    (["blinatumomab-rr", *BASE, "--cycles", "99999999999"], "--cycles", "at most 100"),
    (["ponatinib", *BASE, "--change-dose", "ponatinib=15 mg@0001-01-01"], "--change-dose", "outside"),
    # Body measures no person has, or in the wrong unit (the QA of the clinic pages, 2026-12-01)
    (["blinatumomab-rr", *BASE, "--weight", "30", "--height", "1.30"], "--height", "1.3 looks like metres"),
    (["blinatumomab-rr", *BASE, "--weight", "0.5"], "--weight", "give 1 to 400 kg"),
    (["blinatumomab-rr", *BASE, "--weight", "999"], "--weight", "give 1 to 400 kg"),
    (["blinatumomab-rr", *BASE, "--weight", "1e-300"], "--weight", "positive number of kg"),
    (["blinatumomab-rr", *BASE, "--weight", "30", "--height", "400"], "--height", "give 30 to 275 cm"),
    # Zones that are not places: no summer time where the patient lives
    (["dasatinib", "--start", "2027-01-04", "--tz", "EST"], "--tz", "did you mean 'America/Toronto'"),
    (["dasatinib", "--start", "2027-01-04", "--tz", "Etc/GMT+5"], "--tz", "not a place's time zone"),
    (["dasatinib", "--start", "2027-01-04", "--tz", "GMT"], "--tz", "did you mean 'Europe/London'"),
    (["dasatinib", "--start", "2027-01-04", "--tz", "right/America/Toronto"], "--tz", "not a place's"),
    (["dasatinib", "--start", "2027-01-04", "--tz", "Factory"], "--tz", "not a place's time zone"),
    # A dose that is not an amount would reach the calendar as written
    (["ponatinib", *BASE, "--change-dose", "ponatinib=abc@2027-02-01"], "--change-dose", "not 'abc'"),
    (["ponatinib", *BASE, "--change-dose", "ponatinib=<b>x</b>@2027-02-01"], "--change-dose", "an amount"),
    (["ponatinib", *BASE, "--change-dose", "ponatinib=1e3@2027-02-01"], "--change-dose", "not '1e3'"),
    (["ponatinib", *BASE, "--change-dose", "ponatinib=0x10@2027-02-01"], "--change-dose", "not '0x10'"),
    # Holds and delays that cannot be: the reason says what to do instead
    (
        ["dasatinib", *BASE, "--hold", "C1D5"],
        "adjustments[1]",
        "without cycles: give the plan's day alone (D5)",
    ),
    (
        ["blinatumomab-rr", *BASE, "--hold", "C1D5"],
        "adjustments[1]",
        "record an infusion interruption instead",
    ),
    (["blinatumomab-rr", *BASE, "--hold", "C1D35"], "adjustments[1]", "it is a treatment-free day"),
    (
        ["dasatinib", *BASE, "--delay", "1=7"],
        "adjustments[1]",
        "this plan has no cycles: its doses are daily",
    ),
    (
        ["nilotinib", *BASE, "--time", "nilotinib=10:00"],
        "times.nilotinib",
        "given several times a day: give 2 times",
    ),
    # Contradictions (class 4)
    (["dasatinib", *BASE, "--stop", "2026-01-04"], "adjustments[1]", "before day 1"),
    (["ponatinib", *BASE, "--change-dose", "ponatinib=15 mg@2026-12-01"], "adjustments[1]", "before day 1"),
    (
        ["blinatumomab-mrd", *BASE, "--cycles", "1", "--choice", "bag-hours=48", "--interrupt", "C1D3=60d"],
        "adjustments[1]",
        "longer than the whole planned course (42 days)",
    ),
]


@pytest.mark.parametrize(
    ("args", "where", "what"), OPTION_CASES, ids=[c[1] + ":" + c[2] for c in OPTION_CASES]
)
def test_option_values_out_of_bounds_are_one_line_exit_1(
    tmp_path: Path, args: list[str], where: str, what: str
) -> None:
    out = tmp_path / "plan.ics"
    out.write_bytes(b"old")
    (line,) = refused(run("generate", *args, "-o", str(out)), where, what)
    assert len(line) < 400
    assert out.read_bytes() == b"old"


# -- plan files ------------------------------------------------------------------------------

PLAN = 'schedule = "dasatinib"\nstart = 2027-01-04\ntimezone = "Europe/Paris"\n'
INFUSION_PLAN = 'schedule = "blinatumomab-rr"\nstart = 2027-01-04\ntimezone = "Europe/Paris"\n[choices]\nbag-hours = "48"\n'

PLAN_CASES = [
    ("nested arrays", "a = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
    ("nested tables", "a = " + "{b=" * 5_000 + "1" + "}" * 5_000 + "\n", "nested too deeply"),
    ("start year 1", PLAN.replace("2027-01-04", "0001-01-01"), "start"),
    ("start year 9999", PLAN.replace("2027-01-04", "9999-12-31"), "start"),
    ("until 9999", PLAN + "until = 9999-12-31\n", "until"),
    ("until too far", PLAN + "until = 2045-01-01\n", "at most 3660 days"),
    ("cycles", INFUSION_PLAN.replace("[choices]", "cycles = 99999999\n[choices]"), "cycles"),
    ("reminder", PLAN + "reminder_minutes = 99999999999999\n", "reminder_minutes"),
    ("stamp", PLAN + "stamp = 0001-01-01T00:00:00+05:00\n", "stamp"),
    ("huge integer", PLAN + "reminder_minutes = " + "9" * 4400 + "\n", "dosecal"),
    (
        "delay days",
        INFUSION_PLAN + '[[adjustments]]\nkind = "delay"\ncycle = 2\ndays = 99999999\n',
        "adjustments[1].days",
    ),
    (
        "interruption beyond C integers",
        INFUSION_PLAN + '[[adjustments]]\nkind = "interrupt"\ncycle = 1\nday = 3\ndays = 99999999999999999\n',
        "adjustments[1].days",
    ),
    (
        "stop before start",
        PLAN + '[[adjustments]]\nkind = "stop"\non = 2026-01-04\n',
        "before day 1",
    ),
    (
        "too many adjustments",
        PLAN + '[[adjustments]]\nkind = "stop"\non = 2027-02-01\n' * (limits.MAX_ADJUSTMENTS + 1),
        "at most 100",
    ),
    ("too large", PLAN + "# " + "x" * (files.MAX_FILE_BYTES + 10) + "\n", "KiB"),
    ("zone EST", PLAN.replace("Europe/Paris", "EST"), "timezone"),
    (
        "weight band chosen later against the weight",
        INFUSION_PLAN.replace("[choices]", "weight_kg = 80\nheight_cm = 175\n[choices]")
        + '[[adjustments]]\nkind = "choice"\nid = "weight"\nvalue = "under-45kg"\n',
        "'under-45kg' contradicts the weight of 80 kg",
    ),
    ("height in metres", PLAN + "weight_kg = 30\nheight_cm = 1.3\n", "height_cm"),
    ("weight 0.5", PLAN + "weight_kg = 0.5\n", "weight_kg"),
    (
        "dose not an amount",
        PLAN + '[[adjustments]]\nkind = "dose"\nagent = "dasatinib"\nfrom = 2027-02-01\ndose = "abc"\n',
        "adjustments[1].dose",
    ),
    # A patient line and a note reach the printout: the label's checks, by key, never TOML's words.
    ("patient with a NUL", PLAN + 'patient = "Jane\\u0000Roe"\n', "patient: this text holds a control"),
    ("patient reversed", PLAN + 'patient = "Jane\\u202eRoe"\n', "patient: this text holds a control"),
    ("patient too long", PLAN + f'patient = "{"x" * (limits.MAX_LABEL + 1)}"\n', "patient: this text has"),
    (
        "note with a carriage return",
        PLAN + '[[adjustments]]\nkind = "stop"\non = 2027-02-01\nnote = "low\\rcounts"\n',
        "adjustments[1].note: this text holds a control or text-direction character (U+000D)",
    ),
    (
        "note reversed",
        PLAN + '[[adjustments]]\nkind = "stop"\non = 2027-02-01\nnote = "low\\u202ecounts"\n',
        "adjustments[1].note: this text holds a control or text-direction character (U+202E)",
    ),
    (
        "note too long",
        PLAN + f'[[adjustments]]\nkind = "stop"\non = 2027-02-01\nnote = "{"x" * (limits.MAX_NOTE + 1)}"\n',
        f"adjustments[1].note: this text has {limits.MAX_NOTE + 1} characters",
    ),
]


@pytest.mark.parametrize(("name", "text", "what"), PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
@pytest.mark.parametrize("command", ["check", "generate"])
def test_hostile_plan_files_are_refused_by_check_and_generate_alike(
    tmp_path: Path, command: str, name: str, text: str, what: str
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    out = tmp_path / "x.ics"
    args = ["check", str(plan)] if command == "check" else ["generate", "--plan", str(plan), "-o", str(out)]
    refused(run(*args), "plan.toml", what)
    assert not out.exists()
    assert plan.read_text(encoding="utf-8") == text


def test_odd_file_types_are_not_read_as_plans(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    for path in ("/dev/zero", "/dev/null", str(fifo), str(link), str(tmp_path)):
        for args in (["check", path], ["generate", "--plan", path]):
            # In a child process, with a timeout: a FIFO opened for reading would hang.
            done = subprocess.run(
                [sys.executable, "-m", "dosecal", *args],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 1, (args, done.stderr)
            (line,) = done.stderr.strip().splitlines()
            assert line.startswith(f"dosecal: {path}")
            assert "not a regular file" in line
    assert fifo.is_fifo()


# -- definitions: what check calls valid, generate can expand ----------------------------------

DEFINITION_CASES = [
    ("blinatumomab-rr", "cycles = 2", "cycles = 99999999", "phases[1].cycles"),
    ("blinatumomab-rr", "[schedule]", "[schedule]\ncycles_start_day = 99999999", "schedule.cycles_start_day"),
    ("blinatumomab-rr", "minutes_before = 60", "minutes_before = 99999999", "minutes_before"),
    ("dasatinib", "from_day = 1", "from_day = 99999999", "from_day"),
    ("blinatumomab-rr", "cycles = 4", "cycles = 60", "at most 3660 days"),
    ("blinatumomab-rr", "length = 42", "length = 99999", "length"),
]


def _mutated(tmp_path: Path, ident: str, old: str, new: str) -> Path:
    text = (ROOT / "schedules" / f"{ident}.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{ident}.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("ident", "old", "new", "where"), DEFINITION_CASES, ids=[c[2] for c in DEFINITION_CASES]
)
def test_definitions_out_of_bounds_are_refused_by_check_before_generate(
    tmp_path: Path, ident: str, old: str, new: str, where: str
) -> None:
    path = _mutated(tmp_path, ident, old, new)
    checked = refused(run("check", str(path)), str(path))
    assert any(where in line for line in checked), checked
    generated = refused(run("generate", str(path), *BASE, "--choice", "bag-hours=48"), str(path))
    assert generated == checked


def test_a_javascript_source_url_is_refused_with_file_key_and_line(tmp_path: Path) -> None:
    text = (ROOT / "schedules" / "dasatinib.toml").read_text(encoding="utf-8")
    first_url = next(line for line in text.splitlines() if line.strip().startswith("url = "))
    path = tmp_path / "dasatinib.toml"
    path.write_text(text.replace(first_url, 'url = "javascript:alert(document.cookie)"', 1), encoding="utf-8")
    (line,) = refused(run("check", str(path)), str(path), ".url", "http:// or https://")
    number = text.splitlines().index(first_url) + 1
    assert line.startswith(f"dosecal: {path}:{number}: sources.")


def test_a_source_made_in_code_with_another_scheme_is_never_a_link() -> None:
    import dataclasses

    from conftest import builtin, plan
    from dosecal.core.expand import expand
    from dosecal.model.schedule import Source
    from dosecal.render.html import to_html

    schedule = builtin("dasatinib")
    bad = {k: Source(s.key, s.title, "javascript:alert(1)") for k, s in schedule.sources.items()}
    html = to_html(expand(dataclasses.replace(schedule, sources=bad), plan("2027-01-04")))
    assert "javascript:" not in html
    good = to_html(expand(schedule, plan("2027-01-04")))
    assert '<a href="https://' in good


# -- hypothesis: hostile plan files and option values ---------------------------------------------

HUGE = st.one_of(
    st.integers(min_value=10**7, max_value=10**40),
    st.integers(max_value=-1, min_value=-(10**30)),
    st.sampled_from([2**31, 2**63, 2**64 + 1, -(2**63) - 1]),
)
POSITIVE_HUGE = st.one_of(
    st.integers(min_value=10**7, max_value=10**40), st.sampled_from([2**31, 2**63, 2**64 + 1])
)
EDGE_DATES = st.sampled_from(
    ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31", "1000-02-29", "5000-06-15"]
)


@st.composite
def hostile_plan(draw: st.DrawFn) -> str:
    """A plan file with at least one value out of bounds or one contradiction."""
    start = "2027-01-04"
    lines = ['schedule = "blinatumomab-rr"', 'timezone = "Europe/Paris"']
    kind = draw(st.sampled_from(["date", "number", "adjustment", "nesting", "contradiction"]))
    extra: list[str] = []
    if kind == "date":
        key = draw(st.sampled_from(["start", "until"]))
        value = draw(EDGE_DATES)
        start = value if key == "start" else start
        if key == "until":
            extra.append(f"until = {value}")
    elif kind == "number":
        key = draw(st.sampled_from(["cycles", "reminder_minutes"]))
        extra.append(f"{key} = {draw(HUGE)}")
    elif kind == "adjustment":
        field, value = draw(
            st.sampled_from(
                [
                    ('kind = "delay"\ncycle = {n}\ndays = 7', "cycle"),
                    ('kind = "delay"\ncycle = 2\ndays = {n}', "days"),
                    ('kind = "interrupt"\ncycle = 1\nday = 3\ndays = {n}', "days"),
                    ('kind = "interrupt"\ncycle = 1\nday = 3\nhours = {n}', "hours"),
                    ('kind = "interrupt"\ncycle = 1\nday = {n}\ndays = 2', "day"),
                ]
            )
        )
        extra.append("[[adjustments]]\n" + field.format(n=draw(HUGE)))
    elif kind == "nesting":
        depth = draw(st.integers(min_value=2_000, max_value=60_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a=", "}")]))
        extra.append("deep = " + opener * depth + ("1" if opener != "[" else "") + closer * depth)
    else:
        day = draw(st.integers(min_value=1, max_value=3000))
        extra.append(f'[[adjustments]]\nkind = "stop"\non = {_before(start, day)}')
    return "\n".join([f"start = {start}", *lines, '[choices]\nbag-hours = "48"', *extra]) + "\n"


def _before(start: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(start) - timedelta(days=days)).isoformat()


FILE_KINDS = ["regular", "fifo", "link to /dev/zero", "folder", "too large"]


def _make(plan: Path, kind: str, text: str) -> None:
    """Put a hostile plan at ``plan``: the text itself, or an odd kind of file."""
    if kind == "regular":
        plan.write_text(text, encoding="utf-8")
    elif kind == "fifo":
        os.mkfifo(plan)
    elif kind == "link to /dev/zero":
        plan.symlink_to("/dev/zero")
    elif kind == "folder":
        plan.mkdir()
    else:
        plan.write_text(text + "#" * files.MAX_FILE_BYTES, encoding="utf-8")


def _state(path: Path) -> tuple[int, bytes]:
    """What a path is and holds, to tell that nothing changed."""
    info = path.lstat()
    data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
    return info.st_mode, data


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=hostile_plan(),
    kind=st.sampled_from(FILE_KINDS),
    command=st.sampled_from(["check", "generate", "adjust"]),
)
def test_hypothesis_hostile_plan_files_exit_1_one_line_each_no_file_changed(
    tmp_path_factory: pytest.TempPathFactory, text: str, kind: str, command: str
) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    plan = folder / "hostile.plan.toml"
    _make(plan, kind, text)
    before = _state(plan)
    out = folder / "out.ics"
    out.write_bytes(b"old output")
    args = {
        "check": ["check", str(plan)],
        "generate": ["generate", "--plan", str(plan), "-o", str(out)],
        "adjust": ["adjust", str(plan), "--stop", "2027-06-01", "--note", "hostile"],
    }[command]
    lines = refused(run(*args), "hostile.plan.toml")
    if kind != "regular":
        assert len(lines) == 1
    assert _state(plan) == before
    assert out.read_bytes() == b"old output"
    assert sorted(p.name for p in folder.iterdir()) == ["hostile.plan.toml", "out.ics"]


OPTION_VALUES: dict[str, Callable[[st.DrawFn], str]] = {
    "--start": lambda draw: draw(EDGE_DATES),
    "--until": lambda draw: draw(st.one_of(EDGE_DATES, st.sampled_from(["2037-06-01", "2100-01-01"]))),
    "--reminder": lambda draw: str(draw(st.one_of(HUGE, st.integers(min_value=10_081, max_value=10**9)))),
    "--cycles": lambda draw: str(draw(st.integers(min_value=101, max_value=10**30))),
    "--delay": lambda draw: f"{draw(st.integers(1, 9))}={draw(HUGE)}",
    "--interrupt": lambda draw: (
        f"C1D{draw(st.integers(1, 40))}={draw(POSITIVE_HUGE)}{draw(st.sampled_from(['', 'd', 'h']))}"
    ),
    "--hold": lambda draw: f"C{draw(POSITIVE_HUGE)}D{draw(POSITIVE_HUGE)}",
    "--tz": lambda draw: draw(st.text(alphabet="abcXYZ/_-", min_size=65, max_size=6000)),
    "--stop": lambda draw: _before("2027-01-04", draw(st.integers(1, 40_000))),
}


@st.composite
def hostile_option(draw: st.DrawFn) -> tuple[str, str]:
    option = draw(st.sampled_from(sorted(OPTION_VALUES)))
    return option, OPTION_VALUES[option](draw)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=hostile_option())
def test_hypothesis_hostile_option_values_exit_1_or_2_in_one_line(
    tmp_path: Path, option: tuple[str, str]
) -> None:
    name, value = option
    out = tmp_path / "out.ics"
    out.write_bytes(b"old output")
    args = ["generate", "blinatumomab-rr", "--choice", "bag-hours=48", "-o", str(out)]
    for key, val in {"--start": "2027-01-04", "--tz": "Europe/Paris", name: value}.items():
        args += [key, val]
    result = run(*args)
    assert result.exit_code in (1, 2), result.stderr
    lines = refused(result, code=result.exit_code)
    assert len(lines) == 1 or result.exit_code == 2
    assert out.read_bytes() == b"old output"


def test_a_fifo_plan_file_does_not_hang_check(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.toml"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dosecal", "check", str(fifo)], stderr=subprocess.PIPE, text=True
    )
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        pytest.fail("dosecal check hung on a FIFO")
    assert proc.returncode == 1
    assert "not a regular file" in err


_INTEGER_LINE = re.compile(r"^(\s*[A-Za-z_]+\s*=\s*)(\d+)(\s*(?:#.*)?)$")


@pytest.mark.parametrize("ident", ["blinatumomab-rr", "inotuzumab", "dasatinib-blinatumomab", "nilotinib"])
def test_every_number_check_accepts_in_a_definition_generates_without_a_crash(
    tmp_path: Path, ident: str
) -> None:
    """Set each whole number of a built-in definition to values up to the bounds, one at a time.

    Whatever ``check`` accepts, ``generate`` must expand, or refuse in a located line: never
    the last-resort "this is a bug" line, never an exception.
    """
    lines = (ROOT / "schedules" / f"{ident}.toml").read_text(encoding="utf-8").splitlines()
    plan = ROOT / "examples" / f"{ident}.plan.toml"
    path = tmp_path / f"{ident}.toml"
    accepted = 0
    for i, line in enumerate(lines):
        m = _INTEGER_LINE.match(line)
        if m is None:
            continue
        for value in (0, 1, limits.MAX_CYCLE_DAYS, limits.MAX_OFFSET_MINUTES, limits.MAX_DAY, 10**6):
            path.write_text(
                "\n".join([*lines[:i], f"{m.group(1)}{value}{m.group(3)}", *lines[i + 1 :]]) + "\n"
            )
            checked = run("check", str(path))
            assert "This is a bug" not in checked.stderr, (line, value, checked.stderr)
            if checked.exit_code:
                refused(checked, str(path))
                continue
            accepted += 1
            result = run("generate", str(path), "--plan", str(plan), "--format", "json")
            assert result.exit_code in (0, 1), (line, value, result.stderr)
            if result.exit_code:
                refused(result)
    assert accepted > 10


@pytest.mark.parametrize(
    ("args", "ok"),
    [
        (["--start", "1900-01-01"], True),
        (["--start", "2200-12-31"], True),
        (["--start", "2027-01-04", "--until", "2037-01-10"], True),  # day 3,660
        (["--start", "2027-01-04", "--until", "2037-01-11"], False),  # day 3,661
        (["--start", "2027-01-04", "--reminder", str(limits.MAX_REMINDER_MINUTES)], True),
        (["--start", "2027-01-04", "--reminder", str(limits.MAX_REMINDER_MINUTES + 1)], False),
    ],
)
def test_the_bounds_themselves_are_accepted_and_one_past_them_is_not(
    tmp_path: Path, args: list[str], ok: bool
) -> None:
    result = run("generate", "dasatinib", "--tz", "Europe/Paris", *args, "--format", "json")
    if ok:
        assert result.exit_code == 0, result.stderr
    else:
        refused(result)


def test_adjust_never_grows_a_plan_file_past_what_can_be_read_again(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    text = (ROOT / "examples" / "dasatinib.plan.toml").read_text(encoding="utf-8")
    plan.write_text(text + "#" * (files.MAX_FILE_BYTES - len(text) - 200) + "\n", encoding="utf-8")
    before = plan.read_bytes()
    note = "x" * limits.MAX_NOTE  # the longest note: the file's bound, not the note's, refuses it
    (line,) = refused(run("adjust", str(plan), "--stop", "2027-02-01", "--note", note), "--note")
    assert "KiB" in line
    assert plan.read_bytes() == before
    assert run("check", str(plan)).exit_code == 0


@pytest.mark.parametrize(
    ("patient", "words"),
    [
        ("x" * (limits.MAX_LABEL + 1), f"at most {limits.MAX_LABEL} are accepted"),
        ("Jane\x00Roe", "(U+0000)"),
        ("Jane\u202eRoe", "(U+202E)"),
    ],
)
def test_a_patient_label_too_long_or_with_control_characters_is_refused(
    patient: str, words: str, tmp_path: Path
) -> None:
    result = run("generate", "dasatinib", *BASE, "--patient", patient, "-o", str(tmp_path / "p.ics"))
    refused(result, "--patient", words)
    assert not (tmp_path / "p.ics").exists()


@pytest.mark.parametrize(
    ("note", "words"),
    [
        ("low\rcounts", "(U+000D)"),
        ("low\x1bcounts", "(U+001B)"),
        ("low\u202ecounts", "(U+202E)"),
        ("x" * (limits.MAX_NOTE + 1), f"at most {limits.MAX_NOTE} are accepted"),
    ],
)
def test_an_adjustment_note_gets_the_labels_checks_naming_note_not_toml(
    note: str, words: str, tmp_path: Path
) -> None:
    """A note gets the label's checks, by the option's name, before anything is written.

    A CR typed in --note once came back as "not valid TOML: Illegal character"; a bidi override
    reached the printout.
    """
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    (line,) = refused(run("adjust", str(plan), "--stop", "2027-02-01", "--note", note), "--note", words)
    assert "TOML" not in line
    assert plan.read_text(encoding="utf-8") == PLAN
    kept = run("adjust", str(plan), "--stop", "2027-02-01", "--note", "x" * limits.MAX_NOTE)
    assert kept.exit_code == 0, kept.output


@pytest.mark.parametrize(
    ("line", "key", "what"),
    [
        ('system = "javascript:alert(1)"', "agents.imatinib.codes[1].system", "coding system"),
        ('code = "example-1 or 2"', "agents.imatinib.codes[1].code", "one code"),
    ],
)
def test_a_drug_code_with_a_bad_system_or_code_is_refused_by_its_key(
    tmp_path: Path, line: str, key: str, what: str
) -> None:
    text = (ROOT / "schedules" / "imatinib.toml").read_text(encoding="utf-8")
    source = next(k.split(".")[1].strip("]") for k in text.splitlines() if k.startswith("[sources."))
    codes = {  # a well-formed code of no real system, one of its lines then broken
        "system": 'system = "https://example.org/codes"',
        "code": 'code = "example-1"',
    }
    table = "\n".join(line if name in line.split(" =")[0] else row for name, row in codes.items())
    added = f'\n[[agents.imatinib.codes]]\n{table}\ndisplay = "example"\nsource = "{source}"\n'
    path = tmp_path / "imatinib.toml"
    anchor = "[[daily]]"
    assert anchor in text
    path.write_text(text.replace(anchor, added + "\n" + anchor, 1), encoding="utf-8")
    refused(run("check", str(path)), str(path), key, what)


def test_a_canonical_that_is_not_a_web_address_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "schedules" / "imatinib.toml").read_text(encoding="utf-8")
    path = tmp_path / "imatinib.toml"
    path.write_text(text.replace("[schedule]\n", '[schedule]\ncanonical = "file:///etc/passwd|1"\n', 1))
    refused(run("check", str(path)), str(path), "schedule.canonical", "http:// or https://")
