"""A bug still ends in one line naming the inputs, unless --debug asks for the traceback (issue 11).

The last-resort handler in the command line turns any exception that is not a DosecalError
into one line: what happened, the inputs to attach to a report, and how to see the details.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dosecal.cli import main

ARGS = ["generate", "dasatinib", "--start", "2027-01-04", "--tz", "Europe/Paris", "--format", "ics"]


@pytest.mark.parametrize("error", [RuntimeError("boom\nsecond line"), MemoryError(), RecursionError("deep")])
def test_an_unexpected_exception_is_one_line_naming_the_inputs(
    monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr("dosecal.cli.expand", broken)
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

    monkeypatch.setattr("dosecal.cli.expand", broken)
    result = CliRunner().invoke(main, ["--debug", *ARGS])
    assert isinstance(result.exception, RuntimeError)
    assert "unexpected error" not in result.stderr


def test_input_errors_are_not_reported_as_bugs() -> None:
    result = CliRunner().invoke(main, ["check", "/nonexistent/plan.toml"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "unexpected error" not in result.stderr
    assert result.stderr.startswith("dosecal: /nonexistent/plan.toml: cannot read the file")
