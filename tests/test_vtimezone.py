"""The yearly VTIMEZONE rules dosecal writes reproduce zoneinfo, or are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dosecal.render.vtimezone import build_rule


def hourly(zone: str, first: str, days: int) -> list[datetime]:
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    return [(start + timedelta(hours=h)).astimezone(tz) for h in range(days * 24)]


@pytest.mark.parametrize(
    ("zone", "daylight", "standard"),
    [
        ("America/Toronto", ("2SU", 3, "02:00"), ("1SU", 11, "02:00")),
        ("Europe/London", ("-1SU", 3, "01:00"), ("-1SU", 10, "02:00")),
        ("Australia/Sydney", ("1SU", 10, "02:00"), ("1SU", 4, "03:00")),
    ],
)
def test_rules_of_zones_with_dst(
    zone: str, daylight: tuple[str, int, str], standard: tuple[str, int, str]
) -> None:
    rule = build_rule(zone, hourly(zone, "2027-01-01", 730))
    assert rule is not None and rule.daylight is not None
    assert (rule.daylight.byday, rule.daylight.month, f"{rule.daylight.onset:%H:%M}") == daylight
    assert (rule.standard.byday, rule.standard.month, f"{rule.standard.onset:%H:%M}") == standard
    assert rule.daylight.offset_to - rule.standard.offset_to == timedelta(hours=1)


def test_rule_matches_zoneinfo_every_hour_for_two_years() -> None:
    moments = hourly("America/Toronto", "2027-01-01", 730)
    rule = build_rule("America/Toronto", moments)
    assert rule is not None
    assert all(rule.offset_at(m) == m.utcoffset() for m in moments)


def test_zone_without_dst_has_one_standard_observance() -> None:
    rule = build_rule("Asia/Kolkata", hourly("Asia/Kolkata", "2027-01-01", 10))
    assert rule is not None and rule.daylight is None
    assert rule.standard.offset_to == timedelta(hours=5, minutes=30)


def test_a_zone_whose_rules_change_inside_the_plan_is_refused() -> None:
    """Mexico City dropped DST after October 2022: no single yearly rule covers 2021-2023."""
    assert build_rule("America/Mexico_City", hourly("America/Mexico_City", "2021-06-01", 800)) is None


def test_a_zone_with_irregular_changes_is_refused() -> None:
    """Casablanca's clock changes follow Ramadan, not a weekday rule."""
    assert build_rule("Africa/Casablanca", hourly("Africa/Casablanca", "2027-01-01", 365)) is None
