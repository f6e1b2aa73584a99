"""Shared fixtures: built-in schedules by id, plan and date helpers, golden files, the CLI."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from dosecal.inputs import definitions
from dosecal.model.plan import Plan
from dosecal.model.schedule import Schedule
from postgres_cluster import cluster, postgres_bin

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
INTEROP = Path(__file__).parent / "interop"

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deterministic", max_examples=60, deadline=None, derandomize=True)
# The fast inner loop (README, "Development"): the same properties, fewer examples each.
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except (ImportError, OSError):  # WeasyPrint raises OSError without Pango
        return False
    return True


#: Whether each tool-marked group of tests can run here.
AVAILABLE: dict[str, Callable[[], bool]] = {
    "node": lambda: bool(shutil.which("node") and shutil.which("npm")),
    "chromium": lambda: bool(shutil.which("chromium") or shutil.which("chromium-browser")),
    "poppler": lambda: bool(shutil.which("pdftotext") and shutil.which("pdfinfo")),
    "weasyprint": lambda: _importable("weasyprint"),
    "caldav": lambda: _importable("caldav") and _importable("radicale"),
    "postgres": lambda: bool(_postgres_bin()) and _importable("psycopg"),
}


_postgres_bin = postgres_bin


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ical.js tests, then deselect tests whose tool is missing (fail instead in CI)."""
    for item in items:
        if {"icaljs", "icaljs_many"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.node)
    if os.environ.get("DOSECAL_REQUIRE_ALL"):
        return
    missing = {
        name
        for name, check in AVAILABLE.items()
        if any(item.get_closest_marker(name) for item in items) and not check()
    }
    if not missing:
        return
    keep = [item for item in items if not any(item.get_closest_marker(name) for name in missing)]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register --update-golden, which rewrites golden files instead of comparing with them."""
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden files")


def d(text: str) -> date:
    """A date from its ISO text, so expected values read as the dates they are."""
    return date.fromisoformat(text)


def at(text: str, zone: str = "America/Toronto") -> datetime:
    """An aware local datetime from 'YYYY-MM-DD HH:MM' in ``zone``."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def builtin(ident: str) -> Schedule:
    """A built-in schedule by id."""
    return definitions.resolve(ident)


def plan(start: str, zone: str = "America/Toronto", **kw: object) -> Plan:
    """A plan starting on ``start`` in ``zone``."""
    return Plan(start=d(start), timezone=zone, **kw)  # type: ignore[arg-type]


def hhmm(value: str) -> time:
    """A time from 'HH:MM'."""
    return time.fromisoformat(value)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, bytes], None]:
    """Compare bytes with tests/golden/NAME, or rewrite it under --update-golden."""

    def check(name: str, data: bytes) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        assert path.exists(), f"{path} is missing: run pytest --update-golden and review the diff"
        assert data == path.read_bytes(), f"{name} differs from its golden file (pytest --update-golden)"

    return check


@pytest.fixture(autouse=True, scope="session")
def feed_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The feed key of every store a test makes, its commands and its servers: never the user's."""
    path = tmp_path_factory.mktemp("feed-key") / "feed.key"
    before = os.environ.get("DOSECAL_FEED_KEY_FILE")
    os.environ["DOSECAL_FEED_KEY_FILE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("DOSECAL_FEED_KEY_FILE", None)
    else:
        os.environ["DOSECAL_FEED_KEY_FILE"] = before


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run the dosecal command line in-process and return click's Result."""
    from dosecal.cli import main

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def icaljs_many() -> Callable[[list[Path]], dict[str, Any]]:
    """Parse .ics files with ical.js under Node.js (one process), installing it if needed."""
    import json

    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed for the ical.js tests (apt-get install nodejs npm)")
    if not (INTEROP / "node_modules" / "ical.js").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=INTEROP, check=True)

    def parse(paths: list[Path]) -> dict[str, Any]:
        out = subprocess.run(
            [node, str(INTEROP / "icaljs_dump.mjs"), *map(str, paths)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    return parse


@pytest.fixture(scope="session")
def icaljs(icaljs_many: Callable[[list[Path]], dict[str, Any]]) -> Callable[[Path], Any]:
    """Parse one .ics with ical.js."""
    return lambda path: icaljs_many([path])[str(path)]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Callable[[], str]]:
    """A throwaway PostgreSQL cluster for this session (see postgres_cluster.py)."""
    if _postgres_bin() is None:
        pytest.fail("PostgreSQL is needed for the postgres tests (apt-get install postgresql)")
    with cluster() as new_database:
        yield new_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for the plan store: a SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "dosecal.db")
    return str(request.getfixturevalue("postgres_cluster")())
