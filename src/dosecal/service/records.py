"""What the plan store hands out: a stored plan, a line of its history, a feed's state.

Plain frozen values, read from a row once, so that pages and commands never hold a database
connection while they render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from dosecal.model.course import Course
from dosecal.service.courses import Move, course_of
from dosecal.service.database import aware
from dosecal.service.listing import Next


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """One plan as the store holds it.

    Attributes:
        id: the store's id (12 hex digits), also the plan's id (and so its UIDs') unless the
            file had one.
        label: a label for the clinic (a name, a record number), kept in the database only.
        schedule: the schedule the plan file names.
        origin: where its definition came from (a built-in id or a file's absolute path),
            where ``store upgrade`` looks for a newer one.
        content: the plan file, with its adjustments.
        definition: the text of the definition the calendar is made from.
        version: raised by every change of ``content`` or ``definition``.
        feed: whether a feed token is in force.
        created, updated: when it was stored, when its calendar last changed (UTC).
        archived: when it was archived (its feed stopped, out of the list), or ``None``.
    """

    id: str
    label: str | None
    schedule: str
    origin: str
    content: str
    definition: str
    version: int
    feed: bool
    created: datetime
    updated: datetime
    archived: datetime | None = None

    def course(self) -> Course:
        """The plan expanded against its own definition snapshot."""
        return course_of(self.id, self.content, self.definition)


@dataclass(frozen=True, slots=True)
class Change:
    """One line of a stored plan's history.

    Attributes:
        version: the plan's version after the change.
        at: when (UTC).
        who: who recorded it (``--by``, else the login name).
        action: ``add``, ``adjust``, ``upgrade``, ``rotate`` or ``revoke``.
        note: the reason given, if any.
        detail: what changed, in English words.
    """

    version: int
    at: datetime
    who: str
    action: str
    note: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A plan's feed link as it may be shown: ``on`` with its token, ``off`` (stopped) or ``hidden``."""

    state: str
    token: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the feed server needs to answer a request: which plan and version, since when."""

    plan_id: str
    version: int
    updated: datetime


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What ``store upgrade`` found: the events that move, and whether anything changed at all.

    Attributes:
        plan: the plan after the upgrade (as it was, on a dry run or when nothing changed).
        moves: the events that move, are added, removed or change, in date order.
        changed: whether the definition found differs from the plan's snapshot.
        withdrawn: the drugs the upgrade takes out of the plan (by id, with the old
            definition's name): given before, given no more, and not taken out already.
        digest: the SHA-256 of the definition text found (what a confirmation passes back as
            ``expect_definition``, so that what is applied is what was reviewed).
    """

    plan: StoredPlan
    moves: tuple[Move, ...]
    changed: bool
    withdrawn: dict[str, str] = field(default_factory=dict)
    digest: str = ""


def stored_plan(row: sa.Row[Any]) -> StoredPlan:
    """A ``plans`` row as a :class:`StoredPlan` (its feed is whether a token hash is set)."""
    return StoredPlan(
        id=row.id,
        label=row.label,
        schedule=row.schedule,
        origin=row.origin,
        content=row.content,
        definition=row.definition,
        version=row.version,
        feed=row.token_hash is not None,
        created=aware(row.created),
        updated=aware(row.updated),
        archived=aware(row.archived) if row.archived is not None else None,
    )


@dataclass(frozen=True, slots=True)
class ListedPlan:
    """A plan as the plans list shows it: no plan text, and its next events as stored.

    Attributes:
        next: its next event and next visit (:class:`dosecal.service.listing.Next`).
    """

    id: str
    label: str | None
    schedule: str
    version: int
    updated: datetime
    feed: bool
    next: Next


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the plans list and where the next one starts (``None``: this is the last)."""

    plans: list[ListedPlan]
    after: tuple[datetime, str] | None
