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


@contextmanager
def cluster() -> Iterator[Callable[[], str]]:
    """Run a cluster; yields a function that makes a new, empty database and returns its URL.

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
    data, port = base / "data", free_port()
    pg_ctl = [*run_as, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "dosecal", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off -c max_connections=200"
        subprocess.run(
            [*pg_ctl, "-o", options, "-l", str(base / "log"), "-w", "start"], check=True, capture_output=True
        )
        made = 0

        def new_database() -> str:
            import psycopg

            nonlocal made
            made += 1
            name = f"dosecal_{made}"
            dsn = f"host=127.0.0.1 port={port} user=dosecal dbname=postgres"
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute(f"CREATE DATABASE {name}")
            return f"postgresql://dosecal@127.0.0.1:{port}/{name}"

        yield new_database
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
