"""Time zones a plan may use: a place's zone, never a fixed offset or an abbreviation.

A dose at 08:00 in Montréal is at 08:00 all year because the zone is a place that follows its
summer time; ``EST`` would move it to 09:00 on the phone in March. So a plan's zone is checked
here, with a suggestion where the name given is close to one.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dosecal.model.limits import MAX_ZONE_NAME
from dosecal.words import Value, msg

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
