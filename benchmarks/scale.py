"""A clinic of any size: the pages and feeds at 1,000, 10,000 and 100,000 stored plans.

Run: python benchmarks/scale.py [--sizes 1000,10000,100000] [--databases sqlite,postgres]
                                [--repeat 5] [--feed-seconds 5]

For each database and size it makes an empty store (migrations from empty), stores one plan of
each example file through the store (expanded, as ``store add`` stores them), then copies
those rows (plan, history, team, the list's stored events and words) to reach the size, each
copy with its own id, label, feed token and time of last change: storing 100,000 plans one by
one would take an hour and measure only the expansion, which a bulk import does once a plan.
Then, through Flask's test client (in-process, so the pages' own work): the first plans list
after a start (a new store and app), a list page deep in the list (``after`` a row 90 % down),
a search (a label's words), a plan page, a PDF asked for twice (the second from the cache when
the server keeps one), and feed requests per second with two ``dosecal serve`` processes on
the database (the clients of benchmarks/feeds.py, half with the ETag they hold). Each figure is
the median of ``--repeat`` runs but the first list; ratios are to the smallest store.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sqlalchemy as sa
from feeds import load, serving

from dosecal.service.accounts import Accounts
from dosecal.service.database import changes, database_url, plans, upgrade
from dosecal.service.feedtokens import derive, token_hash
from dosecal.service.listing import plan_list, plan_upcoming, plan_words
from dosecal.service.store import Store
from dosecal.service.teams import Teams, plan_teams
from dosecal.web import create_app
from postgres_cluster import cluster

PASSWORD = "correct horse battery"
KEY = b"scale-benchmark-feed-key-32bytes"
NAMES = ("Tremblay", "Roy", "Gagnon", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Chen")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def median(action: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(action) for _ in range(repeat))


def fill(url: str, size: int) -> list[tuple[str, str]]:
    """Store the example plans, then copy them up to ``size`` plans; (id, feed token) of 20 of them."""
    store = Store(url, feed_key=KEY)
    Accounts(store).add("nurse1", PASSWORD)
    Teams(store.engine).join("nurse1", "clinic")
    examples = sorted((ROOT / "examples").glob("*.plan.toml"))
    made = [store.add(path, label=f"Example {path.stem}", who="nurse1")[0].id for path in examples]
    engine = store.engine
    rng = random.Random(size)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    tokens: list[tuple[str, str]] = []
    with engine.begin() as c:
        rows = {t.name: {} for t in (plans, changes, plan_list, plan_upcoming, plan_words)}
        for table in (plans, changes, plan_list, plan_upcoming, plan_words):
            for r in c.execute(
                sa.select(table).where(
                    table.c.plan_id.in_(made) if table is not plans else table.c.id.in_(made)
                )
            ):
                key = r.id if table is plans else r.plan_id
                rows[table.name].setdefault(key, []).append(r._asdict())
    for first in range(0, size - len(made), 5000):
        batch: dict[str, list[dict[str, object]]] = {name: [] for name in rows}
        teams: list[dict[str, object]] = []
        for n in range(first, min(first + 5000, size - len(made))):
            template = made[n % len(made)]
            ident = f"{n:012x}"
            token = derive(KEY, ident, 1)
            if len(tokens) < 20:
                tokens.append((ident, token))
            label = f"{rng.choice(NAMES)} {rng.choice(NAMES)}, bed {n}"
            for r in rows["plans"][template]:
                batch["plans"].append(
                    {**r, "id": ident, "label": label, "token_hash": token_hash(token),
                     "updated": start + timedelta(minutes=n), "created": start}
                )  # fmt: skip
            for name in ("changes", "plan_list", "plan_upcoming", "plan_words"):
                for r in rows[name].get(template, []):
                    copy = {k: v for k, v in r.items() if k != "id" or name == "plans"}
                    batch[name].append({**copy, "plan_id": ident})
            for word in re.findall(r"\w+", label.casefold()):
                batch["plan_words"].append({"plan_id": ident, "word": word.replace("ô", "o")})
            teams.append({"plan_id": ident, "team": "clinic"})
        with engine.begin() as c:
            for table in (plans, changes, plan_list, plan_upcoming):
                c.execute(table.insert(), batch[table.name])
            unique = {(w["plan_id"], w["word"]): w for w in batch["plan_words"]}
            c.execute(plan_words.insert(), list(unique.values()))
            c.execute(plan_teams.insert(), teams)
    store.close()
    return tokens


def measure(url: str, size: int, repeat: int) -> dict[str, float]:
    store = Store(url, feed_key=KEY)
    app = create_app(store, public_url="https://bench")
    client = app.test_client()
    page = client.get("/signin").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    client.post("/signin", data={"csrf": token.group(1), "name": "nurse1", "password": PASSWORD})
    out: dict[str, float] = {}
    out["first list"] = timed(lambda: client.get("/plans"))
    deep = f"{int(size * 0.1):012x}"
    with store.engine.connect() as c:
        updated = c.execute(sa.select(plans.c.updated).where(plans.c.id == deep)).scalar_one()
    after = f"{updated.replace(tzinfo=UTC).isoformat()}~{deep}"
    out["list page"] = median(lambda: client.get("/plans", query_string={"after": after}), repeat)
    out["search"] = median(lambda: client.get("/plans", query_string={"q": "tremblay bed 12"}), repeat)
    plan_id = f"{size // 2:012x}"
    out["plan page"] = median(lambda: client.get(f"/plans/{plan_id}"), repeat)
    out["pdf first"] = timed(lambda: client.get(f"/plans/{plan_id}/plan.pdf"))
    out["pdf again"] = median(lambda: client.get(f"/plans/{plan_id}/plan.pdf"), repeat)
    store.close()
    return out


def feeds_per_second(db: str, tokens: list[tuple[str, str]], seconds: float, work: Path) -> float:
    with ExitStack() as stack:
        servers = [stack.enter_context(serving(db, work / f"serve-{n}.log")) for n in range(2)]
        etags: dict[str, str] = {}
        import urllib.request

        for _, token in tokens:
            for host, port in servers:
                with urllib.request.urlopen(f"http://{host}:{port}/feeds/{token}.ics", timeout=60) as r:
                    etags[token] = r.headers["ETag"]
        names = [t for _, t in tokens]
        requests = int(seconds * 300)
        started = time.perf_counter()

        async def both() -> None:
            await asyncio.gather(
                *(load(host, port, 16, requests // 2, names, etags) for host, port in servers)
            )

        asyncio.run(both())
        return requests / (time.perf_counter() - started)


@contextmanager
def databases(wanted: list[str], work: Path) -> Iterator[Iterator[tuple[str, Callable[[], str]]]]:
    with ExitStack() as stack:
        makers: list[tuple[str, Callable[[], str]]] = []
        counter = iter(range(1_000_000))
        if "sqlite" in wanted:
            makers.append(("SQLite", lambda: str(work / f"store-{next(counter)}.db")))
        if "postgres" in wanted:
            makers.append(("PostgreSQL", stack.enter_context(cluster())))
        yield iter(makers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--feed-seconds", type=float, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    import os

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        key_file = work / "feed.key"
        key_file.write_text(KEY.hex())
        os.environ["DOSECAL_FEED_KEY_FILE"] = str(key_file)
        os.environ["DOSECAL_PDF_AHEAD"] = "0"  # the feed figures measure feeds, not PDFs made ahead
        with databases(args.databases.split(","), work) as found:
            for name, make in found:
                figures: dict[int, dict[str, float]] = {}
                for size in sizes:
                    db = make()
                    url = database_url(db)
                    upgrade(url)
                    built = time.perf_counter()
                    tokens = fill(url, size)
                    print(f"{name}: {size:,} plans stored in {time.perf_counter() - built:.0f} s", flush=True)
                    figures[size] = measure(url, size, args.repeat)
                    figures[size]["feeds/s (2 servers)"] = feeds_per_second(
                        db, tokens, args.feed_seconds, work
                    )
                    print("  " + ", ".join(f"{k} {v:,.1f}" for k, v in figures[size].items()), flush=True)
                base = figures[sizes[0]]
                print(f"\n{name}: ms (feeds: requests/s); ratio to {sizes[0]:,} plans")
                print(f"{'':22}" + "".join(f"{s:>20,}" for s in sizes))
                for key in base:
                    print(
                        f"{key:22}"
                        + "".join(
                            f"{figures[s][key]:>11,.1f} ({figures[s][key] / base[key]:4.2f}x)" for s in sizes
                        )
                    )
                print(flush=True)


if __name__ == "__main__":
    main()
