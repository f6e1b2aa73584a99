"""A throwaway PostgreSQL cluster on loopback, for the store tests and benchmarks/feeds.py.

initdb and pg_ctl run in a fresh temporary folder, listening on 127.0.0.1 only (and on a
socket in that folder). As root they run as the ``postgres`` user (PostgreSQL refuses root),
in a folder under /tmp that user can reach. Trust authentication is safe here: only this
machine's loopback can connect, and the cluster and its folder are gone afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server's bin folder (Debian keeps initdb out of PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def free_port() -> int:
    """A port nobody listens on now, on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A running throwaway cluster: new databases in it, and a stop and start on the same port.

    ``stop`` and ``start`` are what an operator's ``pg_ctl`` does to a live server, for the tests
    of a database that goes away under a running ``dosecal serve`` and comes back.
    """

    def __init__(self, bindir: Path, base: Path, run_as: list[str]) -> None:
        self.base = base
        self.port = free_port()
        self._bindir = bindir
        self._run_as = run_as
        self._pg_ctl = [*run_as, str(bindir / "pg_ctl"), "-D", str(base / "data")]
        self._made = 0

    def init(self) -> None:
        """Make the cluster's files (initdb): one superuser, ``dosecal``, trusted on loopback."""
        subprocess.run(
            [*self._run_as, str(self._bindir / "initdb"), "-D", str(self.base / "data"), "-U", "dosecal",
             "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        """Start the server on its port and wait until it accepts connections."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.base} -c fsync=off -c max_connections=200"
        subprocess.run(
            [*self._pg_ctl, "-o", options, "-l", str(self.base / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``pg_ctl stop -m MODE``) and wait until it has stopped."""
        subprocess.run([*self._pg_ctl, "-m", mode, "-w", "stop"], check=True, capture_output=True)

    def new_database(self) -> str:
        """Make a new, empty database; its URL."""
        import psycopg

        self._made += 1
        name = f"dosecal_{self._made}"
        dsn = f"host=127.0.0.1 port={self.port} user=dosecal dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return f"postgresql://dosecal@127.0.0.1:{self.port}/{name}"


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Run a cluster until the block ends, then remove it.

    Raises:
        RuntimeError: when PostgreSQL is not installed.
    """
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is needed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="dosecal-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    running = Cluster(bindir, base, run_as)
    try:
        running.init()
        running.start()
        yield running
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def cluster() -> Iterator[Callable[[], str]]:
    """Run a cluster; yields a function that makes a new, empty database and returns its URL.

    Raises:
        RuntimeError: when PostgreSQL is not installed.
    """
    with running_cluster() as running:
        yield running.new_database
