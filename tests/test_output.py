"""Outputs are written whole or not at all: a failed write leaves the old file and no debris."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dosecal.cli.files import write_atomic
from dosecal.errors import OutputError


def test_a_new_file_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    write_atomic(target, b"BEGIN:VCALENDAR\r\n")
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.ics"]


def test_a_failure_part_way_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "plan.ics"
    target.write_bytes(b"version 1")
    target.chmod(0o640)

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError, match=r"plan\.ics: cannot write: No space left on device"):
        write_atomic(target, b"version 2, much longer")
    assert target.read_bytes() == b"version 1"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.ics"]


def test_replacing_keeps_the_files_permissions(tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600
