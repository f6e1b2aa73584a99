"""The README and examples say what the code does: their snippets and commands run."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from dosecal.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = ROOT / "examples"


def test_readme_python_snippet_runs() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102  # the README's own code
    assert isinstance(namespace["calendar_bytes"], bytes)
    assert namespace["calendar_bytes"].startswith(b"BEGIN:VCALENDAR")  # type: ignore[attr-defined]


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    assert [b.strip() for b in blocks][1] == "bash .ci/run"
    assert len(blocks) == 2 and all(len(b.strip().splitlines()) == 1 for b in blocks)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"dosecal {command}" in README


def test_every_example_plan_passes_check(cli: Callable[..., Result]) -> None:
    plans = sorted(str(p) for p in EXAMPLES.glob("*.plan.toml"))
    assert len(plans) >= 4
    result = cli("check", *plans)
    assert result.exit_code == 0, result.output


def test_examples_readme_commands_produce_the_files_they_name(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"`(dosecal generate [^`]+)`", text)
    assert len(commands) == len(list(EXAMPLES.glob("*.plan.toml")))
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    for command in commands:
        args = shlex.split(command)[1:]
        result = cli(*args)
        assert result.exit_code == 0, (command, result.output)
        for out in args[args.index("-o") + 1 :: 2]:
            assert (tmp_path / out).stat().st_size > 0
    ics = (tmp_path / "blinatumomab-rr.ics").read_text()
    assert "UID:example-blinatumomab.blinatumomab.bag-change.c1.d3.1@dosecal" in ics  # 48-hour bags


def test_every_builtin_schedule_has_an_example_plan() -> None:
    from dosecal.inputs.definitions import builtin_ids

    assert sorted(p.name.removesuffix(".plan.toml") for p in EXAMPLES.glob("*.plan.toml")) == builtin_ids()


def test_the_help_and_readme_say_how_to_choose_french(cli: Callable[..., Result], tmp_path: Path) -> None:
    """Dosecal --help names --lang; the README's French example writes a French calendar."""
    assert "--lang fr" in cli("--help").output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"`(dosecal generate blinatumomab-rr [^`]*--lang fr[^`]*)`", readme)
    assert command is not None
    args = command.group(1).split()[1:]
    args = [str(tmp_path / a) if a.startswith("plan.") else a for a in args]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert "Séjour à l'hôpital" in (tmp_path / "plan.ics").read_text(encoding="utf-8").replace("\r\n ", "")


def test_the_readme_counts_the_french_entries_awaiting_review() -> None:
    """N14: the README said 42 REVIEW entries where the catalogue had 91; the number is the catalogue's."""
    po = (ROOT / "src" / "dosecal" / "words" / "locale" / "fr" / "LC_MESSAGES" / "dosecal.po").read_text(
        encoding="utf-8"
    )
    # Entries, not comment lines: an entry marked twice is one entry awaiting review.
    count = sum(1 for entry in po.split("\n\n") if "\n# REVIEW" in "\n" + entry)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"marked `REVIEW` where none was found \((\d+) of\s+them", readme)
    assert said is not None, "the README no longer says how many entries await review"
    assert int(said.group(1)) == count
