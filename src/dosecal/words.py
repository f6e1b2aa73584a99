"""Every sentence a patient or nurse reads, kept apart from the logic for review and translation.

Titles, notices and headings are templates filled with ``str.format``; code asks for them by
key through :func:`say`. A clinician can review this one file, and a translation is a second
table with the same keys (Canadian French is next).
"""

from __future__ import annotations

ENGLISH: dict[str, str] = {
    # Event titles
    "title.daily": "{agent} {dose}",
    "title.dose": "{agent} {dose}",
    "title.infusion": "{agent} infusion {dose}",
    "title.bag_change": "{agent} bag change",
    "title.bag_step": "{agent} new bag: dose changes to {dose}",
    "title.bag_restart": "{agent} infusion restarts: new bag",
    "title.infusion_end": "{agent} infusion ends",
    "title.premedication": "{agent} {dose} before {before}",
    "title.observation": "Observation after {agent}",
    "title.hospital": "Hospital stay",
    "title.rest": "Treatment-free days",
    "summary": "{title} ({label})",
    "title.cancelled": "CANCELLED: {title}",
    # Event notes
    "note.window": "Dose window: {window}. {words}",
    "note.missed": "Missed dose: {text}",
    "note.instructions": "Instructions: {text}",
    "note.infusion": (
        "Continuous infusion of {agent} at {dose} from {start} to {end}. The pump runs day and night."
    ),
    "note.bag_interval": "Bag changes every {hours} hours ({label}).",
    "note.observation": "Stay to be observed for at least {minutes} minutes after the infusion ends.",
    "note.premedication": "{minutes} minutes before {before}.",
    "note.restart": "Given again because the infusion restarts after an interruption.",
    "note.premedication_before": "Before {before}; the label gives no exact time: your care team sets it.",
    "note.sources": "Sources: {keys}.",
    "note.schedule": "Schedule: {title} ({id}).",
    "note.dst": "Clocks change today in {zone}; the time shown is local time after the change.",
    # Notices and headings
    "notice": (
        "dosecal shows a schedule; it does not prescribe. Follow your care team's "
        "instructions: they may change these dates, doses and times."
    ),
    "notice.reminders": (
        "Reminders: some calendar apps (Google Calendar) drop the reminders in this file; "
        "turn on default notifications for this calendar in your app."
    ),
    "calendar.name": "{title} (dosecal)",
    "calendar.description": "{title}, starting {start}. {notice}",
    "heading.plan": "{title} ({id})",
    "heading.start": "Day 1: {start} · time zone {zone}",
    "heading.cycles": "{count} cycle(s) planned",
    "heading.until": "Planned through {until}",
    "heading.choices": "Choices: {choices}",
    "heading.sources": "Sources",
    "heading.instructions": "Instructions",
    "heading.notes": "Notes",
    "heading.changes": "Changes to the plan",
    "changes.summary": "{moved} event(s) moved from their first planned date; {cancelled} cancelled or held.",
    "held": "HELD",
    "cancelled": "CANCELLED",
    "was": "was {date}",
    "all_day": "all day",
    "until_time": "until {time}",
}


def say(key: str, /, **values: object) -> str:
    """The English text for ``key`` with ``values`` filled in."""
    return ENGLISH[key].format(**values)
