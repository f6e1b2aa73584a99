"""The Schedule: a validated, immutable description of a regimen, knowing nothing about dates.

Day numbers are the label's: day 1 is the first day of a cycle (or, for daily dosing, of the
plan), and a span "1-28" includes both ends. The rules of each phase are in
:mod:`dosecal.model.rules`. Values here are already checked by
:mod:`dosecal.inputs.definitions`; the core trusts them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from urllib.parse import urlsplit

from dosecal.model.rules import Check, DoseStep, Infusion, Phase, holds

#: The choice id that bag changes read their interval (in hours) from.
BAG_CHOICE = "bag-hours"


@dataclass(frozen=True, slots=True)
class Source:
    """A reference that clinical facts cite by key.

    Attributes:
        key: the short key used in ``source = "KEY"`` (``FDA-BLIN``).
        title: what the source is: the publisher's document, by its title.
        url: its official address, if public (docs/sources.md: publishers' domains only).
        date: the document's date or revision as the definition read it (``2024-09``), printed
            beside the title so that a reader knows which version the plan follows.
    """

    key: str
    title: str
    url: str | None = None
    date: str | None = None

    @property
    def dated(self) -> str:
        """`` (2024-09)`` after the title where the date is known, else nothing."""
        return f" ({self.date})" if self.date else ""

    @property
    def linkable(self) -> bool:
        """Whether ``url`` is a web address (http or https with a host), safe to print as a link.

        Definitions are shared between clinics: a ``javascript:`` or ``file:`` address must
        never become a link in a printed plan. Definition files are refused at load time;
        this guards a Source made in code too.
        """
        return web_address(self.url or "")


def web_address(url: str) -> bool:
    """Whether ``url`` is an ``http://`` or ``https://`` address with a host and no spaces."""
    parts = urlsplit(url)
    return (
        parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in url)
    )


@dataclass(frozen=True, slots=True)
class Code:
    """A code for a drug in a coding system, as a cited source gives it.

    An electronic record matches a medicine by its code, not its name: a definition imported
    from a national regimen library keeps the library's codes (New Zealand's SNOMED CT NZ
    extension), and the FHIR export passes them on. A code is a fact like a dose: it cites the
    source it was read from, and dosecal never makes one up.

    Attributes:
        system: the coding system's URI (``http://snomed.info/sct``).
        code: the code in that system.
        display: the system's words for it.
        sources: keys of the sources that give it.
    """

    system: str
    code: str
    display: str
    sources: tuple[str, ...]


#: A code in a coding system as a definition may write it: FHIR's ``code`` kept to one short word.
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._:/-]{0,63}$")


def code_written(code: str) -> bool:
    """Whether ``code`` is one code a definition may cite: letters, digits and ``. _ : / -``."""
    return _CODE.match(code) is not None


@dataclass(frozen=True, slots=True)
class Advice:
    """One sentence a patient must know, with the sources it comes from.

    Attributes:
        text: the sentence, in patient words.
        sources: keys of the sources.
        warning: whether it is a warning sign to call the care team about at once.
        emergency: for a warning, whether the source says to call the care team "or get
            emergency medical help right away" (blinatumomab's seizures), so the plan says so too.
        when: plan choices that must all hold for a patient to read it (a child's regimen).
    """

    text: str
    sources: tuple[str, ...]
    warning: bool = False
    emergency: bool = False
    when: Mapping[str, str] = field(default_factory=dict)

    def applies(self, choices: Mapping[str, str]) -> bool:
        """Whether this sentence is for a plan with these ``choices``."""
        return holds(self.when, choices)


def brief_written(dose: str) -> str:
    """A written dose without its trailing remark, for a phone's title.

    "100 mg IV" of "100 mg IV (or equivalent, e.g. dexamethasone 16 mg)"; the whole dose is in
    the event's notes.

    >>> brief_written("15 mcg/m2/day (max 28 mcg/day)"), brief_written("as prescribed")
    ('15 mcg/m2/day', 'as prescribed')
    """
    return re.sub(r"\s*\([^()]*\)\s*$", "", dose) or dose


@dataclass(frozen=True, slots=True)
class Agent:
    """A drug (or a procedure) named in a schedule.

    Attributes:
        id: a short lowercase id used in plans (``--time dasatinib=08:00``) and UIDs.
        name: the name a patient reads.
        route: how it is given ("oral", "continuous IV infusion").
        times: default clock times of its doses or appointments; a plan may change them.
        times_note: why these default times (often: not from the label, set by the care team).
        instructions: what the patient must do around each dose (food, swallowing whole).
        missed_dose: what the label says to do about a missed dose, if it says anything.
        sources: keys of the sources for the instructions.
        advice: what a patient must know beyond the instructions (warning signs to call about,
            food and drug rules), each sentence cited.
        fast_before_minutes: no food for this long before each dose (nilotinib: 120).
        fast_after_minutes: no food for this long after each dose (nilotinib: 60).
        continues: a daily drug taken until the care team stops it, so the calendar's last day
            is not the end of treatment.
        supervised_starts: every start and restart of its infusion outside a hospital stay
            needs a health care professional's supervision (or a hospital stay).
        supervision_sources: keys of the sources for ``supervised_starts``.
        codes: the drug's codes in coding systems, as cited sources give them (FHIR export).
        brief: the name a phone's title uses where :attr:`short_name` is long
            ("Inotuzumab", "Premedication").
    """

    id: str
    name: str
    route: str
    times: tuple[time, ...]
    times_note: str | None = None
    instructions: tuple[str, ...] = ()
    missed_dose: str | None = None
    sources: tuple[str, ...] = ()
    advice: tuple[Advice, ...] = ()
    fast_before_minutes: int = 0
    fast_after_minutes: int = 0
    continues: bool = False
    supervised_starts: bool = False
    supervision_sources: tuple[str, ...] = ()
    brief: str | None = None
    codes: tuple[Code, ...] = ()

    @property
    def brief_name(self) -> str:
        """The name in a phone's title: :attr:`brief`, else :attr:`short_name`."""
        return self.brief or self.short_name

    @property
    def oral(self) -> bool:
        """Whether the patient takes it by mouth (and so needs a missed-dose rule)."""
        return self.route.startswith("oral")

    @property
    def short_name(self) -> str:
        """The name for titles: "Blinatumomab", not "Blinatumomab (Blincyto)"."""
        return self.name.split(" (")[0]


@dataclass(frozen=True, slots=True)
class Daily:
    """A drug taken every day, once or several times, from a plan day on.

    Attributes:
        agent: the agent id.
        steps: the doses by plan day; the last one may be open-ended (``last`` is ``None``
            when ``open_ended``).
        open_ended: whether dosing continues until the plan's horizon.
        sources: keys of the sources for the frequency.
        when: plan choices that must all hold for it to apply (``{"patient": "child"}``).
    """

    agent: str
    steps: tuple[DoseStep, ...]
    open_ended: bool
    sources: tuple[str, ...]
    when: Mapping[str, str] = field(default_factory=dict)

    def applies(self, choices: Mapping[str, str]) -> bool:
        """Whether this dosing applies under the plan's ``choices`` (adult or child dosing)."""
        return holds(self.when, choices)

    @property
    def start_day(self) -> int:
        """The plan day of the first dose."""
        return self.steps[0].days.first


@dataclass(frozen=True, slots=True)
class Choice:
    """A decision the schedule leaves to the care team, made in the plan.

    Attributes:
        id: the key in a plan's ``[choices]`` (``bag-hours``).
        label: what the choice is, for a reader.
        options: the allowed values, as strings.
        default: the value used when the plan says nothing; ``None`` when the plan must choose.
        note: why the default is what it is.
        sources: keys of the sources for the options.
        weight_threshold_kg: for a body-weight band: a plan's weight below it selects the second
            option, at or above it the first.
        option_labels: the words a reader sees for each option ("45 kg or more"), by option.
        required_below_kg: a plan with a weight under this must make the choice explicitly (the
            adult or child choice for a small patient), default or not.
        minimum_kg: options refused for a plan weighing less, by option (the 7-day bag: 22 kg).
        refused: options the schedule cannot plan, with the reason shown (a child dose the label
            does not give).
        needed_over_cycles: a choice without default needed as soon as more cycles than this
            are planned (transplant, from the third inotuzumab cycle).
        weight_bands_kg: for a choice of several weight bands, the limits between them in
            ascending order; the options are the bands from the lightest up (dasatinib for
            children: under 10, 10 to 20, 20 to 30, 30 to 45, 45 kg or more).
        weight_needed_for: options that need the plan's weight (a child's doses and bags
            depend on it, so no weight band is assumed).
    """

    id: str
    label: str
    options: tuple[str, ...]
    default: str | None
    sources: tuple[str, ...]
    note: str | None = None
    weight_threshold_kg: float | None = None
    option_labels: Mapping[str, str] = field(default_factory=dict)
    required_below_kg: float | None = None
    minimum_kg: Mapping[str, float] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)
    needed_over_cycles: int | None = None
    weight_bands_kg: tuple[float, ...] = ()
    weight_needed_for: tuple[str, ...] = ()

    def band(self, weight_kg: float) -> str | None:
        """The option a weight selects, for a weight band or a set of weight bands."""
        if self.weight_threshold_kg is not None:
            return self.options[1] if weight_kg < self.weight_threshold_kg else self.options[0]
        if self.weight_bands_kg:
            return self.options[sum(1 for limit in self.weight_bands_kg if weight_kg >= limit)]
        return None

    def words(self, option: str) -> str:
        """The reader's words for ``option``."""
        return self.option_labels.get(option, option)


@dataclass(frozen=True, slots=True)
class Reminder:
    """An all-day note on a plan day for something the care team sets (D-ALBA's steroid).

    Attributes:
        day: the plan day.
        title: the event's title.
        text: what the patient reads.
        sources: keys of the sources.
        short: the title a phone shows, where ``title`` is long.
    """

    day: int
    title: str
    text: str
    sources: tuple[str, ...]
    short: str | None = None


@dataclass(frozen=True, slots=True)
class CycleLimit:
    """How many cycles a plan may have under some choices (inotuzumab without CR/CRi: 3).

    Attributes:
        when: plan choices that must all hold.
        most: the most cycles allowed.
        default: cycles planned when the plan does not say, if fewer than the schedule's all.
        reason: the label's words, shown when a plan asks for more.
        beyond_default: what the label says of a cycle past ``default`` (shown when planned).
        sources: keys of the sources.
    """

    when: Mapping[str, str]
    most: int
    reason: str
    sources: tuple[str, ...]
    default: int | None = None
    beyond_default: str | None = None

    def applies(self, choices: Mapping[str, str]) -> bool:
        """Whether the limit holds under ``choices``."""
        return holds(self.when, choices)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A complete regimen definition.

    Attributes:
        id: the schedule id (``blinatumomab-rr``).
        title: the regimen title.
        indication: who it is for, in the label's terms.
        last_checked: when the facts were last compared with the sources.
        sources: every source cited, by key, in the order the file lists them.
        agents: the agents, by id, in file order.
        daily: daily dosing parts.
        phases: cyclic parts, in order.
        cycles_start_day: the plan day on which cycle 1 day 1 falls.
        choices: the choices a plan may make, by id.
        notes: remarks for pharmacists and nurses (conflicts between sources, label history,
            how to record a change); shown by ``dosecal show``, never in a patient's output.
        patient_notes: what a patient reads about the schedule as a whole, each cited.
        limits: cycle limits that depend on choices.
        reminders: all-day notes on plan days for what the care team sets.
        checks: tests and check-ups on plan days (nilotinib's ECG on days 1 and 8).
        care_team: what the care team schedules beside this calendar, with no dates of dosecal's
            (blinatumomab's CNS prophylaxis): the plan names it and leaves the dates to them.
        indications: who the regimen is for under some choices (a child's dasatinib), each
            replacing ``indication`` when its ``when`` holds.
        origin: where the definition came from (a path or ``built-in``), for messages.
        canonical: the canonical URL (``url|version``) of the FHIR PlanDefinition the definition
            was made from, so that a plan's CarePlan can say which regimen it instantiates.
    """

    id: str
    title: str
    indication: str
    last_checked: date
    sources: Mapping[str, Source]
    agents: Mapping[str, Agent]
    daily: tuple[Daily, ...]
    phases: tuple[Phase, ...]
    choices: Mapping[str, Choice]
    cycles_start_day: int = 1
    notes: tuple[str, ...] = ()
    patient_notes: tuple[Advice, ...] = ()
    limits: tuple[CycleLimit, ...] = ()
    reminders: tuple[Reminder, ...] = ()
    checks: tuple[Check, ...] = ()
    care_team: tuple[Advice, ...] = ()
    indications: tuple[Advice, ...] = ()
    origin: str = ""
    canonical: str | None = None

    def indication_for(self, choices: Mapping[str, str]) -> str:
        """Who the regimen is for under the plan's ``choices``: the first indication that holds."""
        return next((x.text for x in self.indications if x.applies(choices)), self.indication)

    @property
    def total_cycles(self) -> int:
        """The most cycles the schedule allows."""
        return sum(p.cycles for p in self.phases)

    @property
    def open_ended(self) -> bool:
        """Whether some part continues without end (a daily TKI), so a plan needs a horizon."""
        return any(d.open_ended for d in self.daily)

    def cited(self) -> set[str]:
        """Every source key that some fact, rule or sentence of the schedule cites."""
        keys: set[str] = set()
        for a in self.agents.values():
            keys.update(a.sources, a.supervision_sources, *(x.sources for x in a.advice))
        for c in self.choices.values():
            keys.update(c.sources)
        for d in self.daily:
            keys.update(d.sources, *(step.sources for step in d.steps))
        for phase in self.phases:
            keys.update(phase.sources)
            for rule in phase.rules:
                keys.update(rule.sources)
                if isinstance(rule, Infusion):
                    keys.update(rule.restart_sources, *(step.sources for step in rule.steps))
        for note in (*self.patient_notes, *self.care_team, *self.indications):
            keys.update(note.sources)
        for check in self.checks:
            keys.update(check.sources)
        for phase in self.phases:
            for stay in phase.stays:
                keys.update(stay.text_sources)
        for limit in self.limits:
            keys.update(limit.sources)
        for reminder in self.reminders:
            keys.update(reminder.sources)
        return keys

    def choices_used(self, cycles: int) -> set[str]:
        """The choice ids that rules of the first ``cycles`` cycles depend on."""
        used: set[str] = set()
        first = 1
        for phase in self.phases:
            numbers = set(range(first, min(first + phase.cycles, cycles + 1)))
            if numbers and phase.length_choice:
                used.add(phase.length_choice)
            for rule in phase.rules:
                sel = rule.selector
                if numbers and (sel.cycles is None or sel.cycles & numbers):
                    used.update(sel.when)
            first += phase.cycles
        return used

    def phase_of(self, cycle: int) -> Phase:
        """The phase that global cycle number ``cycle`` (1-based) belongs to."""
        n = cycle
        for phase in self.phases:
            if n <= phase.cycles:
                return phase
            n -= phase.cycles
        raise IndexError(cycle)
