"""The plans list reads what each write stored: next event and visit, paging, search, teams.

Each test runs on SQLite and on a real PostgreSQL (the ``database`` fixture). The store's
clock is set by the test, so that "a day passes" is a line of the test, not a wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command

from dosecal.inputs.overrides import Overrides
from dosecal.service.database import alembic_config, database_url, make_engine, upgrade
from dosecal.service.listing import plan_list, plan_upcoming
from dosecal.service.records import ListedPlan, StoredPlan
from dosecal.service.store import Store
from dosecal.service.teams import Teams
from dosecal.words import ENGLISH, language

TORONTO = ZoneInfo("America/Toronto")
ROOT = Path(__file__).resolve().parents[1]

#: Inotuzumab on days 1, 8 and 15 of 21-day cycles from Mon 4 Jan 2027, Toronto, 10:00.
INOTUZUMAB = """schedule = "inotuzumab"
start = 2027-01-04
timezone = "America/Toronto"
cycles = 2
weight_kg = 70
height_cm = 175

[times]
inotuzumab = "10:00"

[choices]
transplant = "yes"
response = "cr"
"""

#: Imatinib once a day at 18:30 from Mon 4 Jan 2027.
IMATINIB = """schedule = "imatinib"
start = 2027-01-04
timezone = "America/Toronto"
until = 2027-06-30

[times]
imatinib = "18:30"
"""


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime(2027, 1, 5, 12, tzinfo=TORONTO)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database: str, clock: Clock) -> Iterator[Store]:
    url = database_url(database)
    upgrade(url)
    s = Store(url, clock=clock, feed_key=b"k" * 32)
    yield s
    s.close()


@pytest.fixture
def expansions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the plans expanded (to find their next events) from now on."""
    seen: list[str] = []
    course = StoredPlan.course
    monkeypatch.setattr(StoredPlan, "course", lambda self: seen.append(self.id) or course(self))
    return seen


def add(store: Store, text: str, label: str | None = None) -> str:
    return store.add_text(text, source="<test>", label=label, who="test")[0].id


def row(store: Store, plan_id: str) -> ListedPlan:
    (found,) = [p for p in store.page().plans if p.id == plan_id]
    return found


def test_the_next_event_moves_on_as_days_pass_without_expanding_the_plan(
    store: Store, clock: Clock, expansions: list[str]
) -> None:
    plan_id = add(store, INOTUZUMAB, "bed 1")
    on_5_jan = row(store, plan_id).next
    assert on_5_jan.words(ENGLISH) == "C1D8 Blood tests before the inotuzumab dose, Mon 11 Jan 2027"
    assert on_5_jan.words(ENGLISH, "visit") == on_5_jan.words(ENGLISH)  # a test is at the clinic
    clock.now = datetime(2027, 1, 11, 23, tzinfo=TORONTO)  # C1D8's day: still the next event
    assert row(store, plan_id).next.words(ENGLISH).endswith("Mon 11 Jan 2027")
    clock.now = datetime(2027, 1, 12, 8, tzinfo=TORONTO)
    assert row(store, plan_id).next.words(ENGLISH) == (
        "C1D15 Blood tests before the inotuzumab dose, Mon 18 Jan 2027"
    )
    assert expansions == []  # every answer so far came from the rows the add stored
    clock.now = datetime(2027, 1, 26, 8, tzinfo=TORONTO)  # C2D1 is Mon 25 Jan: C2D8 next
    assert row(store, plan_id).next.words(ENGLISH).endswith("Mon 1 Feb 2027")
    assert row(store, plan_id).next.words(language("fr")) == (
        "C2J8 Analyses sanguines avant l'inotuzumab, lun. 1 févr. 2027"
    )
    assert expansions == [plan_id]  # its 12 stored events ran out once, in three weeks


def test_a_plan_whose_stored_events_ran_out_is_expanded_once_then_read_again(
    store: Store, clock: Clock, expansions: list[str]
) -> None:
    """Imatinib daily from Mon 4 Jan: the add keeps 12 days (5-16 Jan); the 17th needs more."""
    plan_id = add(store, IMATINIB)
    assert row(store, plan_id).next.words(ENGLISH) == "Day 2 Imatinib 600 mg, Tue 5 Jan 2027"
    assert row(store, plan_id).next.visit is None  # taken at home: no visit
    clock.now = datetime(2027, 1, 16, 20, tzinfo=TORONTO)
    assert row(store, plan_id).next.words(ENGLISH) == "Day 13 Imatinib 600 mg, Sat 16 Jan 2027"
    assert expansions == []
    clock.now = datetime(2027, 1, 17, 9, tzinfo=TORONTO)
    assert row(store, plan_id).next.words(ENGLISH) == "Day 14 Imatinib 600 mg, Sun 17 Jan 2027"
    assert expansions == [plan_id]
    clock.now = datetime(2027, 1, 20, 9, tzinfo=TORONTO)
    assert row(store, plan_id).next.words(ENGLISH) == "Day 17 Imatinib 600 mg, Wed 20 Jan 2027"
    assert expansions == [plan_id]
    clock.now = datetime(2027, 7, 1, 9, tzinfo=TORONTO)  # after its last day
    assert row(store, plan_id).next.event is None


def test_the_servers_idle_work_moves_plans_on_before_a_list_asks(
    store: Store, clock: Clock, expansions: list[str]
) -> None:
    plan_id = add(store, IMATINIB)
    clock.now = datetime(2027, 1, 10, 9, tzinfo=TORONTO)
    assert store.move_on() == 0  # not due: its rows reach 16 Jan
    clock.now = datetime(2027, 1, 17, 9, tzinfo=TORONTO)
    assert store.move_on() == 1 and expansions == [plan_id]
    assert row(store, plan_id).next.words(ENGLISH).endswith("Sun 17 Jan 2027")
    assert expansions == [plan_id]


def test_each_write_rewrites_what_the_list_shows(store: Store, clock: Clock) -> None:
    plan_id = add(store, INOTUZUMAB)
    clock.now = datetime(2027, 1, 19, 9, tzinfo=TORONTO)
    before = row(store, plan_id).next
    assert before.words(ENGLISH, "visit") == "C2D1 Blood tests before the inotuzumab dose, Mon 25 Jan 2027"
    store.adjust(plan_id, Overrides(delays=("2=7",)), who="test")
    after = row(store, plan_id).next
    assert after.words(ENGLISH) == "C1D16–21 Treatment-free days, Tue 19 Jan 2027"
    assert after.words(ENGLISH, "visit") == (
        "C2D1 Blood tests before the inotuzumab dose, Mon 1 Feb 2027"  # 25 Jan + 7 days
    )
    store.archive(plan_id, who="test")
    assert plan_id not in [p.id for p in store.page().plans]
    assert [p.id for p in store.page(archived=True).plans] == [plan_id]
    store.remove(plan_id)
    with store.engine.connect() as c:
        left = c.execute(sa.select(plan_upcoming).where(plan_upcoming.c.plan_id == plan_id)).all()
    assert left == []


def test_an_upgrade_rewrites_what_the_list_shows(store: Store, tmp_path: Path) -> None:
    plan_id = add(store, IMATINIB)
    definition = (ROOT / "schedules" / "imatinib.toml").read_text()
    changed = tmp_path / "imatinib.toml"
    changed.write_text(definition.replace('title = "', 'title = "Upgraded ', 1))
    assert store.page(query="upgraded").plans == []
    store.upgrade(plan_id, who="test", source=changed)
    assert row(store, plan_id).version == 2
    assert [p.id for p in store.page(query="upgraded").plans] == [plan_id]


def test_the_list_comes_in_pages_newest_change_first(store: Store) -> None:
    made = [add(store, IMATINIB, f"bed {n}") for n in range(5)]
    first = store.page(size=2)
    assert [p.id for p in first.plans] == [made[4], made[3]] and first.after is not None
    second = store.page(size=2, after=first.after)
    assert [p.id for p in second.plans] == [made[2], made[1]]
    assert second.after is not None
    last = store.page(size=2, after=second.after)
    assert [p.id for p in last.plans] == [made[0]] and last.after is None


def test_a_search_matches_the_first_letters_of_every_word_typed(store: Store) -> None:
    helene = add(store, IMATINIB, "Hélène Tremblay, bed 12")
    bed_2 = add(store, INOTUZUMAB, "bed 2")

    def found(query: str) -> list[str]:
        return sorted(p.id for p in store.page(query=query).plans)

    assert found("helene") == [helene]  # no accent needed
    assert found("bed 1") == [helene]  # "12" starts with "1"
    assert found("bed") == sorted([helene, bed_2])
    assert found("inotu") == [bed_2]  # the schedule's title
    assert found("tremblay imatinib") == [helene]
    assert found("tremblay inotuzumab") == []
    assert found(bed_2) == [bed_2]  # an id, whole
    assert found(bed_2[:4]) == []  # never by a few digits of an id


def test_a_nurse_lists_only_her_teams_plans(store: Store) -> None:
    teams = Teams(store.engine)
    onco = add(store, IMATINIB, "onco")
    clinic = add(store, IMATINIB, "clinic")
    teams.assign(onco, "oncology")
    teams.assign(clinic, "clinic")
    assert [p.id for p in store.page(teams=["oncology"]).plans] == [onco]
    assert sorted(p.id for p in store.page(teams=["oncology", "clinic"]).plans) == sorted([onco, clinic])
    assert [p.id for p in store.page(teams=["hematology"]).plans] == []
    assert len(store.page().plans) == 2


def test_the_migration_fills_the_list_for_plans_stored_before_it(database: str, clock: Clock) -> None:
    url = database_url(database)
    upgrade(url)
    s = Store(url, clock=clock, feed_key=b"k" * 32)
    plan_id = add(s, INOTUZUMAB.replace("2027-01-04", "2090-01-02"))  # after any day the test runs
    s.close()
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as c:
        listed = c.execute(sa.select(plan_list.c.plan_id)).scalars().all()
        events = c.execute(sa.select(plan_upcoming).where(plan_upcoming.c.plan_id == plan_id)).all()
    engine.dispose()
    assert listed == [plan_id]
    # Filled from the day the migration runs: C1D1, C1D8 and C1D15 (Mon 2, 9 and 16 Jan 2090).
    assert sorted({e.day.isoformat() for e in events})[:3] == ["2090-01-02", "2090-01-09", "2090-01-16"]


def test_a_reminder_is_not_a_visit(store: Store, clock: Clock) -> None:
    """D-ALBA's steroid, which the care team sets, is its day 1 event but not a visit.

    Its first visit is cycle 1's blinatumomab admission after 85 days of dasatinib (Tue 30 Mar 2027).
    """
    clock.now = datetime(2027, 1, 4, 6, tzinfo=TORONTO)
    plan_id = add(
        store,
        'schedule = "dasatinib-blinatumomab"\nstart = 2027-01-04\ntimezone = "America/Toronto"\n'
        "weight_kg = 70\n",
    )
    shown = row(store, plan_id).next
    assert shown.words(ENGLISH).startswith("Day 1 Steroid (glucocorticoid) with dasatinib")
    assert shown.words(ENGLISH, "visit") == "C1D1–3 Hospital stay, Tue 30 Mar 2027"
