"""The plan store's files: private to their owner, never another program's, and faults that stay bounded.

Issue 23, items 3 and 4 and the database side of item 1: the database, its WAL files and the
folders dosecal makes are 0600/0700 under any umask; a corrupt, foreign or empty file is refused
in one line and left byte for byte as it was; a write lock held by another program costs one
write about 10 s and a DatabaseBusy, while reads answer at once; PostgreSQL connections are
checked before use.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from dosecal.cli import main
from dosecal.errors import DatabaseBusy, DatabaseUnavailable, StoreError
from dosecal.service import database as db
from dosecal.service.database import database_url, upgrade
from dosecal.service.feedtokens import load_key, session_key
from dosecal.service.store import Store
from postgres_cluster import free_port

ROOT = Path(__file__).resolve().parents[1]
INOTUZUMAB = ROOT / "examples" / "inotuzumab.plan.toml"


def run(*args: str, env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files would otherwise be readable by every local user."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_the_default_database_its_wal_files_and_folders_are_the_owner_s_only(
    tmp_path: Path, umask_022: None
) -> None:
    data = tmp_path / "home" / "share"  # neither exists: dosecal makes both, and its own folder
    env: dict[str, str | None] = {"XDG_DATA_HOME": str(data), "DOSECAL_DB": None}
    result = run("db", "upgrade", env=env)
    assert result.exit_code == 0, result.output
    path = data / "dosecal" / "dosecal.db"
    assert mode(path) == 0o600
    for folder in (data / "dosecal", data, tmp_path / "home"):
        assert mode(folder) == 0o700, folder
    assert mode(tmp_path) == 0o755 or mode(tmp_path) == 0o700  # not made by dosecal: left alone
    store = Store(database_url(None, {"XDG_DATA_HOME": str(data)}))
    try:
        store.add(INOTUZUMAB, label="Jane Roe", who="nurse")
        wal, shm = path.with_name("dosecal.db-wal"), path.with_name("dosecal.db-shm")
        assert wal.exists() and shm.exists()  # WAL mode, while the store is open
        assert (mode(wal), mode(shm)) == (0o600, 0o600)
    finally:
        store.close()
    added = run("store", "list", env=env)
    assert added.exit_code == 0 and "Jane Roe" in added.output


def test_the_feed_key_and_its_folder_are_the_owner_s_only(tmp_path: Path, umask_022: None) -> None:
    load_key({"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert mode(tmp_path / "config") == 0o700
    assert mode(tmp_path / "config" / "dosecal") == 0o700
    assert mode(tmp_path / "config" / "dosecal" / "feed.key") == 0o600


def test_a_deployment_may_give_the_cookie_signing_key(tmp_path: Path) -> None:
    key = "ab" * 32
    assert session_key({}) is None  # then the one kept in the database
    assert session_key({"DOSECAL_SESSION_KEY": key}) == bytes.fromhex(key)
    (tmp_path / "session.key").write_text(key + "\n")
    given = {"DOSECAL_SESSION_KEY_FILE": str(tmp_path / "session.key"), "DOSECAL_SESSION_KEY": "00"}
    assert session_key(given) == bytes.fromhex(key)  # the file wins
    with pytest.raises(StoreError, match=r"from \$DOSECAL_SESSION_KEY \(3 bytes\)"):
        session_key({"DOSECAL_SESSION_KEY": "abcdef"})
    with pytest.raises(StoreError, match=r"missing\.key"):
        session_key({"DOSECAL_SESSION_KEY_FILE": str(tmp_path / "missing.key")})


# Never touch what is not ours


def _not_sqlite(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def _damaged(path: Path) -> None:
    with sqlite3.connect(path) as made:
        made.execute("CREATE TABLE t (x)")
    made.close()
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # the header survives, the schema page does not
    path.write_bytes(bytes(data))


def _another_program_s(path: Path) -> None:
    made = sqlite3.connect(path)
    made.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    made.execute("INSERT INTO contacts VALUES ('Ann', '555')")
    made.commit()
    made.close()


FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "corrupt bytes": (_not_sqlite, "is not a SQLite database"),
    "a damaged SQLite file": (_damaged, "is a damaged SQLite database"),
    "another program's SQLite file": (_another_program_s, "holds another program's tables"),
}


@pytest.mark.parametrize("kind", FILES)
def test_a_file_that_is_not_dosecal_s_is_refused_in_one_line_and_left_as_it_was(
    tmp_path: Path, kind: str
) -> None:
    make, says = FILES[kind]
    path = tmp_path / "clinic.db"
    make(path)
    before = path.read_bytes()
    env: dict[str, str | None] = {"DOSECAL_DB": str(path)}
    for args in (("db", "upgrade"), ("store", "list"), ("serve", "--port", "0"), ("users", "list")):
        result = run(*args, env=env)
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and says in lines[0] and str(path) in lines[0], (args, result.output)
        assert "Traceback" not in result.output and "unexpected" not in result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.db"]  # no -wal, -shm, -journal


def test_an_empty_file_becomes_a_database_only_when_db_upgrade_is_asked(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()
    env: dict[str, str | None] = {"DOSECAL_DB": str(path)}
    for args in (("store", "list"), ("serve", "--port", "0")):
        result = run(*args, env=env)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.strip().splitlines() == [
            f"dosecal: the database sqlite:///{path} has no dosecal tables yet: run 'dosecal db upgrade'"
        ]
        assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]
    made = run("db", "upgrade", env=env)
    assert made.exit_code == 0, made.output
    assert run("store", "list", env=env).exit_code == 0


def test_a_database_with_another_program_s_tables_is_not_upgraded(database: str) -> None:
    url = database_url(database)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE contacts (name TEXT)")
    engine.dispose()
    with pytest.raises(StoreError, match="holds another program's tables"):
        upgrade(url)
    engine = sa.create_engine(url)
    try:
        assert sa.inspect(engine).get_table_names() == ["contacts"]
    finally:
        engine.dispose()


# Faults degrade, they do not spread


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[Store, str, Path]]:
    """A SQLite store with one plan: the store, the plan's id, the file."""
    path = tmp_path / "store.db"
    upgrade(database_url(str(path)))
    store = Store(database_url(str(path)))
    plan, _token = store.add(INOTUZUMAB, label=None, who="nurse")
    yield store, plan.id, path
    store.close()


@pytest.fixture
def foreign_lock(stored: tuple[Store, str, Path]) -> Iterator[sqlite3.Connection]:
    """Another program holding the store's write lock (BEGIN IMMEDIATE) until the test ends."""
    other = sqlite3.connect(stored[2], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_foreign_write_lock_refuses_a_write_within_15_s_while_reads_answer_at_once(
    stored: tuple[Store, str, Path], foreign_lock: sqlite3.Connection
) -> None:
    store, plan_id, _ = stored
    started = time.monotonic()
    assert [p.id for p in store.plans()] == [plan_id]
    assert store.get(plan_id).version == 1
    assert time.monotonic() - started < 1
    started = time.monotonic()
    with pytest.raises(DatabaseBusy, match="is busy: another program holds a lock on it; nothing was"):
        store.rotate(plan_id, who="nurse")
    waited = time.monotonic() - started
    assert db.WRITE_WAIT_MS / 1000 - 1 < waited < 15  # a bounded wait, not an immediate failure
    started = time.monotonic()
    assert store.get(plan_id).version == 1  # the same pooled connection reads at once again
    assert time.monotonic() - started < 1


def test_a_write_waits_for_a_short_foreign_lock_and_then_succeeds(stored: tuple[Store, str, Path]) -> None:
    store, plan_id, path = stored
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, other.execute, ("COMMIT",))
    release.start()
    try:
        store.rotate(plan_id, who="nurse")  # waits out the second, does not fail at once
    finally:
        release.join()
        other.close()
    assert [c.action for c in store.history(plan_id)] == ["add", "rotate"]


def test_the_command_line_says_busy_in_one_line(
    stored: tuple[Store, str, Path], foreign_lock: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store, plan_id, path = stored
    monkeypatch.setattr(db, "WRITE_WAIT_MS", 300)  # the bound itself is measured above
    result = run("store", "feed", plan_id, "--rotate", env={"DOSECAL_DB": str(path)})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"dosecal: the database sqlite:///{path} is busy: another program holds a lock on it; "
        + "nothing was changed: try again in a moment"
    ]


@pytest.mark.postgres
def test_postgresql_connections_are_checked_before_use(postgres_cluster: Callable[[], str]) -> None:
    url = database_url(postgres_cluster())
    upgrade(url)
    store = Store(url)
    try:
        assert store.plans() == []  # a pooled connection now
        admin = sa.create_engine(url)
        with admin.connect() as connection:  # what a restart does to every open connection
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        admin.dispose()
        assert store.plans() == []  # the first request after it does not fail
    finally:
        store.close()


@pytest.mark.postgres
def test_a_postgresql_server_that_is_down_is_database_unavailable(
    postgres_cluster: Callable[[], str],
) -> None:
    url = database_url(f"postgresql://dosecal@127.0.0.1:{free_port()}/dosecal")
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match="cannot use the database postgresql"):
        Store(url)
    assert time.monotonic() - started < 15
