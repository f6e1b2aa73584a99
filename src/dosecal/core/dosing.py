"""Doses per body surface area: the Mosteller formula and written doses turned into amounts.

A dose is always shown as the label writes it ("15 mcg/m2/day (max 28 mcg/day)"); when a plan
gives height and weight, the amount for that body size is added beside it, capped where the
label caps it. The formula and the rounding rule are stated wherever the result is shown.

One rounding rule, as a pharmacy label rounds, so that a reader can check the arithmetic with
the numbers printed: the body surface area is rounded to 2 decimals (as shown), and each amount
is the dose per m² times that area, rounded to 3 significant figures and at most 2 decimals
(15 mcg/m² × 0.80 m² = 12 mcg, never 11.99 from an unrounded area).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from dosecal.model.schedule import brief_written
from dosecal.words import ENGLISH, Content, Msg, Text, msg

_PER_M2 = re.compile(
    r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>mg|mcg|g)/m2(?P<per>/day)?"
    r"(?:\s*\(max\s+(?P<max>\d+(?:\.\d+)?)\s*(?P<max_unit>mg|mcg|g)(?:/day)?\))?\s*$"
)


def mosteller(height_cm: float, weight_kg: float) -> float:
    """Body surface area in m² by the Mosteller formula."""
    return math.sqrt(height_cm * weight_kg / 3600)


def body_surface_area(height_cm: float, weight_kg: float) -> Decimal:
    """The body surface area as shown and computed with: Mosteller, rounded to 2 decimals."""
    return Decimal(f"{mosteller(height_cm, weight_kg):.2f}")


def _number(value: Decimal) -> float:
    """An amount rounded to 3 significant figures and at most 2 decimals (a language writes it).

    >>> _number(Decimal("12.000")), _number(Decimal("8.2875")), _number(Decimal("0.648")), _number(Decimal("141.6"))
    (12.0, 8.29, 0.65, 142.0)
    """
    if value == 0:
        return 0.0
    digits = 3 - value.adjusted() - 1  # decimals that keep 3 significant figures
    return float(value.quantize(Decimal(1).scaleb(-min(2, digits)), rounding=ROUND_HALF_UP))


def _amount(dose: str, bsa: Decimal) -> tuple[float, str, bool] | None:
    """The number, unit and whether capped that a per-m² dose gives for ``bsa`` (as shown)."""
    m = _PER_M2.match(dose)
    if m is None:
        return None
    unit = m.group("unit") + (m.group("per") or "")
    amount = Decimal(m.group("amount")) * bsa
    cap = m.group("max")
    if cap is not None and m.group("max_unit") == m.group("unit") and amount > Decimal(cap):
        return _number(Decimal(cap)), unit, True
    return _number(amount), unit, False


def per_m2_amount(dose: str, bsa: Decimal) -> str | None:
    """The amount a per-m² dose gives for ``bsa`` (capped), or ``None`` if ``dose`` is not per m².

    >>> per_m2_amount("15 mcg/m2/day (max 28 mcg/day)", Decimal("1.2"))
    '18 mcg/day'
    >>> per_m2_amount("15 mcg/m2/day (max 28 mcg/day)", Decimal("2.0"))
    '28 mcg/day (capped)'
    >>> per_m2_amount("0.8 mg/m2", Decimal("1.8"))
    '1.44 mg'
    """
    found = _amount(dose, bsa)
    return ENGLISH.text(_amount_text(found)) if found is not None else None


def _amount_text(found: tuple[float, str, bool]) -> Msg:
    number, unit, capped = found
    return msg("amount.capped" if capped else "amount", number=number, unit=Content(unit))


def describe_dose(dose: str, height_cm: float | None, weight_kg: float | None) -> Text:
    """``dose`` as written, with the computed amount beside it when the body size is known."""
    if height_cm is None or weight_kg is None:
        return Content(dose)
    bsa = body_surface_area(height_cm, weight_kg)
    found = _amount(dose, bsa)
    if found is None:
        return Content(dose)
    return msg("dose.computed", written=Content(dose), amount=_amount_text(found), bsa=bsa)


def brief_dose(dose: str, height_cm: float | None, weight_kg: float | None) -> Text:
    """The dose for a phone's title: the amount for this body size, else the dose short.

    The dose as written loses its trailing remark there; the whole dose is in the event's notes.
    """
    if height_cm is not None and weight_kg is not None:
        found = _amount(dose, body_surface_area(height_cm, weight_kg))
        if found is not None:
            return _amount_text(found)
    return Content(brief_written(dose))
