"""Courses of stored plans: expanded from their own snapshot, and compared after a change.

A stored plan's calendar is its plan file expanded against the definition text it was stored
with, by the same functions as ``dosecal generate``; so the feed is the bytes ``generate
--feed`` writes. :func:`diff` matches two expansions by UID, which is what a nurse sees before
confirming a change and what ``store upgrade`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dosecal.core.expand import expand
from dosecal.inputs import definitions, planfile
from dosecal.model.course import Course
from dosecal.model.occurrence import Occurrence, Status
from dosecal.render import RenderOptions, render
from dosecal.render.fhir import ADMINISTRATIONS
from dosecal.words import Content, Seq, Value, languages, msg

#: The message for each kind of change but a move (which says where from and where to).
_KEYS = {
    "added": "store.upgrade.added",
    "removed": "store.upgrade.removed",
    "changed": "store.upgrade.changed",
}


@dataclass(frozen=True, slots=True)
class Move:
    """One event that a definition upgrade moves, adds, removes or changes.

    Attributes:
        kind: ``moved`` (another start), ``added``, ``removed`` or ``changed`` (same start; another
            end, words, dose or status).
        before, after: the occurrence before and after (``None`` when added or removed).
    """

    kind: str
    before: Occurrence | None
    after: Occurrence | None

    def describe(self) -> Value:
        """The move in words: which event, and its date before and after."""
        o = self.after or self.before
        assert o is not None
        if self.kind == "moved":
            assert self.before is not None and self.after is not None
            return msg(
                "store.upgrade.moved",
                label=o.span_label_text,
                title=o.title_text,
                before=_when(self.before.start),
                after=_when(self.after.start),
            )
        if self.kind == "changed":
            assert self.before is not None and self.after is not None
            return msg(
                "store.upgrade.changed",
                label=o.span_label_text,
                title=o.title_text,
                when=_when(o.start),
                what=Seq(_what_changed(self.before, self.after), "; "),
            )
        return msg(_KEYS[self.kind], label=o.span_label_text, title=o.title_text, when=_when(o.start))


def _what_changed(before: Occurrence, after: Occurrence) -> tuple[Value, ...]:
    """What of an event that keeps its start a definition changes: its end, words, status, notes.

    A nurse reviewing an upgrade must see what changes, not only that something does; an
    all-day event's end is said as its last day (the calendar's end is the day after).
    """
    what: list[Value] = []
    if before.end != after.end:
        if isinstance(after.end, datetime):
            what.append(msg("store.upgrade.ends", before=_when(before.end), after=_when(after.end)))
        else:
            last = (before.end_date - timedelta(days=1), after.end_date - timedelta(days=1))
            what.append(msg("store.upgrade.last_day", before=_when(last[0]), after=_when(last[1])))
    if (before.title_text, before.dose_text) != (after.title_text, after.dose_text):
        what.append(msg("store.upgrade.was", title=before.title_text))
    if before.status != after.status:
        what.append(
            msg("store.upgrade.cancelled" if after.status is Status.CANCELLED else "store.upgrade.planned")
        )
    if before.note_parts != after.note_parts:
        what.append(msg("store.upgrade.notes"))
    return tuple(what)


def _when(moment: date) -> Value:
    if isinstance(moment, datetime):
        return msg("store.when", date=moment.date(), time=moment.time())
    return moment


def raised_revisions(before: Course, after: Course, moves: tuple[Move, ...]) -> dict[str, int]:
    """The plan's ``revisions`` after an upgrade: each moved or changed event's SEQUENCE goes up.

    A calendar that subscribed takes a moved event as an update only when its SEQUENCE is
    higher than the one it holds; the plan's own history does not know about definitions.
    """
    revisions = dict(after.plan.revisions)
    old = {o.uid: o.sequence for o in before}
    new = {o.uid: o.sequence for o in after}
    for move in moves:
        if move.kind in ("moved", "changed") and move.after is not None:
            uid = move.after.uid
            if new[uid] <= old[uid]:
                revisions[uid] = revisions.get(uid, 0) + old[uid] - new[uid] + 1
    return revisions


def withdrawn_drugs(before: Course, after: Course) -> dict[str, str]:
    """The plan's ``withdrawn`` after an upgrade: drugs the old definition gave and the new one does not.

    Each keeps the name the old definition gave it: the plan's FHIR export still sends its
    request, stopped, so that a record that received it does not keep it active. A drug the
    new definition gives again leaves the table.
    """
    given = {o.agent for o in after if o.kind in ADMINISTRATIONS}
    withdrawn = {k: v for k, v in after.plan.withdrawn.items() if k not in given}
    for o in before:
        agent = before.schedule.agents.get(o.agent or "")
        if o.kind in ADMINISTRATIONS and agent is not None and agent.id not in given:
            withdrawn[agent.id] = agent.name
    return withdrawn


def describe_withdrawn(drugs: dict[str, str]) -> list[Value]:
    """Each drug an upgrade takes out (see :func:`withdrawn_drugs`) in words, by its old name."""
    return [msg("store.upgrade.withdrawn", drug=Content(name)) for name in drugs.values()]


def course_of(plan_id: str, content: str, definition: str) -> Course:
    """A stored plan's course: its file expanded against its definition snapshot.

    Raises:
        InputFileError: when either text no longer reads (it was checked when stored).
    """
    schedule = definitions.loads(definition, f"<definition of plan {plan_id}>")
    plan = planfile.loads(content, f"<plan {plan_id}>")
    return expand(schedule, plan)


def calendar_of(course: Course, as_of: date | None = None) -> bytes:
    """The feed's calendar: what ``dosecal generate --feed --as-of DAY`` writes for the same plan.

    ``as_of`` is the day it is served (the server passes today): the feed then holds the window
    of the plan every calendar app keeps whole. Without it, the whole plan.
    """
    options = RenderOptions(lang=languages(course.plan.language)[0], feed=True, as_of=as_of)
    return render("ics", course, options)


def diff(before: Course, after: Course) -> tuple[Move, ...]:
    """The events that differ between two expansions of one plan, matched by UID, in date order."""
    old = {o.uid: o for o in before}
    new = {o.uid: o for o in after}
    moves: list[Move] = []
    for uid, o in new.items():
        was = old.get(uid)
        if was is None:
            moves.append(Move("added", None, o))
        elif was.start != o.start:
            moves.append(Move("moved", was, o))
        elif (was.end, was.title, was.dose, was.notes, was.status) != (
            o.end,
            o.title,
            o.dose,
            o.notes,
            o.status,
        ):
            moves.append(Move("changed", was, o))
    moves.extend(Move("removed", o, None) for uid, o in old.items() if uid not in new)
    return tuple(sorted(moves, key=_move_order))


def _move_order(move: Move) -> tuple[date, time, str]:
    """A day's events in the order of their clock times (all-day ones first), as a nurse reads them."""
    o = move.after or move.before
    assert o is not None
    return o.start_date, o.start.time() if isinstance(o.start, datetime) else time.min, o.uid
