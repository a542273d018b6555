"""Tests for clusterctl.zones: zone names, aliases and the constants."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clusterctl.errors import UsageError
from clusterctl.zones import DEADLINE_TIME, DEFAULT_ZONE, canonical_zone_name, get_zone

BXL = "Europe/Brussels"
BRUSSELS = ZoneInfo(BXL)


def utc(text: str) -> datetime:
    """'2018-03-08T16:00' -> that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def in_zone(text: str, zone: str = BXL) -> datetime:
    """A moment given as an unambiguous ISO string with offset, shown in ``zone``."""
    return datetime.fromisoformat(text).astimezone(ZoneInfo(zone))


# --- constants and zones ----------------------------------------------------------------------


def test_constants() -> None:
    assert DEFAULT_ZONE == "Europe/Brussels"
    assert time(17, 0) == DEADLINE_TIME


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Brussels", "Europe/Brussels"),
        ("europe/brussels", "Europe/Brussels"),
        ("America/St_Johns", "America/St_Johns"),
        ("AoE", "Etc/GMT+12"),
        ("aoe", "Etc/GMT+12"),
        ("AOE", "Etc/GMT+12"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("gmt", "UTC"),
        ("Etc/GMT+12", "Etc/GMT+12"),
    ],
)
def test_zone_names(name: str, key: str) -> None:
    assert canonical_zone_name(name) == key
    assert get_zone(name) is get_zone(name)
    assert get_zone(name).key == key


def test_aoe_is_utc_minus_12() -> None:
    assert datetime(2027, 3, 12, 23, 59, tzinfo=get_zone("AoE")).utcoffset() == timedelta(hours=-12)


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "Europe/Brussels ",
        "../x",
        "Europe/../Europe/Brussels",
        "/etc/passwd",
        "Europe",
        "Europe/",
        "Mars/Olympus",
        "Brussels",
        "localtime",
        "posixrules",
        "right/Europe/Brussels",
        "posix/Europe/Brussels",
        "zone.tab",
        "Europe/Brussels\x00",
    ],
)
def test_unknown_zones_refused(name: str) -> None:
    with pytest.raises(UsageError) as info:
        get_zone(name)
    assert str(info.value) == (
        f"unknown time zone {name!r}: use an IANA name such as Europe/Brussels"
    )


def test_get_zone_is_cached() -> None:
    assert hasattr(get_zone, "cache_info")
