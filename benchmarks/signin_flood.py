"""A flood of sign-ins against the feeds: do wrong passwords slow the patients' calendars?

Run: python benchmarks/signin_flood.py [--clients 16] [--seconds 10]

It makes a SQLite store with one plan, starts ``dosecal serve`` on a loopback port, and times
one feed request at a time: first idle, then while ``--clients`` threads post sign-ins with
new names and wrong passwords as fast as the server answers (each costs a scrypt hash). It
prints the feed's median and 90th percentile in both, and their ratio (issue 23's target: the
median under the flood within 3x the idle median), and how many sign-ins were answered.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "inotuzumab.plan.toml"


def dosecal(db: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DOSECAL_DB": db}
    done = subprocess.run(
        [sys.executable, "-m", "dosecal", *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout + done.stderr


def feed_times(url: str, seconds: float) -> list[float]:
    """One request at a time for ``seconds``: each one's time."""
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as r:
            r.read()
        times.append(time.perf_counter() - started)
    return times


def flood(base: str, stop: threading.Event, answered: list[int]) -> None:
    """Sign-ins with new names and a wrong password, one after another, until told to stop."""
    k = 0
    # A browser's cookies: the form's token belongs to the session cookie that came with it.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    while not stop.is_set():
        k += 1
        try:
            page = opener.open(base + "/signin", timeout=60).read().decode()
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            data = urllib.parse.urlencode(
                {
                    "csrf": token.group(1) if token else "",
                    "name": f"n{threading.get_ident()}-{k}",
                    "password": "wrong password",
                }
            ).encode()
            opener.open(base + "/signin", data=data, timeout=60).read()
        except urllib.error.HTTPError as exc:
            answered.append(exc.code)
        else:
            answered.append(200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "dosecal.db")
        dosecal(db, "db", "upgrade")
        out = dosecal(db, "store", "add", "--plan", str(PLAN), "--public-url", "http://127.0.0.1")
        token = re.search(r"/feeds/([\w-]+)\.ics", out)
        assert token, out
        log = Path(folder) / "serve.log"
        with log.open("wb") as sink:
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
            server = subprocess.Popen(
                [sys.executable, "-m", "dosecal", "serve", "--db", db, "--port", "0", "--public-url", "http://127.0.0.1"],
                stdout=sink, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        try:
            while not (found := re.search(r"serving feeds at (http://127\.0\.0\.1:\d+)", log.read_text())):
                time.sleep(0.05)
            base = found.group(1)
            url = f"{base}/feeds/{token.group(1)}.ics"
            feed_times(url, 1)  # warm the feed's cache
            idle = feed_times(url, args.seconds)
            stop, answered = threading.Event(), []
            threads = [
                threading.Thread(target=flood, args=(base, stop, answered)) for _ in range(args.clients)
            ]
            for t in threads:
                t.start()
            time.sleep(1)
            busy = feed_times(url, args.seconds)
            stop.set()
            for t in threads:
                t.join(120)
        finally:
            server.terminate()
            server.wait(30)

    def ms(values: list[float], q: float) -> float:
        return 1000 * statistics.quantiles(values, n=10)[int(q * 10) - 1] if q < 1 else 1000 * max(values)

    idle_median, busy_median = 1000 * statistics.median(idle), 1000 * statistics.median(busy)
    print(
        f"feed, idle:               median {idle_median:7.1f} ms, p90 {ms(idle, 0.9):7.1f} ms ({len(idle)} requests)"
    )
    print(
        f"feed, {args.clients} clients signing in: median {busy_median:7.1f} ms, p90 {ms(busy, 0.9):7.1f} ms ({len(busy)} requests)"
    )
    print(f"ratio of medians: {busy_median / idle_median:.2f}x (target: within 3x)")
    print(
        f"sign-ins answered during the flood: {len(answered)} ({', '.join(f'{c}: {answered.count(c)}' for c in sorted(set(answered)))})"
    )


if __name__ == "__main__":
    main()
