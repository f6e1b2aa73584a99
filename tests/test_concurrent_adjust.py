"""Two changes to one plan file at once: neither is lost in silence (issue 11, class 2).

``dosecal adjust`` locks the plan file while it reads, checks and replaces it, and compares
the file with what it read just before replacing it. Every change a run reports as recorded
must be in the file; a run that could not record says so and exits 1.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from dosecal.cli import main
from dosecal.cli.files import locked
from dosecal.inputs import overrides

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "inotuzumab.plan.toml"


def start_adjust(plan: Path, hold: str, note: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dosecal", "adjust", str(plan), "--hold", hold, "--note", note],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_adjust_processes_at_once_never_lose_a_recorded_change(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    recorded_total = 0
    for round_ in range(20):
        plan.write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
        runs = [
            (start_adjust(plan, "C1D8", f"first {round_}"), f"first {round_}"),
            (start_adjust(plan, "C2D15", f"second {round_}"), f"second {round_}"),
        ]
        text_notes = []
        for proc, note in runs:
            _, err = proc.communicate(timeout=120)
            assert "Traceback" not in err
            if proc.returncode == 0:
                assert "recorded:" in err
                text_notes.append(note)
            else:  # allowed only with a clear message, and then nothing of it is in the file
                assert proc.returncode == 1
                assert "run the command again" in err, err
        text = plan.read_text(encoding="utf-8")
        for note in text_notes:
            assert f'note = "{note}"' in text, f"round {round_}: '{note}' reported recorded but missing"
        assert text.count("[[adjustments]]") == len(text_notes)
        recorded_total += len(text_notes)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]
    assert recorded_total == 40  # with the lock, the second waits and records too


def test_a_change_by_another_program_meanwhile_is_refused_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    real_record = overrides.record

    def record_then_someone_edits(path: Path, given: overrides.Overrides) -> overrides.Recorded:
        change = real_record(path, given)
        with path.open("a", encoding="utf-8") as handle:  # an editor saving in place
            handle.write("# edited by hand meanwhile\n")
        return change

    monkeypatch.setattr("dosecal.cli.generate.record", record_then_someone_edits)
    result = CliRunner().invoke(main, ["adjust", str(plan), "--hold", "C1D8"], catch_exceptions=False)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "changed by another program" in line
    assert "run the command again" in line
    assert "recorded" not in result.stderr
    text = plan.read_text(encoding="utf-8")
    assert text.endswith("# edited by hand meanwhile\n")
    assert "[[adjustments]]" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]


def test_adjust_waits_for_the_lock_and_gives_up_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    before = plan.read_bytes()
    monkeypatch.setattr("dosecal.cli.files.LOCK_TIMEOUT_SECONDS", 0.3)
    with plan.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = CliRunner().invoke(main, ["adjust", str(plan), "--hold", "C1D8"], catch_exceptions=False)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "being changed by another dosecal command" in line
    assert plan.read_bytes() == before


def test_a_waiter_locks_the_file_that_replaced_the_one_it_waited_on(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text("version 1\n", encoding="utf-8")
    order: list[str] = []
    first_has_lock = threading.Event()

    def first() -> None:
        with locked(plan):
            first_has_lock.set()
            order.append("first in")
            new = tmp_path / "new.toml"
            new.write_text("version 2\n", encoding="utf-8")
            threading.Event().wait(0.3)
            new.replace(plan)  # as an adjust does
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    first_has_lock.wait(10)
    with locked(plan):
        order.append("second in")
        # The lock is on the file the path names now, so a third locker would wait for us.
        with plan.open("rb") as handle, pytest.raises(BlockingIOError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert plan.read_text(encoding="utf-8") == "version 2\n"
    thread.join(10)
    assert order == ["first in", "first out", "second in"]
