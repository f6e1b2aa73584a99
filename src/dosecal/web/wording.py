"""The pages' words where the library speaks to the command line: no option, command or source key.

The library's errors and a schedule's texts are shared with ``dosecal``: they say "give --choice
response=cr|no-cr", "see 'dosecal show inotuzumab'", "Set from --weight when it is given", and
cite sources by key ("(FDA-BLIN)"). That is right in a terminal and wrong in a form, where a
nurse has fields, not options. So the pages say the same facts in their own words, in two steps:

1. :func:`for_page` replaces each error the form can meet by its page message (by message id,
   with the same values; the choice's label in the page's language, not its id);
2. :func:`page_text` rewrites whatever text still holds command-line spelling once rendered:
   an option becomes the name of its field (``--weight`` → «Weight (kg)»), a choice written
   ``ID=VALUE`` becomes its label and option's words, a ``dosecal adjust PLAN --interrupt ...``
   hint names the Adjust page, and a source key becomes its number in the list of sources
   (``[3]``). The second step is the net under the first: a message added to the library later
   still reaches the page without its command-line syntax.

The command line keeps its own words: nothing here changes what ``dosecal`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dosecal.model.schedule import Schedule
from dosecal.words import Content, Language, Msg, Value, msg

#: Form fields' names by the command-line option that holds the same value.
OPTION_NAMES = {
    "--start": "web.new.start",
    "--tz": "web.new.tz",
    "--time": "web.new.times",
    "--choice": "web.new.choices",
    "--weight": "web.new.weight",
    "--height": "web.new.height",
    "--lang": "web.new.lang",
    "--cycles": "web.new.cycles",
    "--until": "web.new.until",
    "--patient": "web.new.label",
    "--label": "web.new.label",
    "--delay": "web.adjust.delay",
    "--hold": "web.adjust.hold",
    "--interrupt": "web.adjust.interrupt",
    "--change-dose": "web.adjust.dose",
    "--time-change": "web.adjust.time_change",
    "--body-size": "web.adjust.body_size",
    "--zone-change": "web.adjust.zone_change",
    "--stop": "web.adjust.stop",
    "--note": "web.adjust.note",
}

#: ``--option`` with what usually follows it in a usage hint (``--choice ID=VALUE``, ``--weight KG``).
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)(?:[ =](?:[A-Z][A-Z/|=\[\]]*)(?![\w-]))?")

#: A command-line hint to record a change: ``dosecal adjust PLAN --interrupt CnDd...`` up to its end.
_ADJUST_HINT = re.compile(
    r"dosecal (?:store )?adjust (?:PLAN |ID )?(--[a-z-]+)[^\s.]*(?:\s+[^\s.]*[=|:@\[][^\s.]*)*"
)

#: "see 'dosecal list'" and the like, in parentheses or not.
_SEE_COMMAND = re.compile(r"\s*\(?(?:see|voir) '?dosecal [^)']*'?\)?")


def for_page(value: Value) -> Value:
    """The page's message for an error the command line words with its options; else ``value``."""
    if not isinstance(value, Msg):
        return value
    v = dict(value.values)
    if value.key in ("error.plan.no_time_zone_give", "error.overrides.no_time_zone_and"):
        return msg("error.web.no_zone")
    if value.key == "error.plan.plan_for_value_words":
        return msg("error.web.needs_weight", words=v.get("words"))
    if value.key == "error.plan.value_words_recommended_under":
        return msg(
            "error.web.not_recommended",
            words=v.get("words"),
            least=v.get("least"),
            weight_kg=v.get("weight_kg"),
        )
    if value.key == "error.plan.id_needs_your_care":
        return msg("error.web.choice_needed", label=_label(v.get("label")))
    if value.key == "error.plan.id_needs_your_care2":
        return msg(
            "error.web.choice_needed_over", label=_label(v.get("label")), cycles=v.get("needed_over_cycles")
        )
    if value.key == "error.plan.id_has_no_cycles":
        return msg("error.web.no_cycles")
    if value.key == "error.plan.with_why_under_required":
        return msg(
            "error.web.choice_not_assumed",
            why=v.get("why"),
            kg=v.get("required_below_kg"),
            label=_label(v.get("label")),
        )
    if value.key == "error.limits.fever_in_fahrenheit":
        return msg("error.web.fahrenheit", value=v.get("value"))
    if value.key == "error.store.conflict":
        return msg("error.web.conflict", id=v.get("id"), expected=v.get("expected"), actual=v.get("actual"))
    if value.key == "error.overrides.give_at_least_one":
        return msg("error.web.nothing_given")
    if value.key == "error.limits.too_many_adjustments":
        return msg("error.web.too_many", count=v.get("count"), maximum=v.get("maximum"))
    return Msg(value.key, tuple((k, for_page(x)) for k, x in value.values))


def _label(label: Value) -> Value:
    """A choice's label as schedule content (translated), where the library gave its text."""
    return Content(label) if isinstance(label, str) else label


def page_text(text: str, lang: Language, schedule: Schedule | None = None) -> str:
    """``text`` without command-line syntax or source keys (see the module's docstring)."""

    def field(option: str) -> str:
        key = OPTION_NAMES.get(option)
        return lang.say("web.text.field", field=lang.say(key)) if key else lang.say("web.new.choices")

    def adjust_hint(found: re.Match[str]) -> str:
        return lang.say("web.text.adjust_page", field=field(found.group(1)))

    text = _SEE_COMMAND.sub("", text)
    text = _ADJUST_HINT.sub(adjust_hint, text)
    if schedule is not None:
        text = _choice_words(text, lang, schedule)
        text = _numbered_sources(text, schedule)
    return _OPTION.sub(lambda found: field(found.group(1)), text)


def _choice_words(text: str, lang: Language, schedule: Schedule) -> str:
    """``--choice response=cr|no-cr`` and ``weight = 45kg-or-more`` as the choice's label and option's words."""
    for c in schedule.choices.values():
        label = lang.content(c.label)
        label = label[:1].upper() + label[1:]

        def option(value: str, labels: Mapping[str, str] = c.option_labels) -> str:
            return lang.content(labels.get(value, value))

        options = "|".join(re.escape(o) for o in sorted(c.options, key=len, reverse=True))
        pair = re.compile(
            rf"(?:--choice[ =])?(?<![\w-]){re.escape(c.id)}\s?=\s?((?:{options})(?:\|(?:{options}))*)(?![\w-])"
        )

        def words(found: re.Match[str], label: str = label, option: object = option) -> str:
            assert callable(option)
            shown = " / ".join(option(v) for v in found.group(1).split("|"))
            return lang.say("web.text.choice", label=label, option=shown)

        text = pair.sub(words, text)
    return text


def _numbered_sources(text: str, schedule: Schedule) -> str:
    """Each source key as its number in the schedule's list of sources: ``[FDA-BLIN, EMA-BLIN]`` → ``[1, 7]``."""
    numbers = {key: str(n) for n, key in enumerate(schedule.sources, start=1)}
    if not numbers:
        return text
    keys = "|".join(re.escape(k) for k in sorted(numbers, key=len, reverse=True))
    cited = re.compile(rf"\[((?:{keys})(?:,\s*(?:{keys}))*)\]")
    text = cited.sub(lambda m: "[" + ", ".join(numbers[k.strip()] for k in m.group(1).split(",")) + "]", text)
    # "FHIR", the key of an imported PlanDefinition's source, is also a word of its own notes
    # ("Imported from the FHIR PlanDefinition ..."): there it stays a word.
    bare = re.compile(rf"(?<![\w-])({keys})(?![\w-])(?! PlanDefinition)")
    return bare.sub(lambda m: f"[{numbers[m.group(1)]}]", text)


def without_choices(described: str, lang: Language) -> str:
    """The schedule in words without its list of choices: the form shows each, with its words."""
    heading = lang.say("show.heading.choices")
    out: list[str] = []
    skipping = False
    for line in described.split("\n"):
        if line == heading:
            skipping = True
            continue
        if skipping and not line.strip():
            skipping = False  # the blank line that ends the list goes with it
            continue
        if not skipping:
            out.append(line)
    return "\n".join(out)
