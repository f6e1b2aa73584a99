"""The iCalendar renderer: one VEVENT per occurrence, deterministic to the byte.

What makes a file import cleanly in Google, Apple, Outlook and Thunderbird (docs/calendar.md):
METHOD:PUBLISH, a fixed PRODID, NAME and X-WR-CALNAME,
DTSTAMP from the plan (never the clock), UIDs from occurrence identities, all-day spans with
an exclusive DTEND, a DISPLAY reminder on each dose, and no RRULE: every dose is its own
event, because RRULE cannot say "days 1-28 of a 42-day cycle" in a way every client reads,
and one event per dose is what lets a single dose be held or moved later.

Timed events carry TZID with an Outlook-style VTIMEZONE (see :mod:`.vtimezone`) when the
zone can be written as one yearly rule over the plan; otherwise, or with ``times="utc"``,
they are written in UTC, which every client converts to the phone's zone.

The content lines are written by :mod:`.contentlines`, in the order, escaping and folding of
icalendar, which wrote these files before: the same bytes, without its cost per property
(most of a long calendar's time) or its import (a third of a short command's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dosecal.model.clock import add_months
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.model.plan import contacts_line
from dosecal.render.base import RenderOptions, TimeMode
from dosecal.render.contentlines import (
    date_value,
    datetime_value,
    duration_value,
    escape,
    line,
    parameter,
    text,
    utc_offset_value,
    verbatim,
)
from dosecal.render.vtimezone import Observance, ZoneRule, build_rule
from dosecal.words import ENGLISH, Content, Language, Seq, msg

PRODID = "-//dosecal//dosecal//EN"

#: How often a subscribed calendar should look for changes (RFC 7986 REFRESH-INTERVAL and
#: Outlook's X-PUBLISHED-TTL): a delay recorded in the morning reaches a phone that honours it
#: within the hour. Clients may poll less often (Google: every 8-24 hours; docs/deploy.md).
REFRESH = timedelta(hours=1)


def _observance(o: Observance, daylight: bool) -> str:
    part = "DAYLIGHT" if daylight else "STANDARD"
    assert o.onset.tzinfo is None  # a VTIMEZONE onset is local wall time
    lines = [f"BEGIN:{part}\r\n", line("DTSTART", datetime_value(o.onset))]
    if o.month is not None and o.byday is not None:
        lines.append(line("RRULE", f"FREQ=YEARLY;BYDAY={o.byday.upper()};BYMONTH={o.month}"))
    lines += (
        text("TZNAME", o.name),
        line("TZOFFSETFROM", utc_offset_value(o.offset_from)),
        line("TZOFFSETTO", utc_offset_value(o.offset_to)),
        f"END:{part}\r\n",
    )
    return "".join(lines)


def vtimezone(rule: ZoneRule) -> str:
    """The VTIMEZONE component for a yearly zone rule, as content lines."""
    return "".join(
        (
            "BEGIN:VTIMEZONE\r\n",
            text("TZID", rule.tzid),
            _observance(rule.standard, daylight=False),
            _observance(rule.daylight, daylight=True) if rule.daylight is not None else "",
            "END:VTIMEZONE\r\n",
        )
    )


#: Events that start within this long of the first of a group ring once, for the first.
RING_GROUP = timedelta(hours=2)
#: An admission is reminded the evening before: 19:00 (five hours before its day begins).
ADMISSION_EVENING = timedelta(hours=-5)


@dataclass(frozen=True, slots=True)
class Ring:
    """How an event rings: ``before`` its start, or not; ``follows``: the event that rang for it."""

    before: timedelta | None
    follows: Occurrence | None = None


def rings(course: Course) -> dict[str, Ring]:
    """The alarm of every event, by UID: the rule a patient's phone follows.

    No alarm inside a hospital stay (the nurses give the doses there); an admission rings the
    evening before; doses and home bag changes ring ``--reminder`` minutes before; and events
    that start within two hours of one another (premedication, dose, observation) ring once,
    for the first, the others saying which reminder they follow.
    """
    minutes = timedelta(minutes=-course.plan.reminder_minutes)
    stays = {day for o in course if o.kind is Kind.HOSPITAL and o.status is Status.PLANNED for day in o.dates}
    out: dict[str, Ring] = {}
    first: Occurrence | None = None
    for o in course:  # in time order
        if o.status is Status.CANCELLED:
            out[o.uid] = Ring(None)
        elif o.kind is Kind.HOSPITAL:
            out[o.uid] = Ring(ADMISSION_EVENING)
        elif not o.reminder or not isinstance(o.start, datetime) or o.start.date() in stays:
            out[o.uid] = Ring(None)
        elif first is not None and isinstance(first.start, datetime) and o.start - first.start < RING_GROUP:
            out[o.uid] = Ring(None, follows=first)
        else:
            out[o.uid] = Ring(minutes)
            first = o
    return out


#: How an event's times are written: ``None`` in UTC; else each zone's TZID by its name, or
#: ``None`` for a zone written as UTC (with ``Z``), as icalendar writes a zone equal to UTC.
Tzids = dict[str, str | None] | None


def _time(name: str, moment: date | datetime, tzids: Tzids) -> str:
    """DTSTART or DTEND: a date, a time in UTC, or a time in its zone with TZID."""
    if not isinstance(moment, datetime):
        return line(name, date_value(moment), ";VALUE=DATE")
    if tzids is None:
        return line(name, datetime_value(moment.astimezone(UTC), utc=True))
    tzid = tzids[_zone(moment)]
    if tzid is None:
        return line(name, datetime_value(moment, utc=True))
    return line(name, datetime_value(moment), parameter("TZID", tzid))


@dataclass(frozen=True, slots=True)
class EventLines:
    """A VEVENT's content lines: ``head`` up to its last property, ``tail`` its alarm and END.

    Kept apart so that a property sorted after the others (X-DOSECAL-HASH) goes in between.
    """

    head: str
    tail: str

    def __str__(self) -> str:
        return self.head + self.tail


def _event(
    o: Occurrence,
    stamp: str,
    tzids: Tzids,
    lang: Language,
    ring: Ring | None = None,
    more: bool = False,
) -> EventLines:
    """The VEVENT of an occurrence; ``stamp`` is the DTSTAMP line, the same for every event.

    Properties come in icalendar's order (SUMMARY, DTSTART, DTEND, DTSTAMP, UID, SEQUENCE,
    then the others alphabetically), so that the file is the one icalendar wrote before.
    """
    summary = escape(lang.text(o.summary_text))
    lines = [
        "BEGIN:VEVENT\r\n",
        line("SUMMARY", summary),
        _time("DTSTART", o.start, tzids),
        _time("DTEND", o.end, tzids),
        stamp,
        text("UID", o.uid),
        f"SEQUENCE:{o.sequence}\r\n",
        text("CATEGORIES", o.kind.value),
        "CLASS:PRIVATE\r\n",
    ]
    parts = o.note_parts + ((msg("note.calendar_continues"),) if more else ())
    if ring is not None and ring.follows is not None and isinstance(ring.follows.start, datetime):
        follows = msg("note.follows", title=ring.follows.summary_text, time=ring.follows.start.time())
        parts = (*parts[:1], follows, *parts[1:])
    if parts:
        # C2D8 is what nurses write; "cycle 2, day 8" is what a patient reads.
        spelled = (
            msg("cycle_day", cycle=o.cycle, day=o.day) if o.cycle is not None else msg("plan_day", day=o.day)
        )
        # "Day 12" needs no spelling out; "C2D8" does.
        description = (
            lang.say("description", label=o.label_text, spelled=spelled, notes=lang.lines(parts))
            if o.cycle is not None
            else lang.say("description_day", label=o.label_text, notes=lang.lines(parts))
        )
        lines.append(text("DESCRIPTION", description))
    lines.append("STATUS:CANCELLED\r\n" if o.status is Status.CANCELLED else "STATUS:CONFIRMED\r\n")
    lines.append("TRANSP:OPAQUE\r\n" if o.busy else "TRANSP:TRANSPARENT\r\n")
    tail = "END:VEVENT\r\n"
    if ring is not None and ring.before is not None:
        tail = "".join(
            (
                "BEGIN:VALARM\r\nACTION:DISPLAY\r\n",
                line("DESCRIPTION", summary),
                line("TRIGGER", duration_value(ring.before)),
                "END:VALARM\r\n",
                tail,
            )
        )
    return EventLines("".join(lines), tail)


def _zone(moment: datetime) -> str:
    """The IANA name of a moment's zone (an event's TZID)."""
    return str(moment.tzinfo)


def zone_rules(course: Course) -> dict[str, ZoneRule] | None:
    """A VTIMEZONE rule for each zone the course's times are in (two after a move), in order.

    ``None`` when any of them has no single yearly rule over the plan: then every time is
    written in UTC, as for one such zone.
    """
    instants: dict[str, list[datetime]] = {}
    for o in course:
        for t in (o.start, o.end):
            if isinstance(t, datetime):
                instants.setdefault(_zone(t), []).append(t)
    rules: dict[str, ZoneRule] = {}
    for zone, moments in instants.items():
        rule = build_rule(zone, moments)
        if rule is None:
            return None
        rules[zone] = rule
    return rules


def tzids(rules: dict[str, ZoneRule] | None) -> Tzids:
    """The TZID of each zone of ``rules`` (``None`` when times are written in UTC).

    A zone that keeps a UTC offset of zero over the plan (Africa/Abidjan, Etc/UTC) may be one
    that icalendar counts as UTC, writing its times with ``Z`` and no TZID; the files before
    this writer did so, and this keeps them: for such a zone icalendar, imported then, decides.
    """
    if rules is None:
        return None
    out: dict[str, str | None] = {}
    for zone, rule in rules.items():
        out[zone] = zone
        if rule.daylight is None and rule.standard.offset_to == timedelta(0):
            from zoneinfo import ZoneInfo

            from icalendar.timezone.tzid import tzid_from_dt

            found = tzid_from_dt(datetime(2000, 1, 1, tzinfo=ZoneInfo(zone)))
            out[zone] = None if found == "UTC" else found
    return out


#: The calendar's first lines, the same in every file.
_HEADER = (
    f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{text('PRODID', PRODID)}CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n"
)
_FOOTER = "END:VCALENDAR\r\n"


def event_resources(
    course: Course, *, times: TimeMode = "zone", lang: Language = ENGLISH
) -> dict[str, bytes]:
    """One iCalendar object per event, by UID, as a CalDAV server stores them.

    Each carries its VTIMEZONE and an ``X-DOSECAL-HASH`` of its own content, so that a later
    publish can tell an unchanged event on the server from one that needs writing.
    """
    import hashlib  # here: loading OpenSSL is a cost that writing a file does not need

    rules = zone_rules(course) if times == "zone" else None
    zones = tzids(rules)
    stamp = _stamp(course)
    alarms = rings(course)
    out: dict[str, bytes] = {}
    for o in course:
        event = _event(o, stamp, zones, lang=lang, ring=alarms[o.uid])
        head = _HEADER
        if rules is not None:
            for zone in dict.fromkeys(_zone(t) for t in (o.start, o.end) if isinstance(t, datetime)):
                head += vtimezone(rules[zone])
        digest = hashlib.sha256(f"{head}{event}{_FOOTER}".encode()).hexdigest()[:32]
        out[o.uid] = f"{head}{event.head}{verbatim('X-DOSECAL-HASH', digest)}{event.tail}{_FOOTER}".encode()
    return out


def _stamp(course: Course) -> str:
    """The DTSTAMP line of every event: fixed by the plan, in UTC."""
    return line("DTSTAMP", datetime_value(course.plan.dtstamp().astimezone(UTC), utc=True))


#: Google Calendar is reported to drop events from a subscribed calendar of more than about
#: 1 MB or 1,100 events: a feed stays within both, whatever the plan's length.
MAX_FEED_EVENTS = 1000
MAX_FEED_BYTES = 1_000_000
#: Room kept for the event that says the calendar continues.
FEED_MARGIN = 4_000


def to_ics(
    course: Course,
    *,
    times: TimeMode = "zone",
    lang: Language = ENGLISH,
    feed: bool = False,
    as_of: date | None = None,
) -> bytes:
    """Render a plan's occurrences as an iCalendar file (CRLF, folded at 75 octets).

    Args:
        course: what :func:`dosecal.core.expand.expand` returned.
        times: ``"zone"`` for TZID plus VTIMEZONE (falling back to UTC when the zone has no
            single yearly rule over the plan), ``"utc"`` to write every time in UTC.
        lang: the language of titles, notes and the calendar's name.
        feed: add the refresh hints a subscribed calendar reads (REFRESH-INTERVAL,
            X-PUBLISHED-TTL); everything else is the same bytes.
        as_of: with ``feed``, the day the feed is served: it then holds a window, from a month
            before that day on, of at most :data:`MAX_FEED_EVENTS` events and
            :data:`MAX_FEED_BYTES` bytes, its last event saying that the calendar continues.
            The caller passes the day (the server: today), so the same day gives the same bytes.
    """
    schedule, plan = course.schedule, course.plan
    rules = zone_rules(course) if times == "zone" else None
    zones = tzids(rules)
    name = lang.say("calendar.name", title=Content(schedule.title))
    keys = Seq(
        tuple(
            msg("source.numbered", number=n, title=Seq((Content(src.title), src.dated), ""))
            for n, src in enumerate(schedule.sources.values(), 1)
        ),
        "; ",
    )
    description = " ".join(
        (
            lang.say(
                "calendar.description",
                title=Content(schedule.title),
                start=plan.start.isoformat(),
                notice=msg("notice"),
            ),
            lang.say("note.sources", keys=keys),
            lang.say("notice.reminders"),
            lang.say("notice.alarms"),
            *((lang.text(call),) if (call := contacts_line(plan)) is not None else ()),
        )
    )
    # Properties in icalendar's order: its canonical ones, then the others alphabetically.
    parts = [
        _HEADER,
        text("DESCRIPTION", description),
        verbatim("X-WR-CALDESC", description),
        verbatim("NAME", name),
        verbatim("X-WR-CALNAME", name),
    ]
    if feed:
        parts.append(line("REFRESH-INTERVAL", duration_value(REFRESH), ";VALUE=DURATION"))
        parts.append(verbatim("X-PUBLISHED-TTL", "PT1H"))
    parts += (vtimezone(rule) for rule in (rules or {}).values())
    stamp = _stamp(course)
    alarms = rings(course)
    events = list(course)
    if feed and as_of is not None:
        events = window(events, as_of)
    if not (feed and as_of is not None):
        parts += (str(_event(o, stamp, zones, lang=lang, ring=alarms[o.uid])) for o in events)
        parts.append(_FOOTER)
        return "".join(parts).encode("utf-8")
    budget = MAX_FEED_BYTES - len("".join((*parts, _FOOTER)).encode("utf-8"))
    for k, o in enumerate(events):
        event = str(_event(o, stamp, zones, lang=lang, ring=alarms[o.uid]))
        size = len(event.encode("utf-8"))
        last = k + 1 == MAX_FEED_EVENTS or budget - size < FEED_MARGIN
        if last and k + 1 < len(events):
            # The last event the window holds says that the calendar goes on after it.
            parts.append(str(_event(o, stamp, zones, lang=lang, ring=alarms[o.uid], more=True)))
            break
        budget -= size
        parts.append(event)
    parts.append(_FOOTER)
    return "".join(parts).encode("utf-8")


def window(events: list[Occurrence], as_of: date) -> list[Occurrence]:
    """The events a feed holds on ``as_of``: from a month back on (the rest is in the past)."""
    since = add_months(as_of, -1)
    return [o for o in events if (o.end.date() if isinstance(o.end, datetime) else o.end) >= since]


def render(course: Course, options: RenderOptions) -> bytes:
    """The .ics file (see :func:`to_ics`)."""
    return to_ics(course, times=options.ics_times, lang=options.lang, feed=options.feed, as_of=options.as_of)
