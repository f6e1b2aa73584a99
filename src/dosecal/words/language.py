"""Words: messages as facts, and the language that turns them into what a reader sees.

The core never writes English. It builds :class:`Msg` values (a message id from
:mod:`dosecal.words.catalogue` and the values to fill it with) and :class:`Content` values (text
from a schedule definition: a drug's name, an instruction, a dose as written). A
:class:`Language` renders them: it looks each message up in its gettext catalogue (English
is the catalogue's own text), fills in the values rendered the same way, and writes dates
with Babel's locale data. :class:`PseudoLanguage` transforms every word it renders, so that a
test can see that nothing reached an output without passing through here.
"""

from __future__ import annotations

import gettext
import string
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from dosecal.words.catalogue import CATALOGUE, PLURALS

#: The gettext domain of dosecal's catalogues (words/locale/<lang>/LC_MESSAGES/dosecal.mo).
DOMAIN = "dosecal"

#: The gettext context under which schedule content (names, instructions, doses) is translated.
CONTENT = "schedule"


@dataclass(frozen=True, slots=True)
class Content:
    """Text a schedule definition gives (a drug's name, an instruction, a dose as written).

    Attributes:
        text: the text in the definition's language (English for the built-ins).
    """

    text: str


@dataclass(frozen=True, slots=True)
class Msg:
    """A message by id, with the values that fill it; a fact until a language renders it.

    Attributes:
        key: the message id in :data:`dosecal.words.catalogue.CATALOGUE`.
        values: the template's fields and their values, in order.
    """

    key: str
    values: tuple[tuple[str, Value], ...] = ()

    def __str__(self) -> str:
        """The message in English, where a plain string is wanted (logs, exceptions' text)."""
        return ENGLISH.text(self)


@dataclass(frozen=True, slots=True)
class Seq:
    """Several values read one after the other (a list of sources, of instructions).

    Attributes:
        items: the values.
        sep: what goes between them.
    """

    items: tuple[Value, ...]
    sep: str | Msg = " "


@dataclass(frozen=True, slots=True)
class Cap:
    """A value rendered with its first letter in capitals (a label that starts a line)."""

    value: Value


#: What a message's field may hold: another message, schedule content, several of them, a
#: date, a clock time or a decimal number (each written in the reader's conventions), or data
#: (whole numbers, zone names) that reads the same in every language.
Value = Msg | Content | Seq | Cap | date | time | int | float | Decimal | str | None

#: What an event's title, dose or notes are made of.
Text = Msg | Content


def msg(key: str, /, **values: Value) -> Msg:
    """The message ``key`` with ``values``."""
    return Msg(key, tuple(values.items()))


class Language:
    """Renders messages, schedule content and dates for one reader's language.

    Args:
        code: the language code (``en``).
        translations: the gettext catalogue; for English, the catalogue's own text.
        locale: the Babel locale for dates and numbers.
    """

    def __init__(self, code: str, translations: gettext.NullTranslations, locale: str) -> None:
        self.code = code
        self.translations = translations
        self.locale = locale

    def template(self, key: str, count: int | None = None) -> str:
        """The template of message ``key`` in this language; of the form for ``count`` if plural."""
        if key in PLURALS:
            singular, plural = PLURALS[key]
            return self.translations.npgettext(key, singular, plural, 1 if count is None else count)
        return self.translations.pgettext(key, CATALOGUE[key])

    def content(self, text: str) -> str:
        """Schedule content in this language (unchanged where the catalogue has no translation)."""
        return self.translations.pgettext(CONTENT, text)

    def text(self, value: Value) -> str:
        """Any value as a reader sees it."""
        if isinstance(value, Msg):
            fields = dict(value.values)
            count = fields.get("count") if value.key in PLURALS else None
            template = self.template(value.key, count if isinstance(count, int) else None)
            return template.format(**{k: self.text(v) for k, v in value.values})
        if isinstance(value, Content):
            return self.content(value.text)
        if isinstance(value, Cap):
            text = self.text(value.value)
            return text[:1].upper() + text[1:]
        if isinstance(value, Seq):
            sep = value.sep if isinstance(value.sep, str) else self.text(value.sep)
            return sep.join(self.text(v) for v in value.items)
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, time):
            return self.clock(value)
        if isinstance(value, float):
            return self.number(value)
        if isinstance(value, Decimal):
            # A measure written to a fixed number of places (a body surface area: "2.00").
            places = max(0, -int(value.as_tuple().exponent))
            return format_decimal(value, "0." + "0" * places if places else "0", locale=self.locale)
        if value is None:
            return ""
        return str(value)

    def say(self, key: str, /, **values: Value) -> str:
        """Message ``key`` filled with ``values``, rendered."""
        return self.text(msg(key, **values))

    def lines(self, parts: tuple[Value, ...]) -> str:
        """Several values, one a line."""
        return "\n".join(self.text(p) for p in parts)

    def clock(self, moment: time | datetime) -> str:
        """A clock time as the reader's conventions write it: "09:30"; in French "9 h 30", "10 h"."""
        at = moment.time() if isinstance(moment, datetime) else moment
        key = "time.pattern_hour" if at.minute == 0 else "time.pattern"
        return format_time(at, Language.template(self, key), locale=self.locale)

    def number(self, value: float) -> str:
        """A decimal number with at most two decimals, trailing zeros dropped: "1.22"; "1,22"."""
        return format_decimal(value, "0.##", locale=self.locale)

    def weekday(self, day: date) -> str:
        """The abbreviated weekday: "Mon"."""
        return format_date(day, "EEE", locale=self.locale)

    def month(self, day: date, *, year: bool = False) -> str:
        """The abbreviated month, with the year if asked: "Jan", "Jan 2027"."""
        return format_date(day, "MMM y" if year else "MMM", locale=self.locale)

    def month_name(self, day: date) -> str:
        """The month in full, with the year: "January 2027"."""
        return format_date(day, "MMMM y", locale=self.locale)

    def short_date(self, day: date) -> str:
        """A date without its year, where the year is plain: "Mon 25 Jan"."""
        return format_date(day, Language.template(self, "date.short_pattern"), locale=self.locale)

    def date(self, day: date) -> str:
        """A date as plans and notes write it, in words: "Mon 4 Jan 2027"."""
        return format_date(day, Language.template(self, "date.pattern"), locale=self.locale)


_ACCENTS = str.maketrans("aeiouyAEIOUYcnCN", "áéíóúýÁÉÍÓÚÝçñÇÑ")


def pseudo(text: str) -> str:
    """``text`` accented and bracketed, its ``{fields}`` kept: "⟦Hóspítál stáý⟧"."""
    out = []
    for literal, field, spec, conversion in string.Formatter().parse(text):
        out.append(literal.translate(_ACCENTS))
        if field is not None:
            out.append(
                "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
    return "⟦" + "".join(out) + "⟧"


class PseudoLanguage(Language):
    """A language in which every word is visibly transformed, to find words that bypass it."""

    def __init__(self) -> None:
        super().__init__("en-XA", gettext.NullTranslations(), "en")

    def template(self, key: str, count: int | None = None) -> str:
        """The English template, transformed."""
        return pseudo(super().template(key, count))

    def content(self, text: str) -> str:
        """Schedule content, transformed."""
        return pseudo(text)

    def weekday(self, day: date) -> str:
        """The weekday, transformed."""
        return pseudo(super().weekday(day))

    def month(self, day: date, *, year: bool = False) -> str:
        """The month, transformed."""
        return pseudo(super().month(day, year=year))

    def month_name(self, day: date) -> str:
        """The month in full, transformed."""
        return pseudo(super().month_name(day))

    def clock(self, moment: time | datetime) -> str:
        """The clock time, transformed."""
        return pseudo(super().clock(moment))

    def short_date(self, day: date) -> str:
        """The date without its year, transformed."""
        return pseudo(super().short_date(day))

    def date(self, day: date) -> str:
        """The date, transformed."""
        return pseudo(super().date(day))


#: English: the catalogue's own text, dates in the en locale.
ENGLISH = Language("en", gettext.NullTranslations(), "en")


def locale_dir() -> Path:
    """Where compiled catalogues are installed: dosecal/words/locale/<lang>/LC_MESSAGES/dosecal.mo.

    Beside this module, found from its own path: importlib.resources would load zipfile and
    tempfile into every command for a folder that is always on disk.
    """
    return Path(__file__).resolve().parent / "locale"


#: The Babel locale of each language dosecal ships: its French is Canada's.
LOCALES = {"fr": "fr_CA"}

#: What a reader may choose: one language, or two for a bilingual printout (first, then second;
#: calendars and data take the first).
LANGUAGE_CHOICES = ("en", "fr", "fr+en", "en+fr")


def languages(choice: str) -> tuple[Language, ...]:
    """The languages of a choice: ``"fr+en"`` gives French, then English.

    Raises:
        ValueError: for a choice dosecal does not offer.
    """
    if choice not in LANGUAGE_CHOICES:
        raise ValueError(
            msg("error.words.language_choice", value=choice, choices=", ".join(LANGUAGE_CHOICES))
        )
    return tuple(language(code) for code in choice.split("+"))


@cache
def language(code: str) -> Language:
    """The language ``code``: English, or one whose compiled catalogue ships with dosecal.

    Raises:
        ValueError: for a language without a catalogue.
    """
    if code == "en":
        return ENGLISH
    try:
        translations = gettext.translation(DOMAIN, locale_dir(), [code])
    except OSError:
        raise ValueError(msg("error.words.no_catalogue", code=code)) from None
    return Language(code, translations, LOCALES.get(code, code.replace("-", "_")))


def say(key: str, /, **values: Value) -> str:
    """Message ``key`` in English: for logs and messages that are not a patient's output."""
    return ENGLISH.say(key, **values)
