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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from dosecal.model.clock import add_months
from dosecal.model.course import Course
from dosecal.model.occurrence import Kind, Occurrence, Status
from dosecal.model.plan import contacts_line
from dosecal.render.base import RenderOptions, TimeMode
from dosecal.render.vtimezone import Observance, ZoneRule, build_rule
from dosecal.words import ENGLISH, Content, Language, Seq, msg

PRODID = "-//dosecal//dosecal//EN"

#: How often a subscribed calendar should look for changes (RFC 7986 REFRESH-INTERVAL and
#: Outlook's X-PUBLISHED-TTL): a delay recorded in the morning reaches a phone that honours it
#: within the hour. Clients may poll less often (Google: every 8-24 hours; docs/deploy.md).
REFRESH = timedelta(hours=1)


def _observance(o: Observance, daylight: bool) -> TimezoneStandard | TimezoneDaylight:
    part = TimezoneDaylight() if daylight else TimezoneStandard()
    part.add("dtstart", o.onset)
    part.add("tzoffsetfrom", o.offset_from)
    part.add("tzoffsetto", o.offset_to)
    part.add("tzname", o.name)
    if o.month is not None and o.byday is not None:
        part.add("rrule", {"freq": "yearly", "bymonth": o.month, "byday": o.byday})
    return part


def vtimezone(rule: ZoneRule) -> Timezone:
    """The VTIMEZONE component for a yearly zone rule."""
    tz = Timezone()
    tz.add("tzid", rule.tzid)
    tz.add_component(_observance(rule.standard, daylight=False))
    if rule.daylight is not None:
        tz.add_component(_observance(rule.daylight, daylight=True))
    return tz


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


def _event(
    o: Occurrence,
    stamp: datetime,
    utc: bool,
    lang: Language,
    ring: Ring | None = None,
    more: bool = False,
) -> Event:
    ev = Event()
    ev.add("uid", o.uid)
    ev.add("dtstamp", stamp)
    if isinstance(o.start, datetime) and isinstance(o.end, datetime):
        ev.add("dtstart", o.start.astimezone(UTC) if utc else o.start)
        ev.add("dtend", o.end.astimezone(UTC) if utc else o.end)
    else:
        ev.add("dtstart", o.start)
        ev.add("dtend", o.end)
    cancelled = o.status is Status.CANCELLED
    summary = lang.text(o.summary_text)
    ev.add("summary", summary)
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
        text = (
            lang.say("description", label=o.label_text, spelled=spelled, notes=lang.lines(parts))
            if o.cycle is not None
            else lang.say("description_day", label=o.label_text, notes=lang.lines(parts))
        )
        ev.add("description", text)
    ev.add("sequence", o.sequence)
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE" if o.busy else "TRANSPARENT")
    ev.add("class", "PRIVATE")
    ev.add("categories", [o.kind.value])
    if ring is not None and ring.before is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", ring.before)
        ev.add_component(alarm)
    return ev


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


def _calendar() -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    return cal


def event_resources(
    course: Course, *, times: TimeMode = "zone", lang: Language = ENGLISH
) -> dict[str, bytes]:
    """One iCalendar object per event, by UID, as a CalDAV server stores them.

    Each carries its VTIMEZONE and an ``X-DOSECAL-HASH`` of its own content, so that a later
    publish can tell an unchanged event on the server from one that needs writing.
    """
    plan = course.plan
    rules = zone_rules(course) if times == "zone" else None
    stamp = plan.dtstamp()
    alarms = rings(course)
    out: dict[str, bytes] = {}
    for o in course:
        cal = _calendar()
        event = _event(o, stamp, utc=rules is None, lang=lang, ring=alarms[o.uid])
        if rules is not None:
            for zone in dict.fromkeys(_zone(t) for t in (o.start, o.end) if isinstance(t, datetime)):
                cal.add_component(vtimezone(rules[zone]))
        cal.add_component(event)
        digest = hashlib.sha256(cal.to_ical()).hexdigest()[:32]
        event.add("x-dosecal-hash", digest)
        out[o.uid] = bytes(cal.to_ical())
    return out


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
    cal = _calendar()
    name = lang.say("calendar.name", title=Content(schedule.title))
    cal.add("name", name)
    cal.add("x-wr-calname", name)
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
    cal.add("description", description)
    cal.add("x-wr-caldesc", description)
    if feed:
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    for rule in (rules or {}).values():
        cal.add_component(vtimezone(rule))
    stamp = plan.dtstamp()
    alarms = rings(course)
    events = list(course)
    if feed and as_of is not None:
        events = window(events, as_of)
    budget = MAX_FEED_BYTES - len(cal.to_ical())
    for k, o in enumerate(events):
        event = _event(o, stamp, utc=rules is None, lang=lang, ring=alarms[o.uid])
        if feed and as_of is not None:
            size = len(event.to_ical())
            last = k + 1 == MAX_FEED_EVENTS or budget - size < FEED_MARGIN
            if last and k + 1 < len(events):
                # The last event the window holds says that the calendar goes on after it.
                event = _event(o, stamp, utc=rules is None, lang=lang, ring=alarms[o.uid], more=True)
                cal.add_component(event)
                break
            budget -= size
        cal.add_component(event)
    return bytes(cal.to_ical())


def window(events: list[Occurrence], as_of: date) -> list[Occurrence]:
    """The events a feed holds on ``as_of``: from a month back on (the rest is in the past)."""
    since = add_months(as_of, -1)
    return [o for o in events if (o.end.date() if isinstance(o.end, datetime) else o.end) >= since]


def render(course: Course, options: RenderOptions) -> bytes:
    """The .ics file (see :func:`to_ics`)."""
    return to_ics(course, times=options.ics_times, lang=options.lang, feed=options.feed, as_of=options.as_of)
