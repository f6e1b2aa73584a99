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
    # The printable plan's templates and stylesheet: without them, no HTML and no PDF.
    for name in ("plan.html", "sections.html", "marks.html", "timeline.html", "plan.css"):
        assert f"dosecal/render/templates/{name}" in names, name

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
    # The installed copy prints a plan from its own templates and stylesheet.
    code = (
        "import datetime, dosecal, dosecal.render.html as h\n"
        "plan = dosecal.Plan(start=datetime.date(2027, 1, 4), timezone='Europe/Paris')\n"
        "page = dosecal.render.render('html', dosecal.expand(dosecal.resolve_schedule('imatinib'), plan))\n"
        "print(h.__file__, page.decode().count('--ink:#111'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(str(unpacked)) and out.stdout.split()[-1] == "1"
