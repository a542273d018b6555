"""Time zones and wall times: the IANA zone of a call, and what a wall time means in it.

The lowest layer of time handling, shared by ``clusterctl.timeparse`` (reading text and the
storage form) and ``clusterctl.timefmt`` (display).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from clusterctl.errors import TimeParseError, UsageError

DEFAULT_ZONE = "Europe/Brussels"
#: A deadline given as a bare date closes at 17:00 in the call's zone (EU portal convention).
DEADLINE_TIME = time(17, 0)

AOE_KEY = "Etc/GMT+12"  # POSIX sign convention: Etc/GMT+12 is UTC-12
_ZONE_ALIASES = {"aoe": AOE_KEY, "utc": "UTC", "gmt": "UTC"}
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9][A-Za-z0-9_+\-]*)*")
# Files in the zoneinfo directories that ZoneInfo opens but that are not portable zone names:
# 'right/...' zones count leap seconds (about half a minute off), 'localtime' is this machine's.
_UNPORTABLE = {"localtime", "posixrules", "factory"}
_UNPORTABLE_PREFIXES = ("right/", "posix/")
_CITY_REGIONS = {
    "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
    "Indian", "Pacific",
}  # fmt: skip

MINUTE = timedelta(minutes=1)


# --- zones ------------------------------------------------------------------------------------


def _unknown_zone(name: str) -> UsageError:
    return UsageError(f"unknown time zone {name!r}: use an IANA name such as Europe/Brussels")


@lru_cache(maxsize=1)
def _zone_keys_by_lower() -> dict[str, str]:
    return {key.lower(): key for key in available_timezones() if key.lower() not in _UNPORTABLE}


@lru_cache(maxsize=128)
def get_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name or the aliases AoE (UTC-12), UTC and GMT.

    Raises UsageError for unknown names, empty strings, paths and non-portable entries.
    """
    if not isinstance(name, str):
        raise _unknown_zone(str(name))
    key = _ZONE_ALIASES.get(name.lower(), name)
    lowered = key.lower()
    if (
        not _ZONE_NAME.fullmatch(key)
        or lowered in _UNPORTABLE
        or lowered.startswith(_UNPORTABLE_PREFIXES)
    ):
        raise _unknown_zone(name)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    # Accept 'europe/brussels' but always hand back the canonical spelling (case-insensitive
    # file systems would otherwise let a wrongly-cased key into the store).
    canonical = _zone_keys_by_lower().get(lowered)
    if canonical is None:
        raise _unknown_zone(name)
    return ZoneInfo(canonical)


def canonical_zone_name(name: str) -> str:
    """The IANA key to store for ``name``: 'aoe' -> 'Etc/GMT+12', 'gmt' -> 'UTC'."""
    return get_zone(name).key


#: Zone names that are abbreviations or codes rather than places, and the place to suggest.
#: They are valid IANA names, but their rules are not those of any one country: a call in
#: 'CET' does not follow Brussels if the EU ever stops changing the clocks differently.
_PLACES_FOR = {
    "CET": "Europe/Brussels", "MET": "Europe/Brussels", "EET": "Europe/Athens",
    "WET": "Europe/Lisbon", "EST": "America/New_York", "EST5EDT": "America/New_York",
    "CST6CDT": "America/Chicago", "MST": "America/Phoenix", "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles", "HST": "Pacific/Honolulu", "GB": "Europe/London",
    "NZ": "Pacific/Auckland", "PRC": "Asia/Shanghai", "ROC": "Asia/Taipei", "ROK": "Asia/Seoul",
    "W-SU": "Europe/Moscow",
}  # fmt: skip
#: Names without a place that are meant as such: UTC, and AoE's key.
_PLACELESS = {"UTC", "UCT", "GMT", "GMT0", "Zulu", "Universal", "Greenwich"}


def place_for_abbreviation(key: str) -> str | None:
    """For a canonical zone key that is an abbreviation rather than a place ('CET'), the place
    to use instead ('Europe/Brussels'); None for a place, UTC or an Etc/ offset."""
    if "/" in key or key in _PLACELESS or not key.replace("-", "").isupper():
        return None
    return _PLACES_FOR.get(key, DEFAULT_ZONE)


@lru_cache(maxsize=1)
def zones_by_city() -> dict[str, str]:
    """'brussels' -> 'Europe/Brussels', 'new york' -> 'America/New_York' (for '<City> time')."""
    found: dict[str, list[str]] = {}
    for key in available_timezones():
        parts = key.split("/")
        if len(parts) >= 2 and parts[0] in _CITY_REGIONS:
            city = parts[-1].replace("_", " ").lower()
            found.setdefault(city, []).append(key)
    # The few cities listed twice (Asia/Istanbul, Europe/Istanbul...) are links to one zone.
    return {city: min(keys, key=lambda k: (-k.count("/"), k)) for city, keys in found.items()}


def zone_key(zone: tzinfo | None) -> str:
    return getattr(zone, "key", None) or str(zone)


# --- wall times -------------------------------------------------------------------------------


def readings(wall: datetime, zone: tzinfo) -> tuple[str, datetime, datetime]:
    """Classify a naive wall time in ``zone`` as 'ok', 'gap' or 'fold', with both readings."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return "ok", first, second
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return ("fold" if back == wall else "gap"), first, second


def offset_text(offset: timedelta | None) -> str:
    """'+01:00', '-03:30', '+05:45' (and seconds only when the offset has them)."""
    if offset is None:
        return ""
    sign = "-" if offset < timedelta(0) else "+"
    seconds = int(abs(offset).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{secs:02d}" if secs else text


def wall_text(wall: datetime) -> str:
    text = f"{wall.year:04d}-{wall.month:02d}-{wall.day:02d} {wall.hour:02d}:{wall.minute:02d}"
    return f"{text}:{wall.second:02d}" if wall.second else text


def require_aware(dt: datetime) -> None:
    if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {dt!r}")


def require_whole_minutes(dt: datetime, what: str) -> None:
    offset = dt.utcoffset()
    if offset is not None and offset % MINUTE:
        raise TimeParseError(
            f"{what}: {zone_key(dt.tzinfo)} then used local mean time "
            f"({offset_text(offset)}), which cannot be stored; give a later date"
        )
