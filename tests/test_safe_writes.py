"""What dosecal replaces and what it writes in place (issue 11, class 1).

Only regular files are replaced atomically; a link is followed and its target replaced; a
device, FIFO or this process's own descriptor is written in place and stays what it was;
several outputs are written all or none; no temporary file survives a failure or a signal.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from dosecal.cli.files import write_all
from dosecal.errors import OutputError

GENERATE = ["generate", "dasatinib", "--start", "2027-01-04", "--tz", "Europe/Paris"]


def dosecal(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "dosecal", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


def debris(folder: Path) -> list[str]:
    """Temporary files or copies left behind in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("dosecal: ")
    return lines[0]


def test_dev_null_is_written_in_place_and_stays_a_device(tmp_path: Path) -> None:
    before = Path("/dev/null").stat()
    result = dosecal(*GENERATE, "-o", "/dev/null", "--format", "ics", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = Path("/dev/null").stat()
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full is Linux's")
def test_a_full_device_is_a_reported_error_not_a_success(tmp_path: Path) -> None:
    result = dosecal(*GENERATE, "-o", "/dev/full", "--format", "ics", cwd=tmp_path)
    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert "/dev/full" in line
    assert "No space left" in line
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "calendar.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = dosecal(*GENERATE, "-o", str(fifo), "--format", "ics", cwd=tmp_path)
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0].startswith(b"BEGIN:VCALENDAR")
    assert received[0].rstrip().endswith(b"END:VCALENDAR")


def test_dev_stdout_goes_where_the_shell_sent_it_appending(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_bytes(b"earlier line\n")
    with log.open("ab") as out:
        result = subprocess.run(
            [sys.executable, "-m", "dosecal", *GENERATE, "-o", "/dev/stdout", "--format", "ics"],
            stdout=out,
            stderr=subprocess.PIPE,
            text=False,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stderr
    data = log.read_bytes()
    assert data.startswith(b"earlier line\nBEGIN:VCALENDAR")
    assert Path("/dev/stdout").is_symlink()  # never replaced by a file
    assert debris(tmp_path) == []


def test_a_link_to_a_file_stays_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.ics"
    real.write_bytes(b"old")
    link = tmp_path / "link.ics"
    link.symlink_to(real.name)
    result = dosecal(*GENERATE, "-o", str(link), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert link.readlink() == Path("real.ics")
    assert real.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert debris(tmp_path) == []


def test_a_chain_of_links_and_a_dangling_link_write_the_final_target(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    final = tmp_path / "dir" / "final.ics"
    (tmp_path / "b.ics").symlink_to(final)  # dangling: final does not exist yet
    (tmp_path / "a.ics").symlink_to("b.ics")
    write_all([(tmp_path / "a.ics", b"new")])
    assert final.read_bytes() == b"new"
    assert (tmp_path / "a.ics").is_symlink()
    assert (tmp_path / "b.ics").is_symlink()


def test_adjust_on_a_linked_plan_file_updates_the_real_file(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "plan.toml"
    real.parent.mkdir()
    real.write_text(Path("examples/inotuzumab.plan.toml").read_text(encoding="utf-8"), encoding="utf-8")
    link = tmp_path / "plan.toml"
    link.symlink_to(real)
    result = dosecal("adjust", str(link), "--hold", "C1D8", cwd=Path.cwd())
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert 'dose = "C1D8"' in real.read_text(encoding="utf-8")


def test_a_folder_as_output_is_refused(tmp_path: Path) -> None:
    result = dosecal(*GENERATE, "-o", str(tmp_path), "--format", "ics", cwd=tmp_path)
    assert result.returncode == 1
    assert "folder" in one_line_error(result.stderr)
    assert tmp_path.is_dir()


def test_several_outputs_are_all_written_or_none_replaced(tmp_path: Path) -> None:
    first = tmp_path / "a.ics"
    first.write_bytes(b"keep me")
    result = dosecal(*GENERATE, "-o", str(first), "-o", str(tmp_path / "missing" / "b.html"), cwd=tmp_path)
    assert result.returncode == 1
    assert "missing/b.html" in one_line_error(result.stderr)
    assert first.read_bytes() == b"keep me"
    assert debris(tmp_path) == []

    result = dosecal(*GENERATE, "-o", str(first), "-o", str(tmp_path / "b.csv"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert first.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert (tmp_path / "b.csv").stat().st_size > 0


def test_a_rename_failing_part_way_puts_back_what_was_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = (tmp_path / n for n in ("a.ics", "b.ics", "c.ics"))
    a.write_bytes(b"old a")
    b.write_bytes(b"old b")
    real_replace = Path.replace
    calls: list[Path] = []

    def flaky(self: Path, target: str | os.PathLike[str]) -> Path:
        calls.append(Path(target))
        if Path(target).name == "c.ics" and self.name.endswith(".tmp"):
            raise OSError(5, "Input/output error")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", flaky)
    with pytest.raises(OutputError, match=r"c\.ics: cannot write: Input/output error"):
        write_all([(a, b"new a"), (b, b"new b"), (c, b"new c")])
    assert a.read_bytes() == b"old a"
    assert b.read_bytes() == b"old b"
    assert not c.exists()
    assert debris(tmp_path) == []
    assert [p.name for p in calls[:3]] == ["a.ics", "b.ics", "c.ics"]  # the failure came third


def test_a_file_changed_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_bytes(b"changed by someone else")
    with pytest.raises(OutputError, match="changed by another program"):
        write_all([(plan, b"mine")], expect=b"what I read")
    assert plan.read_bytes() == b"changed by someone else"
    assert debris(tmp_path) == []


WRITER = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path
    from dosecal.cli.signals import _terminate
    from dosecal.cli.files import write_all
    signal.signal(signal.SIGTERM, _terminate)
    target = Path(sys.argv[1])
    data = b"N" * int(sys.argv[2])
    try:
        # Inside the try: a signal sent the moment "ready" is read may land while it is printed.
        print("ready", flush=True)
        write_all([(target, data), (target.with_name("second.bin"), data)])
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_moment_of_a_large_write_leaves_old_or_new_and_no_temporary(
    tmp_path: Path, signum: int
) -> None:
    size = 40 * 1024 * 1024
    rng = random.Random(signum)
    outcomes = set()
    for round_ in range(6):
        target = tmp_path / "plan.bin"
        target.write_bytes(b"old plan")
        (tmp_path / "second.bin").write_bytes(b"old second")
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target), str(size)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0, 0.15) if round_ else 0)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err, err
        first, second = target.read_bytes(), (tmp_path / "second.bin").read_bytes()
        if first == b"old plan":
            assert second == b"old second", "only one of the outputs was replaced"
            outcomes.add("old")
        else:
            assert len(first) == size and len(second) == size, "an output is half-written"
            outcomes.add("new")
        assert debris(tmp_path) == [], f"round {round_}: temporary files left"
    assert "old" in outcomes  # the signal did arrive during the write at least once


#: The command line, started once its modules are imported (a Ctrl-C while Python itself is
#: still importing is Python's, not dosecal's), saying so on stderr.
CLI_READY = (
    "import sys, dosecal.cli; print('ready', file=sys.stderr, flush=True); "
    "sys.argv[0] = 'dosecal'; dosecal.cli.main()"
)


LONG = ["--until", "2036-12-31", "--tz", "Europe/Paris", "--full-list", "-o"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_generate_leaves_the_old_output_and_no_temporary(tmp_path: Path, signum: int) -> None:
    rng = random.Random(signum * 7)
    target = tmp_path / "plan.html"
    codes = set()
    for _ in range(5):
        target.write_bytes(b"old plan")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CLI_READY,
                "generate",
                "nilotinib",
                "--start",
                "2027-01-04",
                *LONG,
                str(target),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        assert proc.stderr is not None
        assert proc.stderr.readline() == b"ready\n"
        time.sleep(rng.uniform(0, 1.0))
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
        assert b"Traceback" not in err, err
        assert debris(tmp_path) == []
        data = target.read_bytes()
        assert data == b"old plan" or data.rstrip().endswith(b"</html>")
        lines = err.decode().strip().splitlines()
        if data == b"old plan":
            assert not any(line.startswith("wrote") for line in lines), err  # never claims a write
        if proc.returncode == -signum:
            # Killed outright: the signal came before dosecal's handler was set, or as Python
            # shut down after all was done. Either way nothing is half-written (checked above).
            continue
        assert proc.returncode in (0, 130, 143), (proc.returncode, err)
        if proc.returncode:
            # One message; a "wrote" line before it only if the signal came after the write.
            assert lines[-1].startswith("dosecal: interrupted"), err
            assert all(line.startswith("wrote") for line in lines[:-1]), err
        codes.add(proc.returncode)
    assert codes - {0}, "the signal never arrived while dosecal was working"


def test_a_ctrl_c_that_comes_inside_a_finalizer_still_stops_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python cannot raise a signal inside a finalizer; the command keeps it and stops before replacing."""
    from dosecal.cli import signals
    from dosecal.cli.files import write_atomic

    monkeypatch.setattr(sys, "unraisablehook", signals._unraisable)

    class Finalizer:
        def __del__(self) -> None:
            raise KeyboardInterrupt  # as SIGINT does when it comes while this runs

    target = tmp_path / "plan.ics"
    target.write_bytes(b"old plan")
    Finalizer()  # collected at once: Python hands the exception to the unraisable hook
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new plan")
    assert target.read_bytes() == b"old plan"
    assert sorted(tmp_path.iterdir()) == [target]  # no temporary file left
    write_atomic(target, b"new plan")  # raised once: the next write goes through
    assert target.read_bytes() == b"new plan"
