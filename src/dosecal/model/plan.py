"""The Plan: one patient's use of a schedule (start, zone, times, choices, adjustments).

:func:`check` verifies a plan against its schedule before anything is expanded, including the
rules that keep a plan from misleading a patient; the choices in force and the number of
cycles planned are computed here once. Plan files are read and written by
:mod:`dosecal.inputs.planfile`; command-line options meet them in :mod:`dosecal.inputs.overrides`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dosecal.errors import PlanError, Problem
from dosecal.model.adjustments import Adjustment, ChoiceChange, DoseChange, Interruption, Stop
from dosecal.model.limits import MAX_ADJUSTMENTS, MAX_ZONE_NAME
from dosecal.model.occurrence import slug
from dosecal.model.schedule import Schedule
from dosecal.words import Content, Msg, Value, msg

#: Days planned for a schedule that never ends (a daily TKI) when no --until is given.
DEFAULT_HORIZON_DAYS = 90

#: The telephone numbers a printable plan has lines for, in the order printed; ``bag_change``
#: (who changes an infusion bag at home: the home care or clinic nurse) only where bags change.
CONTACTS = ("daytime", "after_hours", "pharmacy", "bag_change")


@dataclass(frozen=True, slots=True)
class Fever:
    """The clinic's fever threshold: call at this temperature or higher.

    No label gives one and clinics differ, so it comes from the plan file, never from dosecal.

    Attributes:
        value: the temperature, as the clinic wrote it (38.3).
        unit: ``"C"`` or ``"F"``, as the clinic wrote it; never converted.
    """

    value: Decimal
    unit: str


def fever_line(fever: Fever | None) -> Msg:
    """The call box's fever line: call at the clinic's threshold, or ask the care team for one."""
    if fever is None:
        return msg("call.fever_ask")
    words = "temperature.c" if fever.unit == "C" else "temperature.f"
    return msg("call.fever", temperature=msg(words, value=fever.value))


#: Minutes before a dose that its calendar reminder fires, unless the plan says otherwise.
DEFAULT_REMINDER_MINUTES = 15


@dataclass(frozen=True, slots=True)
class Plan:
    """One patient's use of a schedule.

    Attributes:
        start: day 1 of the plan.
        timezone: the IANA zone the times are local to.
        times: dose or appointment times by agent id, overriding the schedule's defaults.
        choices: values for the schedule's choices, by choice id.
        cycles: how many cycles to plan, or ``None`` for all the schedule allows.
        until: the last day to include, or ``None``.
        id: the plan id that UIDs derive from; by default ``<schedule>-<start>``.
        stamp: the DTSTAMP written into calendars (default: midnight UTC of ``start``).
        reminder_minutes: how long before a dose its reminder fires.
        patient: a label printed on printable plans only.
        contacts: telephone numbers for the printable plan, by kind (``daytime``, ``after_hours``,
            ``pharmacy``, ``bag_change``); printed plans only, never a calendar.
        fever: the clinic's fever threshold for the call box; ``None``: ask the care team.
        weight_kg: body weight, for weight bands and per-m² doses.
        height_cm: height, with the weight for the body surface area.
        schedule: the schedule named in a plan file, if any.
        adjustments: what changed along the way, oldest first (see :mod:`dosecal.model.adjustments`).
        origin: where the plan came from, for messages.
        revisions: SEQUENCE already raised, by UID, for events that a newer definition moved
            or changed (``dosecal store upgrade`` records them in the plan file's
            ``[revisions]`` table), so that calendars take the new time as an update.
    """

    start: date
    timezone: str
    times: Mapping[str, tuple[time, ...]] = field(default_factory=dict)
    choices: Mapping[str, str] = field(default_factory=dict)
    cycles: int | None = None
    until: date | None = None
    id: str | None = None
    stamp: datetime | None = None
    reminder_minutes: int = DEFAULT_REMINDER_MINUTES
    patient: str | None = None
    contacts: Mapping[str, str] = field(default_factory=dict)
    fever: Fever | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    schedule: str | None = None
    adjustments: tuple[Adjustment, ...] = ()
    origin: str = "options"
    language: str = "en"
    revisions: Mapping[str, int] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        """The plan's zone (checked by :func:`check_zone` when the plan is made)."""
        return ZoneInfo(self.timezone)

    def plan_id(self, schedule: Schedule) -> str:
        """The id that every UID of this plan starts with."""
        return slug(self.id or f"{schedule.id}-{self.start.isoformat()}")

    def dtstamp(self) -> datetime:
        """The DTSTAMP for calendars: fixed by the plan, never the clock."""
        if self.stamp is not None:
            return self.stamp.astimezone(UTC)
        return datetime.combine(self.start, time(0), UTC)


#: Zone names that are not places: fixed offsets, abbreviations and the rules of a whole
#: country's time, which keep no summer time or keep another country's. "EST" is fixed at
#: UTC-5 all year, so a dose at 08:00 shows at 09:00 on a Montréal phone from March. Each
#: maps to the place to suggest (a Canadian clinic first), or "" for none.
NOT_PLACES = {
    "EST": "America/Toronto",
    "EDT": "America/Toronto",
    "EST5EDT": "America/Toronto",
    "CST6CDT": "America/Winnipeg",
    "MST": "America/Edmonton",
    "MST7MDT": "America/Edmonton",
    "PST8PDT": "America/Vancouver",
    "HST": "Pacific/Honolulu",
    "GMT": "Europe/London",
    "WET": "Europe/Lisbon",
    "CET": "Europe/Paris",
    "MET": "Europe/Paris",
    "EET": "Europe/Athens",
    "Factory": "",
    "localtime": "",
    "posixrules": "",
}

#: UTC itself is accepted: tests and servers use it, and it says what it is.
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})


def _not_a_place(name: str) -> Value | None:
    """Why ``name`` is not a place's zone (a fixed offset, an abbreviation), or None if it is one."""
    if name in UTC_NAMES:
        return None
    bare = name.removeprefix("posix/").removeprefix("right/")
    if bare in NOT_PLACES or bare.startswith(("Etc/", "GMT+", "GMT-", "GMT0")):
        suggestion = NOT_PLACES.get(bare, "")
    elif name.startswith(("posix/", "right/")):  # copies of the zones; right/ counts leap seconds
        suggestion = bare
    else:
        return None
    hint = msg("error.did_you_mean", name=suggestion) if suggestion else msg("error.plan.zone_example")
    return msg("error.plan.zone_not_a_place", name=name, hint=hint)


def check_zone(name: str) -> str:
    """Return ``name`` if it is an IANA zone of a place this computer knows, else raise ValueError.

    A place's zone (``America/Toronto``) follows its summer time; fixed offsets and
    abbreviations (``EST``, ``Etc/GMT+5``) are refused, as is ``right/...`` (leap seconds).
    """
    if not name or name.startswith("/") or ".." in name or "\0" in name:
        raise ValueError(msg("error.plan.name_iana_time_zone", name=name))
    if len(name) > MAX_ZONE_NAME:
        raise ValueError(msg("error.limits.zone_name_too_long", length=len(name), maximum=MAX_ZONE_NAME))
    why = _not_a_place(name)
    if why is not None:
        raise ValueError(why)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint: Value = msg("error.did_you_mean", name=close[0]) if close else ""
        raise ValueError(msg("error.plan.name_iana_time_zone2", name=name, hint=hint)) from None
    return name


def effective_choices(schedule: Schedule, plan: Plan) -> dict[str, str]:
    """The schedule's defaults, then bands derived from the plan's weight, then its choices."""
    values = {c.id: c.default for c in schedule.choices.values() if c.default is not None}
    if plan.weight_kg is not None:
        for c in schedule.choices.values():
            band = c.band(plan.weight_kg)
            if band is not None:
                values[c.id] = band
    values.update(plan.choices)
    return values


def planned_cycles(schedule: Schedule, plan: Plan, choices: Mapping[str, str]) -> int:
    """How many cycles are planned: the plan's number, else the most the choices allow.

    A limit's ``default`` (inotuzumab before a transplant: 2 cycles) is planned when the plan
    gives no number; :func:`check` refuses a number above a limit's ``most``.
    """
    if plan.cycles is not None:
        return plan.cycles
    count = schedule.total_cycles
    for limit in schedule.limits:
        if limit.applies(choices):
            count = min(count, limit.default or limit.most)
    return count


def choices_after(schedule: Schedule, plan: Plan, adjustments: Sequence[Adjustment]) -> dict[str, str]:
    """The choices in force after ``adjustments`` (later choices win over the plan's)."""
    values = effective_choices(schedule, plan)
    for a in adjustments:
        if isinstance(a, ChoiceChange):
            values[a.id] = a.value
    return values


def final_choices(schedule: Schedule, plan: Plan) -> dict[str, str]:
    """The choices in force after the plan's whole history."""
    return choices_after(schedule, plan, plan.adjustments)


def agent_times(schedule: Schedule, plan: Plan) -> dict[str, tuple[time, ...]]:
    """Each agent's times: the plan's where given, else the schedule's defaults."""
    return {a.id: plan.times.get(a.id, a.times) for a in schedule.agents.values()}


def _small(schedule: Schedule, plan: Plan, choices: Mapping[str, str], threshold: float) -> Msg | None:
    """Why the plan is for a patient under ``threshold`` kg, if it is (its weight or a weight band)."""
    if plan.weight_kg is not None:
        return (
            msg("error.plan.small_weight", kg=f"{plan.weight_kg:g}") if plan.weight_kg < threshold else None
        )
    for c in schedule.choices.values():
        if c.weight_threshold_kg == threshold and choices.get(c.id) == c.options[1]:
            return msg("error.plan.small_band", band=c.options[1])
    return None


def _check_safety(schedule: Schedule, plan: Plan, bad: Callable[[str, Value], None]) -> None:
    """The checks that keep a plan from misleading a patient (clinical review, 2026-11-30).

    A small patient's adult/child choice is never assumed; an option refused for a weight or
    by the schedule is refused with the label's reason; the number of cycles keeps to the
    label's limits under the plan's choices; a choice without default is asked for as soon as
    the plan reaches the cycles that need it.
    """
    choices = final_choices(schedule, plan)
    given = dict(plan.choices) | {a.id: a.value for a in plan.adjustments if isinstance(a, ChoiceChange)}
    for c in schedule.choices.values():
        value = choices.get(c.id)
        if c.required_below_kg is not None and c.id not in given:
            why = _small(schedule, plan, choices, c.required_below_kg)
            if why is not None:
                bad(
                    f"choices.{c.id}",
                    msg(
                        "error.plan.with_why_under_required",
                        why=why,
                        required_below_kg=f"{c.required_below_kg:g}",
                        label=c.label,
                        id=c.id,
                        join="|".join(c.options),
                    ),
                )
        if value is None:
            continue
        if value in c.weight_needed_for and plan.weight_kg is None:
            bad(
                f"choices.{c.id}",
                msg("error.plan.plan_for_value_words", value=value, words=c.words(value)),
            )
        if value in c.refused:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.id_cannot_planned_for",
                    id=schedule.id,
                    value=value,
                    refused=Content(c.refused[value]),  # in the reader's language, as `show` says it
                ),
            )
        least = c.minimum_kg.get(value)
        if least is not None and plan.weight_kg is not None and plan.weight_kg < least:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.value_words_recommended_under",
                    value=value,
                    words=c.words(value),
                    least=f"{least:g}",
                    weight_kg=f"{plan.weight_kg:g}",
                    id=schedule.id,
                ),
            )
    planned = planned_cycles(schedule, plan, choices)
    for limit in schedule.limits:
        if limit.applies(choices) and planned > limit.most:
            when = ", ".join(f"{k}={v}" for k, v in limit.when.items())
            bad(
                "cycles",
                msg(
                    "error.plan.with_when_at_most",
                    when=when,
                    most=limit.most,
                    planned=planned,
                    reason=Content(limit.reason),
                ),
            )
    for key in sorted(schedule.choices_used(planned)):
        choice = schedule.choices[key]
        if choice.default is None and key not in choices:
            bad(
                f"choices.{key}",
                msg(
                    "error.plan.id_needs_your_care",
                    id=schedule.id,
                    label=choice.label,
                    key=key,
                    join="|".join(choice.options),
                ),
            )
    for c in schedule.choices.values():
        if c.needed_over_cycles is not None and planned > c.needed_over_cycles and c.id not in choices:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.id_needs_your_care2",
                    id=schedule.id,
                    label=c.label,
                    needed_over_cycles=c.needed_over_cycles,
                    id2=c.id,
                    join="|".join(c.options),
                    needed_over_cycles2=c.needed_over_cycles,
                ),
            )
    for d in schedule.daily:
        missing = [k for k in d.when if k not in choices]
        if missing and all(choices.get(k) == v for k, v in d.when.items() if k in choices):
            for key in missing:
                choice = schedule.choices[key]
                how = (
                    "--weight KG" if choice.weight_bands_kg else f"--choice {key}={'|'.join(choice.options)}"
                )
                bad(
                    f"choices.{key}",
                    msg("error.plan.id_needs_label_give", id=schedule.id, label=choice.label, how=how),
                )


def _check_history(schedule: Schedule, plan: Plan, bad: Callable[[str, Value], None]) -> None:
    """Refuse adjustments that contradict the plan as a whole, and histories too long to expand.

    A stop or a dose change before day 1 would cancel or change every event in silence; an
    interruption longer than the whole planned course cannot have happened within it.
    """
    if len(plan.adjustments) > MAX_ADJUSTMENTS:
        bad(
            "adjustments",
            msg("error.limits.too_many_adjustments", count=len(plan.adjustments), maximum=MAX_ADJUSTMENTS),
        )
        return
    choices = final_choices(schedule, plan)
    numbered = [p for p in schedule.phases for _ in range(p.cycles)][
        : planned_cycles(schedule, plan, choices)
    ]
    course = sum(
        p.length_with(choices) for p in numbered if not p.length_choice or p.length_choice in choices
    )
    start = plan.start.isoformat()
    for i, a in enumerate(plan.adjustments, 1):
        key = f"adjustments[{i}]"
        if isinstance(a, Stop) and a.on < plan.start:
            bad(key, msg("error.plan.stop_before_start", date=a.on.isoformat(), start=start))
        elif isinstance(a, DoseChange) and a.start < plan.start:
            bad(key, msg("error.plan.dose_change_before_start", date=a.start.isoformat(), start=start))
        elif isinstance(a, Interruption) and numbered and a.length > timedelta(days=course):
            bad(key, msg("error.plan.interruption_longer_than_course", spec=a.spec, days=course))
        elif isinstance(a, ChoiceChange) and a.id in schedule.choices and plan.weight_kg is not None:
            # A weight band chosen later must still fit the weight the plan records (its doses
            # and bags follow the band): as the plan's own choices are checked above.
            band = schedule.choices[a.id].band(plan.weight_kg)
            if band is not None and a.value != band:
                bad(
                    key,
                    msg(
                        "error.plan.given_contradicts_weight_weight",
                        given=a.value,
                        weight_kg=f"{plan.weight_kg:g}",
                        band=band,
                    ),
                )


def check(schedule: Schedule, plan: Plan) -> None:
    """Check that ``plan`` can be applied to ``schedule``.

    Raises:
        PlanError: listing every problem, each naming where the value came from.
    """
    problems: list[Problem] = []

    def bad(key: str, message: Value) -> None:
        problems.append(Problem(plan.origin, key, message))

    if not plan.timezone:
        bad("timezone", msg("error.plan.no_time_zone_give"))
    else:
        try:
            check_zone(plan.timezone)
        except ValueError as exc:
            bad("timezone", str(exc))
    for agent, times in plan.times.items():
        known = schedule.agents.get(agent)
        if known is None:
            names = ", ".join(a for a, x in schedule.agents.items() if x.times)
            bad(
                f"times.{agent}",
                msg("error.plan.agent_agent_id_agents", agent=agent, id=schedule.id, names=names),
            )
        elif not known.times:
            bad(f"times.{agent}", msg("error.plan.agent_given_at_time", agent=agent))
        elif len(times) != len(known.times):
            want = ",".join(t.strftime("%H:%M") for t in known.times)
            bad(
                f"times.{agent}",
                msg(
                    "error.plan.name_scheduled_len_time",
                    name=known.name,
                    count=len(known.times),
                    agent=agent,
                    want=want,
                ),
            )
    for key, value in plan.choices.items():
        choice = schedule.choices.get(key)
        if choice is None:
            offered = ", ".join(schedule.choices) or "none"
            bad(
                f"choices.{key}", msg("error.plan.id_has_no_choice", id=schedule.id, key=key, offered=offered)
            )
        elif value not in choice.options:
            bad(
                f"choices.{key}",
                msg("error.plan.must_one_join_value", join=", ".join(choice.options), value=repr(value)),
            )
    for c in schedule.choices.values():
        given = plan.choices.get(c.id)
        band = c.band(plan.weight_kg) if plan.weight_kg is not None else None
        if band is not None and given is not None and given != band:
            bad(
                f"choices.{c.id}",
                msg(
                    "error.plan.given_contradicts_weight_weight",
                    given=given,
                    weight_kg=f"{plan.weight_kg:g}",
                    band=band,
                ),
            )
    if not problems:
        _check_safety(schedule, plan, bad)
    if plan.cycles is not None:
        if not schedule.phases:
            bad("cycles", msg("error.plan.id_has_no_cycles", id=schedule.id))
        elif plan.cycles > schedule.total_cycles:
            bad(
                "cycles",
                msg(
                    "error.plan.id_has_at_most",
                    id=schedule.id,
                    total_cycles=schedule.total_cycles,
                    cycles=plan.cycles,
                ),
            )
    if plan.until is not None and plan.until < plan.start:
        bad(
            "until",
            msg(
                "error.plan.until_before_start_date",
                until=plan.until.isoformat(),
                start=plan.start.isoformat(),
            ),
        )
    if plan.reminder_minutes < 0:
        bad("reminder_minutes", msg("error.plan.must_or_more"))
    if not problems:
        _check_history(schedule, plan, bad)
    if problems:
        raise PlanError(list(dict.fromkeys(problems)))
