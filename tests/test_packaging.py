"""The wheel carries the built-in schedules, so 'dosecal list' works after a plain 'pip install .'."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_every_schedule_and_lists_them_when_installed(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("dosecal-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    expected = sorted(p.name for p in (ROOT / "schedules").glob("*.toml"))
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("dosecal/schedules/")) == expected
    assert "dosecal/py.typed" in names
    assert "dosecal/words/locale/fr/LC_MESSAGES/dosecal.mo" in names  # the compiled French catalogue

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    code = "import dosecal, dosecal.cli; print(dosecal.__file__); dosecal.cli.main(['list'])"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(unpacked))  # the installed copy, not the source tree
    assert [line.split()[0] for line in lines[1:]] == sorted(n.removesuffix(".toml") for n in expected)
    # The installed copy speaks French from its own compiled catalogue.
    code = "from dosecal.words import language; print(language('fr').say('cell.discharge'))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == "SORTIE", out.stderr
