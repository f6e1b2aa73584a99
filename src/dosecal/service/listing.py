"""The plans list's facts, kept when a plan is written so that a list never expands a plan.

A clinic's list shows each plan's next event, its next visit and its last change. Working
these out means expanding the plan (tens of milliseconds each), which at 100,000 plans took
minutes for the first list after a start. So a write (add, adjust, upgrade, archive, a
migration) stores what the list needs, in the same transaction as the plan:

- ``plan_upcoming``: the plan's next few planned events (:data:`EVENTS`, within
  :data:`WINDOW_DAYS` days), each with its local day and its words in every language, and the
  first visit after them. As days pass the next event is a query by date on these rows.
- ``plan_list``: the plan's zone and its *horizon*, the local day of the first event not
  stored (``None``: the rows hold every event left); they are complete for the days before. Only a plan whose horizon has come is
  expanded again, when a list shows it or when :func:`move_on` (the server's idle work) gets
  to it first: about once in :data:`EVENTS` events, not every plan every day.
- ``plan_words``: the words a plan is searched by (its label, its schedule's id and title in
  every language), folded and indexed, so that a search is an index range per word typed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.words import Language, language

_meta = sa.MetaData()

plan_list = sa.Table(
    "plan_list",
    _meta,
    sa.Column("plan_id", sa.String(32), primary_key=True),
    sa.Column("zone", sa.String(64), nullable=False),
    sa.Column("horizon", sa.Date, nullable=True, index=True),
)
plan_upcoming = sa.Table(
    "plan_upcoming",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.String(32), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("visit", sa.Boolean, nullable=False),
    sa.Column("words", sa.Text, nullable=False),
    sa.Index("ix_plan_upcoming_plan_day", "plan_id", "day"),
)
plan_words = sa.Table(
    "plan_words",
    _meta,
    sa.Column("plan_id", sa.String(32), primary_key=True),
    sa.Column("word", sa.String(64), primary_key=True),
    sa.Index("ix_plan_words_word", "word", "plan_id"),
)

#: How many upcoming events a write keeps for a plan, and over how many days at most.
EVENTS = 12
WINDOW_DAYS = 31

#: The languages the list can be read in: each stored row carries its words in all of them.
LANGUAGES = ("en", "fr")

#: The kinds that bring the patient to the clinic or the hospital (and a dose of a drug that
#: is not taken by mouth: inotuzumab's days 1, 8 and 15 are given there). Not ``visit``: in
#: spite of its name it is an all-day reminder (a decision the care team makes, D-ALBA's
#: steroid), which the patient may meet anywhere.
_VISITS = frozenset({Kind.HOSPITAL, Kind.TEST, Kind.INFUSION})

_WORD = re.compile(r"\w+")


def fold(text: str) -> list[str]:
    """The words of ``text`` as they are searched: lower case, no accents, at most 64 characters."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return [w[:64] for w in _WORD.findall(plain)]


def _is_visit(course: Course, o: Occurrence) -> bool:
    if o.kind in _VISITS:
        return True
    agent = course.schedule.agents.get(o.agent or "")
    return o.kind is Kind.DOSE and agent is not None and not agent.oral


def _start(o: Occurrence, zone: ZoneInfo) -> datetime:
    return o.start if isinstance(o.start, datetime) else datetime.combine(o.start, datetime.min.time(), zone)


def _words(o: Occurrence) -> str:
    """What the list says of ``o`` (its label and title, in every language), as JSON."""
    return json.dumps(
        {
            code: f"{language(code).text(o.span_label_text)} {language(code).text(o.title_text)}"
            for code in LANGUAGES
        },
        ensure_ascii=False,
        sort_keys=True,
    )


@dataclass(frozen=True, slots=True)
class Upcoming:
    """What a plan's list row needs from its expansion, from one local day on."""

    rows: list[dict[str, object]]
    horizon: date | None


def upcoming(course: Course, today: date) -> Upcoming:
    """The next :data:`EVENTS` planned events from ``today`` (the plan's local day), and the next visit.

    The first event is kept however far off; the others within :data:`WINDOW_DAYS` days of it.
    """
    zone = course.zone
    rows: list[dict[str, object]] = []
    horizon: date | None = None
    last: date | None = None  # the window's end, from the first event kept
    visit_kept = False
    beyond = False
    for o in course:
        if o.status is not Status.PLANNED:
            continue
        start = _start(o, zone)
        day = start.astimezone(zone).date()
        if day < today:
            continue
        visit = _is_visit(course, o)
        if not beyond and (len(rows) >= EVENTS or (last is not None and day >= last)):
            # The stored rows cover every day before this one: a list reads them until then.
            horizon = day
            beyond = True
        if beyond and (visit_kept or not visit):
            continue
        row = {"day": day, "at": start.astimezone(UTC), "visit": visit, "words": _words(o)}
        rows.append(row)
        last = last or day + timedelta(days=WINDOW_DAYS)
        visit_kept = visit_kept or visit
        if beyond:
            break
    return Upcoming(rows, horizon)


def search_words(label: str | None, schedule: str, titles: Iterable[str]) -> set[str]:
    """The folded words a plan is found by: its label, its schedule's id and its title(s)."""
    found: set[str] = set()
    for text in (label or "", schedule, *titles):
        found.update(fold(text))
    return found


def titles_of(course: Course) -> list[str]:
    """The schedule's title in each language the list is read in."""
    return [language(code).content(course.schedule.title) for code in LANGUAGES]


def write(
    connection: sa.Connection, plan_id: str, course: Course, label: str | None, schedule: str, now: datetime
) -> None:
    """Store what the list shows of ``plan_id`` (replacing what was), from ``now`` on."""
    today = now.astimezone(course.zone).date()
    found = upcoming(course, today)
    forget(connection, plan_id)
    connection.execute(
        plan_list.insert().values(plan_id=plan_id, zone=course.zone.key, horizon=found.horizon)
    )
    if found.rows:
        connection.execute(plan_upcoming.insert(), [{"plan_id": plan_id, **r} for r in found.rows])
    words = search_words(label, schedule, titles_of(course))
    if words:
        connection.execute(plan_words.insert(), [{"plan_id": plan_id, "word": w} for w in sorted(words)])


def forget(connection: sa.Connection, plan_id: str) -> None:
    """Delete what the list keeps of ``plan_id``."""
    for table in (plan_upcoming, plan_words, plan_list):
        connection.execute(table.delete().where(table.c.plan_id == plan_id))


@dataclass(frozen=True, slots=True)
class Next:
    """A plan's next event and next visit as the list shows them (``None``: nothing planned)."""

    event: tuple[date, datetime, dict[str, str]] | None
    visit: tuple[date, datetime, dict[str, str]] | None

    def words(self, lang: Language, which: str = "event") -> str:
        """The event's words and date in ``lang`` ("" when none is planned)."""
        found = self.event if which == "event" else self.visit
        if found is None:
            return ""
        day, _, words = found
        return f"{words.get(lang.code, words['en'])}, {lang.date(day)}"


def stale(connection: sa.Connection, plan_ids: Sequence[str], now: datetime) -> list[str]:
    """Those of ``plan_ids`` whose stored events no longer reach ``now``'s day (or never stored)."""
    rows = connection.execute(
        sa.select(plan_list.c.plan_id, plan_list.c.zone, plan_list.c.horizon).where(
            plan_list.c.plan_id.in_(plan_ids)
        )
    ).all()
    known = {r.plan_id: r for r in rows}
    out = []
    for plan_id in plan_ids:
        r = known.get(plan_id)
        if r is None or (r.horizon is not None and now.astimezone(ZoneInfo(r.zone)).date() >= r.horizon):
            out.append(plan_id)
    return out


def next_of(connection: sa.Connection, plan_ids: Sequence[str], now: datetime) -> dict[str, Next]:
    """Each plan's next event and next visit from ``now``'s local day, read from the stored rows.

    The rows of the page's plans are read in order with only what picks the two (day, visit,
    id); the words of those picked are read by id after: a page reads some 600 small rows and
    100 words, whatever the number of plans stored.
    """
    if not plan_ids:
        return {}
    zones = dict(
        connection.execute(
            sa.select(plan_list.c.plan_id, plan_list.c.zone).where(plan_list.c.plan_id.in_(plan_ids))
        ).all()
    )
    today = {zone: now.astimezone(ZoneInfo(zone)).date() for zone in set(zones.values())}
    earliest = min(today.values(), default=now.date())
    t = plan_upcoming.c
    rows = connection.execute(
        sa.select(t.plan_id, t.day, t.visit, t.id)
        .where(t.plan_id.in_(plan_ids), t.day >= earliest)
        .order_by(t.plan_id, t.day, t.at, t.id)
    ).all()
    first: dict[str, int] = {}
    first_visit: dict[str, int] = {}
    for plan_id, day, is_visit, row_id in rows:  # in order: the first from the plan's today on
        if plan_id in first_visit or day < today[zones[plan_id]]:
            continue
        first.setdefault(plan_id, row_id)
        if is_visit:
            first_visit[plan_id] = row_id
    picked = {*first.values(), *first_visit.values()}
    found = {
        r.id: (r.day, r.at, json.loads(r.words))
        for r in connection.execute(sa.select(t.id, t.day, t.at, t.words).where(t.id.in_(picked)))
    }
    return {
        p: Next(
            found[first[p]] if p in first else None,
            found[first_visit[p]] if p in first_visit else None,
        )
        for p in plan_ids
    }


#: A search fetches the plans that match when its rarest word matches at most this many;
#: a commoner word ("bed") is found quickly by reading the list in order instead.
FEW = 2000


def _range(word: str, words: sa.FromClause = plan_words) -> sa.ColumnElement[bool]:
    """The rows of ``words`` (plan_words or an alias of it) whose word starts with ``word``."""
    return sa.and_(words.c.word >= word, words.c.word < word + "\U0010ffff")


def matching(connection: sa.Connection, query: str) -> list[str] | None:
    """The plans with words starting with every word of ``query``, if its rarest word is rare.

    ``None`` when every word matches more than :data:`FEW` plans' words: then the list read in
    order of last change finds its 50 among them at once (:func:`words_query`). Otherwise one
    query: the rarest word's index range, each other word an index probe of that plan's words.
    """
    typed = sorted(set(fold(query)))
    if not typed:
        return []
    counts = {
        w: connection.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(plan_words.c.plan_id).where(_range(w)).limit(FEW + 1).subquery()
            )
        ).scalar_one()
        for w in typed
    }
    rarest = min(typed, key=lambda w: counts[w])
    if counts[rarest] > FEW:
        return None
    first = plan_words.alias("first")
    found = sa.select(first.c.plan_id).where(_range(rarest, first))
    for word in typed:
        if word != rarest:
            other = plan_words.alias()
            found = found.where(sa.exists().where(other.c.plan_id == first.c.plan_id, _range(word, other)))
    return sorted(set(connection.execute(found).scalars()))


def words_query(column: sa.ColumnElement[str], query: str) -> list[sa.ColumnElement[bool]]:
    """For each word of ``query``: the plans with a word that starts with it (an index range)."""
    conditions: list[sa.ColumnElement[bool]] = []
    for word in fold(query):
        conditions.append(column.in_(sa.select(plan_words.c.plan_id).where(_range(word))))
    return conditions
