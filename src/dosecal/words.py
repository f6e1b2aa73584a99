"""Every sentence a patient or nurse reads, kept apart from the logic for review and translation.

Titles, notices and headings are templates filled with ``str.format``; code asks for them by
key through :func:`say`. A clinician can review this one file, and a translation is a second
table with the same keys (Canadian French is next).
"""

from __future__ import annotations

ENGLISH: dict[str, str] = {
    # Event titles
    "title.daily": "{agent} {dose}",
    "title.daily_fasting": "{agent} {dose} (no food {since}–{until})",
    "title.supervised": "{title}: supervised start",
    "title.dose": "{agent} {dose}",
    "title.infusion": "{agent} infusion {dose}",
    "title.infusion_restart": "{agent} infusion restarts, {dose}",
    "title.bag_change": "{agent} bag change",
    "title.bag_step": "{agent} new bag: dose changes to {dose}",
    "title.bag_restart": "{agent} infusion restarts: new bag",
    "title.bag_new": "{agent} new bag: {dose}",
    "title.infusion_end": "{agent} infusion ends",
    "title.infusion_stopped": "{agent} infusion stopped",
    "title.premedication": "{agent} {dose} before {before}",
    "title.observation": "Observation after {agent}",
    "title.hospital": "Hospital stay",
    "title.rest": "Treatment-free days",
    "summary": "{title} ({label})",
    "description": "{label} ({spelled}). {notes}",
    "title.cancelled": "CANCELLED: {title}",
    # Event notes
    "note.window": "Dose window: from {earliest} to {latest}. {words}",
    "note.warnings": "Call your care team at once if you have: {text}",
    "note.continues": (
        "The calendar ends here, but the treatment does not: keep taking {agent} every day "
        "unless your care team tells you to stop."
    ),
    "note.restarts": "The infusion restarts after an interruption.",
    "note.stopped": "The infusion is interrupted here and restarts on {restart}; everything after it moves.",
    "note.new_cycle": (
        "The interruption is longer than 7 days: this cycle ends here and a new cycle starts when "
        "the infusion restarts on {restart}."
    ),
    "note.restart_care_team": "Your care team sets the dose when the infusion restarts.",
    "note.restart_dose": (
        "Restart dose {dose}; after {days} days the usual dose resumes if the reaction does not "
        "come back. Your care team decides."
    ),
    "note.supervised": (
        "A health care professional should supervise this start, or you stay in hospital, as the "
        "label recommends for cycle starts and restarts."
    ),
    "dose.care_team": "dose set by your care team",
    "note.missed": "Missed dose: {text}",
    "note.missed_unknown": (
        "Missed dose: the sources dosecal checked give no rule; ask your care team or pharmacist what to do."
    ),
    "note.instructions": "Instructions: {text}",
    "note.infusion": (
        "Continuous infusion of {agent} at {dose} from {start} to {end}. The pump runs day and night."
    ),
    "note.bag_interval": "Bag changes every {hours} hours ({label}).",
    "note.observation": "Stay to be observed for at least {minutes} minutes after the infusion ends.",
    "note.premedication": "{minutes} minutes before {before}.",
    "note.restart": "Given again because the infusion restarts after an interruption.",
    "note.before_resume": "Given before the dose steps back up after the restart.",
    "note.resume": ("The usual dose resumes here if the reaction has not come back; your care team decides."),
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
    "heading.when_to_call": "When to call your care team at once",
    "heading.dose_windows": "Dose windows",
    "note.keep_taking": "Keep taking {agent} after the last day of this calendar unless your care team tells you to stop.",
    "changes.summary": "{moved} event(s) moved from their first planned date; {cancelled} cancelled or held.",
    "change.delay": "Cycle {cycle} and everything after it delayed by {days} day(s)",
    "change.delay_to": "Cycle {cycle} and everything after it moved to start on {date}",
    "change.hold": "Dose held on {where}",
    "change.hold_agent": "{agent} dose held on {where}",
    "change.interrupt": "Infusion stopped on {where} for {length}; {restart}",
    "change.dose": "{agent} dose changed to {dose} from {date}",
    "change.stop": "Treatment stopped on {date}",
    "change.choice": "{label}: {value}",
    "cycle_day": "cycle {cycle}, day {day}",
    "plan_day": "day {day}",
    "at_time": "{where} at {time}",
    "length.days": "{days} day(s)",
    "length.hours": "{hours} hour(s)",
    "restart.toxicity": "restarted at the label's lower dose after a reaction",
    "restart.same": "restarted at the same dose",
    "restart.dose": "restarted at {dose}",
    "restart.care_team": "the dose on restart is set by the care team",
    "held": "HELD",
    "cancelled": "CANCELLED",
    "was": "was {date}",
    "all_day": "all day",
    "until_time": "until {time}",
}


def say(key: str, /, **values: object) -> str:
    """The English text for ``key`` with ``values`` filled in."""
    return ENGLISH[key].format(**values)
