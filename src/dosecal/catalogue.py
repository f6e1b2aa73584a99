"""The message catalogue: every sentence a reader sees, by message id, in English.

Each entry is ``N_(id, English)``. The id is the gettext *context* and the English text the
*msgid*, so that a translator's tools show the English to translate and the id to find it in
the code (``pybabel extract -k N_:1c,2 -k NP_:1c,2,3``; see docs/translating.md). Templates use
``str.format`` fields (``{agent}``); a field is filled with data, schedule content or another
message, each rendered in the reader's language. A clinician reviews this one file.
"""

from __future__ import annotations


def N_(key: str, english: str) -> tuple[str, str]:
    """Mark a message for extraction: its id and its English text."""
    return key, english


def NP_(key: str, singular: str, plural: str) -> tuple[str, tuple[str, str]]:
    """Mark a message with plural forms: its id, the English for one and for several.

    The field ``{count}`` chooses the form (gettext's plural rules of the reader's language:
    French says "1 jour", "0 jour", "2 jours").
    """
    return key, (singular, plural)


#: Messages with plural forms, chosen by their ``{count}`` field.
PLURALS: dict[str, tuple[str, str]] = dict(
    (
        NP_("length.days", "{count} day", "{count} days"),
        NP_("length.hours", "{count} hour", "{count} hours"),
        NP_("length.stay", "hospital stay of {count} day", "hospital stay of {count} days"),
        NP_("heading.cycles", "{count} cycle planned", "{count} cycles planned"),
        NP_(
            "key.more",
            "… and {count} more key date: see the course overview and the month grids.",
            "… and {count} more key dates: see the course overview and the month grids.",
        ),
        NP_(
            "changes.moved",
            "{count} event moved from its first planned date",
            "{count} events moved from their first planned date",
        ),
        NP_("changes.cancelled", "{count} cancelled or held", "{count} cancelled or held"),
    )
)

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
        N_("title.rest_continue", "{agent} break: keep taking {daily}"),
        N_("summary", "{title} ({label})"),
        N_("label.cycle_day", "C{cycle}D{day}"),
        N_("label.plan_day", "Day {day}"),
        N_("label.cycle_days", "C{cycle}D{first}–{last}"),
        N_("label.plan_days", "Days {first}–{last}"),
        N_("label.days", "D{runs}"),
        N_("label.cycle", "C{cycle}"),
        N_("heading.patient", "Patient: {patient}"),
        N_("heading.last_checked", "Last checked against the sources: {date}."),
        N_("heading.overview", "Course overview (one column = {count} days)"),
        N_("heading.overview_one", "Course overview (one column = 1 day)"),
        N_("lane.hospital", "Hospital"),
        N_("lane.rest", "Treatment-free"),
        N_("lane.break", "Cycle break"),
        N_("overview.row_continue", "treatment {treatment}; cycle break {rest} (the daily drug goes on)"),
        N_("lane.cycles", "Cycles"),
        N_("overview.row", "treatment {treatment}; treatment-free {rest}"),
        N_("overview.hospital", "; hospital {hospital}"),
        N_("choice", "{label}: {value}"),
        N_("line.agent", "{agent}: {text}"),
        # Between the last two items of a list ("days 1, 8 and at restart"), spaces included.
        N_("list.and", " and "),
        N_("arrow", "→ {end}"),
        N_("fact.start", "Start (day 1)"),
        N_("fact.zone", "Time zone"),
        N_("fact.until", "Planned through"),
        N_("fact.cycles", "Cycles planned"),
        N_("fact.cycles_value", "{count} of at most {most}"),
        N_("fact.weight", "Weight"),
        N_("fact.height", "Height"),
        N_("fact.kg", "{value} kg"),
        N_("fact.cm", "{value} cm"),
        N_("fact.patient", "Patient:"),
        N_("blank.name", "Name"),
        N_("blank.dob", "Date of birth"),
        N_("blank.record", "Record number"),
        N_("timeline.label", "Timeline of the course from {first} to {last}"),
        N_("heading.course_overview", "Course overview"),
        N_("heading.months", "Month by month"),
        N_("heading.day_by_day", "Day by day"),
        N_("heading.legend", "Legend"),
        N_("col.phase", "Phase"),
        N_("col.cycle", "Cycle"),
        N_("col.day1", "Day 1"),
        N_("col.last", "Last day"),
        N_("col.treatment", "Treatment days"),
        N_("col.rest", "Treatment-free"),
        N_("col.break", "Cycle break (daily drug goes on)"),
        N_("col.hospital", "Hospital"),
        N_("col.date", "Date"),
        N_("col.day", "Day"),
        N_("col.time", "Time"),
        N_("col.what", "What"),
        N_("overview.daily_open", "{agent}: every day from day {day} ({date}), no set end"),
        N_("overview.daily_until", "{agent}: every day from day {day} ({date}) to day {last}"),
        N_("cell.infusion", "Infusion {dose}"),
        N_("cell.moved", "MOVED (was {date})"),
        N_("cell.none_today", "No {agent} today"),
        N_("cell.delayed", "CYCLE {cycle} DELAYED to {date}"),
        N_("error.planfile.contact_kind", "'{key}' is not a kind of contact: give {kinds}"),
        N_("contact.daytime", "Daytime (care team)"),
        N_("contact.after_hours", "After hours and weekends"),
        N_("contact.pharmacy", "Pharmacy"),
        N_("heading.key_dates", "Key dates"),
        N_("key.admission", "Admission: {stay}"),
        N_("key.discharge", "Discharge (last hospital day)"),
        N_("key.cycle_start", "Cycle {cycle} starts: {what}"),
        N_("key.restart", "The infusion restarts: {what}"),
        N_("key.stop", "The infusion is stopped"),
        N_("key.first_dose", "First dose: {what}"),
        N_("key.last_day", "Last day of this calendar: {what}"),
        N_("heading.notes_page", "Notes and questions for your care team"),
        N_("page.header", "{patient}{title}"),
        N_("page.number", "Page {page} of {pages}"),
        N_("days.run_daily", "{what}: every day to {last} ({count} times)"),
        N_("days.run", "{what}: {count} times, the last on {last}"),
        N_("days.end_then_rest", "{what}. {rest} (to {last})"),
        N_(
            "days.summary",
            "Special days and changes. A daily dose or a routine bag change takes one line for the "
            "whole run; the month grid shows every one, with its tick box.",
        ),
        N_("cell.in_hospital", "IN HOSPITAL"),
        N_("cell.discharge", "DISCHARGE"),
        N_("cell.hospital_day", "day {day} of {days}"),
        N_("cell.restart", "RESTART"),
        N_("cell.supervised", "SUPERVISED START"),
        N_("cell.stopped", "INFUSION STOPPED"),
        N_("legend.default_time", "* Default time, not from the label: your care team sets yours."),
        N_("legend.tick", "☐ Tick when given or done, so that nobody gives a dose twice."),
        N_("date.short_pattern", "EEE d MMM"),
        N_("cell.rest", "Treatment-free"),
        N_("cell.bag", "Bag change"),
        N_("cell.premedication", "Premedication"),
        N_("cell.observation", "Observation"),
        N_("cell.end", "Infusion ends"),
        N_("mark.dose", "Dose"),
        N_("mark.infusion", "Infusion running"),
        N_("mark.bag", "Bag change"),
        N_("mark.premedication", "Premedication"),
        N_("mark.observation", "Observation"),
        N_("mark.hospital", "Hospital stay"),
        N_("mark.rest", "Treatment-free"),
        N_("mark.rest_continue", "Break from the cycle's drug (the daily drug goes on)"),
        N_("mark.end", "Infusion ends"),
        N_("mark.visit", "Visit"),
        N_("window.line", "± {days} days: {note}"),
        N_("note.per_m2", "Doses per m² are computed with the {formula} when height and weight are given."),
        N_("formula.mosteller", "Mosteller: BSA (m²) = √(height cm × weight kg / 3600)"),
        N_("html.title", "{title}: treatment plan"),
        N_(
            "footer",
            "Generated by dosecal {version} from the schedule '{schedule}' (last checked against its sources "
            "{checked}), plan '{plan}', times in {zone}. {notice}",
        ),
        # A Babel date pattern (https://babel.pocoo.org/en/latest/dates.html): "Mon 4 Jan 2027".
        N_("date.pattern", "EEE d MMM y"),
        # Babel time patterns: English "09:30" and "10:00"; French, as the Office québécois de la
        # langue française writes it, "9 h 30" and "10 h".
        N_("time.pattern", "HH:mm"),
        N_("time.pattern_hour", "HH:mm"),
        N_("moment", "{date} {time} ({label})"),
        N_("date_time", "{date} {time}"),
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
        N_("changes.summary", "{moved}; {cancelled}."),
        N_("change.delay", "Cycle {cycle} and everything after it delayed by {length}"),
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
        N_("restart.toxicity", "restarted at the label's lower dose after a reaction"),
        N_("restart.same", "restarted at the same dose"),
        N_("restart.dose", "restarted at {dose}"),
        N_("restart.care_team", "the dose on restart is set by the care team"),
        N_("held", "HELD"),
        N_("cancelled", "CANCELLED"),
        N_("was", "was {date}"),
        N_("all_day", "all day"),
        # dosecal show: a definition in words for a pharmacist's review.
        N_("show.indication", "Indication: {text}"),
        N_("show.last_checked", "Last checked: {date}"),
        N_("show.heading.agents", "Agents"),
        N_("show.agent", "  {name}: {route}"),
        N_("show.default_time", "; default time {times}"),
        N_("show.time", "    Time: {text}"),
        N_("show.missed", "    Missed dose: {text}"),
        N_(
            "show.fasting",
            "    No food {before} min before to {after} min after each dose (shown in each dose's title)",
        ),
        N_("show.warning", "    Warning signs: {text}"),
        N_("show.advice", "    Advice: {text}"),
        N_("show.continues", "    Continues after the calendar's last day unless the care team stops it"),
        N_(
            "show.supervised", "    Every start and restart outside a hospital stay is marked for supervision"
        ),
        N_("show.heading.daily", "Daily dosing"),
        N_("show.daily", "  {agent} {dose}, {per_day}× daily, "),
        N_("show.from_day", "from day {day}, no set end"),
        N_("show.when_daily", " (when {choice} = {option})"),
        N_("show.heading.cycles", "Cycles (at most {most}; cycle 1 day 1 is plan day {day})"),
        N_("show.phase", "  {name}: {count} × {length} cycle ({numbers})"),
        N_("show.length", "{days}-day"),
        N_("show.rest", ", days {first}-{last} treatment-free"),
        N_("show.rest_to_end", ", days {first}-end treatment-free"),
        N_("show.day", "day {days}"),
        N_("show.days", "days {days}"),
        N_("show.cycle", "cycle {cycles}"),
        N_("show.cycles", "cycles {cycles}"),
        N_("show.every_cycle", "every cycle"),
        N_("show.when", "when {choice} = {option}"),
        N_("show.scope", " ({parts})"),
        N_("show.step", "days {days}: {dose}"),
        N_("show.infusion", "{agent} continuous infusion, {steps}"),
        N_("show.bag_changes", ", bag changes at the chosen interval"),
        N_("show.toxicity", "at {dose} after a toxicity, "),
        N_("show.restart", "; restart {after}for {days} days before the scheduled dose resumes"),
        N_("show.dose", "{agent} {dose} on {days}, over {minutes} min"),
        N_("show.window", ", window ±{days} days"),
        N_("show.window_gap", " and at least {days} days after the previous dose"),
        N_("show.observe", ", then observation {minutes} min"),
        N_("show.minutes_before", "{minutes} min before"),
        N_("show.untimed", "before (no time in the label: shown 30 min before, the care team sets it)"),
        N_("show.on_restart", "on restart after an interruption of {hours} hours or more"),
        N_("show.premedication", "{agent} {dose}, {when} {before}, on {on}"),
        N_("show.stay", "Hospital stay, days {days}"),
        N_("show.heading.choices", "Choices (set in a plan file or with --choice ID=VALUE)"),
        N_("show.default", "default {value}"),
        N_("show.no_default", "no default: the plan must choose"),
        N_("show.choice", "  {id}: {label}: {options} ({default})"),
        N_("show.option", "{option} = {words}"),
        N_("show.shown_as", "    Shown to readers as: {options}"),
        N_("show.required_below", "    Must be given for a patient under {kg} kg"),
        N_("show.minimum_kg", "    {option}: refused under {kg} kg"),
        N_("show.refused", "    {option}: refused: {why}"),
        N_("show.needed_over", "    Needed to plan more than {count} cycles"),
        N_("show.heading.limits", "Cycle limits"),
        N_("show.limit_default", ", {count} planned unless --cycles says more"),
        N_("show.limit", "  when {when}: at most {most} cycles{default}: {reason}"),
        N_("show.heading.patient_notes", "Notes for patients"),
        # Messages for the user of the command line and the library: what is wrong with an input.
        N_("error.did_you_mean", " (did you mean '{name}'?)"),
        N_("error.plan.small_weight", "a weight of {kg} kg"),
        N_("error.plan.small_band", "the weight band '{band}'"),
        N_("error.publish.install", "Publishing needs the caldav library: pip install 'dosecal[caldav]'."),
        N_(
            "error.publish.credentials",
            "the server refused the credentials (set {user} and {password}, or a netrc entry)",
        ),
        N_(
            "error.pdf.install",
            "PDF output needs WeasyPrint: pip install 'dosecal[pdf]'; it also needs the Pango library "
            "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0; macOS: brew install pango). "
            "Or write --format html and print it from a browser.",
        ),
        N_("error.words.no_catalogue", "no catalogue for language '{code}'"),
        N_("cli.wrote", "wrote {target} ({count} events)"),
        N_("cli.recorded", "recorded: {change}"),
        N_("cli.would_record", "would record: {change}"),
        # The plan store, its database and the feed server (dosecal store, db, serve)
        N_(
            "error.store.install",
            "The plan store and the feed server need their libraries: pip install 'dosecal[server]' "
            "(and 'dosecal[postgres]' for PostgreSQL).",
        ),
        N_("error.store.cannot_open", "cannot use the database {url}: {reason}"),
        N_("error.store.no_plan", "no stored plan '{id}' (see 'dosecal store list')"),
        N_(
            "error.store.conflict",
            "plan {id} was changed by someone else (version {expected} is now {actual}); nothing was "
            "recorded: look at 'dosecal store show {id}' and run the command again",
        ),
        N_(
            "error.store.schema_empty",
            "the database {url} has no dosecal tables yet: run 'dosecal db upgrade'",
        ),
        N_(
            "error.store.schema_other",
            "the database {url} has schema {current}, and this dosecal needs {head}: back it up, then run "
            "'dosecal db upgrade'",
        ),
        N_(
            "error.store.needs_zone",
            'a stored plan must name its time zone (timezone = "America/Toronto"), so that no server\'s '
            "own zone ever decides a patient's hours",
        ),
        N_("error.store.rotate_or_revoke", "give --rotate (a new link) or --revoke (no link)"),
        N_("db.upgraded", "the database {url} is at schema {revision}"),
        N_("store.added", "stored plan {id} (version {version})"),
        N_("store.feed_https", "feed: {url}"),
        N_("store.feed_webcal", "subscribe (Apple): {url}"),
        N_("store.feed_on", "feed on"),
        N_("store.feed_off", "no feed"),
        N_("store.version", "plan {id} is now at version {version}"),
        N_("store.revoked", "the feed of plan {id} is revoked: its link now answers 'not found'"),
        N_("store.removed", "removed plan {id} and its history"),
        N_("store.show.plan", "plan {id}, version {version}: {schedule} (definition from {origin})"),
        N_("store.show.label", "label: {label}"),
        N_("store.show.feed", "feed: {state}"),
        N_("store.show.change", "{at}  version {version}  {action} by {who}: {detail}"),
        N_("store.show.note", " ({note})"),
        N_("store.when", "{date} {time}"),
        N_("store.upgrade.moved", "moves: {label} {title}: {before} → {after}"),
        N_("store.upgrade.added", "added: {label} {title}: {when}"),
        N_("store.upgrade.removed", "removed: {label} {title}: {when}"),
        N_("store.upgrade.changed", "changes: {label} {title}: {when}"),
        N_("store.upgrade.detail", "definition from {path}; {count} events differ"),
        N_("store.upgrade.same", "plan {id} already uses this definition: nothing changes"),
        N_("store.upgrade.would", "plan {id} not changed (--dry-run); {count} events would differ"),
        N_("store.upgrade.done", "plan {id} upgraded to version {version}; {count} events differ"),
        N_("serve.listening", "serving feeds at {url} from {db}; links point to {public}"),
        N_("serve.stopped", "stopped"),
        # The printable plan of a stored plan: subscribing to its feed
        N_("heading.subscribe", "Your plan in your phone's calendar"),
        N_(
            "subscribe.intro",
            "Subscribe to this calendar once: it then follows every change your care team records, "
            "with nothing to import again.",
        ),
        N_(
            "subscribe.iphone",
            "iPhone or iPad: scan the code with the camera and tap Subscribe; keep the alerts on.",
        ),
        N_(
            "subscribe.android",
            "Android (Google Calendar): on a computer, open calendar.google.com, then Other calendars, +, "
            "From URL, and paste the link above; the phone shows it after the next sync.",
        ),
        N_(
            "subscribe.outlook",
            "Outlook: Add calendar, then Subscribe from web, and paste the link above.",
        ),
        N_(
            "subscribe.private",
            "Keep this link private: anyone who has it can read the plan. Your care team can replace it.",
        ),
        N_(
            "error.definitions.name_built_in_schedule",
            "'{name}' is not a built-in schedule or a .toml file.{hint} See 'dosecal list'.",
        ),
        N_("error.definitions.day_first_does_exist", "day {first} does not exist: days are counted from 1"),
        N_(
            "error.definitions.range_first_last_empty",
            "the range {first}-{last} is empty: it ends before it starts",
        ),
        N_("error.definitions.must_list_at_least", "must list at least one day"),
        N_("error.definitions.lists_day_dup_more", "lists day {dup} more than once"),
        N_(
            "error.definitions.must_day_or_range",
            'must be a day or a range of days such as "1-28", not {describe}',
        ),
        N_(
            "error.definitions.missing_required_key_key",
            "missing required key '{key}': every clinical fact cites one",
        ),
        N_("error.definitions.agent_agent_needs_times", "agent '{agent}' needs 'times': {why}"),
        N_("error.definitions.unknown_agent_name_suggest", "unknown agent '{name}'{suggest}"),
        N_(
            "error.definitions.schedule_needs_at_least",
            "a schedule needs at least one [[daily]] or [[phases]] table",
        ),
        N_(
            "error.definitions.bag_changes_need_choices",
            "bag changes need a [choices.{BAG_CHOICE}] with the bag intervals",
        ),
        N_("error.definitions.limit_says_under_which", "a limit says under which choices it holds"),
        N_(
            "error.definitions.most_more_than_total",
            "{most} is more than the {total} cycles the schedule has",
        ),
        N_("error.definitions.default_more_than_most", "{default} is more than the most, {most}"),
        N_(
            "error.definitions.agent_id_key_must",
            "agent id '{key}' must be lowercase letters, digits and hyphens",
        ),
        N_("error.definitions.default_one_options_join", "'{default}' is not one of the options {join}"),
        N_("error.definitions.must_positive_number_kg", "must be a positive number of kg, not {describe}"),
        N_(
            "error.definitions.only_choice_without_default",
            "only a choice without a default can be needed from a cycle on",
        ),
        N_("error.definitions.unknown_choice_key_suggest", "unknown choice '{key}'{suggest}"),
        N_(
            "error.definitions.options_key_must_whole", "the options of '{key}' must be whole numbers of days"
        ),
        N_(
            "error.definitions.with_cycle_length_chosen",
            'with a cycle length chosen in the plan, write the rest as "N-end"',
        ),
        N_(
            "error.definitions.rest_period_must_end",
            "the rest period must end on the cycle's last day, day {length}",
        ),
        N_(
            "error.definitions.dose_window_needs_label",
            "a dose window needs the label's words in 'window_note'",
        ),
        N_(
            "error.definitions.minimum_gap_between_doses",
            "a minimum gap between doses goes with a dose window ('window_days')",
        ),
        N_(
            "error.definitions.only_premedication_given_on",
            "only a premedication given on restart ('restart = true') has it",
        ),
        N_("error.definitions.day_late_outside_length", "day {late} is outside the {length}-day cycle"),
        N_("error.definitions.day_clash_falls_in", "day {clash} falls in the rest period {rest}"),
        N_("error.definitions.name_no_such_definition", "{name}: no such definition file"),
        N_("error.definitions.unknown_source_k_hint", "unknown source '{k}'{hint}; list it under [sources]"),
        N_(
            "error.definitions.cycle_outside_in_this",
            "cycle {outside} is not in this phase, which has cycles {start}-{value}",
        ),
        N_("error.definitions.must_list_at_least2", "must list at least one source"),
        N_(
            "error.definitions.ident_must_lowercase_letters",
            "'{ident}' must be lowercase letters, digits and hyphens",
        ),
        N_("error.definitions.lists_same_time_twice", "lists the same time twice"),
        N_(
            "error.definitions.must_positive_kg_limits",
            "must be positive kg limits in ascending order, not {describe}",
        ),
        N_("error.definitions.option_one_options_join", "'{option}' is not one of the options {join}"),
        N_(
            "error.definitions.missing_required_key_steps",
            "missing required key 'steps' (at least one dose step)",
        ),
        N_(
            "error.definitions.must_start_on_day",
            "must start on day {value}, the day after the previous step ends (steps are consecutive, without gaps or overlaps)",
        ),
        N_("error.definitions.give_length_or_length", "give 'length' or 'length_choice', not both"),
        N_("error.definitions.day_first_outside_length", "day {first} is outside the {length}-day cycle"),
        N_(
            "error.definitions.day_day_has_no",
            "day {day} has no dose or infusion start of '{before}' for the premedication to precede",
        ),
        N_(
            "error.definitions.kind_i_agent_also",
            "{kind}[{i}] of '{agent}' is also on day {shared} of the same cycle; limit one of them with 'cycles' or 'when'",
        ),
        N_("error.definitions.bag_intervals_are_whole", "bag intervals are whole hours, not {option}"),
        N_(
            "error.definitions.weight_band_has_two",
            "a weight band has two options: at or above the threshold, then below it",
        ),
        N_(
            "error.definitions.len_weight_limits_make",
            "{len} weight limits make {value} bands: list that many options",
        ),
        N_("error.definitions.must_positive_number_describe", "must be a positive number, not {describe}"),
        N_(
            "error.definitions.only_last_step_may",
            "only the last step may be open-ended; give 'days' instead",
        ),
        N_("error.definitions.must_one_join_describe", "must be one of {join}, not {describe}"),
        N_("error.definitions.time_value_exc", "time {value}: {exc}"),
        N_("error.definitions.must_non_empty_string", "must be a non-empty string, not {describe}"),
        N_("error.plan.name_iana_time_zone", "'{name}' is not an IANA time zone such as America/Toronto"),
        N_("error.plan.no_time_zone_give", "no time zone: give one with --tz or 'timezone' in the plan file"),
        N_("error.plan.until_before_start_date", "{until} is before the start date {start}"),
        N_("error.plan.must_or_more", "must be 0 or more"),
        N_(
            "error.plan.name_iana_time_zone2",
            "'{name}' is not an IANA time zone such as America/Toronto{hint}",
        ),
        N_(
            "error.plan.plan_for_value_words",
            "a plan for '{value}' ({words}) needs the weight: doses, premedication and bags depend on it; give --weight KG (and --height CM for doses per m²)",
        ),
        N_("error.plan.id_cannot_planned_for", "{id} cannot be planned for '{value}': {refused}"),
        N_(
            "error.plan.value_words_recommended_under",
            "'{value}' ({words}) is not recommended under {least} kg; the plan gives {weight_kg} kg (see 'dosecal show {id}')",
        ),
        N_(
            "error.plan.with_when_at_most",
            "with {when} at most {most} cycles can be planned, not {planned}: {reason}",
        ),
        N_(
            "error.plan.id_needs_your_care",
            "{id} needs your care team's choice of {label}: give --choice {key}={join} (or fewer --cycles)",
        ),
        N_(
            "error.plan.id_needs_your_care2",
            "{id} needs your care team's choice of {label} to plan more than {needed_over_cycles} cycles: give --choice {id2}={join} (or --cycles {needed_over_cycles2})",
        ),
        N_(
            "error.plan.agent_agent_id_agents",
            "'{agent}' is not an agent of {id} (agents with times: {names})",
        ),
        N_("error.plan.id_has_no_choice", "{id} has no choice '{key}' (choices: {offered})"),
        N_(
            "error.plan.given_contradicts_weight_weight",
            "'{given}' contradicts the weight of {weight_kg} kg ({band})",
        ),
        N_("error.plan.id_has_no_cycles", "{id} has no cycles; use --until to set how far to plan"),
        N_(
            "error.plan.with_why_under_required",
            "with {why} (under {required_below_kg} kg) dosecal does not assume the {label}: give --choice {id}={join}",
        ),
        N_("error.plan.id_needs_label_give", "{id} needs the {label}: give {how}"),
        N_("error.plan.agent_given_at_time", "'{agent}' is given at the time of another agent, not its own"),
        N_("error.plan.must_one_join_value", "must be one of {join}, not {value}"),
        N_("error.plan.id_has_at_most", "{id} has at most {total_cycles} cycles, not {cycles}"),
        N_(
            "error.plan.name_scheduled_len_time",
            "{name} is scheduled {len} time(s) a day; give {len2} time(s), e.g. {agent}={want}",
        ),
        N_("error.planfile.lists_same_time_twice", "lists the same time twice"),
        N_(
            "error.planfile.interruption_gives_its_length",
            "an interruption gives its length in 'days' or 'hours'",
        ),
        N_("error.planfile.must_time_hh_mm", "must be a time HH:MM or a list of times, not {describe}"),
        N_(
            "error.planfile.must_date_time_with",
            "must be a date-time with an offset, e.g. 2027-01-01T00:00:00Z",
        ),
        N_("error.planfile.delay_gives_either_days", "a delay gives either 'days' or 'to' (a date)"),
        N_("error.planfile.must_positive_number_unit", "must be a positive number of {unit}, not {describe}"),
        N_("error.planfile.must_positive_number_unit2", "must be a positive number of {unit}, not {value}"),
        N_("error.planfile.must_string_or_number", "must be a string or a number, not {describe}"),
        N_("error.planfile.must_one_join_kind", "must be one of {join}, not {kind}"),
        N_(
            "error.overrides.name_schedule_see_dosecal",
            "name a schedule (see 'dosecal list') or give a --plan file that names one",
        ),
        N_(
            "error.overrides.give_at_least_one",
            "give at least one adjustment (--delay, --hold, --interrupt, --change-dose, --stop, --choice)",
        ),
        N_(
            "error.overrides.plan_file_adjustment_would",
            "{plan_file}: the adjustment would not read back the same; file left unchanged",
        ),
        N_(
            "error.overrides.value_date_written_yyyy",
            "'{value}' is not a date written YYYY-MM-DD (e.g. 2027-01-04)",
        ),
        N_("error.overrides.value_must_written_name", "'{value}' must be written NAME=VALUE"),
        N_("error.overrides.must_or_more_cycles", "must be 1 or more, not {cycles}"),
        N_(
            "error.overrides.give_plan_s_day",
            "give the plan's day 1 with --start YYYY-MM-DD (or a --plan file)",
        ),
        N_(
            "error.overrides.no_time_zone_and",
            "no time zone, and this computer's cannot be told: give --tz Area/City or 'timezone' in the plan file",
        ),
        N_("error.overrides.plan_file_must_name", "a plan file must name its schedule"),
        N_("error.overrides.agent_exc", "{agent}: {exc}"),
        N_(
            "error.adjustments.spec_dose_write_cndd",
            "'{spec}' is not a dose: write CnDd (C2D8), Dd for a plan day (D12), or AGENT:CnDd",
        ),
        N_("error.adjustments.spec_cycles_and_days", "'{spec}': cycles and days are counted from 1"),
        N_(
            "error.adjustments.spec_must_written_cycle",
            "'{spec}' must be written CYCLE=DAYS (2=7) or CYCLE=DATE (2=2027-03-08)",
        ),
        N_(
            "error.adjustments.spec_must_written_cndd",
            "'{spec}' must be written CnDd=LENGTH with LENGTH in days (3 or 3d) or hours (6h), optionally CnDd@HH:MM=LENGTH, e.g. C1D10=3 or C1D10@14:00=6h",
        ),
        N_(
            "error.adjustments.spec_cycles_days_and",
            "'{spec}': cycles, days and the interruption's length are at least 1",
        ),
        N_("error.adjustments.interruption_lasts_at_least", "an interruption lasts at least 1 hour"),
        N_("error.adjustments.cause_must_one_join", "cause must be one of {join}, not {cause}"),
        N_("error.adjustments.give_restart_dose_or", "give the restart dose or the cause, not both"),
        N_(
            "error.adjustments.restart_must_dose_such",
            "restart must be a dose such as 9 or '9 mcg/day', or 'same', not {restart}",
        ),
        N_(
            "error.adjustments.spec_must_written_agent",
            "'{spec}' must be written AGENT=DOSE@DATE, e.g. ponatinib=15 mg@2027-04-01",
        ),
        N_("error.adjustments.spec_delay_at_least", "'{spec}': a delay is at least 1 day"),
        N_(
            "error.adjustments.spec_value_neither_number",
            "'{spec}': '{value}' is neither a number of days nor a date YYYY-MM-DD",
        ),
        N_("error.adjustments.spec_group_time_hh", "'{spec}': '{group}' is not a time HH:MM"),
        N_(
            "error.adjustments.spec_after_length_write",
            "'{spec}': after the length write :restart=DOSE or :cause=toxicity, not ':{option}'",
        ),
        N_("error.adjustments.spec_when_date_yyyy", "'{spec}': '{when}' is not a date YYYY-MM-DD"),
        N_("error.cycles.cycle_cycle_in_plan", "cycle {cycle} is not in the plan, which has {len} cycle(s)"),
        N_("error.cycles.cycle_n_already_has", "cycle {n} already has an interruption; record one per cycle"),
        N_("error.cycles.c_n_d_day", "C{n}D{day} is not a day of the {length}-day cycle"),
        N_("error.cycles.no_infusion_runs_on", "no infusion runs on C{n}D{day} to interrupt"),
        N_(
            "error.cycles.cycle_n_cannot_start",
            "cycle {n} cannot start on {to}: it is due on {first} at the earliest",
        ),
        N_("error.history.no_dose_hold_on", "no dose to hold on {spec}: {reason}"),
        N_(
            "error.history.several_agents_dose_on",
            "several agents dose on {spec} ({names}); write AGENT:{spec2}",
        ),
        N_("error.history.agent_agent_id", "'{agent}' is not an agent of {id}"),
        N_("error.history.id_value_choice_id", "'{id}={value}' is not a choice of {id2} ({options})"),
        N_("error.build.no_infusion_runs_on", "no infusion runs on C{n}D{day} to interrupt"),
        N_("error.infusion.id_gives_no_restart", "{id} gives no restart dose after toxicity for {agent}"),
        N_("error.tomlfile.must_date_written_yyyy", "must be a date written YYYY-MM-DD, not {describe}"),
        N_("error.tomlfile.must_time_written_hh", "must be a time written HH:MM, not {describe}"),
        N_("error.tomlfile.must_time_written_hh2", "must be a time written HH:MM (24-hour), not {value}"),
        N_("error.tomlfile.value_time_day", "{value} is not a time of day (00:00 to 23:59)"),
        N_("error.tomlfile.must_label_describe", "must be {label}, not {describe}"),
        N_("error.tomlfile.must_empty", "must not be empty"),
        N_("error.tomlfile.must_at_least_minimum", "must be at least {minimum}, not {value}"),
        N_("error.tomlfile.must_string_or_array", "must be a string or an array of strings, not {describe}"),
        N_("error.tomlfile.must_table_describe", "must be a table, not {describe}"),
        N_("error.tomlfile.must_array_tables_key", "must be an array of tables ([[{key}]]), not {describe}"),
        N_("error.tomlfile.missing_required_key_key", "missing required key '{key}'"),
        N_("error.tomlfile.unknown_key", "unknown key"),
        N_("error.tomlfile.cannot_read_file_reason", "cannot read the file: {reason}"),
        N_("error.tomlfile.valid_toml_msg", "not valid TOML: {msg}"),
        N_("error.output.path_cannot_write_value", "{path}: cannot write: {value}"),
        # Bounds (limits.py, docs/limits.md), writes and the last-resort handler (issue 11)
        N_(
            "error.limits.date_out_of_range",
            "{value} is outside the dates dosecal plans ({earliest} to {latest})",
        ),
        N_("error.limits.number_too_large", "{value} is too large: at most {maximum}"),
        N_("error.limits.spec_number_too_large", "'{spec}': {value} is too large: at most {maximum}"),
        N_(
            "error.limits.not_regular_file",
            "not a regular file (a device, a pipe or a folder cannot be read as one)",
        ),
        N_("error.limits.file_too_large", "larger than {maximum} KiB, far more than any plan or definition"),
        N_("error.limits.too_many_cycles", "the phases have {total} cycles in all; at most {maximum}"),
        N_(
            "error.limits.course_too_long",
            "the cycles span {days} days; a plan spans at most {maximum} days (about 10 years)",
        ),
        N_(
            "error.limits.reminder_out_of_range",
            "{value} minutes: a reminder fires from 0 to {maximum} minutes (one week) before a dose",
        ),
        N_(
            "error.limits.zone_name_too_long",
            "a time zone name of {length} characters is not an IANA zone (at most {maximum})",
        ),
        N_(
            "error.limits.interruption_too_long",
            "an interruption of {hours} hours is longer than dosecal plans (at most {maximum} days)",
        ),
        N_(
            "error.limits.plan_too_long",
            "the plan would run {days} days, to {end}; a plan spans at most {maximum} days (about 10 years): give an earlier until or fewer cycles",
        ),
        N_(
            "error.limits.too_many_adjustments",
            "{count} adjustments; a plan's history holds at most {maximum}: start a new plan file from the plan as it is now",
        ),
        N_("error.tomlfile.nested_too_deep", "arrays or tables are nested too deeply"),
        N_("error.tomlfile.number_too_long", "a number has more digits than any value dosecal accepts"),
        N_(
            "error.plan.stop_before_start",
            "the stop on {date} is before day 1 ({start}): every event would be cancelled",
        ),
        N_("error.plan.dose_change_before_start", "the dose change from {date} is before day 1 ({start})"),
        N_(
            "error.plan.interruption_longer_than_course",
            "{spec} lasts longer than the whole planned course ({days} days)",
        ),
        N_("error.output.is_a_folder", "it is a folder"),
        N_(
            "error.output.partly_replaced",
            "{path}: cannot write: {value}; {lost} could not be put back and now hold the new output",
        ),
        N_(
            "error.output.changed_meanwhile",
            "{path} was changed by another program while this change was prepared; nothing was written: run the command again",
        ),
        N_(
            "error.output.busy",
            "{path} is being changed by another dosecal command; nothing was written: run the command again when it has finished",
        ),
        N_(
            "error.cli.interrupted",
            "interrupted: each output (and plan file) is as it was, or whole if it was already written",
        ),
        N_(
            "error.cli.unexpected",
            "unexpected error ({kind}: {what}) with {inputs}. This is a bug in dosecal: please report it with these inputs (run 'dosecal --debug ...' for the details)",
        ),
        N_(
            "error.definitions.url_scheme",
            "must be an http:// or https:// address, not {value}",
        ),
        N_(
            "error.publish.url_credentials",
            "--url: '{url}' holds a user name or password; give them in {user} and {password} or a netrc file, never in the address",
        ),
        N_("error.publish.server_answer", "the server's answer could not be read ({kind})"),
        N_(
            "error.publish.url_url_http_s",
            "--url: '{url}' is not an http(s) address of a calendar collection",
        ),
        N_(
            "error.publish.url_url_would_send",
            "--url: '{url}' would send the password unencrypted; use https",
        ),
        N_(
            "error.publish.collection_step_failed_after",
            "{collection}: {step} failed after {done} of {total} event(s): {reason}. Run the same command again to finish; nothing is left half-written.",
        ),
        N_("error.publish.path_cannot_read_netrc", "{path}: cannot read the netrc file: {exc}"),
        N_(
            "error.publish.collection_server_would_create",
            "{collection}: the server would not create the calendar (HTTP {made})",
        ),
        N_(
            "error.publish.collection_server_refused_credentials",
            "{collection}: the server refused the credentials (set {USER_ENV} and {PASSWORD_ENV}, or a netrc entry)",
        ),
        N_(
            "error.publish.collection_server_would_delete",
            "{collection}: the server would not delete {uid} (HTTP {status})",
        ),
        N_(
            "error.publish.collection_calendar_server_lets",
            "{collection}: not a calendar the server lets us use (HTTP {status})",
        ),
        N_(
            "error.publish.collection_server_refused_uid",
            "{collection}: the server refused {uid} (HTTP {status})",
        ),
        N_(
            "error.cli.cannot_tell_format_path",
            "cannot tell the format of '{path}' from its extension; give --format {join}",
        ),
        N_("error.cli.plan_file_must_name", "a plan file must name its schedule"),
        N_(
            "error.words.language_choice",
            "'{value}' is not a language dosecal writes; choose one of {choices}",
        ),
    )
)

CATALOGUE.update({key: forms[0] for key, forms in PLURALS.items()})
