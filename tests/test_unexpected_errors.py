"""A bug still ends in one line naming the inputs, unless --debug asks for the traceback (issue 11).

The last-resort handler in the command line turns any exception that is not a DosecalError
into one line: what happened, the inputs to attach to a report, and how to see the details.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dosecal.cli import main

ARGS = ["generate", "dasatinib", "--start", "2027-01-04", "--tz", "Europe/Paris", "--format", "ics"]


@pytest.mark.parametrize("error", [RuntimeError("boom\nsecond line"), MemoryError(), RecursionError("deep")])
def test_an_unexpected_exception_is_one_line_naming_the_inputs(
    monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr("dosecal.cli.generate.expand", broken)
    result = CliRunner().invoke(main, ARGS, catch_exceptions=False)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"dosecal: unexpected error ({type(error).__name__}")
    assert "with dasatinib" in line
    assert "please report it" in line
    assert "--debug" in line
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("dosecal.cli.generate.expand", broken)
    result = CliRunner().invoke(main, ["--debug", *ARGS])
    assert isinstance(result.exception, RuntimeError)
    assert "unexpected error" not in result.stderr


def test_input_errors_are_not_reported_as_bugs() -> None:
    result = CliRunner().invoke(main, ["check", "/nonexistent/plan.toml"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "unexpected error" not in result.stderr
    assert result.stderr.startswith("dosecal: /nonexistent/plan.toml: cannot read the file")


@pytest.mark.parametrize("fmt", ["html", "txt", "ics", "json", "csv"])
@pytest.mark.parametrize(
    "extra",
    [
        ["--start", "2027-01-04", "--tz", "Europe/Rome", "--cycles", "2", "--stop", "2027-03-01"],
        ["--start", "2027-01-04", "--tz", "America/Toronto", "--stop", "2027-01-04"],
        [
            "--start",
            "2027-11-07",
            "--tz",
            "Africa/Casablanca",
            "--cycles",
            "5",
            "--interrupt",
            "C3D3@02:30=3660h",
        ],
    ],
    ids=["stopped before blinatumomab starts", "stopped on day 1", "a long interruption in cycle 3"],
)
def test_cancelled_infusions_and_stays_render_in_every_format(extra: list[str], fmt: str) -> None:
    """Found by fuzzing: a cancelled span reached the month grid of the printable plan (KeyError)."""
    result = CliRunner().invoke(
        main, ["generate", "dasatinib-blinatumomab", *extra, "--format", fmt], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout


SCHEDULES = [
    "dasatinib",
    "nilotinib",
    "blinatumomab-rr",
    "blinatumomab-mrd",
    "inotuzumab",
    "dasatinib-blinatumomab",
]
NUMBERS = st.sampled_from(
    ["0", "1", "2", "3", "7", "8", "28", "42", "84", "365", "366", "3660", "-1", "9" * 12]
)
DATES = st.sampled_from(["1900-01-01", "2027-01-04", "2027-03-14", "2027-11-07", "2028-02-29", "2200-12-31"])


@st.composite
def option_mix(draw: st.DrawFn) -> list[str]:
    """A schedule and a few adjustments and choices, many of them odd or contradictory."""
    schedule = draw(st.sampled_from(SCHEDULES))
    agent = schedule.split("-")[0]
    args = ["generate", schedule, "--start", draw(DATES), "--tz", draw(st.sampled_from(ZONES))]
    for _ in range(draw(st.integers(0, 4))):
        n = draw(NUMBERS)
        args += draw(
            st.sampled_from(
                [
                    ["--delay", f"{draw(NUMBERS)}={n}"],
                    ["--hold", f"C{draw(NUMBERS)}D{n}"],
                    ["--interrupt", f"C{draw(st.sampled_from(['1', '2', '3']))}D{draw(NUMBERS)}={n}h"],
                    ["--stop", draw(DATES)],
                    ["--until", draw(DATES)],
                    ["--cycles", n],
                    ["--reminder", n],
                    ["--change-dose", f"{agent}=15 mg@{draw(DATES)}"],
                    ["--choice", draw(st.sampled_from(CHOICES))],
                ]
            )
        )
    return [*args, "--format", draw(st.sampled_from(["ics", "txt", "json", "csv", "html"]))]


ZONES = [
    "UTC",
    "Europe/Paris",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
]
CHOICES = ["bag-hours=24", "bag-hours=168", "transplant=yes", "transplant=no", "response=cr", "patient=child"]


@settings(deadline=None)
@given(args=option_mix())
def test_hypothesis_any_mix_of_options_is_a_plan_or_a_located_refusal(args: list[str]) -> None:
    """Whatever the mix, never the last-resort line: a plan, or bad input in located lines."""
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "unexpected error" not in result.stderr, (args, result.stderr)
    if result.exit_code == 1:
        assert all(line.startswith("dosecal: ") for line in result.stderr.strip().splitlines())
