"""The message catalogue: every sentence a reader sees, by message id, in English.

Each entry is ``N_(id, English)``. The id is the gettext *context* and the English text the
*msgid*, so that a translator's tools show the English to translate and the id to find it in
the code (``pybabel extract -k N_:1c,2``; see docs/translating.md). Templates use
``str.format`` fields (``{agent}``); a field is filled with data, schedule content or another
message, each rendered in the reader's language. A clinician reviews this one file.
"""

from __future__ import annotations


def N_(key: str, english: str) -> tuple[str, str]:
    """Mark a message for extraction: its id and its English text."""
    return key, english


CATALOGUE: dict[str, str] = dict(
    (
        # Event titles
        N_("title.daily", "{agent} {dose}"),
        N_("title.daily_fasting", "{agent} {dose} (no food {since}–{until})"),
        N_("title.supervised", "{title}: supervised start"),
        N_("title.dose", "{agent} {dose}"),
        N_("title.infusion", "{agent} infusion {dose}"),
        N_("title.infusion_restart", "{agent} infusion restarts, {dose}"),
        N_("title.bag_change", "{agent} bag change"),
        N_("title.bag_step", "{agent} new bag: dose changes to {dose}"),
        N_("title.bag_restart", "{agent} infusion restarts: new bag"),
        N_("title.bag_new", "{agent} new bag: {dose}"),
        N_("title.infusion_end", "{agent} infusion ends"),
        N_("title.infusion_stopped", "{agent} infusion stopped"),
        N_("title.premedication", "{agent} {dose} before {before}"),
        N_("title.observation", "Observation after {agent}"),
        N_("title.hospital", "Hospital stay"),
        N_("title.rest", "Treatment-free days"),
        N_("summary", "{title} ({label})"),
        N_("label.cycle_day", "C{cycle}D{day}"),
        N_("label.plan_day", "Day {day}"),
        N_("label.cycle_days", "C{cycle}D{first}–{last}"),
        N_("label.plan_days", "Days {first}–{last}"),
        N_("date", "{weekday} {iso}"),
        N_("moment", "{when} ({label})"),
        N_("dose.computed", "{written} = {amount} for BSA {bsa} m²"),
        N_("amount", "{number} {unit}"),
        N_("amount.capped", "{number} {unit} (capped)"),
        N_("description", "{label} ({spelled}). {notes}"),
        N_("title.cancelled", "CANCELLED: {title}"),
        # Event notes
        N_("note.window", "Dose window: from {earliest} to {latest}. {words}"),
        N_("note.warnings", "Call your care team at once if you have: {text}"),
        N_(
            "note.continues",
            "The calendar ends here, but the treatment does not: keep taking {agent} every day unless your care team tells you to stop.",
        ),
        N_("note.restarts", "The infusion restarts after an interruption."),
        N_(
            "note.stopped",
            "The infusion is interrupted here and restarts on {restart}; everything after it moves.",
        ),
        N_(
            "note.new_cycle",
            "The interruption is longer than 7 days: this cycle ends here and a new cycle starts when the infusion restarts on {restart}.",
        ),
        N_("note.restart_care_team", "Your care team sets the dose when the infusion restarts."),
        N_(
            "note.restart_dose",
            "Restart dose {dose}; after {days} days the usual dose resumes if the reaction does not come back. Your care team decides.",
        ),
        N_(
            "note.supervised",
            "A health care professional should supervise this start, or you stay in hospital, as the label recommends for cycle starts and restarts.",
        ),
        N_("dose.care_team", "dose set by your care team"),
        N_("note.missed", "Missed dose: {text}"),
        N_(
            "note.missed_unknown",
            "Missed dose: the sources dosecal checked give no rule; ask your care team or pharmacist what to do.",
        ),
        N_("note.instructions", "Instructions: {text}"),
        N_(
            "note.infusion",
            "Continuous infusion of {agent} at {dose} from {start} to {end}. The pump runs day and night.",
        ),
        N_("note.bag_interval", "Bag changes every {hours} hours ({label})."),
        N_("note.observation", "Stay to be observed for at least {minutes} minutes after the infusion ends."),
        N_("note.premedication", "{minutes} minutes before {before}."),
        N_("note.restart", "Given again because the infusion restarts after an interruption."),
        N_("note.before_resume", "Given before the dose steps back up after the restart."),
        N_(
            "note.resume",
            "The usual dose resumes here if the reaction has not come back; your care team decides.",
        ),
        N_(
            "note.premedication_before",
            "Before {before}; the label gives no exact time: your care team sets it.",
        ),
        N_("note.sources", "Sources: {keys}."),
        N_("note.schedule", "Schedule: {title} ({id})."),
        N_("note.dst", "Clocks change today in {zone}; the time shown is local time after the change."),
        # Notices and headings
        N_(
            "notice",
            "dosecal shows a schedule; it does not prescribe. Follow your care team's instructions: they may change these dates, doses and times.",
        ),
        N_(
            "notice.reminders",
            "Reminders: some calendar apps (Google Calendar) drop the reminders in this file; turn on default notifications for this calendar in your app.",
        ),
        N_("calendar.name", "{title} (dosecal)"),
        N_("calendar.description", "{title}, starting {start}. {notice}"),
        N_("heading.plan", "{title} ({id})"),
        N_("heading.start", "Day 1: {start} · time zone {zone}"),
        N_("heading.cycles", "{count} cycle(s) planned"),
        N_("heading.until", "Planned through {until}"),
        N_("heading.choices", "Choices: {choices}"),
        N_("heading.sources", "Sources"),
        N_("heading.instructions", "Instructions"),
        N_("heading.notes", "Notes"),
        N_("heading.changes", "Changes to the plan"),
        N_("heading.when_to_call", "When to call your care team at once"),
        N_("heading.dose_windows", "Dose windows"),
        N_(
            "note.keep_taking",
            "Keep taking {agent} after the last day of this calendar unless your care team tells you to stop.",
        ),
        N_(
            "changes.summary",
            "{moved} event(s) moved from their first planned date; {cancelled} cancelled or held.",
        ),
        N_("change.delay", "Cycle {cycle} and everything after it delayed by {days} day(s)"),
        N_("change.delay_to", "Cycle {cycle} and everything after it moved to start on {date}"),
        N_("change.hold", "Dose held on {where}"),
        N_("change.hold_agent", "{agent} dose held on {where}"),
        N_("change.interrupt", "Infusion stopped on {where} for {length}; {restart}"),
        N_("change.dose", "{agent} dose changed to {dose} from {date}"),
        N_("change.stop", "Treatment stopped on {date}"),
        N_("change.choice", "{label}: {value}"),
        N_("cycle_day", "cycle {cycle}, day {day}"),
        N_("plan_day", "day {day}"),
        N_("at_time", "{where} at {time}"),
        N_("length.days", "{days} day(s)"),
        N_("length.hours", "{hours} hour(s)"),
        N_("restart.toxicity", "restarted at the label's lower dose after a reaction"),
        N_("restart.same", "restarted at the same dose"),
        N_("restart.dose", "restarted at {dose}"),
        N_("restart.care_team", "the dose on restart is set by the care team"),
        N_("held", "HELD"),
        N_("cancelled", "CANCELLED"),
        N_("was", "was {date}"),
        N_("all_day", "all day"),
        N_("until_time", "until {time}"),
    )
)
