"""What a nurse waits for on the clinic's pages, with a clinic's worth of plans in the store.

Run: python benchmarks/web.py [--plans 200] [--repeat 5]

It makes an empty SQLite store, stores ``--plans`` plans (the example plan files in turn, each
with a label), signs a nurse in through the form, and times each page through Flask's test
client (in-process: the pages' own work, no network): the plans list the first time after a
start (every plan expanded to find its next event) and again (cached per plan version and
day), a search, a plan page, its printable preview, its PDF, an adjustment's preview, and a
new plan from the form. Each figure is the median of ``--repeat`` runs, except the first
plans list, which happens once. Ratios are to the warm plans list.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dosecal.service.accounts import Accounts
from dosecal.service.database import database_url, upgrade
from dosecal.service.store import Store
from dosecal.web import create_app

PASSWORD = "correct horse battery"


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:300]
    return found.group(1)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    examples = sorted((ROOT / "examples").glob("*.plan.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(str(Path(tmp) / "clinic.db"))
        upgrade(url)
        store = Store(url)
        Accounts(store).add("nurse1", PASSWORD)
        for i in range(args.plans):
            store.add(examples[i % len(examples)], label=f"Bed {i}", who="nurse1")
        app = create_app(store, public_url="http://127.0.0.1:8080", default_tz="America/Toronto")
        client = app.test_client()
        token = csrf(client.get("/signin").text)
        signed = client.post("/signin", data={"csrf": token, "name": "nurse1", "password": PASSWORD})
        assert signed.status_code == 303, signed.text
        token = csrf(client.get("/plans/new?schedule=dasatinib").text)
        some = store.plans()[0].id
        blin = next(p.id for p in store.plans() if p.schedule == "blinatumomab-rr")

        def get(path: str, status: int = 200) -> Callable[[], object]:
            def run() -> object:
                answer = client.get(path)
                assert answer.status_code == status, (path, answer.status_code)
                return answer

            return run

        def adjust() -> object:
            data = {"csrf": token, "version": "1", "delay_cycle": "2", "delay_days": "7"}
            answer = client.post(f"/plans/{blin}/adjust", data=data)
            assert answer.status_code == 200, answer.text[:300]
            return answer

        def new_plan() -> object:
            data = {"csrf": token, "start": "2027-01-04", "tz": "America/Toronto", "lang": "en"}
            answer = client.post("/plans/new?schedule=dasatinib", data=data)
            assert answer.status_code == 303, answer.text[:300]
            return answer

        first = timed(get("/plans"))
        rows: list[tuple[str, float]] = [("plans list, first after start", first)]
        cases: list[tuple[str, Callable[[], object]]] = [
            ("plans list, again", get("/plans")),
            ("plans list, searched", get("/plans?q=bed+1")),
            ("plan page", get(f"/plans/{some}")),
            ("printable preview (blinatumomab-rr)", get(f"/plans/{blin}/plan.html")),
            ("PDF (blinatumomab-rr)", get(f"/plans/{blin}/plan.pdf")),
            ("adjust preview (delay, blinatumomab-rr)", adjust),
            ("new plan from the form (dasatinib)", new_plan),
        ]
        for name, action in cases:
            rows.append((name, statistics.median(timed(action) for _ in range(args.repeat))))
        store.close()
    warm = rows[1][1]
    print(f"{args.plans} plans, SQLite, median of {args.repeat} (first list: once)")
    for name, ms in rows:
        print(f"  {name:<42} {ms:9.1f} ms  {ms / warm:8.1f} x the warm list")


if __name__ == "__main__":
    main()
