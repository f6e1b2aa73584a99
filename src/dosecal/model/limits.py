"""The bounds on every number and date dosecal accepts, in one place (docs/limits.md).

Each value a user or a shared definition can give is checked against these bounds when it is
read, by the same functions for plan files, definitions and command-line options, so that
``dosecal check`` refuses exactly what ``dosecal generate`` would refuse. Without them a typo
(``--until 9999-12-31``, ``cycles = 99999999``) exhausts memory or overflows the date type
instead of getting a one-line message. The bounds are far above any real treatment plan.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

from dosecal.words import msg

#: The earliest and the latest date accepted anywhere (start, until, stop, dose changes...).
#: Time zone rules before 1900 are guesses (local mean time), and 2200 leaves room for a
#: plan's whole span and every shift inside it without nearing the year 9999 where Python's
#: date type ends.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)

#: The longest plan, from day 1 to its last planned day: ten years and leap days. A
#: twice-daily drug over this span is about 7,300 events.
MAX_PLAN_DAYS = 3660

#: The most cycles a definition may describe, and a plan may ask for (blinatumomab has 9).
MAX_CYCLES = 100

#: The longest cycle, in days (blinatumomab's continued therapy is 84).
MAX_CYCLE_DAYS = 366

#: The highest day number: a plan day (``D12``), a step's ``from_day``, ``cycles_start_day``.
MAX_DAY = MAX_PLAN_DAYS

#: The longest delay of one cycle, in days.
MAX_DELAY_DAYS = 365

#: The longest interruption of an infusion, in days (hours count towards it).
MAX_INTERRUPTION_DAYS = 365

#: The earliest a calendar reminder may fire before a dose: one week, in minutes.
MAX_REMINDER_MINUTES = 7 * 24 * 60

#: The longest offset or duration in minutes: premedication before a dose, a dose's length,
#: observation, fasting, a restart's hours (as minutes). One day.
MAX_OFFSET_MINUTES = 24 * 60

#: The most adjustments a plan's history may hold; the plan is expanded once per step of it.
MAX_ADJUSTMENTS = 100


#: The longest time zone name (the longest IANA name has 32 characters).
MAX_ZONE_NAME = 64

#: Body measures accepted, by unit: wider than any patient's, narrow enough that a unit
#: mistaken is refused (a height in metres, 1.30, made body-surface doses ten times too low;
#: a weight in grams or a typo such as 0.5). They are not clinical numbers: no dose depends on
#: them, they only refuse what no person measures.
MEASURES = {"kg": (1.0, 400.0), "cm": (30.0, 275.0)}

#: Fever thresholds a clinic may print, by unit ("C" or "F"). dosecal sets no threshold of its
#: own (no label gives one; clinics differ, 38.0 °C to 38.5 °C): it only refuses what cannot be
#: a fever threshold (37 °C is normal; 41 °C is too late to call), and a Fahrenheit number
#: typed as Celsius.
FEVER = {"C": (Decimal("37.5"), Decimal("40.0")), "F": (Decimal("99.5"), Decimal("104.0"))}

#: The longest plan label (``--patient``, the clinic form's label): a name and a record number
#: fit; one paragraph pasted by mistake does not reach a printout's header or the plans list.
MAX_LABEL = 100

#: The longest adjustment note (``--note``, the adjust page's "Why", ``note =`` in a plan file):
#: one sentence of reasons. It is shown beside the change on the patient's printout and in the
#: plan's history, so it gets the label's checks, only longer.
MAX_NOTE = 200

#: The longest telephone line on a printout (the clinic form's contacts): a number and an extension.
MAX_CONTACT = 40

#: The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make
#: text read in another order than it is stored ("Jane Roe" shown, something else kept).
_BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def check_date(value: date) -> date:
    """``value`` if it is within the accepted range.

    Raises:
        ValueError: with the message saying the range.
    """
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            msg(
                "error.limits.date_out_of_range",
                value=value.isoformat(),
                earliest=EARLIEST_DATE.isoformat(),
                latest=LATEST_DATE.isoformat(),
            )
        )
    return value


def check_number(value: int, maximum: int) -> int:
    """``value`` if it is at most ``maximum``.

    Raises:
        ValueError: with the message saying the bound.
    """
    if value > maximum:
        raise ValueError(msg("error.limits.number_too_large", value=value, maximum=maximum))
    return value


def check_measure(value: float, unit: str) -> float:
    """``value`` if it is a body measure in ``unit`` (kg or cm) that a person can have.

    Raises:
        ValueError: saying the range, or that a height looks like metres.
    """
    least, most = MEASURES[unit]
    if least <= value <= most:
        return value
    shown = f"{value:g}"
    if unit == "cm" and 0.3 <= value <= 2.75:
        raise ValueError(msg("error.limits.height_in_metres", value=shown, cm=f"{value * 100:g}"))
    raise ValueError(
        msg("error.limits.measure_out_of_range", value=shown, unit=unit, least=f"{least:g}", most=f"{most:g}")
    )


def check_fever(value: Decimal, unit: str) -> Decimal:
    """``value`` if it is a fever threshold in ``unit`` ("C" or "F"), with at most one decimal.

    Raises:
        ValueError: saying the range, or that a Celsius threshold looks like Fahrenheit.
    """
    least, most = FEVER[unit]
    if value.as_tuple().exponent < -1:  # type: ignore[operator]
        raise ValueError(msg("error.limits.fever_decimals", value=str(value)))
    if least <= value <= most:
        return value
    if unit == "C" and FEVER["F"][0] <= value <= FEVER["F"][1]:
        raise ValueError(msg("error.limits.fever_in_fahrenheit", value=str(value)))
    raise ValueError(
        msg("error.limits.fever_out_of_range", value=str(value), unit=unit, least=str(least), most=str(most))
    )


def check_text(value: str, maximum: int) -> str:
    """``value`` if it is one short line of text.

    At most ``maximum`` characters, with no control character (NUL, line breaks, tabs...) and
    no bidirectional override or isolate.

    Raises:
        ValueError: with the message saying what is wrong (the length, or the character's code).
    """
    if len(value) > maximum:
        raise ValueError(msg("error.limits.text_too_long", length=len(value), maximum=maximum))
    for char in value:
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            raise ValueError(msg("error.limits.text_control", code=f"U+{ord(char):04X}"))
    return value
