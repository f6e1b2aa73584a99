"""What the .ics must contain to import cleanly (../shared/ics-interop.md), checked on the bytes."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from icalendar import Calendar

from conftest import builtin, plan
from dosecal.core.expand import expand
from dosecal.render.ics import to_ics


def ics(sid: str, zone: str = "America/Toronto", **kw: object) -> bytes:
    s = builtin(sid)
    p = plan("2027-01-04", zone, **kw)
    return to_ics(expand(s, p))


def test_calendar_header_and_deterministic_stamp() -> None:
    data = ics("dasatinib")
    text = data.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//dosecal//dosecal//EN\r\n")
    assert "\r\nMETHOD:PUBLISH\r\n" in text
    assert "\r\nNAME:Dasatinib once daily (dosecal)\r\n" in text
    assert "\r\nX-WR-CALNAME:Dasatinib once daily (dosecal)\r\n" in text
    stamps = set(re.findall(r"\r\nDTSTAMP:(\S+)\r\n", text))
    assert stamps == {"20270104T000000Z"}


def test_lines_are_crlf_and_folded_at_75_octets() -> None:
    data = ics("nilotinib")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75


def test_every_tzid_has_an_outlook_style_vtimezone_without_rdate() -> None:
    text = ics("blinatumomab-rr").decode()
    assert set(re.findall(r"TZID=([^:;]+)", text)) == {"America/Toronto"}
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert "RDATE" not in text
    assert text.count("BEGIN:STANDARD") == 1 and text.count("BEGIN:DAYLIGHT") == 1
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in text


def test_all_day_spans_have_an_exclusive_date_end() -> None:
    cal = Calendar.from_ical(ics("blinatumomab-rr", cycles=1))
    stay = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Hospital stay"))
    assert stay.to_ical().count(b"DTSTART;VALUE=DATE:20270104") == 1
    assert b"DTEND;VALUE=DATE:20270113" in stay.to_ical()  # days 1-9 end on day 10


def test_home_events_ring_and_hospital_ones_do_not() -> None:
    """Blinatumomab R/R from Mon 4 Jan 2027: in hospital C1D1-9 (Mon 4 to Tue 12 Jan).

    Nothing rings in hospital; the admission rings the evening before (Sun 3 Jan 19:00); the
    first bag change at home (Wed 13 Jan 10:00) and the infusion's end ring 30 minutes before.
    """
    cal = Calendar.from_ical(ics("blinatumomab-rr", cycles=1, reminder_minutes=30))
    triggers = {}
    for ev in cal.walk("VEVENT"):
        alarms = ev.walk("VALARM")
        assert len(alarms) <= 1 and all(str(a["ACTION"]) == "DISPLAY" for a in alarms)
        start = ev.decoded("dtstart")
        day = start.date() if isinstance(start, datetime) else start
        triggers[(str(ev["CATEGORIES"].cats[0]), day)] = alarms[0].decoded("trigger") if alarms else None
        if isinstance(start, datetime) and date(2027, 1, 4) <= day <= date(2027, 1, 12):
            assert not alarms, ev["SUMMARY"]
    assert triggers[("hospital", date(2027, 1, 4))] == timedelta(hours=-5)
    assert triggers[("bag-change", date(2027, 1, 13))] == timedelta(minutes=-30)
    assert triggers[("infusion-end", date(2027, 2, 1))] == timedelta(minutes=-30)
    assert triggers[("rest", date(2027, 2, 1))] is None


def test_no_patient_label_in_the_calendar() -> None:
    data = ics("dasatinib", patient="Jane Example, MRN 12345")
    assert b"Jane" not in data and b"12345" not in data


def test_utc_mode_has_no_tzid_and_no_vtimezone() -> None:
    s = builtin("dasatinib")
    p = plan("2027-01-04", "America/Toronto")
    text = to_ics(expand(s, p), times="utc").decode()
    assert "TZID" not in text and "VTIMEZONE" not in text
    assert "DTSTART:20270104T130000Z" in text  # 08:00 EST


def test_a_zone_without_a_yearly_rule_falls_back_to_utc() -> None:
    text = ics("dasatinib", zone="Africa/Casablanca").decode()
    assert "VTIMEZONE" not in text and "TZID" not in text
    assert re.search(r"DTSTART:2027\d{4}T\d{6}Z", text)


def test_private_class_and_transparent_spans() -> None:
    cal = Calendar.from_ical(ics("blinatumomab-rr", cycles=1))
    for ev in cal.walk("VEVENT"):
        assert str(ev["CLASS"]) == "PRIVATE"
        cat = ev["CATEGORIES"].cats[0]
        assert str(ev["TRANSP"]) == ("TRANSPARENT" if cat in ("rest", "infusion") else "OPAQUE")
