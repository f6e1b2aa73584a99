"""Load on the feed server: many phones polling their feeds at once, on SQLite and PostgreSQL.

Run: python benchmarks/feeds.py [--clients 200] [--requests 20000] [--plans 50]

For each database it makes an empty store (migrations from empty), stores ``--plans`` plans,
starts ``dosecal serve`` in its own process on a loopback port, and has ``--clients``
keep-alive connections poll random feeds until ``--requests`` answers came back: half send
the ETag they hold (a phone that already has the calendar: 304), half do not (200 with the
whole calendar). It prints requests per second and the p50/p99 latency seen by the clients,
then the server's own work per cache hit, measured in-process without the network.

The clients run on the same machine as the server (asyncio, one process), so on a small
machine the figures are a floor for the server, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from dosecal.service.database import database_url, upgrade
from dosecal.service.store import Store
from dosecal.web import create_app
from postgres_cluster import cluster

PLAN = ROOT / "examples" / "inotuzumab.plan.toml"


@contextmanager
def serving(db: str, log: Path) -> Iterator[tuple[str, int]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dosecal", "serve", "--db", db, "--port", "0", "--threads", "8"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT / "src")},
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"serving feeds at http://(127\.0\.0\.1):(\d+)", log.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text())
            time.sleep(0.05)
        host, port = found.group(1), int(found.group(2))
        while True:
            try:
                with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        yield host, port
    finally:
        process.terminate()
        process.wait(30)


async def poll(
    host: str, port: int, count: int, tokens: list[str], etags: dict[str, str], seen: list[tuple[int, float]]
) -> None:
    """One client: ``count`` requests on a keep-alive connection, reconnecting when told to close.

    waitress (3.0) closes the connection after every 304, so a 304 here costs a new TCP
    connection too, as it does for a phone that polls once an hour anyway.
    """
    rng = random.Random(count * 7919 + len(seen))
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(count):
            token = rng.choice(tokens)
            condition = f"If-None-Match: {etags[token]}\r\n" if rng.random() < 0.5 else ""
            started = time.perf_counter()
            if reader.at_eof():
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET /feeds/{token}.ics HTTP/1.1\r\nHost: bench\r\n{condition}\r\n".encode())
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                close = close or (name.lower() == "connection" and value.strip().lower() == "close")
            if status != 304 and length:
                await reader.readexactly(length)
            seen.append((status, time.perf_counter() - started))
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def load(
    host: str, port: int, clients: int, requests: int, tokens: list[str], etags: dict[str, str]
) -> list[tuple[int, float]]:
    seen: list[tuple[int, float]] = []
    per = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    await asyncio.gather(*(poll(host, port, n, tokens, etags, seen) for n in per))
    return seen


def cache_hit_cost(url: str, tokens: list[str], etags: dict[str, str], n: int = 3000) -> tuple[float, float]:
    """Server work per cache hit, in-process: the feed's own work, and the whole WSGI request.

    The first figure is what a poll costs beyond HTTP: the token's look-up in the database
    and the rendered calendar from the cache. The second goes through Flask's test client
    (no network; the test client adds some 0.2 ms of its own).
    """
    store = Store(url)
    app = create_app(store, public_url="https://bench")
    cache = app.extensions["dosecal.feed_cache"]
    client = app.test_client()
    for token in tokens:
        client.get(f"/feeds/{token}.ics")  # fill the cache
    started = time.perf_counter()
    for i in range(n):
        state = store.feed_state(tokens[i % len(tokens)])
        assert state is not None
        assert cache.get(state.plan_id, state.version, state.updated) is not None
    own = (time.perf_counter() - started) / n
    started = time.perf_counter()
    for i in range(n):
        token = tokens[i % len(tokens)]
        assert client.get(f"/feeds/{token}.ics", headers={"If-None-Match": etags[token]}).status_code == 304
    whole = (time.perf_counter() - started) / n
    store.close()
    return own, whole


def run(name: str, db: str, args: argparse.Namespace, work: Path) -> None:
    url = database_url(db)
    upgrade(url)
    store = Store(url)
    tokens = [store.add(PLAN, label=None, who="bench")[1] for _ in range(args.plans)]
    store.close()
    with serving(db, work / f"{name}.log") as (host, port):
        etags = {}
        for token in tokens:
            with urllib.request.urlopen(f"http://{host}:{port}/feeds/{token}.ics") as r:
                etags[token] = r.headers["ETag"]
        started = time.perf_counter()
        seen = asyncio.run(load(host, port, args.clients, args.requests, tokens, etags))
        elapsed = time.perf_counter() - started
    latencies = sorted(t for _, t in seen)
    statuses = Counter(s for s, _ in seen)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    own, whole = cache_hit_cost(url, tokens, etags)
    print(
        f"{name:<10} {len(seen):>6} requests, {args.clients} clients: {len(seen) / elapsed:7.0f} req/s, "
        f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms; statuses {dict(sorted(statuses.items()))}; "
        f"per cache hit in-process: look-up + cache {own * 1e6:.0f} µs, whole 304 via test client {whole * 1e6:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--plans", type=int, default=50)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.databases.split(","):
            if name == "sqlite":
                run(name, str(work / "bench.db"), args, work)
            else:
                with cluster() as new_database:
                    run(name, new_database(), args, work)


if __name__ == "__main__":
    main()
