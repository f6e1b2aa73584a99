"""Doses keep their wall-clock time across DST changes, and gaps and repeats are handled.

Zone facts used: America/Toronto springs forward at 02:00 on 2027-03-14 and falls back at
02:00 on 2027-11-07; Australia/Sydney falls back at 03:00 on 2027-04-04 and springs forward at
02:00 on 2027-10-03; Asia/Kolkata has no DST (+05:30).
"""

from __future__ import annotations

from datetime import timedelta

from conftest import at, builtin, d, hhmm, plan
from dosecal.core.expand import expand
from dosecal.model.clock import local
from dosecal.model.occurrence import Kind


def test_daily_dose_stays_at_0800_local_across_the_spring_change() -> None:
    occ = expand(builtin("dasatinib"), plan("2027-03-12", until=d("2027-03-16")))
    assert [o.start for o in occ] == [
        at("2027-03-12 08:00"),
        at("2027-03-13 08:00"),
        at("2027-03-14 08:00"),
        at("2027-03-15 08:00"),
        at("2027-03-16 08:00"),
    ]
    assert [o.start.utcoffset() for o in occ] == [timedelta(hours=h) for h in (-5, -5, -4, -4, -4)]  # type: ignore[union-attr]
    # Only 23 hours pass between the doses either side of the change.
    assert occ[2].start.timestamp() - occ[1].start.timestamp() == 23 * 3600  # type: ignore[union-attr]


def test_daily_dose_stays_at_0800_local_across_the_autumn_change_in_sydney() -> None:
    occ = expand(builtin("dasatinib"), plan("2027-04-03", "Australia/Sydney", until=d("2027-04-05")))
    assert [o.start for o in occ] == [
        at("2027-04-03 08:00", "Australia/Sydney"),
        at("2027-04-04 08:00", "Australia/Sydney"),
        at("2027-04-05 08:00", "Australia/Sydney"),
    ]
    assert [o.start.utcoffset() for o in occ] == [timedelta(hours=h) for h in (11, 10, 10)]  # type: ignore[union-attr]


def test_the_event_on_a_change_day_says_so() -> None:
    occ = expand(builtin("dasatinib"), plan("2027-03-13", until=d("2027-03-14")))
    assert "Clocks change today" not in (occ[0].notes or "")
    assert "Clocks change today in America/Toronto" in (occ[1].notes or "")


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    """02:30 does not exist in Toronto on 2027-03-14; the dose is at 03:30 EDT, one real instant."""
    moment = local(d("2027-03-14"), hhmm("02:30"), at("2027-03-14 00:00").tzinfo)  # type: ignore[arg-type]
    assert moment == at("2027-03-14 03:30")
    assert moment.utcoffset() == timedelta(hours=-4)


def test_an_ambiguous_autumn_time_takes_its_first_occurrence() -> None:
    """01:30 happens twice in Toronto on 2027-11-07; the first one (EDT, -04:00) is used."""
    moment = local(d("2027-11-07"), hhmm("01:30"), at("2027-11-07 00:00").tzinfo)  # type: ignore[arg-type]
    assert moment.isoformat() == "2027-11-07T01:30:00-04:00"


def test_a_zone_without_dst_keeps_its_half_hour_offset() -> None:
    occ = expand(builtin("nilotinib"), plan("2027-03-13", "Asia/Kolkata", until=d("2027-03-14")))
    assert [o.start.isoformat() for o in occ if o.kind is Kind.DOSE] == [  # type: ignore[union-attr]
        "2027-03-13T10:00:00+05:30",
        "2027-03-13T22:00:00+05:30",
        "2027-03-14T10:00:00+05:30",
        "2027-03-14T22:00:00+05:30",
    ]


def test_a_28_day_infusion_across_a_change_ends_at_the_same_wall_time() -> None:
    """Blinatumomab cycle 2 (2027-02-15) runs over 14 March; it still ends at 10:00 on day 29."""
    occ = expand(builtin("blinatumomab-rr"), plan("2027-01-04", cycles=2))
    end = next(o for o in occ if o.kind is Kind.INFUSION_END and o.cycle == 2)
    assert end.start == at("2027-03-15 10:00")
    bags = [o.start for o in occ if o.kind is Kind.BAG_CHANGE and o.cycle == 2]
    assert at("2027-03-14 10:00") in bags and at("2027-03-13 10:00") in bags


def test_a_gap_time_given_with_fold_1_still_moves_forward() -> None:
    """Found by hypothesis: time(2, 0, fold=1) used to land at 01:00 EST on 2020-03-08."""
    moment = local(d("2020-03-08"), hhmm("02:00").replace(fold=1), at("2020-03-08 00:00").tzinfo)  # type: ignore[arg-type]
    assert moment.isoformat() == "2020-03-08T03:00:00-04:00"
